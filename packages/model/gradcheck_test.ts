/**
 * Acceptance: whole-model gradient check for both families in float64 (ts backend, f64 tensors)
 * against central finite differences, over a padded batch with mixed lengths and loss masks.
 */
import { memory, tsBackend } from "@mempo/kernels";
import { describe, expect, it } from "vitest";
import { forwardLogprobs } from "./logprobs.ts";
import { Model } from "./params.ts";
import { type PresetName, preset } from "./presets.ts";
import { Rng } from "@mempo/kernels/random";
import { randomItems } from "./testing.ts";

/**
 * Whole-model gradient check in float64 on the ts backend: loss = Σ w·logp over response tokens (the
 * shape of an RL loss), analytic gradients from the explicit backward vs central finite differences.
 */
async function gradCheck(name: PresetName, temperature: number) {
  const c = preset(name, { initStd: 0.4 });
  const m = Model.init(c, { backend: tsBackend, dtype: "f64", seed: 3 });
  const items = randomItems(3, c.vocabSize, 11);
  const r = new Rng(5);
  const w = items.map((it) => Float64Array.from(it.responseIds, () => r.next() * 2 - 1));
  const loss = async () => {
    const p = await forwardLogprobs(m, items, { temperature, train: false });
    let s = 0;
    let k = 0;
    for (let b = 0; b < items.length; b++) {
      const mask = items[b]!.lossMask!;
      for (let j = 0; j < w[b]!.length; j++) s += w[b]![j]! * mask[j]! * Number(p.flat[k++]);
    }
    return s;
  };
  const pass = await forwardLogprobs(m, items, { temperature });
  pass.backward(w);
  let checked = 0;
  let worst = 0;
  const eps = 1e-5;
  for (const [pname, t] of m.params) {
    const g = m.g(pname).readSync();
    const data = t.data as Float64Array;
    for (let trial = 0; trial < 3; trial++) {
      const i = Math.floor(r.next() * t.size);
      const x0 = data[i]!;
      data[i] = x0 + eps;
      const up = await loss();
      data[i] = x0 - eps;
      const down = await loss();
      data[i] = x0;
      const num = (up - down) / (2 * eps);
      const err = Math.abs(num - g[i]!);
      worst = Math.max(worst, err / (1e-6 + Math.abs(num)));
      expect(err, `${pname}[${i}]: numeric ${num} vs analytic ${g[i]}`).toBeLessThan(
        1e-7 + 1e-5 * Math.abs(num),
      );
      checked++;
    }
  }
  const gsum = [...m.grads().values()].reduce(
    (a, t) => a + Array.from(t.readSync()).reduce((x, y) => x + Math.abs(y), 0),
    0,
  );
  const live = memory().tensors;
  m.dispose();
  return { checked, worst, gsum, leaked: live - 2 * m.params.size };
}

describe("gradient check (float64, central differences)", () => {
  it("gpt2 family (tied embeddings, learned positions, LayerNorm, GELU)", async () => {
    const r = await gradCheck("tiny-gpt2", 1);
    expect(r.checked).toBeGreaterThan(50);
    expect(r.gsum).toBeGreaterThan(0.1);
    expect(r.leaked).toBe(0);
  });

  it("llama family (RoPE, RMSNorm, SwiGLU, GQA, q/k/v bias, untied head) with temperature", async () => {
    const r = await gradCheck("tiny-llama", 0.7);
    expect(r.checked).toBeGreaterThan(50);
    expect(r.gsum).toBeGreaterThan(0.1);
    expect(r.leaked).toBe(0);
  });
});
