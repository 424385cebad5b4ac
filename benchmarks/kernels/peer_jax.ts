/**
 * @jax-js/jax as a peer of the kernel bench: the same cases written with jax-js's numpy / nn (jit-
 * compiled, on its "wasm" device — the one that runs under Node; "webgpu" needs a browser or Dawn)
 * and the reference step as `jit(vjp)` of the same 2-layer pre-LN stack (ref_step.ts). Timing: the
 * median of async calls that end in `blockUntilReady` (jax-js dispatches asynchronously).
 * jax-js arrays are move-only: every argument passed to an op is `.ref`'d so the inputs live on.
 * Loading under Node 20: ../jax.ts.
 */
import { jaxVersion, loadJax } from "../jax.ts";
import { median } from "../mod.ts";
import type { Case } from "./cases.ts";
import { REF } from "./ref_step.ts";

// biome-ignore lint/suspicious/noExplicitAny: jax-js's Array type is re-exported through namespaces
type JArray = any;

export interface JaxPeer {
  version: string;
  device: string;
  /** Milliseconds per case id (only the ops jax-js has: matmul, attention fwd/bwd, layernorm, gelu, softmax). */
  cases: Record<string, number>;
  refStepMs?: number;
  /** Cases jax-js failed on, with its message. */
  errors: Record<string, string>;
}

/** The sizes of cases.ts's cases (each case has some of them). */
interface Sizes {
  batch: number;
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  bias: boolean;
  B: number;
  T: number;
  H: number;
  Dh: number;
  R: number;
  D: number;
}

async function timeAsync(fn: () => Promise<void>, minMs: number, minRuns: number): Promise<number> {
  await fn();
  await fn();
  const ts: number[] = [];
  const start = performance.now();
  while (ts.length < minRuns || performance.now() - start < minMs) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
    if (ts.length >= 100) break;
  }
  return median(ts);
}

/** Runs the jax-js peer; resolves to its timings, or to why it could not run. */
export async function runJaxPeer(
  list: readonly Case[],
  withRef: boolean,
  opts: { minMs: number; minRuns: number },
): Promise<JaxPeer | string> {
  try {
    const jax = await loadJax();
    const { numpy: np, nn, random } = jax;
    let seed = 0;
    const rand = (shape: number[], std = 1): JArray =>
      random.normal(random.key(++seed), shape).mul(std) as JArray;
    const version = jaxVersion();
    const out: JaxPeer = { version, device: "wasm", cases: {}, errors: {} };
    const run = async (f: JArray, args: JArray[]) =>
      timeAsync(
        async () => {
          const r = f(...args.map((a) => a.ref));
          const leaves = Array.isArray(r) ? r.flat(2) : [r];
          for (const x of leaves) await x.blockUntilReady();
          for (const x of leaves) x.dispose();
        },
        opts.minMs,
        opts.minRuns,
      );
    for (const c of list) {
      const p = c.p as unknown as Sizes;
      let f: JArray = null;
      let args: JArray[] = [];
      if (c.op === "matmul") {
        const lead = p.batch > 1 ? [p.batch] : [];
        const a = rand([...lead, ...(p.transA ? [p.K, p.M] : [p.M, p.K])]);
        const b = rand([...lead, ...(p.transB ? [p.N, p.K] : [p.K, p.N])]);
        const t = (x: JArray, yes: boolean) => (yes ? np.matrixTranspose(x) : x);
        args = p.bias ? [a, b, rand([p.N])] : [a, b];
        f = jax.jit((x: JArray, y: JArray, bias?: JArray) => {
          const r = np.matmul(t(x, p.transA), t(y, p.transB));
          return bias ? r.add(bias) : r;
        });
      } else if (c.op === "attention" || c.op === "attention_bwd") {
        const shape = [p.B, p.T, p.H, p.Dh];
        const attn = (q: JArray, k: JArray, v: JArray) => nn.dotProductAttention(q, k, v, { isCausal: true });
        args = [rand(shape), rand(shape), rand(shape)];
        if (c.op === "attention") f = jax.jit(attn);
        else {
          args.push(rand(shape));
          f = jax.jit((q: JArray, k: JArray, v: JArray, dO: JArray) => {
            const [, back] = jax.vjp(attn, [q, k, v]);
            return back(dO);
          });
        }
      } else if (c.op === "layernorm") {
        args = [rand([p.R, p.D]), np.ones([p.D]), np.zeros([p.D])];
        f = jax.jit((x: JArray, w: JArray, b: JArray) =>
          nn.standardize(x, -1, { epsilon: 1e-5 }).mul(w).add(b),
        );
      } else if (c.op === "gelu") {
        args = [rand([p.R, p.D])];
        f = jax.jit((x: JArray) => nn.gelu(x));
      } else if (c.op === "softmax") {
        args = [rand([p.R, p.D])];
        f = jax.jit((x: JArray) => nn.softmax(x, -1));
      } else continue;
      try {
        out.cases[c.id] = await run(f, args);
      } catch (e) {
        out.errors[c.id] = e instanceof Error ? e.message : String(e);
      }
      f.dispose?.();
      for (const a of args) a.dispose();
    }
    if (withRef) {
      try {
        out.refStepMs = await refStep(jax, rand, (f, a) => run(f, a));
      } catch (e) {
        out.errors["reference step"] = e instanceof Error ? e.message : String(e);
      }
    }
    return out;
  } catch (e) {
    return `jax-js failed: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** The reference step (ref_step.ts) in jax-js: vjp of the 2-block stack w.r.t. input and all weights. */
async function refStep(
  // biome-ignore lint/suspicious/noExplicitAny: the jax-js module
  jax: any,
  rand: (shape: number[], std?: number) => JArray,
  run: (f: JArray, args: JArray[]) => Promise<number>,
): Promise<number> {
  const { numpy: np, nn } = jax;
  const { layers, d, heads, ff, seq, batch } = REF;
  const Dh = d / heads;
  const names = ["ln1w", "ln1b", "wqkv", "bqkv", "wo", "bo", "ln2w", "ln2b", "w1", "b1", "w2", "b2"];
  const params: JArray[] = [];
  for (let l = 0; l < layers; l++)
    params.push(
      np.ones([d]),
      np.zeros([d]),
      rand([d, 3 * d], 0.02),
      np.zeros([3 * d]),
      rand([d, d], 0.02),
      np.zeros([d]),
      np.ones([d]),
      np.zeros([d]),
      rand([d, ff], 0.02),
      np.zeros([ff]),
      rand([ff, d], 0.02),
      np.zeros([d]),
    );
  const ln = (x: JArray, w: JArray, b: JArray) => nn.standardize(x, -1, { epsilon: 1e-5 }).mul(w).add(b);
  const forward = (x: JArray, ...ps: JArray[]) => {
    for (let l = 0; l < layers; l++) {
      const p = Object.fromEntries(names.map((n, i) => [n, ps[l * names.length + i]]));
      const qkv = np.matmul(ln(x.ref, p.ln1w, p.ln1b), p.wqkv).add(p.bqkv);
      const [q, k, v] = np.split(qkv, 3, -1).map((t: JArray) => t.reshape([batch, seq, heads, Dh]));
      const att = nn.dotProductAttention(q, k, v, { isCausal: true }).reshape([batch, seq, d]);
      const h = x.add(np.matmul(att, p.wo).add(p.bo));
      const g = nn.gelu(np.matmul(ln(h.ref, p.ln2w, p.ln2b), p.w1).add(p.b1));
      x = h.add(np.matmul(g, p.w2).add(p.b2));
    }
    return x;
  };
  const step = jax.jit((x: JArray, dY: JArray, ...ps: JArray[]) => {
    const [, back] = jax.vjp(forward, [x, ...ps]);
    return back(dY);
  });
  const args = [rand([batch, seq, d]), rand([batch, seq, d]), ...params];
  const ms = await run(step, args);
  step.dispose?.();
  for (const a of args) a.dispose();
  return ms;
}
