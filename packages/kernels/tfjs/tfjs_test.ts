// The tfjs backend itself: storage states (device tensor, host mirror, zeros), the fallback to ts
// kernels through host views, that the hot-path kernels never touch host memory, and the errors that
// say what to install. Kernel values are checked by tfjs/spec_test.ts (the shared specs).
// Run: npx vitest run tfjs/tfjs_test.ts (in packages/kernels).
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import "../backends/all.ts";
import { randint, randn, tensor, zeros } from "../create.ts";
import { gelu, geluBackward, swiglu, swigluBackward } from "../ops/activation.ts";
import { attention, attentionBackward, attentionDecode, kvCacheWrite } from "../ops/attention.ts";
import { embedding, embeddingBackward } from "../ops/embedding.ts";
import { logSoftmaxGather, logSoftmaxGatherBackward } from "../ops/logprob.ts";
import { matmul, matmulBackward } from "../ops/matmul.ts";
import { layernorm, layernormBackward, rmsnorm, rmsnormBackward } from "../ops/norm.ts";
import { adamw } from "../ops/optim.ts";
import { softmax, softmaxBackward } from "../ops/softmax.ts";
import { rope } from "../ops/rope.ts";
import { getKernel, listBackends, setBackend } from "../registry.ts";
import { tidy } from "../scope.ts";
import type { Tf } from "./backend.ts";
import { activate, importCore, loadError } from "./load.ts";
import { initTfjs, TfjsStorage, tfjsInfo } from "./mod.ts";

let tf: Tf;

describe("before initTfjs", () => {
  it("selecting tfjs says how to initialise it and what to install", () => {
    if (listBackends().includes("tfjs")) return; // another file in this worker initialised it
    expect(() => setBackend("tfjs")).toThrow(
      /backend "tfjs" could not be loaded here: not initialised: call `await initTfjs\(\)`.*npm install @tensorflow\/tfjs-core @tensorflow\/tfjs-backend-wasm/,
    );
  });
});

describe("tfjs backend", () => {
  beforeAll(async () => {
    tf = await importCore();
    await initTfjs({ flavor: "wasm" });
  });
  afterEach(() => setBackend("ts"));

  it("initTfjs is idempotent and refuses to switch flavors", async () => {
    expect(tfjsInfo()).toMatchObject({ flavor: "wasm", tfBackend: "wasm" });
    expect(await initTfjs({ flavor: "wasm" })).toBe(tfjsInfo());
    await expect(initTfjs({ flavor: "cpu" })).rejects.toThrow(
      /already runs on "wasm"; cannot switch to "cpu"/,
    );
  });

  it("writes, kernels and reads move data only when asked", async () => {
    const a = tensor([1, 2, 3, 4], [2, 2], { backend: "tfjs" });
    const s = a.storage as TfjsStorage;
    const y = matmul(a, a);
    expect((y.storage as TfjsStorage).tensor().size).toBe(4); // a tfjs tensor
    expect(Array.from(y.readSync())).toEqual([7, 10, 15, 22]);
    expect(Array.from(await y.read())).toEqual([7, 10, 15, 22]);
    expect(Array.from(s.host())).toEqual([1, 2, 3, 4]);
    expect(Array.from(zeros([3], { backend: "tfjs" }).readSync())).toEqual([0, 0, 0]);
    expect(Array.from(zeros([2], { backend: "tfjs", dtype: "i32" }).readSync())).toEqual([0, 0]);
  });

  it("a ts kernel on tfjs tensors (the fallback) writes through host views the next tfjs kernel sees", () => {
    const x = tensor([1, -2, 3], [3], { backend: "tfjs" });
    const y = matmul(x.reshape([1, 3]), tensor([1, 1, 1], [3, 1], { backend: "tfjs" })); // on device
    getKernel("scale", "ts")({ x: y, out: y, alpha: 10 }); // ts reference: downloads, writes the host view
    getKernel("axpy", "ts")({ x, y: x, alpha: 1 }); // x = 2x
    expect(Array.from(matmul(y, tensor([2], [1, 1], { backend: "tfjs" })).readSync())).toEqual([40]);
    expect(Array.from(x.readSync())).toEqual([2, -4, 6]);
  });

  it("the hot-path kernels never read tensors back to the host (attention: only through read-only mirrors, on host-memory backends)", () => {
    setBackend("tfjs");
    const data = vi.spyOn(TfjsStorage.prototype, "data", "get");
    const downloads = vi.spyOn(tf.Tensor.prototype, "dataSync");
    tidy(() => {
      const [B, T, H, Hkv, Dh, V] = [2, 5, 4, 2, 8, 11];
      const x = randn([B * T, H * Dh], { seed: 1 });
      const w = randn([H * Dh], { seed: 2 });
      const ln = layernorm(x, w, w);
      layernormBackward(ln.out, x, w, ln.mean, ln.rstd);
      const rn = rmsnorm(x, w);
      rmsnormBackward(rn.out, x, w, rn.rstd);
      const W = randn([H * Dh, H * Dh], { seed: 3 });
      const y = matmul(x, W, { transB: true });
      matmulBackward(y, x, W, { transB: true });
      geluBackward(gelu(y), y);
      swigluBackward(swiglu(y, x), y, x);
      rope(randn([B, T, H, Dh], { seed: 4 }), { offset: [0, 2] });
      const cache = zeros([B, Hkv, 8, Dh]);
      kvCacheWrite(cache, randn([B, T, Hkv, Dh], { seed: 5 }), 0);
      const logits = randn([B * T, V], { seed: 7 });
      softmaxBackward(logits, softmax(logits));
      const sm = logSoftmaxGather(logits, randint([B * T], V, { seed: 8 }));
      const p = randn([8], { seed: 9 });
      adamw(p, p, zeros([8]), zeros([8]), { lr: 1e-3, step: 1 });
      return sm;
    });
    expect(data).not.toHaveBeenCalled();
    expect(downloads).not.toHaveBeenCalled(); // ids/targets were written from the host: no read-back
    // attention on tfjs-backend-wasm / -cpu ("auto" → headwise) reads its inputs through the storages'
    // read-only host mirrors (a memcpy there) and never takes a storage's host-authoritative `data` view
    tidy(() => {
      const [B, T, H, Hkv, Dh] = [2, 5, 4, 2, 8];
      const q = randn([B, T, H, Dh], { seed: 4 });
      const k = randn([B, T, Hkv, Dh], { seed: 5 });
      const v = randn([B, T, Hkv, Dh], { seed: 6 });
      const at = attention(q, k, v, { keyStart: [0, 1] });
      attentionBackward(at.out, q, k, v, at.out, at.lse, { keyStart: [0, 1] });
      const cache = zeros([B, Hkv, 8, Dh]);
      kvCacheWrite(cache, k, 0);
      return attentionDecode(q, cache, cache, { pos: 0 });
    });
    expect(data).not.toHaveBeenCalled();
    data.mockRestore();
    downloads.mockRestore();
  });

  it("ids and targets are range-checked (from their host copies)", () => {
    const table = randn([4, 3], { seed: 1, backend: "tfjs" });
    expect(() => embedding(tensor([0, 4], [2], { dtype: "i32", backend: "tfjs" }), table)).toThrow(
      /^embedding: id 4 at position 1 is outside the vocabulary \[0, 4\)\. Fix: clamp or remap ids/,
    );
    const ids = tensor([1, 1, 3], [3], { dtype: "i32", backend: "tfjs" });
    const dT = embeddingBackward(randn([3, 3], { seed: 2, backend: "tfjs" }), ids, 4).readSync();
    expect(Array.from(dT.slice(0, 3))).toEqual([0, 0, 0]); // repeated id 1 summed; row 0 untouched
    const logits = randn([2, 5], { seed: 3, backend: "tfjs" });
    const bad = tensor([1, 5], [2], { dtype: "i32", backend: "tfjs" });
    expect(() => logSoftmaxGather(logits, bad)).toThrow(/^logSoftmaxGather: target 5 at row 1 is outside/);
    const pad = tensor([-1, 2], [2], { dtype: "i32", backend: "tfjs" });
    const r = logSoftmaxGather(logits, pad);
    const d = logSoftmaxGatherBackward(
      tensor([1, 1], [2], { backend: "tfjs" }),
      logits,
      pad,
      r.lse,
    ).readSync();
    expect(r.logp.readSync()[0]).toBeCloseTo(0, 12);
    expect(Array.from(d.slice(0, 5), Math.abs)).toEqual([0, 0, 0, 0, 0]); // a padding row has no gradient
  });

  it("a tfjs package that is missing or fails to load names the cause and the alternatives", async () => {
    await expect(activate(tf, "node-gpu")).rejects.toThrow(
      /^tfjs backend: @tensorflow\/tfjs-node-gpu is not installed\. Fix: npm install @tensorflow\/tfjs-node-gpu\. Alternatives: MEMPO_TFJS_BACKEND=wasm/,
    );
    const e = loadError(
      "node-gpu",
      new Error("libcudart.so.11.0: cannot open shared object file: No such file or directory"),
    );
    expect(e.message).toMatch(
      /^tfjs backend: @tensorflow\/tfjs-node-gpu is installed but failed to load: libcudart\.so\.11\.0: cannot open shared object file.*libtensorflow 2\.9\.1.*CUDA 11\.2 \+ cuDNN 8\.1.*Alternatives: MEMPO_TFJS_BACKEND=wasm.*--backend wasm/,
    );
  });
});
