/**
 * The wasm engine's host on Node and Deno (chosen by the `node` condition of `#wasm-host`): files through
 * node:fs, threads from os.availableParallelism(), pool workers on worker_threads, relaxed SIMD
 * switched on through V8's flag where Node 20 keeps it behind one. In a source checkout it also
 * builds the kernels from AssemblyScript on first import (dev_build.ts); published packages ship
 * the built `.wasm` and never reach that code.
 */
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import { envVar } from "../env.ts";
import type { HostWorker, WasmHost, WorkerInit } from "./host.ts";
import { NODE_WORKER_SOURCE } from "./worker_source.ts";

/** The dev build, imported only when the AssemblyScript sources are present. */
const DEV_BUILD = "./dev_build.ts";

const host: WasmHost = {
  name: "node",
  env: envVar,
  defaultThreads: () => availableParallelism(),
  readFile(url: URL): Uint8Array | null {
    const path = fileURLToPath(url);
    if (!existsSync(path)) {
      throw new Error(
        `wasm backend: ${path} is missing. Fix: run \`npm run build -w @mempo/kernels\` in a checkout, ` +
          "or reinstall @mempo/kernels (its package ships build/kernels*.wasm).",
      );
    }
    return readFileSync(path);
  },
  enableRelaxedSimd() {
    try {
      setFlagsFromString("--experimental-wasm-relaxed-simd");
    } catch {
      // Not V8, or the flag is gone: the baseline build is used.
    }
  },
  startWorker(init: WorkerInit): HostWorker {
    const w = new Worker(NODE_WORKER_SOURCE, { eval: true, workerData: init });
    w.unref();
    w.on("error", (e) => console.error("wasm backend: worker failed:", e));
    return w;
  },
  canBlock: true,
  async ensureBuilt() {
    if (!existsSync(fileURLToPath(new URL("./assembly/index.ts", import.meta.url)))) return;
    const dev = (await import(DEV_BUILD)) as { ensureKernelsBuilt(): Promise<void> };
    await dev.ensureKernelsBuilt();
  },
};

export default host;
