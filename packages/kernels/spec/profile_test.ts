import { describe, expect, it } from "vitest";
import { matmul, Profiler, phase, randn, tidy } from "../mod.ts";

const busy = (ms: number) => {
  const t = performance.now();
  while (performance.now() - t < ms);
};

describe("Profiler", () => {
  it("self times of nested sync and async phases add up to the wall time", async () => {
    const prof = new Profiler().start();
    phase("outer", () => {
      busy(4);
      phase("inner", () => busy(6));
    });
    await phase("async", async () => {
      busy(3);
      await new Promise((r) => setTimeout(r, 1));
      phase("inner", () => busy(2));
    });
    const r = prof.stop();
    const by = Object.fromEntries(r.phases.map((p) => [p.phase, p]));
    expect(by.inner!.calls).toBe(2);
    expect(by.inner!.ms).toBeGreaterThanOrEqual(8);
    expect(by.outer!.ms).toBeGreaterThanOrEqual(4);
    const sum = r.phases.reduce((s, p) => s + p.ms, 0);
    expect(sum).toBeCloseTo(r.totalMs, 6);
  });

  it("times kernels and attributes them to the innermost phase", () => {
    const a = randn([32, 16], { seed: 1, backend: "ts" });
    const prof = new Profiler().start();
    tidy(() => phase("mm", () => matmul(a, a, { transB: true })));
    const r = prof.stop();
    const mm = r.kernels.find((k) => k.kernel === "matmul");
    expect(mm?.calls).toBe(1);
    const p = r.phases.find((x) => x.phase === "mm")!;
    expect(p.kernelMs).toBeCloseTo(mm!.ms, 9);
    expect(p.kernels).toEqual([{ kernel: "matmul", ms: mm!.ms, calls: 1 }]);
    expect(p.hostMs).toBeCloseTo(p.ms - p.kernelMs, 9);
    a.dispose();
  });

  it("is a plain call when no profiler runs, and refuses two at once", () => {
    expect(phase("x", () => 7)).toBe(7);
    const p = new Profiler().start();
    expect(() => new Profiler().start()).toThrow(/another profiler is running/);
    p.stop();
    expect(() => p.stop()).toThrow(/not running/);
  });
});
