/**
 * `initWasm()`: starts the wasm engine asynchronously, which is what a browser needs (the `.wasm`
 * files are fetched, not read) and what any runtime may use to pick the configuration in code
 * instead of MEMPO_* variables. Node and Deno do not need it: the engine starts on the first wasm
 * tensor there. Call it before creating wasm tensors; a later call returns the running engine's
 * description, or throws when it asks for another configuration.
 *
 *   import { initWasm } from "@mempo/kernels/wasm";
 *   await initWasm();                      // fetch ../build/kernels*.wasm beside this module
 *   await initWasm({ baseUrl: "/wasm/" }); // where a bundler's output put kernels*.wasm
 *
 * Test: packages/kernels/wasm/engine_test.ts (Node); packaging/browser_test.ts (Chromium).
 */
import { wasmBackend, type WasmBackendInfo } from "./backend.ts";
import type { WasmConfig } from "./config.ts";
import { getEngine, hasEngine, provideModule, setEngine, WASM_FILES, WasmEngine } from "./engine.ts";
import { relaxedSimdSupported } from "./simd_detect.ts";
import host from "#wasm-host";

export interface WasmInitOptions extends Partial<WasmConfig> {
  /**
   * The folder that holds kernels.wasm and kernels-relaxed.wasm (a URL, or a path relative to the
   * page). Default: the package's own build/ folder next to this module.
   */
  baseUrl?: string | URL;
}

async function fetchModule(url: URL): Promise<WebAssembly.Module> {
  const local = url.protocol === "file:" ? host.readFile(url) : null;
  if (local !== null) return WebAssembly.compile(local as Uint8Array<ArrayBuffer>);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(
      `initWasm: fetching ${url.href} failed (${e instanceof Error ? e.message : e}). Fix: serve the build/ ` +
        "files of @mempo/kernels and pass their folder as { baseUrl }.",
    );
  }
  if (!res.ok) {
    throw new Error(
      `initWasm: fetching ${url.href} failed (HTTP ${res.status}). Fix: serve the build/ files of ` +
        "@mempo/kernels and pass their folder as { baseUrl }.",
    );
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

/** Fetches and compiles the kernels, starts the engine, and returns what it runs on. */
export async function initWasm(options: WasmInitOptions = {}): Promise<WasmBackendInfo> {
  const { baseUrl, ...config } = options;
  if (hasEngine()) {
    // Already running: fine when nothing asked differs from the running engine's configuration.
    const running = getEngine().config;
    const differ = Object.entries(config).filter(([k, v]) => v !== running[k as keyof WasmConfig]);
    if (differ.length > 0) {
      throw new Error(
        `initWasm: the wasm engine already runs (${differ.map(([k]) => `${k}=${running[k as keyof WasmConfig]}`).join(", ")}), ` +
          `so ${differ.map(([k, v]) => `${k}=${v}`).join(", ")} cannot apply. Fix: call initWasm once, before the first wasm tensor.`,
      );
    }
    return wasmBackend.info();
  }
  const mode = config.simd ?? host.env("MEMPO_WASM_SIMD") ?? "auto";
  const relaxed = mode === "relaxed" || (mode === "auto" && relaxedSimdSupported());
  const variant = relaxed ? "relaxed" : "baseline";
  const base = baseUrl === undefined ? null : new URL(baseUrl, globalThis.location?.href);
  const url = base ? new URL(WASM_FILES[variant].pathname.split("/").pop()!, base) : WASM_FILES[variant];
  provideModule(variant, await fetchModule(url));
  setEngine(new WasmEngine(config));
  return wasmBackend.info();
}
