import { describe, expect, it } from "vitest";
import { Rng } from "./rng.ts";

describe("Rng", () => {
  it("is reproducible from a seed and resumable from its state", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(xs);
    const st = a.state();
    const ys = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => Rng.fromState(st).next())[0]).toBe(ys[0]);
    const c = Rng.fromState(st);
    expect(Array.from({ length: 5 }, () => c.next())).toEqual(ys);
    expect(new Rng(43).nextU32()).not.toBe(new Rng(42).nextU32());
  });

  it("gives uniform and normal draws with the right moments", () => {
    const r = new Rng(7);
    let s = 0;
    let s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });

  it("rejects a malformed state", () => {
    expect(() => Rng.fromState([1, 2, 3] as never)).toThrow(/four uint32 words/);
  });
});
