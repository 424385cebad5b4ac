/**
 * Registry of backends and kernels, keyed by (kernel name, backend name).
 *
 * - `registerBackend(b)` makes a backend selectable; `setBackend(name)` selects the default for new
 *   tensors; the env var MEMPO_BACKEND (read at first use of `getBackend()`) picks the initial default
 *   (otherwise "ts").
 * - `registerKernel({kernelName, backendName, fn})` (once per pair); `getKernel(name, backendName)`
 *   walks the backend's `fallback` chain (e.g. wasm → ts), so a backend can accelerate only some
 *   kernels.
 *
 * Test: packages/kernels/spec/registry_test.ts.
 */
import type { Backend } from "./backends/backend.ts";
import { envVar } from "./env.ts";
import type { KernelMap, KernelName } from "./kernel_types.ts";

export interface KernelConfig<K extends KernelName = KernelName> {
  kernelName: K;
  backendName: string;
  fn: KernelMap[K];
}

const backends = new Map<string, Backend>();
/** Backends whose module failed to load: name → reason (shown when someone asks for them). */
const unavailable = new Map<string, string>();
const kernels = new Map<string, KernelMap[KernelName]>();
let current: Backend | null = null;

const key = (kernelName: string, backendName: string) => `${kernelName}/${backendName}`;

/** Registers (or replaces) a backend. */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
  unavailable.delete(backend.name);
}

/** Records that a backend exists but could not load here, so asking for it explains why. */
export function markBackendUnavailable(name: string, reason: string): void {
  if (!backends.has(name)) unavailable.set(name, reason);
}

/** An initialiser's failure: records the reason for `setBackend(name)` to report, then rethrows it. */
export function backendFailed(name: string, e: unknown): never {
  const reason = e instanceof Error ? e.message : String(e);
  markBackendUnavailable(name, reason);
  throw e instanceof Error ? e : new Error(reason);
}

/** Names of the registered backends, in registration order. */
export function listBackends(): string[] {
  return [...backends.keys()];
}

function unknownBackend(name: string, where: string): Error {
  const why = unavailable.get(name);
  const list = listBackends().join(", ") || "(none)";
  if (why !== undefined) {
    return new Error(
      `${where}: backend "${name}" could not be loaded here: ${why}. Registered backends: ${list}.`,
    );
  }
  return new Error(
    `${where}: unknown backend "${name}". Registered backends: ${list}. ` +
      `Fix: use one of those, or import the module that registers "${name}" first.`,
  );
}

/** The registered backend called `name`; throws an error listing the registered ones otherwise. */
export function findBackend(name: string, where = "findBackend"): Backend {
  const b = backends.get(name);
  if (!b) throw unknownBackend(name, where);
  return b;
}

/** Selects the default backend for tensor creation. */
export function setBackend(name: string): Backend {
  current = findBackend(name, "setBackend");
  return current;
}

/** The default backend: the last `setBackend`, else MEMPO_BACKEND, else "ts". */
export function getBackend(): Backend {
  if (current) return current;
  const env = envVar("MEMPO_BACKEND");
  current = findBackend(env && env.length > 0 ? env : "ts", env ? "MEMPO_BACKEND" : "getBackend");
  return current;
}

/** Resolves a backend option: a Backend, a name, or undefined (the default). */
export function resolveBackend(b: Backend | string | undefined, where: string): Backend {
  if (b === undefined) return getBackend();
  if (typeof b === "string") return findBackend(b, where);
  return b;
}

/** Registers a kernel implementation for one backend; a second one for the same pair throws. */
export function registerKernel<K extends KernelName>(config: KernelConfig<K>): void {
  const k = key(config.kernelName, config.backendName);
  if (kernels.has(k)) {
    throw new Error(
      `registerKernel: "${config.kernelName}" is already registered for backend "${config.backendName}". ` +
        "Fix: register each (kernel, backend) pair once, e.g. from the backend module's top level.",
    );
  }
  kernels.set(k, config.fn);
}

/** The kernel registered exactly for (name, backend), without fallback; undefined if none. */
export function getKernelExact<K extends KernelName>(
  kernelName: K,
  backendName: string,
): KernelMap[K] | undefined {
  return kernels.get(key(kernelName, backendName)) as KernelMap[K] | undefined;
}

/** The kernel for (name, backend), following `fallback` links; throws naming the chain tried. */
export function getKernel<K extends KernelName>(kernelName: K, backendName: string): KernelMap[K] {
  const tried: string[] = [];
  let name: string | undefined = backendName;
  while (name !== undefined && !tried.includes(name)) {
    tried.push(name);
    const fn = kernels.get(key(kernelName, name));
    if (fn) return fn as KernelMap[K];
    name = backends.get(name)?.fallback;
  }
  throw new Error(
    `${kernelName}: no kernel registered for backend "${backendName}" (tried ${tried.join(" → ")}). ` +
      `Fix: register one with registerKernel({kernelName: "${kernelName}", backendName, fn}) or set the ` +
      `backend's fallback to "ts".`,
  );
}

/** Registered (kernel, backend) pairs, optionally for one backend only (no fallback resolution). */
export function listKernels(backendName?: string): { kernelName: string; backendName: string }[] {
  const out: { kernelName: string; backendName: string }[] = [];
  for (const k of kernels.keys()) {
    const [kernelName, b] = k.split("/") as [string, string];
    if (backendName === undefined || b === backendName) out.push({ kernelName, backendName: b });
  }
  return out;
}
