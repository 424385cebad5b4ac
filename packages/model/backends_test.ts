/**
 * The same model on every registered backend: log-probs and accumulated gradients agree with the ts
 * reference backend (f32) within rounding.
 */
import { listBackends } from "@mempo/kernels";
import { describe, it } from "vitest";
import { type PresetName, preset } from "./presets.ts";
import { expectSameLogprobsAndGrads, logprobsAndGrads, randomItems } from "./testing.ts";

const others = listBackends().filter((b) => b !== "ts");
const cases = (["tiny-gpt2", "tiny-llama"] as PresetName[]).flatMap((n) =>
  others.map((b) => [n, b] as const),
);

describe.skipIf(cases.length === 0).each(cases)("%s on %s matches ts", (name, backend) => {
  it("log-probs and gradients", async () => {
    const c = preset(name, { initStd: 0.3 });
    const items = randomItems(5, c.vocabSize, 21, 9, 7);
    const dLogp = (j: number) => Math.sin(j + 1);
    const ref = await logprobsAndGrads(c, "ts", items, dLogp);
    expectSameLogprobsAndGrads(await logprobsAndGrads(c, backend, items, dLogp), ref);
  });
});
