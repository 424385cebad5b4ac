// Spec: tensor creation, seeded random determinism, views, dispose, tidy scopes and memory stats.
import { describe, expect, it } from "vitest";
import { full, ones, randint, randn, tensor, uniform, zeros } from "../create.ts";
import { add } from "../ops/elementwise.ts";
import { keep, memory, tidy } from "../scope.ts";
import type { Tensor } from "../tensor.ts";
import { backends } from "./harness.ts";

describe("creation", () => {
  it("tensor/zeros/ones/full: shape, dtype, size, strides, values", () => {
    const t = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe("f32");
    expect(t.size).toBe(6);
    expect(t.strides).toEqual([3, 1]);
    expect(tensor(new Int32Array([1, 2])).dtype).toBe("i32");
    expect(tensor([1, 2], [2], { dtype: "f64" }).readSync()).toBeInstanceOf(Float64Array);
    expect(Array.from(zeros([2, 2]).readSync())).toEqual([0, 0, 0, 0]);
    expect(Array.from(ones([3]).readSync())).toEqual([1, 1, 1]);
    expect(Array.from(full([2], 7, { dtype: "i32" }).readSync())).toEqual([7, 7]);
    expect(zeros([]).size).toBe(1);
  });
  it("read() resolves to a copy", async () => {
    const t = tensor([1, 2]);
    const r = await t.read();
    r[0] = 9;
    expect(t.readSync()[0]).toBe(1);
  });
});

describe("seeded random", () => {
  it("same seed → same values; different seed → different", () => {
    expect(Array.from(randn([5], { seed: 3 }).readSync())).toEqual(
      Array.from(randn([5], { seed: 3 }).readSync()),
    );
    expect(randn([5], { seed: 3 }).readSync()[0]).not.toBe(randn([5], { seed: 4 }).readSync()[0]);
  });
  it("moments of randn and uniform are right", () => {
    const x = Array.from(randn([20000], { seed: 1, std: 2, mean: 1 }).readSync());
    const m = x.reduce((a, b) => a + b, 0) / x.length;
    const v = x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length;
    expect(m).toBeCloseTo(1, 1);
    expect(Math.sqrt(v)).toBeCloseTo(2, 1);
    const u = Array.from(uniform([20000], { seed: 2, low: -1, high: 3 }).readSync());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u)).toBeLessThan(3);
    const ids = randint([1000], 7, { seed: 3 }).readSync();
    expect(Math.max(...ids)).toBe(6);
    expect(Math.min(...ids)).toBe(0);
  });
  it.each(backends())("randn gives the same values on %s as on ts", (name) => {
    expect(Array.from(randn([33], { seed: 9, backend: name }).readSync())).toEqual(
      Array.from(randn([33], { seed: 9, backend: "ts" }).readSync()),
    );
  });
});

describe.each(backends())("backend contract on %s", (name) => {
  it("alloc is zero-initialised, also when reusing freed memory", () => {
    for (const size of [1, 7, 33, 4096]) {
      const a = full([size], 3.5, { backend: name });
      a.dispose();
      const b = zeros([size], { backend: name });
      expect(Array.from(b.readSync()).every((v) => v === 0)).toBe(true);
      b.dispose();
    }
  });
  it("write/read round-trip for f32 and i32", async () => {
    const f = tensor([1.5, -2, 3e-8], [3], { backend: name });
    expect(Array.from(await f.read())).toEqual(Array.from(new Float32Array([1.5, -2, 3e-8])));
    const i = tensor([1, -2, 2147483647], [3], { dtype: "i32", backend: name });
    expect(Array.from(i.readSync())).toEqual([1, -2, 2147483647]);
  });
  it("hostMemory: data is the storage itself (writes through it are what the next read sees)", async () => {
    const t = zeros([5], { backend: name });
    if (t.backend.hostMemory !== true) return; // data is a download (tfjs) or absent (webgpu)
    t.data.set([1, 2, 3], 1);
    expect(Array.from(await t.read())).toEqual([0, 1, 2, 3, 0]);
    const copy = t.readSync();
    copy[0] = 9; // a read is a copy
    expect(t.data[0]).toBe(0);
  });
});

describe("dispose, tidy, memory", () => {
  it("tidy frees temporaries and keeps returned tensors (also inside objects)", () => {
    const before = memory();
    let inner: Tensor | null = null;
    const r = tidy(() => {
      const a = zeros([10]);
      inner = add(a, a);
      const kept = keep(ones([2]));
      return { out: add(inner, a), list: [kept] };
    });
    expect(inner!.disposed).toBe(true);
    expect(r.out.disposed).toBe(false);
    expect(memory().tensors).toBe(before.tensors + 2);
    r.out.dispose();
    r.list[0]!.dispose();
    expect(memory()).toEqual(before);
  });
  it("nested tidy hands returned tensors to the outer scope", () => {
    const before = memory().tensors;
    tidy(() => {
      const x = tidy(() => ones([3]));
      expect(x.disposed).toBe(false);
    });
    expect(memory().tensors).toBe(before);
  });
  it("tidy disposes on throw and refuses async functions", () => {
    const before = memory().tensors;
    expect(() =>
      tidy(() => {
        zeros([4]);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(memory().tensors).toBe(before);
    expect(() => tidy(() => Promise.resolve(1))).toThrow(/Promise/);
  });
  it("memory counts bytes of live storages; views share storage", () => {
    const before = memory();
    const t = zeros([4, 4]);
    const v = t.reshape([16]);
    expect(memory().bytes - before.bytes).toBe(64);
    expect(memory().storages - before.storages).toBe(1);
    t.dispose();
    expect(memory().storages - before.storages).toBe(1);
    v.dispose();
    expect(memory()).toEqual(before);
  });
});
