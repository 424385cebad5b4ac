/**
 * Relaxed-SIMD detection. V8 ships `f32x4.relaxed_madd` from 11.4 (Node 22); Node 20's V8 11.3 has it
 * behind --experimental-wasm-relaxed-simd, which the Node host switches on at run time before compiling.
 * We try the flag, then validate a one-function module that uses relaxed_madd; a false result means
 * the baseline SIMD128 build is used.
 *
 * Test: packages/kernels/wasm/engine_test.ts.
 */
import host from "#wasm-host";

/** (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd)) */
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32,
  1, 32, 2, 253, 133, 2, 11,
]);

/** Plain SIMD128 probe: (func (param v128 v128) (result v128) local.get 0 local.get 1 f32x4.add). */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 2, 123, 123, 1, 123, 3, 2, 1, 0, 10, 11, 1, 9, 0, 32, 0, 32, 1,
  253, 228, 1, 11,
]);

let relaxed: boolean | undefined;

/** True when this engine compiles relaxed SIMD (after enabling V8's flag where needed). */
export function relaxedSimdSupported(): boolean {
  if (relaxed !== undefined) return relaxed;
  relaxed = WebAssembly.validate(RELAXED_PROBE);
  if (!relaxed) {
    host.enableRelaxedSimd();
    relaxed = WebAssembly.validate(RELAXED_PROBE);
  }
  return relaxed;
}

/** True when this engine compiles fixed-width SIMD (required by both builds). */
export function simdSupported(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}
