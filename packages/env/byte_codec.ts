/**
 * ByteCodec: a minimal TokenCodec with the protocol tags as single ids and every other byte as its own
 * id (UTF-8). For tests and for using env's id functions without a trained tokenizer.
 *
 * Ids 0..n-1 are the special tokens (default: @mempo/tokenizer's SPECIAL_TOKENS, same ids as a
 * trained Tokenizer); id n + b is byte b. With
 * `allowSpecial: false` tags are encoded as their bytes. Tested in codec_test.ts.
 */
import { SPECIAL_TOKENS } from "@mempo/tokenizer";
import type { TokenCodec } from "./codec.ts";

export class ByteCodec implements TokenCodec {
  private readonly specials: readonly string[];
  private readonly re: RegExp;

  constructor(specials: readonly string[] = SPECIAL_TOKENS) {
    this.specials = specials;
    const esc = specials.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    this.re = new RegExp(`(${esc.join("|")})`, "g");
  }

  get vocabSize(): number {
    return this.specials.length + 256;
  }

  encode(text: string, opts: { allowSpecial?: boolean } = { allowSpecial: true }): Uint32Array {
    const out: number[] = [];
    const enc = new TextEncoder();
    const parts = (opts.allowSpecial ?? true) ? text.split(this.re) : [text];
    for (const p of parts) {
      const s = this.specials.indexOf(p);
      if (opts.allowSpecial !== false && s >= 0) out.push(s);
      else for (const b of enc.encode(p)) out.push(this.specials.length + b);
    }
    return Uint32Array.from(out);
  }

  decode(ids: ArrayLike<number>): string {
    const n = this.specials.length;
    let s = "";
    const bytes: number[] = [];
    const flush = () => {
      s += new TextDecoder("utf-8", { ignoreBOM: true }).decode(Uint8Array.from(bytes));
      bytes.length = 0;
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id < n) {
        flush();
        s += this.specials[id];
      } else bytes.push(id - n);
    }
    flush();
    return s;
  }
}
