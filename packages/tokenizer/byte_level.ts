/**
 * GPT-2's byte-level alphabet: every byte 0..255 maps to one printable code point, so a token's
 * bytes can be written as a string in tokenizer.json (`Ġ` is the space byte, `Ċ` is `\n`).
 * This is the `bytes_to_unicode` table of GPT-2 and Hugging Face's ByteLevel pre-tokenizer.
 * Tested through the tokenizer.json round trips in hf_json_test.ts.
 */

/** BYTE_TO_CHAR[b] is the character that stands for byte b. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(printable(b) ? b : 256 + n++);
  return out;
})();

const CHAR_TO_BYTE = new Map<number, number>(BYTE_TO_CHAR.map((c, b) => [c.charCodeAt(0), b]));

/** Bytes → byte-level string (e.g. `[32, 104, 105]` → `"Ġhi"`). */
export function bytesToByteLevel(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]!]!;
  return s;
}

/** Byte-level string → bytes, or undefined if a character is outside the 256-symbol alphabet. */
export function byteLevelToBytes(s: string): Uint8Array | undefined {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const b = CHAR_TO_BYTE.get(s.charCodeAt(i));
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}
