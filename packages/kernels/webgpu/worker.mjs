// Device worker thread (Node): owns the GPUDevice and an Executor, so that the main thread can block
// on a read-back (Atomics.wait) while this thread services Dawn's asynchronous buffer mapping. That is
// what gives the webgpu backend a synchronous readSync() on Node. Messages (in order, from device.ts):
//   {t:"run", cmds}                         execute and submit
//   {t:"read", id, bytes, req}              reply {t:"data", req, buf} or {t:"data", req, error}
//   {t:"readSync", id, bytes, sab}          write into sab: i32[0] = 1 ok / 2 error, i32[1] = byte length,
//                                           payload (or the UTF-8 error text) from byte 16; notify i32[0]
// Startup replies {t:"ready", info} or {t:"fail", reason}.
import { parentPort, workerData } from "node:worker_threads";
import { acquireDevice } from "./adapter.mjs";
import { Executor } from "./executor.mjs";

let ex = null;
try {
  const { device, info } = await acquireDevice(workerData ?? {});
  ex = new Executor(device);
  parentPort.postMessage({ t: "ready", info });
} catch (e) {
  parentPort.postMessage({ t: "fail", reason: e instanceof Error ? e.message : String(e) });
}

function reply(sab, ok, payload) {
  const head = new Int32Array(sab, 0, 4);
  const body = new Uint8Array(sab, 16);
  const bytes = ok ? new Uint8Array(payload) : new TextEncoder().encode(payload).subarray(0, body.length);
  body.set(bytes);
  head[1] = bytes.length;
  Atomics.store(head, 0, ok ? 1 : 2);
  Atomics.notify(head, 0);
}

parentPort.on("message", async (m) => {
  if (ex === null) {
    if (m.t === "readSync") reply(m.sab, false, "webgpu: no device");
    else if (m.t === "read") parentPort.postMessage({ t: "data", req: m.req, error: "webgpu: no device" });
    return;
  }
  if (m.t === "run") ex.run(m.cmds);
  else if (m.t === "read" || m.t === "readSync") {
    let buf = null;
    let error = null;
    try {
      buf = await ex.read(m.id, m.bytes);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    if (m.t === "readSync") reply(m.sab, error === null, error ?? buf);
    else if (error !== null) parentPort.postMessage({ t: "data", req: m.req, error });
    else parentPort.postMessage({ t: "data", req: m.req, buf }, [buf]);
  }
});
