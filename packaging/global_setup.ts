/**
 * vitest globalSetup of the packaging checks: builds and packs every package once (project.ts
 * packAll), before the test files, which read the tarballs' index.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { packAll, WORK } from "./project.ts";

export default function setup(): void {
  const dir = join(WORK, "tarballs");
  const tarballs = packAll(dir);
  writeFileSync(join(dir, "index.json"), JSON.stringify(Object.fromEntries(tarballs)));
}
