import { describe, expect, it } from "vitest";
import { machineInfo, median } from "./mod.ts";

describe("benchmarks helpers", () => {
  it("median of odd and even samples", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(/empty sample/);
  });
  it("machine info reports this machine's cores", () => {
    expect(machineInfo().cores).toBeGreaterThan(0);
  });
});
