// Runs command lists on a GPUDevice (plain .mjs: it runs in the device worker thread on Node, or in
// the main thread where the device lives there). Commands come from device.ts:
//   {op:"alloc", id, bytes}            zero-initialised STORAGE|COPY_SRC|COPY_DST buffer
//   {op:"free", id}                    destroyed once no unsubmitted command uses it
//   {op:"write", id, data}             queue.writeBuffer (after submitting work that touched the buffer)
//   {op:"dispatch", key, code?, layout, ids, params, groups}
//                                      layout: one char per storage binding ("r" read-only, "w" read-write);
//                                      binding 0 is the uniform block `params` (Uint32Array), bound
//                                      at a dynamic offset into one uniform ring per submit
//   {op:"copy", src, srcOff, dst, dstOff, bytes}
// Every `run(cmds)` records one command encoder (one compute pass between copies) and submits it once.
// Pipelines are cached by key (program + constants); bind groups by (layout, buffer ids), so one bind
// group serves every program with that layout (the uniform block is bound at a dynamic offset).
// GPU errors are caught by the device's uncaptured-error handler and reported by the next read.
//
// Test: packages/kernels/webgpu/webgpu_test.ts and the shared specs (webgpu/spec_test.ts).

const SLOT = 256; // uniform slot bytes (≥ minUniformBufferOffsetAlignment on every implementation)
const RING_SLOTS = 512;

export class Executor {
  /** @param {any} device */
  constructor(device) {
    this.device = device;
    this.buffers = new Map();
    this.pipelines = new Map();
    this.layouts = new Map();
    this.groups = new Map();
    this.groupsOf = new Map(); // buffer id → bind-group keys using it
    this.encoder = null;
    this.pass = null;
    this.touched = new Set();
    this.frees = [];
    this.error = null;
    this.uniform = device.createBuffer({
      size: SLOT * RING_SLOTS,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.ring = new Uint8Array(SLOT * RING_SLOTS);
    this.slot = 0;
    this.staging = [];
    const onError = (ev) => {
      this.error ??= ev?.error?.message ?? String(ev);
    };
    if (typeof device.addEventListener === "function") device.addEventListener("uncapturederror", onError);
    else device.onuncapturederror = onError;
    device.lost?.then?.((info) => {
      this.error ??= `device lost: ${info?.message ?? "unknown reason"}`;
    });
  }

  /** Runs a list of commands and submits them as one command buffer. */
  run(cmds) {
    for (const c of cmds) {
      try {
        this[c.op](c);
      } catch (e) {
        this.error ??= `${c.op}${c.key ? ` ${c.key.split("\n")[0]}` : ""}: ${e instanceof Error ? e.message : e}`;
      }
    }
    this.submit();
  }

  alloc({ id, bytes }) {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.buffers.set(id, this.device.createBuffer({ size, usage }));
  }

  free({ id }) {
    if (this.touched.has(id)) this.frees.push(id);
    else this.destroy(id);
  }

  destroy(id) {
    const keys = this.groupsOf.get(id);
    if (keys) {
      for (const k of keys) this.groups.delete(k);
      this.groupsOf.delete(id);
    }
    this.buffers.get(id)?.destroy();
    this.buffers.delete(id);
  }

  write({ id, data, offset = 0 }) {
    if (this.touched.has(id)) this.submit();
    this.device.queue.writeBuffer(this.buf(id), offset, data);
  }

  buf(id) {
    const b = this.buffers.get(id);
    if (!b) throw new Error(`webgpu: buffer ${id} does not exist (freed?)`);
    return b;
  }

  layout(spec) {
    let l = this.layouts.get(spec);
    if (!l) {
      const entries = [
        {
          binding: 0,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: "uniform", hasDynamicOffset: true },
        },
      ];
      for (let i = 0; i < spec.length; i++) {
        const type = spec[i] === "r" ? "read-only-storage" : "storage";
        entries.push({ binding: i + 1, visibility: GPUShaderStage.COMPUTE, buffer: { type } });
      }
      const bgl = this.device.createBindGroupLayout({ entries });
      l = { bgl, pl: this.device.createPipelineLayout({ bindGroupLayouts: [bgl] }) };
      this.layouts.set(spec, l);
    }
    return l;
  }

  pipeline(key, code, spec) {
    let p = this.pipelines.get(key);
    if (!p) {
      if (code === undefined) throw new Error(`webgpu: pipeline "${key}" was never compiled`);
      const module = this.device.createShaderModule({ code });
      p = this.device.createComputePipeline({
        layout: this.layout(spec).pl,
        compute: { module, entryPoint: "main" },
      });
      this.pipelines.set(key, p);
    }
    return p;
  }

  bindGroup(spec, ids) {
    const gk = `${spec}|${ids.join(",")}`;
    let g = this.groups.get(gk);
    if (!g) {
      const entries = [{ binding: 0, resource: { buffer: this.uniform, offset: 0, size: SLOT } }];
      ids.forEach((id, i) => {
        entries.push({ binding: i + 1, resource: { buffer: this.buf(id) } });
      });
      g = this.device.createBindGroup({ layout: this.layout(spec).bgl, entries });
      this.groups.set(gk, g);
      for (const id of ids) {
        let s = this.groupsOf.get(id);
        if (!s) {
          s = new Set();
          this.groupsOf.set(id, s);
        }
        s.add(gk);
      }
    }
    return g;
  }

  ensurePass() {
    this.encoder ??= this.device.createCommandEncoder();
    this.pass ??= this.encoder.beginComputePass();
    return this.pass;
  }

  dispatch({ key, code, layout, ids, params, groups }) {
    if (this.slot === RING_SLOTS) this.submit();
    const pipe = this.pipeline(key, code, layout);
    const group = this.bindGroup(layout, ids);
    const offset = this.slot * SLOT;
    this.ring.set(new Uint8Array(params.buffer, params.byteOffset, params.byteLength), offset);
    this.slot++;
    const pass = this.ensurePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(0, group, [offset]);
    pass.dispatchWorkgroups(groups[0], groups[1] ?? 1, groups[2] ?? 1);
    for (const id of ids) this.touched.add(id);
  }

  copy({ src, srcOff, dst, dstOff, bytes }) {
    this.ensurePass();
    this.pass.end();
    this.pass = null;
    this.encoder.copyBufferToBuffer(this.buf(src), srcOff, this.buf(dst), dstOff, bytes);
    this.touched.add(src);
    this.touched.add(dst);
  }

  submit() {
    if (!this.encoder) return;
    if (this.pass) this.pass.end();
    if (this.slot > 0) this.device.queue.writeBuffer(this.uniform, 0, this.ring, 0, this.slot * SLOT);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.pass = null;
    this.slot = 0;
    this.touched.clear();
    for (const id of this.frees) this.destroy(id);
    this.frees.length = 0;
  }

  /** Throws (and clears) the first GPU error recorded since the last check. */
  check() {
    const e = this.error;
    if (e !== null) {
      this.error = null;
      throw new Error(`webgpu: a GPU command failed: ${e}`);
    }
  }

  /** Copies `bytes` of buffer `id` to a fresh ArrayBuffer (after all submitted work). */
  async read(id, bytes) {
    this.submit();
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    let st = this.staging.pop();
    if (!st || st.size < size) {
      st?.destroy();
      st = this.device.createBuffer({
        size: Math.max(size, 256),
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
    }
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(this.buf(id), 0, st, 0, size);
    this.device.queue.submit([enc.finish()]);
    try {
      await st.mapAsync(GPUMapMode.READ, 0, size);
      const out = st.getMappedRange(0, size).slice(0, bytes);
      st.unmap();
      this.check();
      return out;
    } finally {
      if (this.staging.length < 4) this.staging.push(st);
      else st.destroy();
    }
  }
}
