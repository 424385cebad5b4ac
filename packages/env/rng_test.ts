import { describe, expect, it } from "vitest";
import { hashString, Rng } from "./rng.ts";

describe("Rng (sfc32)", () => {
  it("is a pure function of the seed (pinned values: same on every machine)", () => {
    const a = new Rng(42);
    const seq = Array.from({ length: 5 }, () => a.nextU32());
    expect(new Rng(42).nextU32()).toBe(seq[0]);
    expect(seq).toMatchInlineSnapshot(`
      [
        1028872839,
        2516511472,
        400437680,
        853279530,
        1920286840,
      ]
    `);
    expect(hashString("mempo")).toMatchInlineSnapshot(`3839412351`);
    expect(new Rng("mempo").nextU32()).toBe(new Rng(hashString("mempo")).nextU32());
  });
  it("forks are independent of draws from the parent", () => {
    const a = new Rng(1);
    const f1 = a.fork("x").nextU32();
    a.nextU32();
    expect(a.fork("x").nextU32()).toBe(f1);
    expect(a.fork("y").nextU32()).not.toBe(f1);
  });
  it("ranges: int inclusive, next in [0,1), roughly uniform", () => {
    const r = new Rng(9);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      counts[r.int(0, 3)]! += 1;
    }
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400);
    expect(() => r.int(3, 2)).toThrow(/empty range/);
    expect(() => r.pick([])).toThrow(/empty/);
  });
});
