#!/usr/bin/env node
// The `mempo` executable: registers tsx so the TypeScript sources run directly.
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../main.ts");
process.exitCode = await runCli(process.argv.slice(2));
