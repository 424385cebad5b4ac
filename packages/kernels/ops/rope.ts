/**
 * Rotary position embedding (RoPE) and its backward.
 *
 *   rope(x [B, T, H, Dh], {offset = 0, theta = 10000, style = "half"}) → out [B, T, H, Dh]
 *   ropeBackward(dOut, opts) → dX   (the inverse rotation, same options)
 *
 * Layout [B, T, H, Dh] is the natural output of the q/k projection reshaped; no transposes needed.
 * Token t of sequence b sits at position offset[b] + t: pass `offset` = the KV-cache position when
 * decoding, and per-sequence offsets (e.g. −padLeft[b]) for left-padded batches.
 * style "half": GPT-NeoX / Llama / Qwen2 rotate_half (pairs i, i + Dh/2);
 * style "interleaved": GPT-J (pairs 2i, 2i+1). Frequencies theta^(−2i/Dh).
 *
 * Test: packages/kernels/spec/rope_test.ts.
 */
import type { Tensor } from "../tensor.ts";
import { alloc, checkInputs, fail, perSeq, run } from "./check.ts";

export interface RopeOptions {
  /** Position of token 0: one number for the batch or one per sequence [B]; default 0. */
  offset?: number | ArrayLike<number>;
  /**
   * Position of every token [B·T] (e.g. packed rows, where each segment restarts after the shared
   * prefix); overrides `offset`.
   */
  positions?: ArrayLike<number>;
  /** Frequency base θ; default 10000 (Qwen2 uses 1e6). */
  theta?: number;
  /** Pairing convention; default "half" (rotate_half). */
  style?: "half" | "interleaved";
}

function ropeImpl(kernel: string, x: Tensor, opts: RopeOptions, inverse: boolean): Tensor {
  const { backend, dtype } = checkInputs(kernel, { x });
  if (x.rank !== 4 || x.shape[3]! % 2 !== 0) {
    fail(kernel, `"x" must be [B, T, H, Dh] with an even Dh`, { x }, "reshape x to [B, T, H, Dh]");
  }
  const [B, T, H, Dh] = x.shape as [number, number, number, number];
  const style = opts.style ?? "half";
  if (style !== "half" && style !== "interleaved") {
    throw new Error(`${kernel}: style must be "half" or "interleaved", got "${style}".`);
  }
  const offsets = perSeq(kernel, "offset", opts.offset, B, 0);
  let positions: Int32Array | null = null;
  if (opts.positions !== undefined) {
    if (backend.lacks?.includes("rope.positions"))
      throw new Error(
        `${kernel}: the "${backend.name}" backend does not implement per-token "positions"; use "offset".`,
      );
    if (opts.positions.length !== B * T)
      throw new Error(
        `${kernel}: "positions" must have B·T = ${B * T} entries, got ${opts.positions.length}.`,
      );
    positions = Int32Array.from(opts.positions);
    for (let i = 0; i < positions.length; i++)
      if (positions[i] !== opts.positions[i])
        throw new Error(`${kernel}: positions[${i}] = ${opts.positions[i]} is not an integer.`);
  }
  const out = alloc(kernel, backend, x.shape, dtype, false);
  run("rope", backend, {
    x,
    out,
    B,
    T,
    H,
    Dh,
    offsets,
    positions,
    theta: opts.theta ?? 10000,
    style,
    inverse,
  });
  return out;
}

/** Rotates pairs of channels of x by position-dependent angles. */
export function rope(x: Tensor, opts: RopeOptions = {}): Tensor {
  return ropeImpl("rope", x, opts, false);
}

/** Gradient of rope: the inverse rotation applied to dOut. */
export function ropeBackward(dOut: Tensor, opts: RopeOptions = {}): Tensor {
  return ropeImpl("ropeBackward", dOut, opts, true);
}
