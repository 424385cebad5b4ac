// Runs the shared cross-backend kernel specs (packages/kernels/spec/) against the webgpu backend.
// The specs iterate over `backends()` from spec/harness.ts; here that list is narrowed to "webgpu"
// (ts and wasm already run in the specs' own files), after `initWebGPU()`. Without a WebGPU adapter
// (e.g. Mesa missing) the specs are skipped and the reason is printed.
// Run: npx vitest run webgpu/spec_test.ts (in packages/kernels).
import { describe, it, vi } from "vitest";
import { findBackend } from "../registry.ts";
import { initWebGPU, WEBGPU_SKIPPED } from "./mod.ts";

vi.mock("../spec/harness.ts", async (importOriginal) => {
  const mod = await importOriginal<typeof import("../spec/harness.ts")>();
  return { ...mod, backends: () => [["webgpu", findBackend("webgpu")]] };
});

/** Spec files that run per backend (registry/errors specs are backend-independent). */
const SPECS = [
  "activation",
  "alias",
  "attention",
  "block",
  "elementwise",
  "embedding",
  "logprob",
  "matmul",
  "norm",
  "optim",
  "reduce",
  "rope",
  "shape",
  "softmax",
  "tensor",
];

let unavailable: string | null = null;
try {
  await initWebGPU();
} catch (e) {
  unavailable = e instanceof Error ? e.message : String(e);
  console.warn(`webgpu specs skipped: ${unavailable}`);
}

if (unavailable !== null) {
  describe("webgpu specs", () => {
    it.skip(`skipped: no WebGPU adapter (${unavailable})`, () => {});
  });
} else {
  for (const s of WEBGPU_SKIPPED) console.warn(`webgpu: kernel ${s.kernel} not run: ${s.reason}`);
  for (const name of SPECS) {
    describe(`spec/${name}_test.ts`, async () => {
      await import(`../spec/${name}_test.ts`);
    });
  }
}
