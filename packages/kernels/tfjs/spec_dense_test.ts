// The attention specs on the tfjs backend's dense attention (batched [B, H, T, T] tfjs ops: what runs
// on tfjs-node(-gpu), webgpu and webgl) while the tfjs backend itself is wasm or cpu, where "auto"
// would pick the headwise path that tfjs/spec_test.ts covers.
// Run: npx vitest run tfjs/spec_dense_test.ts (in packages/kernels).
import { vi } from "vitest";
import { findBackend } from "../registry.ts";
import { PER_BACKEND_SPECS, runSpecsOn } from "../spec/harness.ts";
import { initTfjs } from "./mod.ts";

vi.mock("../spec/harness.ts", async (importOriginal) => {
  const mod = await importOriginal<typeof import("../spec/harness.ts")>();
  return { ...mod, backends: () => [["tfjs", findBackend("tfjs")]] };
});

let unavailable: string | null = null;
try {
  await initTfjs({ flavor: (process.env.MEMPO_TFJS_BACKEND as "wasm") || "wasm", attention: "dense" });
} catch (e) {
  unavailable = e instanceof Error ? e.message : String(e);
}

runSpecsOn(
  "tfjs (dense attention)",
  unavailable === null ? null : `TensorFlow.js unavailable (${unavailable})`,
  (name) => import(`../spec/${name}_test.ts`),
  PER_BACKEND_SPECS.filter((n) => !n.startsWith("attention")),
);
