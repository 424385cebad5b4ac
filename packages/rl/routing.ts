/**
 * Token-level advantage routing (DESIGN.md §6 eq. 6): tokens inside turn t's `<mem>` span get
 * A^T_i + w·A^M_{i,t}, every other generated token gets A^T_i, masked tokens get 0.
 *
 * Output is flat over all steps' response tokens in the order the steps are given, with step and
 * sequence (trajectory) offsets — the layout `policyLoss` in loss.ts takes.
 *
 * Test: `npx vitest run routing_test.ts`
 * Simplifications: a step's memory span is one contiguous range; w (memoryWeight) is one scalar.
 */
import type { MemoryKey } from "./memory.ts";

/** One model turn as routing sees it (a subset of @mempo/rollout's StepRecord). */
export interface StepTokens {
  /** rollout index i: indexes the trajectory advantages. */
  sampleIdx: number;
  /** turn index t: looks up A^M_{i,t}. */
  turnIdx: number;
  /** [T_step] 1 for generated tokens trained on, 0 for prompt / `<information>` tokens. */
  lossMask: Uint8Array;
  /** [start, end) of the `<mem>` content and closing tag within the response, or null. */
  memSpan: readonly [number, number] | null;
}

export interface RoutingOptions {
  /** Scale w on A^M. 0 switches the memory advantage off (the `grpo` baseline). Default 1. */
  memoryWeight?: number;
}

/** Per-segment memory advantages, aligned: advantages[s] belongs to segments[s]. */
export interface MemoryAdvantages {
  segments: readonly Pick<MemoryKey, "sampleIdx" | "turnIdx">[];
  advantages: ArrayLike<number>;
}

export interface RoutedAdvantages {
  /** [T] per-token advantage, T = Σ steps' response lengths; 0 where mask is 0. */
  advantages: Float64Array;
  /** [T] loss mask (the steps' lossMask, concatenated). */
  mask: Uint8Array;
  /** [steps + 1] token offset of each step. */
  stepOffsets: Int32Array;
  /** [S + 1] token offset of each trajectory (S = number of distinct sampleIdx). */
  seqOffsets: Int32Array;
  /** [S] sampleIdx of each trajectory. */
  seqSampleIdx: Int32Array;
  /** number of unmasked tokens that received a memory advantage. */
  memTokenCount: number;
}

/**
 * Routes A^T and A^M to tokens (eq. 6).
 * @param steps [steps]; all steps of one trajectory must be adjacent (any turn order inside)
 * @param trajAdvantages [N] A^T per rollout, indexed by sampleIdx
 * @param memory A^M per (sampleIdx, turnIdx), or null for A^M = 0 (GRPO). A step with a memSpan
 *   must have an entry when memory is given.
 */
export function routeTokenAdvantages(
  steps: readonly StepTokens[],
  trajAdvantages: ArrayLike<number>,
  memory: MemoryAdvantages | null = null,
  options: RoutingOptions = {},
): RoutedAdvantages {
  const w = options.memoryWeight ?? 1;
  const memByKey = new Map<string, number>();
  if (memory) {
    if (memory.segments.length !== memory.advantages.length) {
      throw new Error(
        `routeTokenAdvantages: memory has ${memory.segments.length} segments but ${memory.advantages.length} advantages`,
      );
    }
    memory.segments.forEach((k, s) => {
      memByKey.set(`${k.sampleIdx}:${k.turnIdx}`, memory.advantages[s]!);
    });
  }

  const stepOffsets = new Int32Array(steps.length + 1);
  for (let j = 0; j < steps.length; j++) stepOffsets[j + 1] = stepOffsets[j]! + steps[j]!.lossMask.length;
  const total = stepOffsets[steps.length]!;
  const advantages = new Float64Array(total);
  const mask = new Uint8Array(total);

  const seqStarts: number[] = [];
  const seqSample: number[] = [];
  const seen = new Set<number>();
  let memTokenCount = 0;
  for (let j = 0; j < steps.length; j++) {
    const step = steps[j]!;
    const where = `routeTokenAdvantages: step ${j} (sample ${step.sampleIdx}, turn ${step.turnIdx})`;
    const i = step.sampleIdx;
    if (j === 0 || steps[j - 1]!.sampleIdx !== i) {
      if (seen.has(i)) {
        throw new Error(
          `${where}: sample ${i} reappears after other samples; keep each trajectory's steps adjacent`,
        );
      }
      seen.add(i);
      seqStarts.push(stepOffsets[j]!);
      seqSample.push(i);
    }
    if (!Number.isInteger(i) || i < 0 || i >= trajAdvantages.length) {
      throw new Error(`${where}: sampleIdx is outside trajAdvantages (length ${trajAdvantages.length})`);
    }
    const aT = trajAdvantages[i]!;
    const n = step.lossMask.length;
    let lo = 0;
    let hi = 0;
    let aM = 0;
    if (step.memSpan) {
      [lo, hi] = step.memSpan;
      if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && lo <= hi && hi <= n)) {
        throw new Error(`${where}: memSpan [${lo}, ${hi}) is not inside the response [0, ${n})`);
      }
      if (memory) {
        const found = memByKey.get(`${i}:${step.turnIdx}`);
        if (found === undefined) {
          throw new Error(
            `${where}: has a memSpan but no memory advantage; score its memory or set memSpan null`,
          );
        }
        aM = w * found;
      }
    }
    const off = stepOffsets[j]!;
    for (let k = 0; k < n; k++) {
      const m = step.lossMask[k]! ? 1 : 0;
      mask[off + k] = m;
      if (!m) continue;
      const inMem = k >= lo && k < hi;
      advantages[off + k] = inMem ? aT + aM : aT;
      if (inMem && memory) memTokenCount++;
    }
  }
  seqStarts.push(total);
  return {
    advantages,
    mask,
    stepOffsets,
    seqOffsets: Int32Array.from(seqStarts),
    seqSampleIdx: Int32Array.from(seqSample),
    memTokenCount,
  };
}
