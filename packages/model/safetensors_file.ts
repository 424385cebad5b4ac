/**
 * Reading a safetensors file from disk (Node and Deno, through node:fs): tensor by tensor with
 * positioned reads, so any file size fits. Exported from `@mempo/model/node`; the format itself
 * (parse / serialize bytes) is in safetensors.ts and works anywhere.
 *
 * Test: safetensors_test.ts.
 */
import { open } from "node:fs/promises";
import { DTYPE_BYTES, decode, parseHeader, type SafetensorsFile } from "./safetensors.ts";

/**
 * Reads a safetensors file tensor by tensor (positioned reads on one file handle): any file size,
 * memory bounded by the f32 tensors returned plus the largest tensor's bytes.
 * @throws Error naming the file, the tensor and what is inconsistent.
 */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  const fh = await open(path, "r");
  try {
    const size = (await fh.stat()).size;
    const readAt = async (pos: number, len: number): Promise<Uint8Array> => {
      const buf = new Uint8Array(len);
      let got = 0;
      while (got < len) {
        const { bytesRead } = await fh.read(buf, got, Math.min(len - got, 1 << 30), pos + got);
        if (bytesRead === 0)
          throw new Error(`safetensors ${path}: file ended at byte ${pos + got} of ${size}`);
        got += bytesRead;
      }
      return buf;
    };
    if (size < 8)
      throw new Error(`safetensors ${path}: file is ${size} bytes; too short for the 8-byte header length`);
    const n = Number(new DataView((await readAt(0, 8)).buffer).getBigUint64(0, true));
    if (n > size - 8)
      throw new Error(
        `safetensors ${path}: header length ${n} exceeds the file size ${size}; the file is truncated or not safetensors`,
      );
    const head = new Uint8Array(8 + n);
    head.set(await readAt(8, n), 8);
    const layout = parseHeader(head, n, size, path);
    const tensors: SafetensorsFile["tensors"] = new Map();
    for (const e of layout.entries) {
      const bytes = await readAt(layout.base + e.begin, e.count * DTYPE_BYTES[e.dtype]!);
      tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: decode(bytes, 0, e.count, e.dtype) });
    }
    return { tensors, metadata: layout.metadata };
  } finally {
    await fh.close();
  }
}
