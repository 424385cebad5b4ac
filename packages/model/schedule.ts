/**
 * Learning-rate schedule: linear warmup from 0 to `lr` over `warmupSteps`, then cosine decay to
 * `lr · minLrRatio` at `totalSteps` (constant afterwards). Steps count from 0.
 *
 * Test: `npx vitest run train_test.ts`.
 */

export interface ScheduleConfig {
  /** Peak learning rate. */
  lr: number;
  /** Steps of linear warmup (0 = none). */
  warmupSteps: number;
  /** Step at which the cosine reaches its floor. */
  totalSteps: number;
  /** Floor as a fraction of lr. */
  minLrRatio: number;
}

/** Learning rate at `step` (0-based). */
export function learningRate(step: number, s: ScheduleConfig): number {
  if (step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  const min = s.lr * s.minLrRatio;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const progress = Math.min(1, (step - s.warmupSteps) / span);
  return min + 0.5 * (s.lr - min) * (1 + Math.cos(Math.PI * progress));
}
