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
import { getEngine, type KernelExport } from "../engine.ts";
import { ptrOf } from "./matmul.ts";
import type { Tensor } from "../../tensor.ts";

/** Elements per work unit (a multiple of 4). */
const CHUNK = 16384;

function launch(kernel: KernelExport, n: number, tensors: Tensor[]): void {
  const e = getEngine();
  if (n === 0) return;
  const w = e.args;
  w[1] = n;
  w[2] = CHUNK;
  tensors.forEach((t, i) => {
    w[3 + i] = ptrOf(t);
  });
  e.run(kernel, n > CHUNK);
}

export const gelu = ({ x, out }: UnaryArgs) => launch("gelu", x.size, [x, out]);
export const geluBackward = ({ dOut, x, dX }: UnaryBackwardArgs) =>
  launch("geluBackward", x.size, [dOut, x, dX]);
export const silu = ({ x, out }: UnaryArgs) => launch("silu", x.size, [x, out]);
export const siluBackward = ({ dOut, x, dX }: UnaryBackwardArgs) =>
  launch("siluBackward", x.size, [dOut, x, dX]);
export const swiglu = ({ gate, up, out }: SwigluArgs) => launch("swiglu", gate.size, [gate, up, out]);
export const swigluBackward = (a: SwigluBackwardArgs) =>
  launch("swigluBackward", a.gate.size, [a.dOut, a.gate, a.up, a.dGate, a.dUp]);

export function adamw(a: AdamWArgs): void {
  const e = getEngine();
  const f = e.argsF32;
  const bc1 = 1 - a.beta1 ** a.step;
  const bc2 = 1 - a.beta2 ** a.step;
  f[7] = a.beta1;
  f[8] = a.beta2;
  f[9] = a.lr / bc1;
  f[10] = 1 / Math.sqrt(bc2);
  f[11] = a.eps;
  f[12] = 1 - a.lr * a.weightDecay;
  launch("adamw", a.param.size, [a.param, a.grad, a.m, a.v]);
}
