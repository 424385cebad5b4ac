#!/usr/bin/env node
// The `mempo` executable: registers tsx so the TypeScript sources run directly.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../main.ts");
process.exitCode = await main(process.argv.slice(2));
