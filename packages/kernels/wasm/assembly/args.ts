// Generated from ../args.ts (the argument layouts) by `npx tsx wasm/args.ts`. Do not edit: the
// engine refuses to build or load the kernels while this file differs from that table.
// One namespace per kernel export; each field's reader takes the argument block pointer.

export namespace MatmulArgs {
  @inline export function a(args: usize): usize { return <usize>load<i32>(args, 4); }
  @inline export function b(args: usize): usize { return <usize>load<i32>(args, 8); }
  @inline export function out(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function bias(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function batch(args: usize): i32 { return load<i32>(args, 20); }
  @inline export function M(args: usize): i32 { return load<i32>(args, 24); }
  @inline export function N(args: usize): i32 { return load<i32>(args, 28); }
  @inline export function K(args: usize): i32 { return load<i32>(args, 32); }
  @inline export function transA(args: usize): bool { return load<i32>(args, 36) != 0; }
  @inline export function transB(args: usize): bool { return load<i32>(args, 40) != 0; }
  @inline export function strideA(args: usize): i32 { return load<i32>(args, 44); }
  @inline export function strideB(args: usize): i32 { return load<i32>(args, 48); }
  @inline export function strideOut(args: usize): i32 { return load<i32>(args, 52); }
  @inline export function accumulate(args: usize): bool { return load<i32>(args, 56) != 0; }
  @inline export function rowsPerUnit(args: usize): i32 { return load<i32>(args, 60); }
  @inline export function colsPerUnit(args: usize): i32 { return load<i32>(args, 64); }
  @inline export function rowUnits(args: usize): i32 { return load<i32>(args, 68); }
  @inline export function colUnits(args: usize): i32 { return load<i32>(args, 72); }
  @inline export function batchUnits(args: usize): i32 { return load<i32>(args, 76); }
}

export namespace AttentionArgs {
  @inline export function q(args: usize): usize { return <usize>load<i32>(args, 4); }
  @inline export function k(args: usize): usize { return <usize>load<i32>(args, 8); }
  @inline export function v(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function out(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function B(args: usize): i32 { return load<i32>(args, 20); }
  @inline export function T(args: usize): i32 { return load<i32>(args, 24); }
  @inline export function H(args: usize): i32 { return load<i32>(args, 28); }
  @inline export function Hkv(args: usize): i32 { return load<i32>(args, 32); }
  @inline export function Dh(args: usize): i32 { return load<i32>(args, 36); }
  @inline export function scale(args: usize): f32 { return load<f32>(args, 40); }
  @inline export function keyStart(args: usize): usize { return <usize>load<i32>(args, 44); }
  @inline export function BQ(args: usize): i32 { return load<i32>(args, 48); }
  @inline export function scratch(args: usize): usize { return <usize>load<i32>(args, 52); }
  @inline export function scratchBytes(args: usize): i32 { return load<i32>(args, 56); }
  @inline export function lse(args: usize): usize { return <usize>load<i32>(args, 60); }
  @inline export function keyEnd(args: usize): usize { return <usize>load<i32>(args, 64); }
  @inline export function blocks(args: usize): usize { return <usize>load<i32>(args, 68); }
  @inline export function nBlocks(args: usize): i32 { return load<i32>(args, 72); }
  @inline export function rowFirst(args: usize): usize { return <usize>load<i32>(args, 76); }
  @inline export function prefixLen(args: usize): usize { return <usize>load<i32>(args, 80); }
}

export namespace AttentionBackwardArgs {
  @inline export function q(args: usize): usize { return <usize>load<i32>(args, 4); }
  @inline export function k(args: usize): usize { return <usize>load<i32>(args, 8); }
  @inline export function v(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function out(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function B(args: usize): i32 { return load<i32>(args, 20); }
  @inline export function T(args: usize): i32 { return load<i32>(args, 24); }
  @inline export function H(args: usize): i32 { return load<i32>(args, 28); }
  @inline export function Hkv(args: usize): i32 { return load<i32>(args, 32); }
  @inline export function Dh(args: usize): i32 { return load<i32>(args, 36); }
  @inline export function scale(args: usize): f32 { return load<f32>(args, 40); }
  @inline export function keyStart(args: usize): usize { return <usize>load<i32>(args, 44); }
  @inline export function BQ(args: usize): i32 { return load<i32>(args, 48); }
  @inline export function scratch(args: usize): usize { return <usize>load<i32>(args, 52); }
  @inline export function scratchBytes(args: usize): i32 { return load<i32>(args, 56); }
  @inline export function lse(args: usize): usize { return <usize>load<i32>(args, 60); }
  @inline export function keyEnd(args: usize): usize { return <usize>load<i32>(args, 64); }
  @inline export function blocks(args: usize): usize { return <usize>load<i32>(args, 68); }
  @inline export function nBlocks(args: usize): i32 { return load<i32>(args, 72); }
  @inline export function rowFirst(args: usize): usize { return <usize>load<i32>(args, 76); }
  @inline export function prefixLen(args: usize): usize { return <usize>load<i32>(args, 80); }
  @inline export function dOut(args: usize): usize { return <usize>load<i32>(args, 84); }
  @inline export function dQ(args: usize): usize { return <usize>load<i32>(args, 88); }
  @inline export function dK(args: usize): usize { return <usize>load<i32>(args, 92); }
  @inline export function dV(args: usize): usize { return <usize>load<i32>(args, 96); }
}

export namespace AttentionDecodeArgs {
  @inline export function q(args: usize): usize { return <usize>load<i32>(args, 4); }
  @inline export function k(args: usize): usize { return <usize>load<i32>(args, 8); }
  @inline export function v(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function out(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function B(args: usize): i32 { return load<i32>(args, 20); }
  @inline export function T(args: usize): i32 { return load<i32>(args, 24); }
  @inline export function H(args: usize): i32 { return load<i32>(args, 28); }
  @inline export function Hkv(args: usize): i32 { return load<i32>(args, 32); }
  @inline export function Dh(args: usize): i32 { return load<i32>(args, 36); }
  @inline export function scale(args: usize): f32 { return load<f32>(args, 40); }
  @inline export function keyStart(args: usize): usize { return <usize>load<i32>(args, 44); }
  @inline export function BQ(args: usize): i32 { return load<i32>(args, 48); }
  @inline export function scratch(args: usize): usize { return <usize>load<i32>(args, 52); }
  @inline export function scratchBytes(args: usize): i32 { return load<i32>(args, 56); }
  @inline export function Tmax(args: usize): i32 { return load<i32>(args, 60); }
  @inline export function pos(args: usize): usize { return <usize>load<i32>(args, 64); }
}

export namespace GeluArgs {
  @inline export function n(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function size(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function x(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function out(args: usize): usize { return <usize>load<i32>(args, 16); }
}

export namespace GeluBackwardArgs {
  @inline export function n(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function size(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function dOut(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function x(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function dX(args: usize): usize { return <usize>load<i32>(args, 20); }
}

export namespace SiluArgs {
  @inline export function n(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function size(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function x(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function out(args: usize): usize { return <usize>load<i32>(args, 16); }
}

export namespace SiluBackwardArgs {
  @inline export function n(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function size(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function dOut(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function x(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function dX(args: usize): usize { return <usize>load<i32>(args, 20); }
}

export namespace SwigluArgs {
  @inline export function n(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function size(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function gate(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function up(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function out(args: usize): usize { return <usize>load<i32>(args, 20); }
}

export namespace SwigluBackwardArgs {
  @inline export function n(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function size(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function dOut(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function gate(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function up(args: usize): usize { return <usize>load<i32>(args, 20); }
  @inline export function dGate(args: usize): usize { return <usize>load<i32>(args, 24); }
  @inline export function dUp(args: usize): usize { return <usize>load<i32>(args, 28); }
}

export namespace AdamwArgs {
  @inline export function n(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function size(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function param(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function grad(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function m(args: usize): usize { return <usize>load<i32>(args, 20); }
  @inline export function v(args: usize): usize { return <usize>load<i32>(args, 24); }
  @inline export function beta1(args: usize): f32 { return load<f32>(args, 28); }
  @inline export function beta2(args: usize): f32 { return load<f32>(args, 32); }
  @inline export function stepSize(args: usize): f32 { return load<f32>(args, 36); }
  @inline export function rBc2(args: usize): f32 { return load<f32>(args, 40); }
  @inline export function eps(args: usize): f32 { return load<f32>(args, 44); }
  @inline export function decay(args: usize): f32 { return load<f32>(args, 48); }
}

export namespace LayernormArgs {
  @inline export function rows(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function D(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function per(args: usize): i32 { return load<i32>(args, 12); }
  @inline export function x(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function weight(args: usize): usize { return <usize>load<i32>(args, 20); }
  @inline export function bias(args: usize): usize { return <usize>load<i32>(args, 24); }
  @inline export function out(args: usize): usize { return <usize>load<i32>(args, 28); }
  @inline export function mean(args: usize): usize { return <usize>load<i32>(args, 32); }
  @inline export function rstd(args: usize): usize { return <usize>load<i32>(args, 36); }
  @inline export function eps(args: usize): f32 { return load<f32>(args, 40); }
}

export namespace LayernormBackwardArgs {
  @inline export function rows(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function D(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function per(args: usize): i32 { return load<i32>(args, 12); }
  @inline export function dOut(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function x(args: usize): usize { return <usize>load<i32>(args, 20); }
  @inline export function weight(args: usize): usize { return <usize>load<i32>(args, 24); }
  @inline export function mean(args: usize): usize { return <usize>load<i32>(args, 28); }
  @inline export function rstd(args: usize): usize { return <usize>load<i32>(args, 32); }
  @inline export function dX(args: usize): usize { return <usize>load<i32>(args, 36); }
  @inline export function parts(args: usize): usize { return <usize>load<i32>(args, 40); }
}

export namespace RmsnormArgs {
  @inline export function rows(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function D(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function per(args: usize): i32 { return load<i32>(args, 12); }
  @inline export function x(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function weight(args: usize): usize { return <usize>load<i32>(args, 20); }
  @inline export function out(args: usize): usize { return <usize>load<i32>(args, 24); }
  @inline export function rstd(args: usize): usize { return <usize>load<i32>(args, 28); }
  @inline export function eps(args: usize): f32 { return load<f32>(args, 32); }
}

export namespace RmsnormBackwardArgs {
  @inline export function rows(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function D(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function per(args: usize): i32 { return load<i32>(args, 12); }
  @inline export function dOut(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function x(args: usize): usize { return <usize>load<i32>(args, 20); }
  @inline export function weight(args: usize): usize { return <usize>load<i32>(args, 24); }
  @inline export function rstd(args: usize): usize { return <usize>load<i32>(args, 28); }
  @inline export function dX(args: usize): usize { return <usize>load<i32>(args, 32); }
  @inline export function parts(args: usize): usize { return <usize>load<i32>(args, 36); }
}

export namespace SoftmaxArgs {
  @inline export function rows(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function D(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function per(args: usize): i32 { return load<i32>(args, 12); }
  @inline export function x(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function out(args: usize): usize { return <usize>load<i32>(args, 20); }
}

export namespace SoftmaxBackwardArgs {
  @inline export function rows(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function D(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function per(args: usize): i32 { return load<i32>(args, 12); }
  @inline export function dOut(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function out(args: usize): usize { return <usize>load<i32>(args, 20); }
  @inline export function dX(args: usize): usize { return <usize>load<i32>(args, 24); }
}

export namespace LogSoftmaxGatherArgs {
  @inline export function rows(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function D(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function per(args: usize): i32 { return load<i32>(args, 12); }
  @inline export function logits(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function targets(args: usize): usize { return <usize>load<i32>(args, 20); }
  @inline export function logp(args: usize): usize { return <usize>load<i32>(args, 24); }
  @inline export function lse(args: usize): usize { return <usize>load<i32>(args, 28); }
}

export namespace LogSoftmaxGatherBackwardArgs {
  @inline export function rows(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function D(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function per(args: usize): i32 { return load<i32>(args, 12); }
  @inline export function dLogp(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function logits(args: usize): usize { return <usize>load<i32>(args, 20); }
  @inline export function targets(args: usize): usize { return <usize>load<i32>(args, 24); }
  @inline export function lse(args: usize): usize { return <usize>load<i32>(args, 28); }
  @inline export function dLogits(args: usize): usize { return <usize>load<i32>(args, 32); }
}

export namespace SumPartsArgs {
  @inline export function parts(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function D(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function stride(args: usize): i32 { return load<i32>(args, 12); }
  @inline export function src(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function dst(args: usize): usize { return <usize>load<i32>(args, 20); }
}

export namespace BinaryArgs {
  @inline export function n(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function size(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function a(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function b(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function out(args: usize): usize { return <usize>load<i32>(args, 20); }
  @inline export function bSize(args: usize): i32 { return load<i32>(args, 24); }
  @inline export function op(args: usize): i32 { return load<i32>(args, 28); }
  @inline export function alpha(args: usize): f32 { return load<f32>(args, 32); }
}

export namespace SumLeadingArgs {
  @inline export function rows(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function cols(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function x(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function out(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function alpha(args: usize): f32 { return load<f32>(args, 20); }
}

export namespace CopyColumnsArgs {
  @inline export function rows(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function per(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function src(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function srcCols(args: usize): i32 { return load<i32>(args, 16); }
  @inline export function srcStart(args: usize): i32 { return load<i32>(args, 20); }
  @inline export function dst(args: usize): usize { return <usize>load<i32>(args, 24); }
  @inline export function dstCols(args: usize): i32 { return load<i32>(args, 28); }
  @inline export function dstStart(args: usize): i32 { return load<i32>(args, 32); }
  @inline export function n(args: usize): i32 { return load<i32>(args, 36); }
  @inline export function accumulate(args: usize): bool { return load<i32>(args, 40) != 0; }
}

export namespace FillArgs {
  @inline export function n(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function size(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function out(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function value(args: usize): f32 { return load<f32>(args, 16); }
}

export namespace SumSquaresArgs {
  @inline export function n(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function size(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function x(args: usize): usize { return <usize>load<i32>(args, 12); }
  @inline export function parts(args: usize): usize { return <usize>load<i32>(args, 16); }
}

export namespace PeakFmaArgs {
  @inline export function units(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function iters(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function sink(args: usize): usize { return <usize>load<i32>(args, 12); }
}

export namespace RopeArgs {
  @inline export function rows(args: usize): i32 { return load<i32>(args, 4); }
  @inline export function H(args: usize): i32 { return load<i32>(args, 8); }
  @inline export function Dh(args: usize): i32 { return load<i32>(args, 12); }
  @inline export function x(args: usize): usize { return <usize>load<i32>(args, 16); }
  @inline export function out(args: usize): usize { return <usize>load<i32>(args, 20); }
  @inline export function positions(args: usize): usize { return <usize>load<i32>(args, 24); }
  @inline export function table(args: usize): usize { return <usize>load<i32>(args, 28); }
  @inline export function interleaved(args: usize): bool { return load<i32>(args, 32) != 0; }
  @inline export function sign(args: usize): f32 { return load<f32>(args, 36); }
  @inline export function per(args: usize): i32 { return load<i32>(args, 40); }
}
