// The measured ceiling: a loop of independent f32x4 multiply-adds (`madd`: one FMA in the relaxed
// build, mul + add in the baseline one), enough accumulators to cover the FMA latency. Its GFLOP/s on
// every thread is the most any kernel of this build can reach here (WasmEngine.peakGflops).
import { PeakFmaArgs } from "./args";
import { madd, nextChunk } from "./simd";

/** Flops of one iteration: 12 accumulators × 4 lanes × (multiply + add). */
export const PEAK_FLOPS_PER_ITER: i32 = 96;

/** `units` units of `iters` iterations; a lane of the sum is stored at `sink`, so the loop is not removed. */
export function peakFma(args: usize): void {
  const units = PeakFmaArgs.units(args);
  const iters = PeakFmaArgs.iters(args);
  const x = f32x4.splat(0.999);
  const y = f32x4.splat(0.001);
  while (nextChunk(args, units, 1)) {
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
    let a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
    for (let i = 0; i < iters; i++) {
      a0 = madd(a0, x, y); a1 = madd(a1, x, y); a2 = madd(a2, x, y); a3 = madd(a3, x, y);
      a4 = madd(a4, x, y); a5 = madd(a5, x, y); a6 = madd(a6, x, y); a7 = madd(a7, x, y);
      a8 = madd(a8, x, y); a9 = madd(a9, x, y); a10 = madd(a10, x, y); a11 = madd(a11, x, y);
    }
    const s = f32x4.add(
      f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
      f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)),
    );
    store<f32>(PeakFmaArgs.sink(args), f32x4.extract_lane(s, 0));
  }
}
