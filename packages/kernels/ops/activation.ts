/**
 * Activations and their backward (elementwise, any shape).
 *
 *   gelu(x) (tanh approximation, GPT-2's "gelu_new")   geluBackward(dOut, x) → dX
 *   silu(x) = x·σ(x)                                    siluBackward(dOut, x) → dX
 *   swiglu(gate, up) = silu(gate)·up                    swigluBackward(dOut, gate, up) → {dGate, dUp}
 *
 * Test: packages/kernels/spec/activation_test.ts.
 */
import type { Tensor } from "../tensor.ts";
import { alloc, checkInputs, expectShape, run } from "./check.ts";

function unary(kernel: "gelu" | "silu", x: Tensor): Tensor {
  const { backend, dtype } = checkInputs(kernel, { x });
  const out = alloc(kernel, backend, x.shape, dtype, false);
  run(kernel, backend, { x, out });
  return out;
}

function unaryBackward(kernel: "geluBackward" | "siluBackward", dOut: Tensor, x: Tensor): Tensor {
  const { backend, dtype } = checkInputs(kernel, { dOut, x });
  expectShape(kernel, "dOut", dOut, x.shape, { dOut, x });
  const dX = alloc(kernel, backend, x.shape, dtype, false);
  run(kernel, backend, { dOut, x, dX });
  return dX;
}

/** GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function gelu(x: Tensor): Tensor {
  return unary("gelu", x);
}

export function geluBackward(dOut: Tensor, x: Tensor): Tensor {
  return unaryBackward("geluBackward", dOut, x);
}

/** SiLU (swish): x·σ(x). */
export function silu(x: Tensor): Tensor {
  return unary("silu", x);
}

export function siluBackward(dOut: Tensor, x: Tensor): Tensor {
  return unaryBackward("siluBackward", dOut, x);
}

/** SwiGLU: silu(gate)·up (gate and up same shape). */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  const { backend, dtype } = checkInputs("swiglu", { gate, up });
  expectShape("swiglu", "up", up, gate.shape, { gate, up });
  const out = alloc("swiglu", backend, gate.shape, dtype, false);
  run("swiglu", backend, { gate, up, out });
  return out;
}

export function swigluBackward(dOut: Tensor, gate: Tensor, up: Tensor): { dGate: Tensor; dUp: Tensor } {
  const k = "swigluBackward";
  const { backend, dtype } = checkInputs(k, { dOut, gate, up });
  expectShape(k, "up", up, gate.shape, { dOut, gate, up });
  expectShape(k, "dOut", dOut, gate.shape, { dOut, gate, up });
  const dGate = alloc(k, backend, gate.shape, dtype, false);
  const dUp = alloc(k, backend, gate.shape, dtype, false);
  run(k, backend, { dOut, gate, up, dGate, dUp });
  return { dGate, dUp };
}
