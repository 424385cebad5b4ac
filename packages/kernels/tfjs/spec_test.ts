// Runs the shared cross-backend kernel specs (packages/kernels/spec/) against the tfjs backend on the
// tfjs backend named by MEMPO_TFJS_BACKEND (default here: wasm, the one CI installs). The specs iterate
// over `backends()` from spec/harness.ts; here that list is narrowed to "tfjs" (ts and wasm already run
// in the specs' own files). Without TensorFlow.js installed the specs are skipped and the reason printed.
// Run: npx vitest run tfjs/spec_test.ts (in packages/kernels).
import { vi } from "vitest";
import { findBackend } from "../registry.ts";
import { runSpecsOn } from "../spec/harness.ts";
import { initTfjs } from "./mod.ts";

vi.mock("../spec/harness.ts", async (importOriginal) => {
  const mod = await importOriginal<typeof import("../spec/harness.ts")>();
  return { ...mod, backends: () => [["tfjs", findBackend("tfjs")]] };
});

let unavailable: string | null = null;
try {
  const info = await initTfjs({ flavor: (process.env.MEMPO_TFJS_BACKEND as "wasm") || "wasm" });
  console.log(`tfjs specs on tfjs ${info.version} backend "${info.tfBackend}"`);
} catch (e) {
  unavailable = e instanceof Error ? e.message : String(e);
  console.warn(`tfjs specs skipped: ${unavailable}`);
}

runSpecsOn(
  "tfjs",
  unavailable === null ? null : `TensorFlow.js unavailable (${unavailable})`,
  (name) => import(`../spec/${name}_test.ts`),
);
