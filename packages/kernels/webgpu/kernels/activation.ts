/**
 * WGSL activations: GELU (tanh approximation, GPT-2 gelu_new), SiLU, SwiGLU, forward and backward,
 * elementwise through `ew`. tanh's argument is clamped to ±15 (tanh is ±1 to f32 precision there) so
 * large inputs cannot overflow exp inside tanh into NaN.
 *
 * Test: webgpu/spec_test.ts (spec/activation_test.ts, spec/alias_test.ts).
 */
import type { SwigluArgs, SwigluBackwardArgs, UnaryArgs, UnaryBackwardArgs } from "../../kernel_types.ts";
import { ew } from "./elementwise.ts";

const C = "0.7978845608028654";
const TANH = (u: string) => `tanh(clamp(${u}, -15.0, 15.0))`;
const SIG = (v: string) => `(1.0 / (1.0 + exp(-${v})))`;

export function gelu({ x, out }: UnaryArgs): void {
  ew(
    "gelu",
    [["out", out]],
    [["x", x]],
    `out[i] = 0.5 * x_ * (1.0 + ${TANH(`${C} * (x_ + 0.044715 * x_ * x_ * x_)`)});`,
  );
}

export function geluBackward({ dOut, x, dX }: UnaryBackwardArgs): void {
  ew(
    "geluBackward",
    [["dX", dX]],
    [
      ["g", dOut],
      ["x", x],
    ],
    `let t = ${TANH(`${C} * (x_ + 0.044715 * x_ * x_ * x_)`)};
let du = ${C} * (1.0 + 3.0 * 0.044715 * x_ * x_);
dX[i] = g_ * (0.5 * (1.0 + t) + 0.5 * x_ * (1.0 - t * t) * du);`,
  );
}

export function silu({ x, out }: UnaryArgs): void {
  ew("silu", [["out", out]], [["x", x]], `out[i] = x_ * ${SIG("x_")};`);
}

export function siluBackward({ dOut, x, dX }: UnaryBackwardArgs): void {
  ew(
    "siluBackward",
    [["dX", dX]],
    [
      ["g", dOut],
      ["x", x],
    ],
    `let s = ${SIG("x_")};\ndX[i] = g_ * s * (1.0 + x_ * (1.0 - s));`,
  );
}

export function swiglu({ gate, up, out }: SwigluArgs): void {
  ew(
    "swiglu",
    [["out", out]],
    [
      ["a", gate],
      ["u", up],
    ],
    `out[i] = a_ * ${SIG("a_")} * u_;`,
  );
}

export function swigluBackward({ dOut, gate, up, dGate, dUp }: SwigluBackwardArgs): void {
  ew(
    "swigluBackward",
    [
      ["dg", dGate],
      ["du", dUp],
    ],
    [
      ["g", dOut],
      ["a", gate],
      ["u", up],
    ],
    `let s = ${SIG("a_")};\ndu[i] = g_ * a_ * s;\ndg[i] = g_ * u_ * s * (1.0 + a_ * (1.0 - s));`,
  );
}
