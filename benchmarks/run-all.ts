/**
 * Runs every bench: each folder here with a `main.ts` (kernels/, tokenizer/, env/, model/ …), one
 * after another so they do not compete for cores. Each bench prints its table and writes
 * `results/<name>.json`. Run one bench with `npx tsx benchmarks/<name>/main.ts`, or pass names:
 * `npx tsx benchmarks/run-all.ts kernels tokenizer`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const here = import.meta.dirname;
const wanted = process.argv.slice(2);
const benches = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, "main.ts")))
  .map((d) => d.name)
  .filter((n) => wanted.length === 0 || wanted.includes(n));
let failed = 0;
for (const name of benches) {
  console.log(`\n=== bench: ${name} ===`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(here, name, "main.ts")], {
    stdio: "inherit",
  });
  if (r.status !== 0) {
    failed += 1;
    console.error(`bench ${name} exited with status ${r.status}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
