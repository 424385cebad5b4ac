/**
 * The wasm engine's host in browsers (the default of `#wasm-host`; Node and Deno take host_node.ts
 * through the `node` condition): no environment variables, the `.wasm` is fetched by `initWasm()`,
 * pool workers are module Web Workers started from a Blob URL. Threads need a WebAssembly.Memory that
 * can be posted to workers, which browsers allow only on cross-origin-isolated pages (served with
 * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`);
 * elsewhere the engine runs on the calling thread alone. A page's main thread may not sleep in
 * Atomics.wait, so there the pool's caller spins while the workers finish a job.
 */
import type { HostWorker, WasmHost, WorkerInit } from "./host.ts";
import { WEB_WORKER_SOURCE } from "./worker_source.ts";

const isWindow = typeof (globalThis as { window?: unknown }).window !== "undefined";
let workerUrl: string | null = null;

const host: WasmHost = {
  name: "web",
  env: () => undefined,
  defaultThreads() {
    if (!globalThis.crossOriginIsolated) return 1;
    return Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1);
  },
  readFile: () => null,
  enableRelaxedSimd() {},
  startWorker(init: WorkerInit): HostWorker {
    workerUrl ??= URL.createObjectURL(new Blob([WEB_WORKER_SOURCE], { type: "text/javascript" }));
    const w = new Worker(workerUrl, { type: "module", name: `mempo-wasm-${init.tid}` });
    w.onerror = (e) => console.error("wasm backend: worker failed:", e.message);
    w.postMessage(init);
    return {
      terminate: () => {
        w.terminate();
        return undefined;
      },
    };
  },
  canBlock: !isWindow,
  async ensureBuilt() {},
};

export default host;
