// Row gathers and scatters: the embedding lookup and its backward, and the KV-cache write. Plain
// memory copies (and a SIMD add for the scatter), so each row costs a memcpy instead of the ts
// kernels' view-and-set per row from JavaScript.
// Test: spec/embedding_test.ts, spec/attention_test.ts (kvCacheWrite) on the wasm backend against ts.
import { GatherRowsArgs, KvCacheWriteArgs, ScatterAddRowsArgs } from "./args";

/** out[n] = table[ids[n]]; ids were checked on the host. */
export function gatherRows(args: usize): void {
  const N = GatherRowsArgs.N(args);
  const row = <usize>GatherRowsArgs.D(args) * 4;
  const per = GatherRowsArgs.per(args);
  const ids = GatherRowsArgs.ids(args);
  const table = GatherRowsArgs.table(args);
  const out = GatherRowsArgs.out(args);
  for (;;) {
    const n0 = atomic.add<i32>(args, 1) * per;
    if (n0 >= N) break;
    const n1 = min(N, n0 + per);
    for (let n = n0; n < n1; n++) {
      const id = load<i32>(ids + <usize>n * 4);
      memory.copy(out + <usize>n * row, table + <usize>id * row, row);
    }
  }
}

/** dTable[ids[n]] += dOut[n] (one unit: repeated ids add in order); ids were checked on the host. */
export function scatterAddRows(args: usize): void {
  if (atomic.add<i32>(args, 1) != 0) return;
  const N = ScatterAddRowsArgs.N(args);
  const D = ScatterAddRowsArgs.D(args);
  const ids = ScatterAddRowsArgs.ids(args);
  const dOut = ScatterAddRowsArgs.dOut(args);
  const dTable = ScatterAddRowsArgs.dTable(args);
  const row = <usize>D * 4;
  if (!ScatterAddRowsArgs.accumulate(args)) memory.fill(dTable, 0, <usize>ScatterAddRowsArgs.V(args) * row);
  const d4 = D & ~3;
  for (let n = 0; n < N; n++) {
    const src = dOut + <usize>n * row;
    const dst = dTable + <usize>load<i32>(ids + <usize>n * 4) * row;
    let d = 0;
    for (; d < d4; d += 4) {
      const o = <usize>(d * 4);
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    }
    for (; d < D; d++) {
      const o = <usize>(d * 4);
      store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
    }
  }
}

/** cache [B, Hkv, Tmax, Dh] at slots pos[b] + t ← x [B, Tq, Hkv, Dh]; slots were checked on the host. */
export function kvCacheWrite(args: usize): void {
  const B = KvCacheWriteArgs.B(args);
  const Tq = KvCacheWriteArgs.Tq(args);
  const Hkv = KvCacheWriteArgs.Hkv(args);
  const Dh = KvCacheWriteArgs.Dh(args);
  const Tmax = KvCacheWriteArgs.Tmax(args);
  const per = KvCacheWriteArgs.per(args);
  const x = KvCacheWriteArgs.x(args);
  const cache = KvCacheWriteArgs.cache(args);
  const pos = KvCacheWriteArgs.pos(args);
  const row = <usize>Dh * 4;
  const total = B * Tq;
  for (;;) {
    const u0 = atomic.add<i32>(args, 1) * per;
    if (u0 >= total) break;
    const u1 = min(total, u0 + per);
    for (let u = u0; u < u1; u++) {
      const b = u / Tq;
      const slot = load<i32>(pos + <usize>b * 4) + u % Tq;
      for (let h = 0; h < Hkv; h++) {
        memory.copy(cache + (<usize>(b * Hkv + h) * <usize>Tmax + <usize>slot) * row, x + <usize>(u * Hkv + h) * row, row);
      }
    }
  }
}
