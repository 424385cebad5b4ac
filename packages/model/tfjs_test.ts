/**
 * The model on the tfjs backend (TensorFlow.js; the tfjs backend named by MEMPO_TFJS_BACKEND, default
 * wasm here): the shared model specs that run per backend — log-probs and gradients equal to the ts
 * reference (backends_test.ts), KV-cache generation equal to full recomputation and the rest of
 * generate_test.ts — with the backend list narrowed to "tfjs", and the overfit test on tfjs. Skipped,
 * with the reason printed, when TensorFlow.js is not installed.
 */
import type * as kernels from "@mempo/kernels";
import { initTfjs } from "@mempo/kernels/tfjs";
import { describe, it, vi } from "vitest";
import { expectOverfits } from "./testing.ts";

vi.mock("@mempo/kernels", async (importOriginal) => {
  const mod = await importOriginal<typeof kernels>();
  return { ...mod, listBackends: () => ["tfjs"] };
});

let unavailable: string | null = null;
try {
  const info = await initTfjs({ flavor: (process.env.MEMPO_TFJS_BACKEND as "wasm") || "wasm" });
  console.log(`model on tfjs ${info.version} backend "${info.tfBackend}"`);
} catch (e) {
  unavailable = e instanceof Error ? e.message : String(e);
  console.warn(`model tfjs tests skipped: ${unavailable}`);
}

if (unavailable !== null) {
  describe("model on tfjs", () => {
    it.skip(`skipped: TensorFlow.js unavailable (${unavailable})`, () => {});
  });
} else {
  for (const name of ["backends", "generate"]) {
    describe(`${name}_test.ts`, async () => {
      await import(`./${name}_test.ts`);
    });
  }
  describe("overfit on tfjs", () => {
    it("the default preset memorizes protocol-like trajectories", async () => {
      await expectOverfits("tfjs", 2);
    });
  });
}
