/**
 * A fused decoding step for Llama-family models, on backends that implement it (wasm):
 *
 *   decodeStep({ids, pos, embed, layers, normF, head, H, Hkv, eps, ropeTheta}) → logits [n, V]
 *
 * Row b feeds token ids[b] at position pos[b]: the embedding, every layer (RMSNorm, q/k/v with
 * optional biases, half-style rope, the key/value written to the layer's cache at slot pos[b],
 * attention over slots 0 ..= pos[b], the output projection, SwiGLU MLP, both residuals), the final
 * norm and the head. It computes what the op-by-op step computes (forward.ts with a cache), in one
 * dispatch instead of ≈ 70: callers check {@link hasDecodeStep} and keep the op-by-op path elsewhere.
 *
 * Test: packages/model/generate_test.ts (the fused step against the op-by-op step).
 */
import type { Backend } from "../backends/backend.ts";
import type { DecodeStepArgs } from "../kernel_types.ts";
import { getKernelExact } from "../registry.ts";
import type { Tensor } from "../tensor.ts";
import { alloc, run } from "./check.ts";

/** Whether `backend` runs {@link decodeStep} itself. */
export function hasDecodeStep(backend: Backend): boolean {
  return getKernelExact("decodeStep", backend.name) !== undefined;
}

/** Logits [n, V] of one fused decoding step; writes each row's key/value into the layers' caches. */
export function decodeStep(a: Omit<DecodeStepArgs, "out">): Tensor {
  const k = "decodeStep";
  const backend = a.embed.backend;
  if (!hasDecodeStep(backend))
    throw new Error(
      `${k}: the "${backend.name}" backend has no fused decoding step. Fix: check hasDecodeStep(backend) ` +
        "and run the step op by op (forward with a KV cache) otherwise.",
    );
  const n = a.ids.length;
  const [V, d] = a.embed.shape as [number, number];
  const Dh = d / a.H;
  const l0 = a.layers[0];
  if (l0 === undefined) throw new Error(`${k}: the model has no layers.`);
  const dFf = l0.gate.shape[0]!;
  const [B, Hkv, Tmax, DhC] = l0.kCache.shape as [number, number, number, number];
  const bad = (what: string) => {
    throw new Error(`${k}: ${what}. Fix: run the step op by op (forward with a KV cache) for this model.`);
  };
  if (a.pos.length !== n) bad(`pos has ${a.pos.length} entries for ${n} ids`);
  if (
    !Number.isInteger(Dh) ||
    Dh % 2 !== 0 ||
    d % 4 !== 0 ||
    (a.Hkv * Dh) % 4 !== 0 ||
    dFf % 4 !== 0 ||
    V % 4 !== 0
  )
    bad(`sizes d = ${d}, Dh = ${Dh}, dFf = ${dFf}, V = ${V} must be multiples of 4 (Dh even)`);
  if (Hkv !== a.Hkv || DhC !== Dh || B < n)
    bad(`cache shape [${l0.kCache.shape}] does not fit ${n} rows of Hkv = ${a.Hkv}, Dh = ${Dh}`);
  if (a.head.shape[0] !== V || a.head.shape[1] !== d)
    bad(`head [${a.head.shape}] is not [V, d] = [${V}, ${d}]`);
  for (let i = 0; i < n; i++) {
    const id = a.ids[i]!;
    const p = a.pos[i]!;
    if (!(id >= 0 && id < V)) bad(`ids[${i}] = ${id} is not a token id in [0, ${V})`);
    if (!(p >= 0 && p < Tmax)) bad(`pos[${i}] = ${p} is not a cache slot in [0, ${Tmax})`);
  }
  const out = alloc(k, backend, [n, V], a.embed.dtype, false);
  run(k, backend, { ...a, out });
  return out;
}
