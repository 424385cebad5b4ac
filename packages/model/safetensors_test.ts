import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { floatToBf16, halfToFloat, parseSafetensors, serializeSafetensors } from "./safetensors.ts";
import { readSafetensors } from "./safetensors_file.ts";

/** Builds a file by hand, as another writer would (any dtype, raw bytes). */
function handMade(
  entries: [string, string, number[], Uint8Array][],
  meta?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = meta ? { __metadata__: meta } : {};
  let off = 0;
  for (const [name, dtype, shape, bytes] of entries) {
    header[name] = { dtype, shape, data_offsets: [off, off + bytes.byteLength] };
    off += bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let at = 8 + json.byteLength;
  for (const [, , , b] of entries) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}

describe("safetensors", () => {
  it("round-trips f32 tensors and metadata bit for bit", () => {
    const a = Float32Array.from([1.5, -2, 3e-8, Math.PI, 0, -0]);
    const b = Float32Array.from([7]);
    const bytes = serializeSafetensors(
      [
        ["w", { shape: [2, 3], data: a }],
        ["s", { shape: [], data: b }],
      ],
      { format: "pt" },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const f = parseSafetensors(bytes);
    expect(f.metadata).toEqual({ format: "pt" });
    expect([...f.tensors.keys()]).toEqual(["w", "s"]);
    expect(f.tensors.get("w")!.shape).toEqual([2, 3]);
    expect(new Uint32Array(f.tensors.get("w")!.data.buffer)).toEqual(new Uint32Array(a.buffer));
    expect(f.tensors.get("s")!.data[0]).toBe(7);
  });

  it("converts F16, BF16 and F64 to f32", () => {
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001]).buffer); // 1, -2, 0.333, 2^-24
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0x4049]).buffer); // 1, 3.140625
    const f64 = new Uint8Array(new Float64Array([0.1, -1e10]).buffer);
    const f = parseSafetensors(
      handMade([
        ["h", "F16", [4], f16],
        ["b", "BF16", [2], bf16],
        ["d", "F64", [2], f64],
      ]),
    );
    expect(Array.from(f.tensors.get("h")!.data)).toEqual([1, -2, Math.fround(halfToFloat(0x3555)), 2 ** -24]);
    expect(halfToFloat(0x3555)).toBeCloseTo(1 / 3, 3);
    expect(Array.from(f.tensors.get("b")!.data)).toEqual([1, 3.140625]);
    expect(Array.from(f.tensors.get("d")!.data)).toEqual([Math.fround(0.1), -1e10]);
  });

  it("fails clearly on malformed files", () => {
    expect(() => parseSafetensors(new Uint8Array(4), "x.safetensors")).toThrow(
      /x.safetensors: file is 4 bytes/,
    );
    const ok = handMade([["w", "F32", [2], new Uint8Array(8)]]);
    expect(() => parseSafetensors(ok.subarray(0, ok.byteLength - 4), "t")).toThrow(
      /tensor "w": data_offsets end 8 is past/,
    );
    expect(() => parseSafetensors(handMade([["w", "F32", [3], new Uint8Array(8)]]))).toThrow(
      /tensor "w": data_offsets \[0, 8\] hold 8 bytes but shape \[3\] × F32 needs 12/,
    );
    expect(() => parseSafetensors(handMade([["w", "I64", [1], new Uint8Array(8)]]))).toThrow(
      /tensor "w": dtype I64 is not supported/,
    );
    const bad = new Uint8Array(12);
    new DataView(bad.buffer).setBigUint64(0, 1000n, true);
    expect(() => parseSafetensors(bad)).toThrow(/header length 1000 exceeds the file size/);
  });

  it("refuses overlapping, gapped or short tensor ranges (the header disagrees with the data)", () => {
    /** A file whose header gives these offsets over a data section of `dataLen` bytes. */
    const raw = (offsets: Record<string, [number, number]>, dataLen: number) => {
      const header = Object.fromEntries(
        Object.entries(offsets).map(([n, o]) => [
          n,
          { dtype: "F32", shape: [(o[1] - o[0]) / 4], data_offsets: o },
        ]),
      );
      const json = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + json.byteLength + dataLen);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
      out.set(json, 8);
      return out;
    };
    expect(() => parseSafetensors(raw({ a: [0, 16], b: [16, 32] }, 32), "m.safetensors")).not.toThrow();
    // b shifted back by 4 bytes: it would read a's last value
    expect(() => parseSafetensors(raw({ a: [0, 16], b: [12, 28] }, 32), "m.safetensors")).toThrow(
      /m.safetensors: tensor "b": data_offsets \[12, 28\] overlap tensor "a" \(ends at 16\)/,
    );
    expect(() => parseSafetensors(raw({ a: [0, 16], b: [20, 36] }, 36), "m")).toThrow(
      /tensor "b": data_offsets begin 20 leaves a gap after tensor "a"/,
    );
    expect(() => parseSafetensors(raw({ a: [0, 16], b: [16, 32] }, 40), "m")).toThrow(
      /the tensors end at byte 32 of a 40-byte data section/,
    );
  });

  it("refuses to write data that does not match the shape", () => {
    expect(() => serializeSafetensors([["w", { shape: [2, 2], data: new Float32Array(3) }]])).toThrow(
      /tensor "w" has 3 values but shape \[2,2\] needs 4/,
    );
  });
});

describe("readSafetensors (positioned reads, tensor by tensor) and BF16 writing", () => {
  it("reads a file as parseSafetensors does, and reports a truncated one with its path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mempo-st-"));
    try {
      const bytes = serializeSafetensors(
        [
          ["a", { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, 7]) }],
          ["b", { shape: [1], data: Float32Array.of(42) }],
        ],
        { format: "pt" },
      );
      const file = join(dir, "m.safetensors");
      writeFileSync(file, bytes);
      expect(await readSafetensors(file)).toEqual(parseSafetensors(bytes, file));
      writeFileSync(file, bytes.subarray(0, bytes.length - 2));
      await expect(readSafetensors(file)).rejects.toThrow(
        `safetensors ${file}: tensor "b": data_offsets end`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rounds f32 to bf16 to nearest even and reads it back as the rounded value", () => {
    // 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7: ties go to the even mantissa (1).
    expect(floatToBf16(1 + 2 ** -8)).toBe(0x3f80);
    expect(floatToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82); // halfway to odd → rounds up to even 0x3f82
    expect(floatToBf16(-2)).toBe(0xc000);
    expect(floatToBf16(Number.POSITIVE_INFINITY)).toBe(0x7f80);
    expect(floatToBf16(Number.NaN) & 0x7fc0).toBe(0x7fc0);
    const data = Float32Array.from([1 + 2 ** -8, Math.PI, -0.001, 65504]);
    const back = parseSafetensors(serializeSafetensors([["x", { shape: [4], data }]], {}, { dtype: "BF16" }));
    const x = back.tensors.get("x")!;
    expect(x.dtype).toBe("BF16");
    expect(Array.from(x.data)).toEqual([1, 3.140625, -0.00099945068359375, 65536]);
  });
});
