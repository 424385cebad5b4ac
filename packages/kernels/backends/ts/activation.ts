/**
 * Reference activations: GELU (tanh approximation), SiLU, SwiGLU, forward and backward.
 */
import type { SwigluArgs, SwigluBackwardArgs, UnaryArgs, UnaryBackwardArgs } from "../../kernel_types.ts";
import { F } from "./util.ts";

const C = Math.sqrt(2 / Math.PI);

export function gelu({ x, out }: UnaryArgs): void {
  const a = F(x);
  const o = F(out);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    o[i] = 0.5 * v * (1 + Math.tanh(C * (v + 0.044715 * v * v * v)));
  }
}

export function geluBackward({ dOut, x, dX }: UnaryBackwardArgs): void {
  const a = F(x);
  const g = F(dOut);
  const o = F(dX);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    const u = C * (v + 0.044715 * v * v * v);
    const t = Math.tanh(u);
    const du = C * (1 + 3 * 0.044715 * v * v);
    o[i] = g[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du);
  }
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export function silu({ x, out }: UnaryArgs): void {
  const a = F(x);
  const o = F(out);
  for (let i = 0; i < a.length; i++) o[i] = a[i]! * sigmoid(a[i]!);
}

export function siluBackward({ dOut, x, dX }: UnaryBackwardArgs): void {
  const a = F(x);
  const g = F(dOut);
  const o = F(dX);
  for (let i = 0; i < a.length; i++) {
    const s = sigmoid(a[i]!);
    o[i] = g[i]! * s * (1 + a[i]! * (1 - s));
  }
}

export function swiglu({ gate, up, out }: SwigluArgs): void {
  const a = F(gate);
  const u = F(up);
  const o = F(out);
  for (let i = 0; i < a.length; i++) o[i] = a[i]! * sigmoid(a[i]!) * u[i]!;
}

export function swigluBackward({ dOut, gate, up, dGate, dUp }: SwigluBackwardArgs): void {
  const a = F(gate);
  const u = F(up);
  const g = F(dOut);
  const dg = F(dGate);
  const du = F(dUp);
  for (let i = 0; i < a.length; i++) {
    const s = sigmoid(a[i]!);
    const si = a[i]! * s;
    du[i] = g[i]! * si;
    dg[i] = g[i]! * u[i]! * s * (1 + a[i]! * (1 - s));
  }
}
