// Spec: bad input gets an error naming the kernel, the shapes and the fix — one test per class.
import { describe, expect, it } from "vitest";
import { tensor, zeros } from "../create.ts";
import { attention } from "../ops/attention.ts";
import { add } from "../ops/elementwise.ts";
import { embedding } from "../ops/embedding.ts";
import { logSoftmaxGather } from "../ops/logprob.ts";
import { matmul } from "../ops/matmul.ts";
import { layernorm } from "../ops/norm.ts";
import { registerBackend, setBackend } from "../registry.ts";
import { tsBackend } from "../backends/ts/mod.ts";
import "./harness.ts";

describe("errors", () => {
  it("shape mismatch names the kernel, both shapes and the fix", () => {
    expect(() => matmul(zeros([2, 3]), zeros([4, 5]))).toThrow(
      /^matmul: inner dimensions differ: op\(a\) is \[2,3\] and op\(b\) is \[4,5\].*\(got a \[2,3\] f32, b \[4,5\] f32\)\. Fix: /,
    );
    expect(() => add(zeros([2, 3]), zeros([2]))).toThrow(
      /^add: b's shape must equal a's shape or a suffix .*a \[2,3\] f32, b \[2\] f32.*Fix: /,
    );
    expect(() => layernorm(zeros([2, 3]), zeros([4]), null)).toThrow(
      /^layernorm: "weight" must have shape \[3\].*Fix: /,
    );
    expect(() => attention(zeros([1, 4, 3, 2]), zeros([1, 4, 2, 2]), zeros([1, 4, 2, 2]))).toThrow(
      /^attention: query heads H=3 must be a multiple of kv heads Hkv=2 .*Fix: /,
    );
  });

  it("wrong dtype names the tensor and the fix", () => {
    expect(() => embedding(zeros([3]), zeros([5, 2]))).toThrow(
      /^embedding: "ids" must be an i32 tensor .*ids \[3\] f32.*Fix: create "ids" with \{dtype: "i32"\}/,
    );
    expect(() => logSoftmaxGather(zeros([2, 3], { dtype: "i32" }), zeros([2], { dtype: "i32" }))).toThrow(
      /^logSoftmaxGather: "logits" must be a float tensor .*Fix: cast "logits" to f32/,
    );
    expect(() => add(zeros([2]), zeros([2], { dtype: "f64" }))).toThrow(
      /^add: float inputs mix f32 and f64 .*Fix: /,
    );
  });

  it("a disposed tensor names the kernel and its shape", () => {
    const a = zeros([2, 7]);
    a.dispose();
    expect(() => matmul(a, zeros([7, 1]))).toThrow(
      /^matmul: "a" tensor \[2,7\] f32 was already disposed\. Fix: /,
    );
    expect(() => a.readSync()).toThrow(/readSync: .*\[2,7\].*disposed/);
  });

  it("an unknown backend lists the registered ones", () => {
    expect(() => setBackend("webgpu")).toThrow(
      /^setBackend: unknown backend "webgpu"\. Registered backends: ts.*\. Fix: /,
    );
    expect(() => zeros([2], { backend: "nope" })).toThrow(/^zeros: unknown backend "nope"/);
  });

  it("mixed backends are refused", () => {
    registerBackend({ ...tsBackend, name: "other" });
    expect(() => add(zeros([2]), zeros([2], { backend: "other" }))).toThrow(
      /^add: inputs live on different backends .*Fix: /,
    );
  });

  it("bad data length and bad reshape say what to pass", () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(
      /^tensor: got 3 values for shape \[2,2\] \(4 elements\)\. Fix: /,
    );
    expect(() => zeros([6]).reshape([4])).toThrow(/^reshape: cannot view tensor \[6\] .* as \[4\]/);
  });
});
