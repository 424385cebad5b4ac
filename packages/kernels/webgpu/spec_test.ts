// Runs the shared cross-backend kernel specs (packages/kernels/spec/) against the webgpu backend.
// The specs iterate over `backends()` from spec/harness.ts; here that list is narrowed to "webgpu"
// (ts and wasm already run in the specs' own files), after `initWebGPU()`. Without a WebGPU adapter
// (e.g. Mesa missing) the specs are skipped and the reason is printed.
// Run: npx vitest run webgpu/spec_test.ts (in packages/kernels).
import { vi } from "vitest";
import { findBackend } from "../registry.ts";
import { runSpecsOn } from "../spec/harness.ts";
import { initWebGPU, WEBGPU_SKIPPED } from "./mod.ts";

vi.mock("../spec/harness.ts", async (importOriginal) => {
  const mod = await importOriginal<typeof import("../spec/harness.ts")>();
  return { ...mod, backends: () => [["webgpu", findBackend("webgpu")]] };
});

let unavailable: string | null = null;
try {
  await initWebGPU();
} catch (e) {
  unavailable = e instanceof Error ? e.message : String(e);
  console.warn(`webgpu specs skipped: ${unavailable}`);
}

if (unavailable === null) {
  for (const s of WEBGPU_SKIPPED) console.warn(`webgpu: kernel ${s.kernel} not run: ${s.reason}`);
}
// packed rows: the webgpu backend lacks attention segments (the model falls back to padded batches)
runSpecsOn(
  "webgpu",
  unavailable === null ? null : `no WebGPU adapter (${unavailable})`,
  (name) => import(`../spec/${name}_test.ts`),
  ["attention_packed"],
);
