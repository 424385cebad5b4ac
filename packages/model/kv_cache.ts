/**
 * Per-layer key/value caches for generation: k and v of shape [B, Hkv, Tmax, Dh] per layer, on the
 * model's backend. Slot t of sequence b holds the key/value of that sequence's token at position t.
 * `select` keeps a subset of sequences (used to drop finished ones from the batch) with a row gather
 * over the batch dimension. A cache can start from host arrays (the prefix-sharing scorer fills each
 * sequence's slots with the keys/values of the prefix it continues).
 *
 * Test: `npx vitest run generate_test.ts`.
 */
import { empty, type FloatArray, gatherRows, keep, type Tensor, tensor, tidy } from "@mempo/kernels";
import type { Model } from "./params.ts";

export class KvCache {
  k: Tensor[];
  v: Tensor[];
  B: number;
  readonly Tmax: number;

  /**
   * An empty (zeroed) cache, or one holding `init.k[l]` / `init.v[l]` (host arrays [B, Hkv, Tmax, Dh]
   * in the model's dtype, one per layer). `zero: false` skips clearing it where the backend can: for
   * a cache whose every slot is written before it is read (attention reads slots ≤ a row's position).
   */
  constructor(
    m: Model,
    B: number,
    Tmax: number,
    init?: { k: FloatArray[]; v: FloatArray[] },
    options: { zero?: boolean } = {},
  ) {
    const c = m.config;
    const shape = [B, c.nKvHeads, Tmax, c.dModel / c.nHeads];
    const opts = { backend: m.backend, dtype: m.dtype };
    const make = (src: FloatArray[] | undefined) =>
      Array.from({ length: c.nLayers }, (_, l) => {
        if (!src) return keep(empty(shape, { ...opts, zero: options.zero ?? true }));
        if (src.length !== c.nLayers)
          throw new Error(`KvCache: init has ${src.length} layers; the model has ${c.nLayers}`);
        return keep(tensor(src[l]!, shape, opts));
      });
    this.k = make(init?.k);
    this.v = make(init?.v);
    this.B = B;
    this.Tmax = Tmax;
  }

  /** Keeps only the sequences `keepIdx` (in that order); the batch shrinks to keepIdx.length. */
  select(keepIdx: ArrayLike<number>): void {
    const n = keepIdx.length;
    const pick = (t: Tensor): Tensor =>
      tidy(() => {
        const shape = t.shape;
        const rest = t.size / this.B;
        const idx = tensor(Int32Array.from(keepIdx), [n], { backend: t.backend, dtype: "i32" });
        const flat = t.reshape([this.B, rest]);
        const out = gatherRows(flat, idx).reshape([n, shape[1]!, shape[2]!, shape[3]!]);
        return keep(out);
      });
    const swap = (ts: Tensor[]) =>
      ts.map((t) => {
        const r = pick(t);
        t.dispose();
        return r;
      });
    this.k = swap(this.k);
    this.v = swap(this.v);
    this.B = n;
  }

  dispose(): void {
    for (const t of [...this.k, ...this.v]) t.dispose();
  }
}
