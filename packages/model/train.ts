/**
 * Optimisation: AdamW (the kernels' in-place `adamw`) with linear warmup + cosine decay (schedule.ts)
 * and global gradient-norm clipping (`clipGradNorm`). Weight decay applies to matrices and embeddings
 * only (rank ≥ 2), not to norm weights and biases. The optimizer state (moments, step) exports to and
 * imports from plain arrays, so a checkpoint resumes exactly.
 *
 *   const opt = new AdamW(model, { lr: 1e-3, totalSteps: 500 });
 *   await sftStep(model, batch);   // or pass.backward(dLogp) from an RL loss
 *   const { lr, gradNorm } = opt.step();   // clip, update, zero the gradients
 *
 * Test: `npx vitest run train_test.ts`.
 */
import { adamw, clipGradNorm, fill, gradNorm, keep, phase, type Tensor, zeros } from "@mempo/kernels";
import type { Model } from "./params.ts";
import { learningRate, type ScheduleConfig } from "./schedule.ts";

/** Optimizer knobs (defaults in {@link TRAIN_DEFAULTS}). */
export interface TrainConfig extends ScheduleConfig {
  /** Adam first-moment decay. */
  beta1: number;
  /** Adam second-moment decay. */
  beta2: number;
  /** Adam denominator epsilon. */
  eps: number;
  /** Decoupled weight decay on matrices and embeddings. */
  weightDecay: number;
  /** Clip the global gradient norm to this (0 = no clipping). */
  gradClip: number;
}

export const TRAIN_DEFAULTS: TrainConfig = {
  lr: 1e-3, // peak learning rate (small models from scratch)
  warmupSteps: 20, // linear warmup steps
  totalSteps: 1000, // cosine reaches its floor here
  minLrRatio: 0.1, // floor = lr · minLrRatio
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.1,
  gradClip: 1.0,
};

/** Validates and fills a partial train config. */
export function resolveTrainConfig(p: Partial<TrainConfig> = {}): TrainConfig {
  const c = { ...TRAIN_DEFAULTS, ...p };
  const check = (k: keyof TrainConfig, ok: boolean, what: string) => {
    if (!ok) throw new Error(`train config: ${k} must be ${what}, got ${JSON.stringify(c[k])}`);
  };
  check("lr", c.lr > 0 && Number.isFinite(c.lr), "a finite number > 0");
  check("warmupSteps", Number.isInteger(c.warmupSteps) && c.warmupSteps >= 0, "an integer ≥ 0");
  check("totalSteps", Number.isInteger(c.totalSteps) && c.totalSteps >= 1, "an integer ≥ 1");
  check("minLrRatio", c.minLrRatio >= 0 && c.minLrRatio <= 1, "in [0, 1]");
  check("beta1", c.beta1 >= 0 && c.beta1 < 1, "in [0, 1)");
  check("beta2", c.beta2 >= 0 && c.beta2 < 1, "in [0, 1)");
  check("eps", c.eps > 0, "> 0");
  check("weightDecay", c.weightDecay >= 0, "≥ 0");
  check("gradClip", c.gradClip >= 0, "≥ 0 (0 = off)");
  return c;
}

/** Serializable optimizer state: step count and first/second moments by parameter name. */
export interface OptimizerState {
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export class AdamW {
  readonly config: TrainConfig;
  readonly model: Model;
  /** Optimizer steps taken so far. */
  stepCount = 0;
  readonly #m = new Map<string, Tensor>();
  readonly #v = new Map<string, Tensor>();

  constructor(model: Model, config: Partial<TrainConfig> = {}) {
    this.config = resolveTrainConfig(config);
    this.model = model;
    const opts = { backend: model.backend, dtype: model.dtype };
    for (const [n, p] of model.params) {
      this.#m.set(n, keep(zeros(p.shape, opts)));
      this.#v.set(n, keep(zeros(p.shape, opts)));
    }
  }

  /** Learning rate the next step will use. */
  get lr(): number {
    return learningRate(this.stepCount, this.config);
  }

  /**
   * Clips the accumulated gradients, applies one AdamW update to every parameter, and zeroes the
   * gradients. @returns the learning rate used and the pre-clip global gradient norm.
   */
  step(): { lr: number; gradNorm: number } {
    return phase("optimizer", () => this.#step());
  }

  #step(): { lr: number; gradNorm: number } {
    const c = this.config;
    const grads = this.model.grads();
    const list = [...grads.values()];
    const norm = c.gradClip > 0 ? clipGradNorm(list, c.gradClip) : gradNorm(list);
    const lr = this.lr;
    this.stepCount++;
    for (const [n, p] of this.model.params) {
      adamw(p, grads.get(n)!, this.#m.get(n)!, this.#v.get(n)!, {
        lr,
        step: this.stepCount,
        beta1: c.beta1,
        beta2: c.beta2,
        eps: c.eps,
        weightDecay: p.rank >= 2 ? c.weightDecay : 0,
      });
    }
    this.zeroGrad();
    return { lr, gradNorm: norm };
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    for (const g of this.model.grads().values()) fill(g, 0);
  }

  /** Copies the state to the host. */
  async state(): Promise<OptimizerState> {
    const read = async (ts: Map<string, Tensor>) => {
      const out = new Map<string, Float32Array>();
      for (const [n, t] of ts) {
        const d = await t.read();
        out.set(n, d instanceof Float32Array ? d : Float32Array.from(d));
      }
      return out;
    };
    return { step: this.stepCount, m: await read(this.#m), v: await read(this.#v) };
  }

  /** Restores a state from {@link AdamW.state} (names and sizes must match the model). */
  loadState(s: OptimizerState): void {
    for (const [which, src, dst] of [
      ["m", s.m, this.#m],
      ["v", s.v, this.#v],
    ] as const) {
      for (const [n, t] of dst) {
        const a = src.get(n);
        if (a === undefined) throw new Error(`optimizer state: ${which} of "${n}" is missing`);
        if (a.length !== t.size)
          throw new Error(`optimizer state: ${which} of "${n}" has ${a.length} values, expected ${t.size}`);
        t.write(a);
      }
    }
    this.stepCount = s.step;
  }

  dispose(): void {
    for (const t of [...this.#m.values(), ...this.#v.values()]) t.dispose();
  }
}
