// Spec: backend registration and selection, MEMPO_BACKEND, kernel lookup with fallback, listKernels.
import { describe, expect, it } from "vitest";
import { type Backend, hostArray, type Storage } from "../backends/backend.ts";
import { tsBackend } from "../backends/ts/mod.ts";
import { tensor } from "../create.ts";
import type { MatmulArgs } from "../kernel_types.ts";
import { matmul } from "../ops/matmul.ts";
import { scale } from "../ops/elementwise.ts";
import {
  findBackend,
  getBackend,
  getKernel,
  getKernelExact,
  listBackends,
  listKernels,
  markBackendUnavailable,
  registerBackend,
  registerKernel,
  setBackend,
} from "../registry.ts";
import "./harness.ts";

/** A host backend that accelerates only matmul (here: counts calls) and falls back to ts. */
function hostBackend(name: string): Backend {
  return {
    ...tsBackend,
    name,
    dtypes: ["f32", "i32"],
    fallback: "ts",
    alloc: (dtype, size): Storage => ({ dtype, size, data: hostArray(dtype, size) }),
  };
}

describe("registry", () => {
  it("the ts backend is registered with every kernel", () => {
    expect(listBackends()).toContain("ts");
    expect(listKernels("ts").length).toBeGreaterThanOrEqual(33);
  });

  it("the wasm backend loads here (the cross-backend specs would otherwise run on ts alone)", () => {
    // Node ≥ 16.4 has WebAssembly SIMD; a failed build or load names its cause here instead of
    // silently shrinking every describe.each(backends()) to the ts reference.
    expect(() => findBackend("wasm")).not.toThrow();
    expect(listKernels("wasm").length).toBeGreaterThanOrEqual(25);
  });

  it("MEMPO_BACKEND picks the default at first use; setBackend switches", () => {
    // getBackend() was not called yet in this file's module instance.
    expect(getBackend().name).toBe(process.env.MEMPO_BACKEND || "ts");
    registerBackend(hostBackend("host"));
    expect(setBackend("host").name).toBe("host");
    expect(tensor([1, 2]).backend.name).toBe("host");
    setBackend("ts");
    expect(tensor([1, 2]).backend.name).toBe("ts");
  });

  it("kernel lookup falls back along backend.fallback; an exact registration wins", () => {
    registerBackend(hostBackend("host2"));
    let calls = 0;
    const ts = getKernel("matmul", "ts");
    registerKernel({
      kernelName: "matmul",
      backendName: "host2",
      fn: (args: MatmulArgs) => {
        calls++;
        ts(args);
      },
    });
    expect(getKernelExact("scale", "host2")).toBeUndefined();
    expect(getKernel("scale", "host2")).toBe(getKernel("scale", "ts"));
    const a = tensor([1, 2, 3, 4], [2, 2], { backend: "host2" });
    const y = matmul(a, a);
    expect(calls).toBe(1);
    expect(Array.from(y.readSync())).toEqual([7, 10, 15, 22]);
    expect(Array.from(scale(a, 2).readSync())).toEqual([2, 4, 6, 8]);
    expect(listKernels("host2")).toEqual([{ kernelName: "matmul", backendName: "host2" }]);
    expect(() => registerKernel({ kernelName: "matmul", backendName: "host2", fn: ts })).toThrow(
      /^registerKernel: "matmul" is already registered for backend "host2"\. Fix: register each/,
    );
  });

  it("a backend without fallback and without the kernel gives a clear error", () => {
    registerBackend({ ...hostBackend("lonely"), fallback: undefined });
    const a = tensor([1], [1, 1], { backend: "lonely" });
    expect(() => matmul(a, a)).toThrow(/matmul: no kernel registered for backend "lonely" \(tried lonely\)/);
  });

  it("an unavailable backend explains why", () => {
    markBackendUnavailable("gpu9", "no adapter found");
    expect(() => setBackend("gpu9")).toThrow(/backend "gpu9" could not be loaded here: no adapter found/);
  });

  it("f64 on a backend that cannot store it is refused with a fix", () => {
    expect(() => tensor([1], [1], { dtype: "f64", backend: "host" })).toThrow(
      /backend "host" cannot store dtype f64 .*Fix: use dtype "f32", or the "ts" backend for f64/,
    );
  });
});

describe("MEMPO_BACKEND", () => {
  it("is read at first use: a known name selects it, an unknown one lists the registered backends", async () => {
    const { vi } = await import("vitest");
    const saved = process.env.MEMPO_BACKEND;
    try {
      for (const [env, expectation] of [
        ["ts", "ts"],
        ["nope", /^MEMPO_BACKEND: unknown backend "nope"\. Registered backends: ts/],
      ] as const) {
        vi.resetModules();
        process.env.MEMPO_BACKEND = env;
        const reg = await import("../registry.ts");
        await import("../backends/ts/mod.ts");
        if (typeof expectation === "string") expect(reg.getBackend().name).toBe(expectation);
        else expect(() => reg.getBackend()).toThrow(expectation);
      }
    } finally {
      if (saved === undefined) delete process.env.MEMPO_BACKEND;
      else process.env.MEMPO_BACKEND = saved;
      vi.resetModules();
    }
  });
});

describe("host read-back", () => {
  it("readSync on a backend without host memory throws with the fix", async () => {
    const { readSync: _omit, ...rest } = tsBackend;
    registerBackend({
      ...rest,
      name: "device",
      alloc: (dtype, size) => ({ dtype, size }),
      write: () => {},
      read: async (s) => hostArray(s.dtype, s.size),
    });
    const t = tensor([1, 2], [2], { backend: "device" });
    expect(() => t.readSync()).toThrow(
      /^readSync: backend "device" cannot read tensor \[2\] synchronously\. Fix: use await tensor\.read\(\)/,
    );
    expect(() => t.data).toThrow(/backend "device" has no host view/);
    expect(Array.from(await t.read())).toEqual([0, 0]);
  });
});
