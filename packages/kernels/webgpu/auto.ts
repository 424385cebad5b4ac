/**
 * Loaded by backends/all.ts: when MEMPO_BACKEND=webgpu, initialises the webgpu backend before first
 * use (so `MEMPO_BACKEND=webgpu <any command>` runs on WebGPU with no code change); otherwise it loads
 * nothing (import `@mempo/kernels/webgpu` and call `initWebGPU()` yourself). A failed initialisation
 * rejects, and backends/all.ts records the reason for getBackend()/setBackend() to report.
 */
import { envVar } from "../env.ts";

const wanted = envVar("MEMPO_BACKEND") === "webgpu";
if (wanted) {
  const { initWebGPU } = await import("./mod.ts");
  await initWebGPU();
}
