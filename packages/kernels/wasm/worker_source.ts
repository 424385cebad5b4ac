/**
 * The pool worker's code, as source text: one loop for every host (a Node worker_threads eval
 * worker, or a module Web Worker from a Blob URL), so no worker file has to be found next to the
 * bundle. It instantiates the kernels module over the shared memory, then loops: wait for a new job
 * on the control word, join it (compare-exchange the active count), run the kernel (which takes
 * work units from an atomic counter until none are left), leave, repeat. The protocol is described
 * in pool.ts; `init` is a WorkerInit (host.ts).
 */
export const WORKER_LOOP = `
function runWorker(init) {
  const { module, memory, ctl, scratch, tid, kernels, spin } = init;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const ex = instance.exports;
  ex.setScratch(scratch, tid);
  const fns = kernels.map((name) => ex[name]);
  const w = new Int32Array(memory.buffer, ctl, 8);
  const STATE = 0, FN = 1, ARGS = 2, QUIT = 3, ERROR = 4, CLOSED = 0x100;
  let seen = Atomics.load(w, STATE) >>> 9;
  for (;;) {
    if (Atomics.load(w, QUIT) !== 0) break;
    const s = Atomics.load(w, STATE);
    if (s >>> 9 === seen || (s & CLOSED) !== 0) {
      let i = 0;
      while (i < spin && Atomics.load(w, STATE) === s) i++;
      if (i >= spin) Atomics.wait(w, STATE, s);
      continue;
    }
    if (Atomics.compareExchange(w, STATE, s, s + 1) !== s) continue;
    seen = s >>> 9;
    try {
      fns[Atomics.load(w, FN)](Atomics.load(w, ARGS));
    } catch (e) {
      Atomics.store(w, ERROR, 1);
      console.error("wasm worker: kernel " + kernels[Atomics.load(w, FN)] + " failed:", e);
    }
    if ((Atomics.sub(w, STATE, 1) & CLOSED) !== 0) Atomics.notify(w, STATE);
  }
}
`;

/** A Node worker_threads eval worker: the init comes as workerData. */
export const NODE_WORKER_SOURCE = `${WORKER_LOOP}\nrunWorker(require("node:worker_threads").workerData);\n`;

/** A Web Worker (module): the init comes as the first message. */
export const WEB_WORKER_SOURCE = `${WORKER_LOOP}\nself.onmessage = (e) => { self.onmessage = null; runWorker(e.data); };\n`;
