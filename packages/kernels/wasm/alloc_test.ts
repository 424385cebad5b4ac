/**
 * Allocator tests: size classes, reuse by class, zeroing of reused blocks, growth of the memory and
 * the out-of-memory error. Run: `npx vitest run wasm/alloc_test.ts` in packages/kernels.
 */
import { describe, expect, it } from "vitest";
import { Allocator, sizeClass } from "./alloc.ts";

describe("sizeClass", () => {
  it("rounds up to 64-byte aligned classes at most 25% larger", () => {
    expect(sizeClass(1)).toBe(64);
    expect(sizeClass(64)).toBe(64);
    expect(sizeClass(65)).toBe(128);
    expect(sizeClass(1000)).toBe(1024);
    expect(sizeClass(1025)).toBe(1280);
    for (let b = 1; b < 1 << 22; b = Math.ceil(b * 1.37) + 3) {
      const c = sizeClass(b);
      expect(c % 64).toBe(0);
      expect(c).toBeGreaterThanOrEqual(b);
      if (b > 256) expect(c / b).toBeLessThanOrEqual(1.25);
    }
  });
});

describe("Allocator", () => {
  const memory = () => new WebAssembly.Memory({ initial: 1, maximum: 64, shared: true });

  it("hands out disjoint aligned blocks, reuses freed ones and zeroes them", () => {
    const m = memory();
    const a = new Allocator(m, 1024, 64 * 65536);
    const p1 = a.alloc(100);
    const p2 = a.alloc(100);
    expect(p1 % 64).toBe(0);
    expect(p2).toBeGreaterThanOrEqual(p1 + 100);
    new Uint8Array(m.buffer, p1, 100).fill(7);
    a.free(p1, 100);
    const p3 = a.alloc(90); // same class (128 bytes)
    expect(p3).toBe(p1);
    expect(new Uint8Array(m.buffer, p3, 128).every((v) => v === 0)).toBe(true);
    expect(a.stats().liveBytes).toBe(256);
  });

  it("grows the memory and reports a clear error past the maximum", () => {
    const m = memory();
    const a = new Allocator(m, 1024, 64 * 65536);
    const big = a.alloc(1 << 20);
    expect(m.buffer.byteLength).toBeGreaterThanOrEqual(big + (1 << 20));
    expect(() => a.alloc(8 << 20)).toThrow(/out of memory.*MEMPO_WASM_MAX_MB/);
    expect(a.stats().liveBytes).toBe(1 << 20);
  });

  it("borrows a free block of a larger class (up to 4×) before fresh memory, and takes it back to its class", () => {
    const m = memory();
    const a = new Allocator(m, 1024, 64 * 65536);
    const big = a.alloc(4096);
    new Uint8Array(m.buffer, big, 4096).fill(7);
    a.free(big, 4096);
    const used = a.stats().usedBytes;
    const small = a.alloc(1024); // class 1024: none free → the 4096 block, cleared where it is used
    expect(small).toBe(big);
    expect(a.stats().usedBytes).toBe(used);
    expect(a.stats().liveBytes).toBe(4096);
    expect(new Uint8Array(m.buffer, small, 1024).every((x) => x === 0)).toBe(true);
    a.free(small, 1024);
    expect(a.stats().liveBytes).toBe(0);
    expect(a.alloc(4096)).toBe(big); // back in its own class
    a.free(big, 4096);
    expect(a.alloc(512)).not.toBe(big); // more than 4× larger: fresh memory instead
    expect(a.stats().usedBytes).toBeGreaterThan(used);
  });
});
