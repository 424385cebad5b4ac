// Builds the WebAssembly kernels (AssemblyScript sources in wasm/assembly/) into build/:
//   build/kernels.wasm          SIMD128 + threads (runs on any WebAssembly SIMD engine)
//   build/kernels-relaxed.wasm  the same plus relaxed SIMD (f32x4.relaxed_madd → FMA), chosen at run
//                               time when the engine validates it (see wasm/simd_detect.ts)
// Both import a shared memory `env.memory` and keep no static data, so every thread instantiates the
// same module over one WebAssembly.Memory. Run: `npm run build -w @mempo/kernels` (or
// `node wasm/build.mjs`); wasm/engine.ts also calls buildKernels() when the binaries are missing.
import { mkdir, readdir, rename, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const BUILD_DIR = join(here, "..", "build");
export const VARIANTS = {
  baseline: { file: "kernels.wasm", features: "simd,threads" },
  relaxed: { file: "kernels-relaxed.wasm", features: "simd,threads,relaxed-simd" },
};

/** Newest modification time (ms) of the AssemblyScript sources. */
export async function sourcesMtime() {
  const dir = join(here, "assembly");
  let t = 0;
  for (const f of await readdir(dir)) t = Math.max(t, (await stat(join(dir, f))).mtimeMs);
  return t;
}

/** Compiles both variants; throws with the compiler's messages on error. */
export async function buildKernels({ quiet = false } = {}) {
  const { default: asc } = await import("assemblyscript/asc");
  await mkdir(BUILD_DIR, { recursive: true });
  for (const [name, v] of Object.entries(VARIANTS)) {
    const out = join(BUILD_DIR, v.file);
    const tmp = `${out}.${process.pid}.tmp`; // renamed into place: concurrent builds never expose half a file
    const args = [
      join(here, "assembly", "index.ts"),
      "--outFile",
      tmp,
      "-O3",
      "--runtime",
      "stub",
      "--importMemory",
      "--sharedMemory",
      "--initialMemory",
      "1",
      "--maximumMemory",
      "65536",
      "--enable",
      v.features,
      "--noAssert",
      "--use",
      "abort=",
    ];
    let log = "";
    const sink = {
      write: (s) => {
        log += s;
        return true;
      },
    };
    const { error } = await asc.main(args, { stdout: sink, stderr: sink });
    if (error) throw new Error(`kernels: AssemblyScript build of ${v.file} failed: ${error.message}\n${log}`);
    await rename(tmp, out);
    if (!quiet) console.log(`kernels: built ${name} → ${out}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildKernels();
}
