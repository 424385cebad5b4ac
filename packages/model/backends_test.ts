/**
 * The same model on every registered backend: log-probs and accumulated gradients agree with the ts
 * reference backend (f32) within rounding.
 */
import { listBackends } from "@mempo/kernels";
import { describe, expect, it } from "vitest";
import { forwardLogprobs } from "./logprobs.ts";
import { Model } from "./params.ts";
import { type PresetName, preset } from "./presets.ts";
import { randomItems } from "./testing.ts";

const others = listBackends().filter((b) => b !== "ts");
const cases = (["tiny-gpt2", "tiny-llama"] as PresetName[]).flatMap((n) =>
  others.map((b) => [n, b] as const),
);

describe.skipIf(cases.length === 0).each(cases)("%s on %s matches ts", (name, backend) => {
  it("log-probs and gradients", async () => {
    const c = preset(name, { initStd: 0.3 });
    const items = randomItems(5, c.vocabSize, 21, 9, 7);
    const run = async (b: string) => {
      const m = Model.init(c, { seed: 2, backend: b });
      const pass = await forwardLogprobs(m, items);
      pass.backward(items.map((it) => Float32Array.from(it.responseIds, (_, j) => Math.sin(j + 1))));
      const grads = new Map([...m.grads()].map(([n, g]) => [n, Array.from(g.readSync())]));
      m.dispose();
      return { lp: Array.from(pass.flat), grads };
    };
    const ref = await run("ts");
    const got = await run(backend);
    for (let i = 0; i < ref.lp.length; i++) expect(got.lp[i]).toBeCloseTo(ref.lp[i]!, 4);
    for (const [n, g] of ref.grads) {
      const h = got.grads.get(n)!;
      const scale = Math.max(1e-3, ...g.map(Math.abs));
      for (let i = 0; i < g.length; i++) expect(Math.abs(h[i]! - g[i]!) / scale, n).toBeLessThan(1e-3);
    }
  });
});
