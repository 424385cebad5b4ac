import { describe, expect, it } from "vitest";
import { countParams, paramSpecs } from "./params_spec.ts";
import { preset } from "./presets.ts";

describe("presets", () => {
  it("match the published parameter counts", () => {
    expect(countParams(preset("gpt2"))).toBe(124_439_808); // GPT-2 small, tied embeddings
    expect(countParams(preset("qwen2-0.5b"))).toBe(494_032_768); // Qwen2-0.5B, tied embeddings
  });

  it("keep the default training model in the 1–5M range", () => {
    const n = countParams(preset("default"));
    expect(n).toBeGreaterThan(1e6);
    expect(n).toBeLessThan(5e6);
  });

  it("name parameters with HF tensor names", () => {
    const g = paramSpecs(preset("tiny-gpt2")).map((s) => s.name);
    expect(g).toContain("transformer.h.1.attn.c_attn.weight");
    expect(g).not.toContain("lm_head.weight");
    const l = paramSpecs(preset("tiny-llama"));
    expect(l.find((s) => s.name === "model.layers.0.self_attn.k_proj.weight")?.shape).toEqual([8, 16]);
    expect(l.map((s) => s.name)).toContain("lm_head.weight");
  });

  it("rejects unknown presets", () => {
    expect(() => preset("huge" as never)).toThrow(/unknown model preset "huge"/);
  });
});
