/**
 * The safetensors file format, read and write, without dependencies: an 8-byte little-endian header
 * length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {…}}`
 * (offsets relative to the end of the header), then the raw little-endian tensor bytes.
 *
 * Reading converts F32, F16, BF16 and F64 to Float32Array; other dtypes are refused with the tensor's
 * name. `readSafetensors(path)` (safetensors_file.ts, `@mempo/model/node`) reads a file tensor by tensor
 * through a file handle (positioned reads),
 * so files above Node's 2 GiB `readFile` limit load and peak memory is the f32 result plus one
 * tensor's bytes. Writing emits F32 (or BF16 with `{dtype: "BF16"}`, rounded to nearest even); the
 * header is space-padded to a multiple of 8 bytes, as the reference implementation does. The npm
 * `safetensors` package is an unmaintained 0.0.1 stub, hence this file.
 *
 * Test: `npx vitest run safetensors_test.ts`.
 */

/** One tensor as stored in memory: row-major f32 values and a shape. */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

/** A parsed file: tensors by name (file order) and the optional string metadata. */
export interface SafetensorsFile {
  tensors: Map<string, NamedTensor & { dtype: string }>;
  metadata: Record<string, string>;
}

export const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

/**
 * Parses a safetensors buffer.
 * @param where a label for error messages (usually the file path).
 * @throws Error naming the file, the tensor and what is inconsistent.
 */
export function parseSafetensors(bytes: Uint8Array, where = "<buffer>"): SafetensorsFile {
  if (bytes.byteLength < 8)
    throw new Error(
      `safetensors ${where}: file is ${bytes.byteLength} bytes; too short for the 8-byte header length`,
    );
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const layout = parseHeader(bytes, n, bytes.byteLength, where);
  const tensors: SafetensorsFile["tensors"] = new Map();
  for (const e of layout.entries)
    tensors.set(e.name, {
      dtype: e.dtype,
      shape: e.shape,
      data: decode(bytes, layout.base + e.begin, e.count, e.dtype),
    });
  return { tensors, metadata: layout.metadata };
}

export interface HeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
  count: number;
  begin: number;
}

/** Validates the JSON header (bytes 8 .. 8 + n of `head`) against a file of `fileSize` bytes. */
export function parseHeader(
  head: Uint8Array,
  n: number,
  fileSize: number,
  where: string,
): { entries: HeaderEntry[]; metadata: Record<string, string>; base: number } {
  const fail = (msg: string): never => {
    throw new Error(`safetensors ${where}: ${msg}`);
  };
  if (n > fileSize - 8)
    fail(`header length ${n} exceeds the file size ${fileSize}; the file is truncated or not safetensors`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(head.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header))
    fail("header is not a JSON object");
  const base = 8 + n;
  const dataLen = fileSize - base;
  const entries: HeaderEntry[] = [];
  const spans: [number, number, string][] = [];
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      metadata = (info ?? {}) as Record<string, string>;
      continue;
    }
    const t = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (t === null || typeof t !== "object") fail(`tensor "${name}": entry is not an object`);
    const dtype = String(t.dtype);
    const size = DTYPE_BYTES[dtype];
    if (size === undefined)
      fail(`tensor "${name}": dtype ${dtype} is not supported (F32, F16, BF16, F64 are)`);
    const shape = t.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(`tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    const offs = t.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0)) {
      fail(`tensor "${name}": data_offsets ${JSON.stringify(offs)} is not [begin, end]`);
    }
    const [b, e] = offs as [number, number];
    const count = (shape as number[]).reduce((a, d) => a * d, 1);
    if (e - b !== count * size!) {
      fail(
        `tensor "${name}": data_offsets [${b}, ${e}] hold ${e - b} bytes but shape [${shape}] × ${dtype} needs ${count * size!}`,
      );
    }
    if (e > dataLen)
      fail(
        `tensor "${name}": data_offsets end ${e} is past the data section (${dataLen} bytes); file truncated?`,
      );
    spans.push([b, e, name]);
    entries.push({ name, dtype, shape: [...(shape as number[])], count, begin: b });
  }
  checkSpans(spans, dataLen, fail);
  return { entries, metadata, base };
}

/**
 * The tensors' byte ranges must tile the data section exactly, as the reference implementation
 * requires: no overlap (two tensors reading the same bytes), no gap, nothing after the last one.
 */
function checkSpans(spans: [number, number, string][], dataLen: number, fail: (m: string) => never): void {
  spans.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let at = 0;
  let prev = "the start of the data section";
  for (const [b, e, name] of spans) {
    if (b < at)
      fail(
        `tensor "${name}": data_offsets [${b}, ${e}] overlap ${prev} (ends at ${at}); the header is corrupt`,
      );
    if (b > at)
      fail(
        `tensor "${name}": data_offsets begin ${b} leaves a gap after ${prev} (ends at ${at}); the header is corrupt`,
      );
    at = e;
    prev = `tensor "${name}"`;
  }
  if (at !== dataLen)
    fail(
      `the tensors end at byte ${at} of a ${dataLen}-byte data section; the file has trailing bytes or a corrupt header`,
    );
}

export function decode(bytes: Uint8Array, at: number, count: number, dtype: string): Float32Array {
  const out = new Float32Array(count);
  if (dtype === "F32") {
    new Uint8Array(out.buffer).set(bytes.subarray(at, at + 4 * count));
    return out;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, count * DTYPE_BYTES[dtype]!);
  if (dtype === "F64") {
    for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, true);
  } else if (dtype === "BF16") {
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) u[i] = dv.getUint16(2 * i, true) << 16;
  } else {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
  }
  return out;
}

/** IEEE 754 binary16 → number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f === 0 ? s * Infinity : Number.NaN;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * Serializes tensors as F32 safetensors, in the given order.
 * @throws Error when a tensor's data length does not match its shape.
 */
export function serializeSafetensors(
  tensors: Iterable<[string, NamedTensor]>,
  metadata: Record<string, string> = {},
  opts: { dtype?: "F32" | "BF16" } = {},
): Uint8Array {
  const dtype = opts.dtype ?? "F32";
  const width = dtype === "F32" ? 4 : 2;
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const list: [string, NamedTensor][] = [];
  let off = 0;
  for (const [name, t] of tensors) {
    const count = t.shape.reduce((a, d) => a * d, 1);
    if (count !== t.data.length) {
      throw new Error(
        `serializeSafetensors: tensor "${name}" has ${t.data.length} values but shape [${t.shape}] needs ${count}`,
      );
    }
    header[name] = { dtype, shape: t.shape, data_offsets: [off, off + width * count] };
    off += width * count;
    list.push([name, t]);
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.byteLength % 8)) % 8;
  if (pad > 0) json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(pad));
  const out = new Uint8Array(8 + json.byteLength + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let at = 8 + json.byteLength;
  for (const [, t] of list) {
    if (dtype === "F32") out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    else {
      const dv = new DataView(out.buffer, at, 2 * t.data.length);
      for (let i = 0; i < t.data.length; i++) dv.setUint16(2 * i, floatToBf16(t.data[i]!), true);
    }
    at += width * t.data.length;
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** f32 → bf16 bits, rounded to nearest even (NaN stays a quiet NaN). */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const u = u32[0]!;
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 0x40) & 0xffff;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}
