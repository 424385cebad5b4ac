/**
 * Memory scopes: `tidy(fn)` disposes every tensor created while fn runs, except the tensors it returns
 * (found inside returned arrays and plain objects too) and those passed to `keep()`. Tensors a nested
 * tidy returns belong to the enclosing scope. `memory()` reports live tensors, storages and bytes.
 *
 * Test: packages/kernels/spec/tensor_test.ts.
 */
import { liveStats, scopeHooks, Tensor } from "./tensor.ts";

const stack: Tensor[][] = [];
const kept = new WeakSet<Tensor>();

scopeHooks.track = (t) => {
  const top = stack[stack.length - 1];
  if (top) top.push(t);
};

/** Collects the tensors inside a returned value (tensor, array, plain object; one level of nesting each). */
function collect(value: unknown, into: Set<Tensor>, depth = 0): void {
  if (value instanceof Tensor) {
    into.add(value);
  } else if (depth < 4 && Array.isArray(value)) {
    for (const v of value) collect(v, into, depth + 1);
  } else if (depth < 4 && value !== null && typeof value === "object" && !ArrayBuffer.isView(value)) {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      for (const v of Object.values(value)) collect(v, into, depth + 1);
    }
  }
}

/**
 * Runs fn and disposes the tensors it created, except the ones it returns or `keep()`s.
 * fn must be synchronous (a returned Promise throws: scopes cannot span an await).
 */
export function tidy<T>(fn: () => T): T {
  const scope: Tensor[] = [];
  stack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    for (const t of scope) if (!kept.has(t)) t.dispose();
    throw e;
  }
  stack.pop();
  if (result instanceof Promise) {
    throw new Error("tidy: fn returned a Promise; scopes cannot span an await. Fix: make fn synchronous.");
  }
  const out = new Set<Tensor>();
  collect(result, out);
  const parent = stack[stack.length - 1];
  for (const t of scope) {
    if (out.has(t) || kept.has(t)) {
      if (parent && !kept.has(t)) parent.push(t);
    } else {
      t.dispose();
    }
  }
  return result;
}

/** Exempts a tensor from every enclosing tidy() scope (you dispose it yourself). Returns it. */
export function keep<T extends Tensor>(t: T): T {
  kept.add(t);
  return t;
}

/** Disposes every tensor found in a value (tensor, array or plain object of tensors). */
export function dispose(value: unknown): void {
  const set = new Set<Tensor>();
  collect(value, set);
  for (const t of set) t.dispose();
}

/** Live tensor objects, live storages and their bytes, across all backends. */
export function memory(): { tensors: number; storages: number; bytes: number } {
  return { ...liveStats };
}
