// Types of adapter.mjs (plain JS so it runs in the device worker without a TS loader).
export interface AdapterOptions {
  /** Dawn backend on Node: "auto" (default; env MEMPO_WEBGPU_BACKEND), "vulkan" or "opengles". */
  backend?: "auto" | "vulkan" | "opengles";
  /** Passed to requestAdapter. */
  powerPreference?: "low-power" | "high-performance";
}
export interface AdapterInfo {
  /** "vulkan", "default", "opengles" or "navigator.gpu". */
  backend: string;
  featureLevel: "core" | "compatibility";
  vendor: string;
  architecture: string;
  description: string;
  limits: Record<string, number>;
}
export declare function acquireDevice(opts?: AdapterOptions): Promise<{ device: unknown; info: AdapterInfo }>;
