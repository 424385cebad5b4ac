// webgpu backend: initialisation errors, the device in worker vs direct mode, error surfacing, and
// kernels at sizes the shared specs do not reach (matmul tile edges and batch sums, multi-block
// attention with GQA and masks, large reductions, contended scatter-add). Values are compared with
// the ts reference. Without a WebGPU adapter the device tests skip and print the reason.
// Run: npx vitest run webgpu/webgpu_test.ts (in packages/kernels).
import { describe, expect, it } from "vitest";
import { randint, randn, zeros } from "../create.ts";
import { attention, attentionBackward } from "../ops/attention.ts";
import { embeddingBackward } from "../ops/embedding.ts";
import { matmul, matmulBackward } from "../ops/matmul.ts";
import { gradNorm } from "../ops/optim.ts";
import { setBackend } from "../registry.ts";
import { crossCheck, expectClose, to } from "../spec/harness.ts";
import { acquireDevice } from "./adapter.mjs";
import { GpuDevice } from "./device.ts";
import { initWebGPU, webgpuInfo, webgpuMode, webgpuSync } from "./mod.ts";
import { dispatch, grid } from "./shader.ts";

// Captured while the file loads, before the initWebGPU() below (collection runs before any test).
let beforeInit = "";
try {
  setBackend("webgpu");
} catch (e) {
  beforeInit = e instanceof Error ? e.message : String(e);
}

describe("before initWebGPU", () => {
  it("setBackend names the missing init call", () => {
    expect(beforeInit).toMatch(
      /^setBackend: backend "webgpu" could not be loaded here: .*await initWebGPU\(\)/,
    );
  });
  it("an unknown MEMPO_WEBGPU_BACKEND value is refused with the choices", async () => {
    await expect(acquireDevice({ backend: "metal" as never })).rejects.toThrow(/vulkan, opengles or auto/);
  });
  it("grid() splits more than 65535 workgroups over y", () => {
    expect(grid(256 * 10)).toEqual({ groups: [10, 1], sx: 2560 });
    const g = grid(256 * 70000);
    expect(g.groups[0]).toBe(65535);
    expect(g.groups[1]).toBe(2);
    expect(g.groups[0] * g.groups[1] * 256).toBeGreaterThanOrEqual(256 * 70000);
  });
});

let reason: string | null = null;
try {
  await initWebGPU();
} catch (e) {
  reason = e instanceof Error ? e.message : String(e);
  console.warn(`webgpu device tests skipped: ${reason}`);
}

describe.skipIf(reason !== null)("webgpu device", () => {
  it("reports its adapter and runs the device in a worker (synchronous read-back)", () => {
    expect(webgpuInfo()?.backend).toMatch(/vulkan|default|opengles|navigator/);
    expect(webgpuMode()).toBe("worker");
  });

  it("refuses f64 tensors with the supported dtypes", () => {
    expect(() => zeros([2], { dtype: "f64", backend: "webgpu" })).toThrow(/cannot store dtype f64.*f32, i32/);
  });

  it("refuses a tensor larger than the adapter's storage binding limit", () => {
    const max = webgpuInfo()!.limits.maxStorageBufferBindingSize!;
    expect(() => zeros([max / 4 + 1], { backend: "webgpu" })).toThrow(
      /exceeds this adapter's maxStorageBufferBindingSize/,
    );
  });

  it("read() and readSync() agree", async () => {
    const t = to(randn([3, 5], { seed: 1, backend: "ts" }), "webgpu");
    expect(Array.from(await t.read())).toEqual(Array.from(t.readSync()));
  });

  it("a failing GPU command surfaces at the next read", async () => {
    const t = zeros([4], { backend: "webgpu" });
    const bad = {
      name: "broken",
      params: "",
      bindings: [["o", "w", "f32"]] as const,
      wg: [1],
      body: "o[0] = nope;",
    };
    dispatch(bad, [t], {}, [1]);
    await expect(t.read()).rejects.toThrow(/webgpu: a GPU command failed/);
    await webgpuSync(); // the error was reported once; the device keeps working
    expect(Array.from(t.readSync())).toEqual([0, 0, 0, 0]);
  });

  it("direct mode (device in this thread): async read works, readSync says to await read()", async () => {
    const d = await GpuDevice.create({ worker: false });
    const id = d.alloc(12);
    d.write(id, new Float32Array([1, 2, 3]).buffer);
    expect(Array.from(new Float32Array(await d.read(id, 12)))).toEqual([1, 2, 3]);
    expect(() => d.readSync(id, 12, "[3] f32")).toThrow(/use await tensor\.read\(\)/);
    await d.destroy();
  });

  it.each([
    { name: "tile edges 65×70·70×130", a: [65, 70], b: [70, 130] },
    { name: "transA transB 130×65", a: [70, 130], b: [65, 70], transA: true, transB: true },
    { name: "batched weight 3×67×40 · [40,81] + bias", a: [3, 67, 40], b: [40, 81], bias: 81 },
  ])("matmul $name forward and backward match ts", (c) => {
    const ins = [randn(c.a, { seed: 1, backend: "ts" }), randn(c.b, { seed: 2, backend: "ts" })];
    const n = c.transB ? c.b[0]! : c.b[c.b.length - 1]!;
    const bias = c.bias ? randn([c.bias], { seed: 3, backend: "ts" }) : null;
    const opts = { transA: c.transA, transB: c.transB };
    const dOut = randn([...matmul(ins[0]!, ins[1]!, opts).shape], { seed: 4, backend: "ts" });
    expect(n).toBe(dOut.shape[dOut.rank - 1]);
    crossCheck("webgpu", bias ? [...ins, dOut, bias] : [...ins, dOut], ([a, b, d, bi]) => {
      const y = matmul(a!, b!, { ...opts, bias: bi ?? null });
      const g = matmulBackward(d!, a!, b!, { ...opts, hasBias: !!bi });
      return [y, g.dA, g.dB, g.dBias];
    });
  });

  it("attention over several 64-query blocks with GQA and padding masks matches ts", () => {
    const [B, T, H, Hkv, Dh] = [2, 150, 4, 2, 24];
    const q = randn([B, T, H, Dh], { seed: 1, backend: "ts" });
    const k = randn([B, T, Hkv, Dh], { seed: 2, backend: "ts" });
    const v = randn([B, T, Hkv, Dh], { seed: 3, backend: "ts" });
    const d = randn([B, T, H, Dh], { seed: 4, backend: "ts" });
    const m = { keyStart: [0, 37], keyEnd: [150, 120] };
    crossCheck("webgpu", [q, k, v, d], ([q, k, v, d]) => {
      const f = attention(q!, k!, v!, m);
      const g = attentionBackward(d!, q!, k!, v!, f.out, f.lse, m);
      return [f.out, f.lse, g.dQ, g.dK, g.dV];
    });
  });

  it("gradNorm over 600k elements (multi-workgroup partial sums) matches ts", () => {
    const xs = [randn([600_001], { seed: 1, backend: "ts" }), randn([333], { seed: 2, backend: "ts" })];
    const ref = gradNorm(xs);
    const got = gradNorm(xs.map((x) => to(x, "webgpu")));
    expect(Math.abs(got - ref) / ref).toBeLessThan(1e-5);
  });

  it("embedding scatter-add with heavy id repetition matches ts", () => {
    const ids = randint([2000], 3, { seed: 5, backend: "ts" });
    const d = randn([2000, 16], { seed: 6, backend: "ts" });
    const ref = embeddingBackward(d, ids, 3).readSync();
    const got = embeddingBackward(to(d, "webgpu"), to(ids, "webgpu"), 3).readSync();
    expectClose(got, ref, 1e-4);
  });
});
