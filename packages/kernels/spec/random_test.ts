// Spec: the seeded PRNG (random.ts): pinned sfc32 values, string seeds, forks, exact resume from the
// four-word state, the normal draws against Box–Muller computed here, and the errors.
import { describe, expect, it } from "vitest";
import { randint, randn } from "../create.ts";
import { hashString, Rng } from "../random.ts";
import "./harness.ts";

describe("Rng (sfc32)", () => {
  it("is a pure function of the seed (pinned values: same on every machine)", () => {
    const a = new Rng(42);
    expect(Array.from({ length: 5 }, () => a.nextU32())).toEqual([
      1028872839, 2516511472, 400437680, 853279530, 1920286840,
    ]);
    // Only the low 32 bits of a number seed count.
    expect(new Rng(42 + 2 ** 32).nextU32()).toBe(1028872839);
    expect(new Rng(-1).nextU32()).toBe(new Rng(0xffffffff).nextU32());
    expect(hashString("mempo")).toBe(3839412351);
    expect(new Rng("mempo").nextU32()).toBe(new Rng(hashString("mempo")).nextU32());
    expect(new Rng(43).nextU32()).not.toBe(new Rng(42).nextU32());
  });

  it("forks are independent of draws from the parent", () => {
    const a = new Rng(1);
    const f1 = a.fork("x").nextU32();
    a.nextU32();
    expect(a.fork("x").nextU32()).toBe(f1);
    expect(a.fork("y").nextU32()).not.toBe(f1);
    // A fork is a plain generator seeded from (seed, label).
    const seed = (hashString("1:x") ^ Math.imul(1, 0x9e3779b1)) >>> 0;
    expect(new Rng(seed).nextU32()).toBe(f1);
  });

  it("resumes exactly from its four-word state", () => {
    const a = new Rng(7);
    a.normal();
    a.next();
    const st = a.state();
    expect(st).toHaveLength(4);
    for (const w of st) expect(Number.isInteger(w) && w >= 0 && w <= 0xffffffff).toBe(true);
    const ahead = [a.normal(), a.next(), a.nextU32(), a.int(0, 9)];
    const b = Rng.fromState(st);
    expect([b.normal(), b.next(), b.nextU32(), b.int(0, 9)]).toEqual(ahead);
    expect(a.state()).toEqual(b.state());
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
  });

  it("normal() and fillNormal are Box–Muller on the uniforms", () => {
    const u = new Rng(3);
    const z = new Rng(3);
    const filled = new Float64Array(5);
    new Rng(3).fillNormal(filled, 1, 2);
    for (let i = 0; i < 5; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - u.next()));
      const angle = 2 * Math.PI * u.next();
      expect(z.normal()).toBe(r * Math.cos(angle));
      expect(filled[i]).toBe(1 + 2 * (r * Math.cos(angle)));
      if (i + 1 < 5) expect(filled[i + 1]).toBe(1 + 2 * (r * Math.sin(angle)));
    }
    // randn and randint are these draws from a fresh generator.
    const want = new Float64Array(7);
    new Rng(11).fillNormal(want);
    expect(Array.from(randn([7], { seed: 11, dtype: "f64", backend: "ts" }).readSync())).toEqual(
      Array.from(want),
    );
    const ids = new Rng(5);
    expect(Array.from(randint([6], 10, { seed: 5, backend: "ts" }).readSync())).toEqual(
      Array.from({ length: 6 }, () => ids.int(0, 9)),
    );
  });

  it("normal draws have mean 0 and variance 1", () => {
    const r = new Rng(7);
    const n = 20000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });

  it("bad input is refused with the fix", () => {
    const r = new Rng(1);
    expect(() => r.int(3, 2)).toThrow(/^Rng\.int: empty range \[3, 2\]\. Fix: pass lo ≤ hi\./);
    expect(() => r.pick([])).toThrow(/^Rng\.pick: empty array/);
    expect(() => Rng.fromState([1, 2, 3] as never)).toThrow(
      /^Rng\.setState: expected four uint32 words, got \[1,2,3\]/,
    );
    expect(() => Rng.fromState([1, 2, 3, -1])).toThrow(/four uint32 words/);
    expect(() => Rng.fromState(r.state()).fork("x")).toThrow(
      /^Rng\.fork: this generator was restored from a state/,
    );
  });
});
