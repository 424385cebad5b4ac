/**
 * Host side of the elementwise kernels (assembly/activation.ts): GELU, SiLU, SwiGLU forward and
 * backward, and AdamW. The flat arrays are cut into CHUNK-element units.
 *
 * Test: spec/activation_test.ts, spec/optim_test.ts (against ts) and wasm/rows_test.ts (2 threads).
 */
import type {
  AdamWArgs,
  SwigluArgs,
  SwigluBackwardArgs,
  UnaryArgs,
  UnaryBackwardArgs,
} from "../../kernel_types.ts";
import type { ArgsOf } from "../args.ts";
import { getEngine } from "../engine.ts";
import { ptrs } from "./matmul.ts";

/** Elements per work unit (a multiple of 4). */
const CHUNK = 16384;

type Flat = "gelu" | "geluBackward" | "silu" | "siluBackward" | "swiglu" | "swigluBackward" | "adamw";

/** Runs a kernel over n elements in chunks of CHUNK, in parallel when there is more than one. */
function launch<K extends Flat>(kernel: K, n: number, fields: Omit<ArgsOf<K>, "n" | "size">): void {
  if (n > 0) getEngine().run(kernel, { n, size: CHUNK, ...fields } as ArgsOf<K>, n > CHUNK);
}

export const gelu = ({ x, out }: UnaryArgs) => launch("gelu", x.size, ptrs({ x, out }));
export const geluBackward = ({ dOut, x, dX }: UnaryBackwardArgs) =>
  launch("geluBackward", x.size, ptrs({ dOut, x, dX }));
export const silu = ({ x, out }: UnaryArgs) => launch("silu", x.size, ptrs({ x, out }));
export const siluBackward = ({ dOut, x, dX }: UnaryBackwardArgs) =>
  launch("siluBackward", x.size, ptrs({ dOut, x, dX }));
export const swiglu = ({ gate, up, out }: SwigluArgs) => launch("swiglu", gate.size, ptrs({ gate, up, out }));
export const swigluBackward = ({ dOut, gate, up, dGate, dUp }: SwigluBackwardArgs) =>
  launch("swigluBackward", gate.size, ptrs({ dOut, gate, up, dGate, dUp }));

export function adamw(a: AdamWArgs): void {
  const { param, grad, m, v, beta1, beta2, eps } = a;
  launch("adamw", param.size, {
    ...ptrs({ param, grad, m, v }),
    ...{
      beta1,
      beta2,
      eps,
      stepSize: a.lr / (1 - beta1 ** a.step),
      rBc2: 1 / Math.sqrt(1 - beta2 ** a.step),
    },
    decay: 1 - a.lr * a.weightDecay,
  });
}
