/**
 * Main-thread side of the webgpu backend: buffer ids, command batching and read-back.
 *
 * Kernels never touch GPU objects; they append commands (executor.mjs) to a batch that is handed to
 * an Executor as one command encoder. Two modes:
 * - "worker" (Node, default): the device lives in a worker thread (worker.mjs); a batch is one
 *   postMessage. `readSync` blocks on Atomics.wait while the worker maps the buffer, so synchronous
 *   read-back — and everything built on it (specs, `item()`, gradNorm) — works.
 * - "direct" (browsers, Deno's native navigator.gpu, or MEMPO_WEBGPU_WORKER=0): the device lives in
 *   this thread; only the async `read` exists and `readSync` throws the fix.
 * A batch is flushed when it reaches FLUSH_AT commands, before every read, and at the next microtask.
 * GPU errors surface at the next read (WebGPU reports them asynchronously).
 *
 * Test: packages/kernels/webgpu/webgpu_test.ts.
 */
import type { AdapterInfo, AdapterOptions } from "./adapter.d.mts";
import type { Command, Executor } from "./executor.d.mts";

/** Commands per batch before it is flushed (one command buffer each). */
const FLUSH_AT = 64;
/** How long readSync waits for the worker before giving up (ms). */
const READ_TIMEOUT_MS = 300_000;

interface WorkerLike {
  postMessage(m: unknown, transfer?: ArrayBuffer[]): void;
  on(ev: string, fn: (m: never) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

export interface GpuOptions extends AdapterOptions {
  /** Run the device in a worker thread (Node only; enables readSync). Default: true on Node, env MEMPO_WEBGPU_WORKER=0 turns it off. */
  worker?: boolean;
}

export class GpuDevice {
  readonly info: AdapterInfo;
  readonly mode: "worker" | "direct";
  #worker: WorkerLike | null;
  #exec: Executor | null;
  #pending: Command[] = [];
  #transfer: ArrayBuffer[] = [];
  #scheduled = false;
  #nextId = 1;
  #compiled = new Set<string>();
  #reads = new Map<number, { resolve: (b: ArrayBuffer) => void; reject: (e: Error) => void }>();
  #nextReq = 1;

  private constructor(info: AdapterInfo, worker: WorkerLike | null, exec: Executor | null) {
    this.info = info;
    this.#worker = worker;
    this.#exec = exec;
    this.mode = worker ? "worker" : "direct";
    worker?.on("message", (m: { t: string; req: number; buf?: ArrayBuffer; error?: string }) => {
      const r = this.#reads.get(m.req);
      if (!r) return;
      this.#reads.delete(m.req);
      if (this.#reads.size === 0) this.#worker?.unref();
      if (m.error !== undefined) r.reject(new Error(m.error));
      else r.resolve(m.buf!);
    });
  }

  /** Acquires an adapter and device (in a worker thread on Node unless opts.worker is false). */
  static async create(opts: GpuOptions = {}): Promise<GpuDevice> {
    const isNode = typeof process !== "undefined" && !!process.versions?.node && !("Deno" in globalThis);
    const envWorker = isNode ? process.env.MEMPO_WEBGPU_WORKER : undefined;
    const useWorker = isNode && (opts.worker ?? envWorker !== "0");
    if (isNode) process.env.EGL_PLATFORM ??= "surfaceless"; // before Dawn loads (the worker copies env)
    const { backend, powerPreference } = opts;
    if (!useWorker) {
      const { acquireDevice } = await import("./adapter.mjs");
      const { Executor } = await import("./executor.mjs");
      const { device, info } = await acquireDevice({ backend, powerPreference });
      return new GpuDevice(info, null, new Executor(device));
    }
    // Through process.getBuiltinModule, not an import: this module is also bundled for browsers.
    const { Worker } = process.getBuiltinModule("node:worker_threads");
    const w = new Worker(new URL("./worker.mjs", import.meta.url), {
      workerData: { backend, powerPreference },
    }) as unknown as WorkerLike;
    const info = await new Promise<AdapterInfo>((resolve, reject) => {
      w.on("message", (m: { t: string; info?: AdapterInfo; reason?: string }) => {
        if (m.t === "ready") resolve(m.info!);
        else if (m.t === "fail") reject(new Error(m.reason));
      });
      w.on("error", (e: Error) => reject(e));
      w.on("exit", (code: number) =>
        reject(new Error(`webgpu: device worker exited (code ${code}) during start-up`)),
      );
    }).catch(async (e) => {
      await w.terminate();
      throw e;
    });
    w.unref();
    return new GpuDevice(info, w, null);
  }

  /** A fresh buffer id (buffers are created lazily by the executor, in command order). */
  alloc(bytes: number): number {
    const id = this.#nextId++;
    this.#push({ op: "alloc", id, bytes });
    return id;
  }

  free(id: number): void {
    this.#push({ op: "free", id });
  }

  write(id: number, data: ArrayBuffer): void {
    this.#transfer.push(data);
    this.#push({ op: "write", id, data });
  }

  copy(src: number, srcOff: number, dst: number, dstOff: number, bytes: number): void {
    if (bytes > 0) this.#push({ op: "copy", src, srcOff, dst, dstOff, bytes });
  }

  /** Queues one compute dispatch; `code` is compiled once per key. */
  dispatch(
    key: string,
    code: string,
    layout: string,
    ids: number[],
    params: Uint32Array,
    groups: [number, number, number],
  ): void {
    if (groups[0] === 0 || groups[1] === 0 || groups[2] === 0) return;
    const first = !this.#compiled.has(key);
    if (first) this.#compiled.add(key);
    this.#push({ op: "dispatch", key, code: first ? code : undefined, layout, ids, params, groups });
  }

  #push(c: Command): void {
    this.#pending.push(c);
    if (this.#pending.length >= FLUSH_AT) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Hands the pending batch to the executor (one command buffer). */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    const cmds = this.#pending;
    const transfer = this.#transfer;
    this.#pending = [];
    this.#transfer = [];
    if (this.#worker) this.#worker.postMessage({ t: "run", cmds }, transfer);
    else this.#exec!.run(cmds);
  }

  /** Copies `bytes` of buffer `id` to the host after all queued work. */
  read(id: number, bytes: number): Promise<ArrayBuffer> {
    this.flush();
    if (!this.#worker) return this.#exec!.read(id, bytes);
    const req = this.#nextReq++;
    if (this.#reads.size === 0) this.#worker.ref();
    const p = new Promise<ArrayBuffer>((resolve, reject) => this.#reads.set(req, { resolve, reject }));
    this.#worker.postMessage({ t: "read", id, bytes, req });
    return p;
  }

  /** Synchronous read-back (worker mode only); throws with the fix elsewhere. */
  readSync(id: number, bytes: number, what: string): ArrayBuffer {
    if (!this.#worker) {
      throw new Error(
        `readSync: backend "webgpu" cannot read tensor ${what} synchronously (the device runs in this thread). ` +
          "Fix: use await tensor.read(), or on Node run the device in its worker (initWebGPU({worker: true}), " +
          "the default unless MEMPO_WEBGPU_WORKER=0).",
      );
    }
    this.flush();
    const sab = new SharedArrayBuffer(16 + Math.max(bytes, 4096));
    const head = new Int32Array(sab, 0, 4);
    this.#worker.postMessage({ t: "readSync", id, bytes, sab });
    const r = Atomics.wait(head, 0, 0, READ_TIMEOUT_MS);
    if (r === "timed-out") {
      throw new Error(
        `readSync: the webgpu device worker did not answer within ${READ_TIMEOUT_MS / 1000} s.`,
      );
    }
    const n = head[1]!;
    if (head[0] === 2) throw new Error(new TextDecoder().decode(new Uint8Array(sab, 16, n).slice()));
    return new Uint8Array(sab, 16, n).slice().buffer;
  }

  /** Stops the worker (or drops the device); the backend must not be used afterwards. */
  async destroy(): Promise<void> {
    this.flush();
    if (this.#worker) await this.#worker.terminate();
    this.#worker = null;
    this.#exec = null;
  }
}
