// WebGPU adapter and device acquisition (plain .mjs: it also runs inside the device worker thread).
//
// Where a native `navigator.gpu` exists (browsers, Deno) it is used. On Node the `webgpu` npm package
// (Dawn) provides it. MEMPO_WEBGPU_BACKEND (or opts.backend) picks Dawn's backend:
//   "vulkan"   Vulkan in core mode (NVIDIA/AMD/Intel drivers; Mesa ≥ 24 lavapipe)
//   "opengles" OpenGL ES through EGL in compatibility mode (Debian 12's Mesa llvmpipe: a CPU renderer)
//   "auto"     (default) Dawn's default backend in core mode, then OpenGL ES + compatibility.
// EGL_PLATFORM=surfaceless is set before Dawn loads (headless EGL) unless already set — on Node the
// main thread sets it before starting the worker, because a worker's process.env is only a copy.
// Limits that matter to the kernels (storage buffers per stage, workgroup size and memory) are
// requested at the adapter's maximum, since compatibility mode's defaults are lower.
//
// Test: packages/kernels/webgpu/webgpu_test.ts.

/**
 * The GPU instances and adapters handed out stay referenced here: Dawn tears its instance down when
 * the JS object is garbage-collected, which crashes devices still in use.
 */
const keepAlive = [];

const WANTED_LIMITS = [
  "maxStorageBuffersPerShaderStage",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupStorageSize",
  "maxStorageBufferBindingSize",
  "maxBufferSize",
];

/** True when a Vulkan loader library is present (so trying Vulkan will not just print a warning). */
async function hasVulkanLoader() {
  if (typeof process === "undefined" || process.platform !== "linux") return true;
  const { existsSync } = process.getBuiltinModule("node:fs"); // not an import: browsers bundle this file
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean),
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/lib/x86_64-linux-gnu",
    "/usr/local/lib",
  ];
  return dirs.some((d) => existsSync(`${d}/libvulkan.so.1`));
}

/**
 * Finds an adapter and creates a device.
 * @param {{backend?: string, powerPreference?: string}} opts
 * @returns {Promise<{device: any, info: {backend: string, featureLevel: string, vendor: string, architecture: string, description: string, limits: Record<string, number>}}>}
 */
export async function acquireDevice(opts = {}) {
  const want = (
    opts.backend ??
    (typeof process !== "undefined" ? process.env.MEMPO_WEBGPU_BACKEND : undefined) ??
    "auto"
  ).toLowerCase();
  if (!["auto", "vulkan", "opengles"].includes(want)) {
    throw new Error(`webgpu: MEMPO_WEBGPU_BACKEND must be vulkan, opengles or auto, got "${want}".`);
  }
  const tried = [];
  const attempts = [];
  const native =
    typeof navigator !== "undefined" &&
    navigator.gpu &&
    !(typeof process !== "undefined" && process.versions?.node && !globalThis.Deno);
  if (native) {
    attempts.push({ name: "navigator.gpu", gpu: () => navigator.gpu, level: "core" });
    attempts.push({ name: "navigator.gpu", gpu: () => navigator.gpu, level: "compatibility" });
  } else {
    if (typeof process !== "undefined") process.env.EGL_PLATFORM ??= "surfaceless";
    let dawn;
    try {
      // A computed specifier: bundlers for browsers must not pull in Dawn (navigator.gpu is used there).
      const dawnPackage = "webgpu";
      dawn = await import(/* @vite-ignore */ dawnPackage);
    } catch (e) {
      throw new Error(
        `webgpu: the "webgpu" npm package (Dawn) could not be loaded (${e instanceof Error ? e.message : e}). ` +
          "Fix: npm install webgpu (an optional dependency of @mempo/kernels) on a supported platform.",
      );
    }
    if (!globalThis.GPUBufferUsage) Object.assign(globalThis, dawn.globals);
    if (typeof navigator === "undefined") globalThis.navigator = /** @type {any} */ ({});
    const make = (flags) => () => dawn.create(flags);
    if (want === "vulkan" || (want === "auto" && (await hasVulkanLoader()))) {
      const flags = want === "vulkan" ? ["backend=vulkan"] : [];
      attempts.push({ name: want === "vulkan" ? "vulkan" : "default", gpu: make(flags), level: "core" });
    }
    if (want === "opengles" || want === "auto") {
      attempts.push({ name: "opengles", gpu: make(["backend=opengles"]), level: "compatibility" });
    }
  }
  for (const a of attempts) {
    let adapter = null;
    try {
      const gpu = a.gpu();
      keepAlive.push(gpu);
      adapter = await gpu.requestAdapter(
        a.level === "compatibility"
          ? { featureLevel: "compatibility", powerPreference: opts.powerPreference }
          : { powerPreference: opts.powerPreference },
      );
    } catch (e) {
      tried.push(`${a.name}/${a.level}: ${e instanceof Error ? e.message : e}`);
      continue;
    }
    if (!adapter) {
      tried.push(`${a.name}/${a.level}: no adapter`);
      continue;
    }
    const requiredLimits = {};
    for (const k of WANTED_LIMITS) if (adapter.limits[k] !== undefined) requiredLimits[k] = adapter.limits[k];
    const device = await adapter.requestDevice({ requiredLimits });
    keepAlive.push(adapter, device);
    const ai = adapter.info ?? {};
    const limits = {};
    for (const k of [...WANTED_LIMITS, "maxComputeWorkgroupsPerDimension", "minUniformBufferOffsetAlignment"])
      limits[k] = device.limits[k];
    return {
      device,
      info: {
        backend: a.name,
        featureLevel: a.level,
        vendor: ai.vendor ?? "",
        architecture: ai.architecture ?? "",
        description: ai.description ?? "",
        limits,
      },
    };
  }
  throw new Error(
    `webgpu: no WebGPU adapter found (tried ${tried.join("; ") || "nothing"}). ` +
      "Fix: on Linux install Mesa (apt-get install libegl-mesa0 libgl1-mesa-dri libegl-dev, see scripts/setup-system.sh) " +
      "or a GPU driver with Vulkan; set MEMPO_WEBGPU_BACKEND=vulkan|opengles to force one",
  );
}
