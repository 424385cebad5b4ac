/**
 * Building the kernels in a source checkout (Node only; published packages ship the built `.wasm`):
 * `writeAsArgs()` writes the AssemblyScript argument readers (assembly/args.ts, generated, not in
 * git) from the layouts in args.ts, and `ensureKernelsBuilt()` also recompiles build/kernels*.wasm
 * when they are missing or older than the AssemblyScript sources. host_node.ts calls the latter on
 * first import of the wasm backend, so a fresh clone trains without a separate build step.
 * Run `npx tsx wasm/dev_build.ts` to write assembly/args.ts only.
 *
 * Test: packages/kernels/wasm/args_test.ts.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { asArgsSource } from "./args.ts";
import { BUILD_DIR, buildKernels, sourcesMtime, VARIANTS } from "./build.mjs";

/** Where the generated readers live. */
export const AS_ARGS_FILE = fileURLToPath(new URL("./assembly/args.ts", import.meta.url));

/**
 * Writes `file` (assembly/args.ts) when it is missing or differs from `asArgsSource()`, so the
 * AssemblyScript side always reads the layouts the host writes; a rewrite makes the build stale.
 * @returns whether it wrote
 */
export function writeAsArgs(file = AS_ARGS_FILE): boolean {
  let have = "";
  try {
    have = readFileSync(file, "utf8");
  } catch {}
  if (have === asArgsSource()) return false;
  writeFileSync(file, asArgsSource());
  return true;
}

/**
 * Builds build/kernels*.wasm when missing or older than the AssemblyScript sources, after writing the
 * argument readers (assembly/args.ts) from the layouts in args.ts when they differ.
 */
export async function ensureKernelsBuilt(): Promise<void> {
  writeAsArgs();
  const src = await sourcesMtime();
  const stale = Object.values(VARIANTS).some((v) => {
    const f = join(BUILD_DIR, v.file);
    return !existsSync(f) || statSync(f).mtimeMs < src;
  });
  if (stale) await buildKernels({ quiet: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && writeAsArgs()) {
  console.log(`kernels: wrote ${AS_ARGS_FILE}`);
}
