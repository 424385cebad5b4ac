/**
 * WGSL program builder and dispatch helper shared by the webgpu kernels.
 *
 * A `Program` declares its uniform parameters ("n: u32, alpha: f32"), its storage bindings in order
 * (`[name, "r" | "w", elementType]`), the workgroup size and the body; `build()` emits the WGSL with
 * binding 0 = `p` (the parameters) and bindings 1.. = the storage arrays. Compile-time constants
 * (e.g. the head size of attention) are substituted into the text, so the pipeline cache key is
 * (program name, constants). `dispatch()` packs the parameters, checks that no buffer is bound both
 * writable and a second time (WebGPU forbids that aliasing; kernels pick in-place variants instead),
 * and queues the dispatch on the device.
 *
 * Test: through every kernel (webgpu/spec_test.ts, webgpu/webgpu_test.ts).
 */
import type { Tensor } from "../tensor.ts";
import type { GpuStorage } from "./backend.ts";
import { gpu } from "./backend.ts";

export type Access = "r" | "w";
export interface Program {
  /** Name (errors, cache key). */
  name: string;
  /** Uniform parameters, "name: type" comma-separated; types u32, i32, f32. */
  params: string;
  /** Storage bindings in order: name, access, WGSL element type (f32, i32, u32, atomic<u32>). */
  bindings: readonly (readonly [string, Access, string])[];
  /** Workgroup size (numbers, or "$NAME" constants). */
  wg: readonly (number | string)[];
  /** Helpers and workgroup variables placed before main (may use constants). */
  extra?: string;
  /** Body of `main` (has gid, lid, wid: vec3u and lidx: u32). */
  body: string;
}

interface Built {
  key: string;
  code: string;
  layout: string;
  fields: { name: string; type: string }[];
}

const built = new Map<string, Built>();

function subst(text: string, consts: Record<string, number | string>): string {
  return text.replace(/\$\{?(\w+)\}?/g, (m, k: string) => (k in consts ? String(consts[k]) : m));
}

/** Emits (and caches) the WGSL of a program for one set of constants. */
export function build(prog: Program, consts: Record<string, number | string> = {}): Built {
  const ck = Object.entries(consts)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  const key = ck ? `${prog.name}[${ck}]` : prog.name;
  let b = built.get(key);
  if (b) return b;
  const fields = prog.params
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [name, type] = s.split(":").map((x) => x.trim()) as [string, string];
      return { name, type };
    });
  const struct = fields.length ? fields.map((f) => `${f.name}: ${f.type}`).join(", ") : "pad: u32";
  const decls = prog.bindings.map(
    ([n, a, t], i) =>
      `@group(0) @binding(${i + 1}) var<storage, ${a === "r" ? "read" : "read_write"}> ${n}: array<${t}>;`,
  );
  const wg = [...prog.wg, 1, 1].slice(0, 3);
  const code = subst(
    [
      `struct P { ${struct} }`,
      "@group(0) @binding(0) var<uniform> p: P;",
      ...decls,
      prog.extra ?? "",
      `@compute @workgroup_size(${wg.join(", ")})`,
      "fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_id) lid: vec3u,",
      "        @builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lidx: u32) {",
      prog.body,
      "}",
    ].join("\n"),
    consts,
  );
  b = { key, code, layout: prog.bindings.map((x) => x[1]).join(""), fields };
  built.set(key, b);
  return b;
}

/** Buffer id of a tensor's storage. */
export function idOf(t: Tensor): number {
  return (t.storage as GpuStorage).id;
}

/** True when two tensors share one storage (views or the same tensor). */
export function sameStorage(a: Tensor, b: Tensor): boolean {
  return idOf(a) === idOf(b);
}

/**
 * Queues `prog` over `groups` workgroups with the given buffers (tensors or raw buffer ids, in the
 * program's binding order) and parameter values.
 */
export function dispatch(
  prog: Program,
  buffers: readonly (Tensor | number)[],
  params: Record<string, number>,
  groups: readonly number[],
  consts: Record<string, number | string> = {},
): void {
  const b = build(prog, consts);
  if (buffers.length !== prog.bindings.length) {
    throw new Error(`webgpu ${prog.name}: expected ${prog.bindings.length} buffers, got ${buffers.length}`);
  }
  const ids = buffers.map((x) => (typeof x === "number" ? x : idOf(x)));
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      if (ids[i] === ids[j] && (prog.bindings[i]![1] === "w" || prog.bindings[j]![1] === "w")) {
        throw new Error(
          `webgpu ${prog.name}: "${prog.bindings[i]![0]}" and "${prog.bindings[j]![0]}" share one buffer and one ` +
            "is written. Fix: pass a separate output tensor (this kernel has no in-place form).",
        );
      }
    }
  }
  const u = new Uint32Array(Math.max(4, Math.ceil(b.fields.length / 4) * 4));
  const f = new Float32Array(u.buffer);
  const s = new Int32Array(u.buffer);
  b.fields.forEach((fd, i) => {
    const v = params[fd.name];
    if (v === undefined) throw new Error(`webgpu ${prog.name}: missing parameter "${fd.name}"`);
    if (fd.type === "f32") f[i] = v;
    else if (fd.type === "i32") s[i] = v;
    else u[i] = v >>> 0;
  });
  const g = [...groups, 1, 1].slice(0, 3) as [number, number, number];
  const max = 65535;
  if (g.some((x) => x > max)) {
    throw new Error(`webgpu ${prog.name}: grid ${g.join("×")} exceeds ${max} workgroups per dimension`);
  }
  gpu().dispatch(b.key, b.code, b.layout, ids, u, g);
}

/**
 * A 1-D grid for n threads in workgroups of `wg`: [groups x, groups y] and the row stride `sx` (in
 * threads) so that a shader's linear index is `gid.x + gid.y * p.sx`.
 */
export function grid(n: number, wg = 256): { groups: [number, number]; sx: number } {
  const total = Math.ceil(n / wg);
  const gx = Math.min(total, 65535);
  const gy = gx === 0 ? 0 : Math.ceil(total / gx);
  return { groups: [gx, gy], sx: gx * wg };
}

/** A grid of `rows` workgroups (one per row), split over x and y; shader row = wid.x + wid.y * p.gx. */
export function rowGrid(rows: number): { groups: [number, number]; gx: number } {
  const gx = Math.min(rows, 65535);
  return { groups: [gx, gx === 0 ? 0 : Math.ceil(rows / gx)], gx };
}

/** Uploads a small host array (per-sequence offsets, positions, masks) to a scratch buffer for `fn`. */
export function withUpload(data: Int32Array | Float32Array, fn: (id: number) => void): void {
  const dev = gpu();
  const id = dev.alloc(data.byteLength);
  if (data.length > 0) dev.write(id, data.slice().buffer as ArrayBuffer);
  try {
    fn(id);
  } finally {
    dev.free(id);
  }
}
