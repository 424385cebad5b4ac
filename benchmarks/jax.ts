/**
 * @jax-js/jax for the benches' peers (kernels/peer_jax.ts, model/peer_jax.ts): loading it under
 * Node 20 and its installed version. Node needs a `navigator` global for jax-js's device probe (added
 * if missing), and jax-js's einsum (under `nn.dotProductAttention`) uses ES2025 iterator helpers that
 * Node 20's V8 lacks (core-js's `Iterator` polyfill is loaded where they are missing).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

// biome-ignore lint/suspicious/noExplicitAny: the jax-js module (loaded dynamically, after the shims)
export type Jax = any;

/** The installed @jax-js/jax version (its package.json is not exported, so it is found beside the entry point). */
export function jaxVersion(): string {
  const entry = createRequire(import.meta.url).resolve("@jax-js/jax");
  const pkg = JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** Loads jax-js under Node 20 (the shims above) and selects its wasm device. @throws Error without one. */
export async function loadJax(): Promise<Jax> {
  (globalThis as { navigator?: object }).navigator ??= {};
  if (typeof (globalThis as { Iterator?: unknown }).Iterator === "undefined")
    await import("core-js/actual/iterator/index.js");
  const jax = await import("@jax-js/jax");
  const devices = await jax.init();
  if (!devices.includes("wasm"))
    throw new Error(`jax-js has no wasm device here (devices: ${devices.join(", ")})`);
  jax.defaultDevice("wasm");
  return jax;
}
