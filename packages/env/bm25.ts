/**
 * Okapi BM25 over an in-memory inverted index with typed-array postings (CSR: per-term offsets into
 * doc-id and term-frequency arrays), saved to and loaded from a compact versioned binary file.
 *
 *   score(q, d) = Σ_{t ∈ q} idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·|d|/avgdl))
 *   idf(t)      = ln(1 + (N − df + 0.5) / (df + 0.5))          (Lucene's non-negative idf)
 *
 * Defaults k1 = 0.9, b = 0.4 (Pyserini's defaults; the textbook values 1.2 / 0.75 are a config away).
 * Repeated query terms count once per occurrence (as Lucene's boolean query does). Ties break by
 * corpus order. Tested in bm25_test.ts (against a brute-force reference scorer); speed in
 * benchmarks/env/main.ts.
 */
import { type AnalyzerOptions, ENGLISH_STOPWORDS, makeAnalyzer } from "./analyzer.ts";
import type { Document } from "./corpus_io.ts";
import type { Hit, Retriever } from "./retriever.ts";

export interface BM25Config {
  /** Term-frequency saturation (default 0.9, Pyserini). */
  k1: number;
  /** Document-length normalization (default 0.4, Pyserini). */
  b: number;
  /** Drop English stopwords, or a custom list (default true). */
  stopwords: boolean | readonly string[];
}

export const DEFAULT_BM25_CONFIG: Readonly<BM25Config> = Object.freeze({ k1: 0.9, b: 0.4, stopwords: true });

const MAGIC = "MPOBM25\n";
export const BM25_FORMAT_VERSION = 1;

class GrowU32 {
  data = new Uint32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Uint32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
  view(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

export class BM25Index implements Retriever {
  readonly config: BM25Config;
  readonly docs: Document[];
  private readonly terms: Map<string, number>;
  private readonly offsets: Uint32Array; // [V+1]
  private readonly postDocs: Uint32Array; // [nnz]
  private readonly postTfs: Uint32Array; // [nnz]
  private readonly docLens: Uint32Array; // [N]
  private readonly avgdl: number;
  private readonly norm: Float64Array; // [N] k1·(1 − b + b·|d|/avgdl)
  private readonly analyze: (text: string) => string[];
  private scratch: Float64Array;
  private touched: Uint32Array;

  private constructor(
    config: BM25Config,
    docs: Document[],
    terms: Map<string, number>,
    offsets: Uint32Array,
    postDocs: Uint32Array,
    postTfs: Uint32Array,
    docLens: Uint32Array,
  ) {
    this.config = config;
    this.docs = docs;
    this.terms = terms;
    this.offsets = offsets;
    this.postDocs = postDocs;
    this.postTfs = postTfs;
    this.docLens = docLens;
    const n = docs.length;
    let total = 0;
    for (let i = 0; i < n; i++) total += docLens[i]!;
    this.avgdl = n === 0 ? 1 : Math.max(total / n, 1e-9);
    this.norm = new Float64Array(n);
    for (let i = 0; i < n; i++)
      this.norm[i] = config.k1 * (1 - config.b + (config.b * docLens[i]!) / this.avgdl);
    this.analyze = makeAnalyzer(analyzerOptions(config));
    this.scratch = new Float64Array(n);
    this.touched = new Uint32Array(n);
  }

  /** Builds the index from documents (the array is kept for returning hits). */
  static build(docs: Iterable<Document>, config: Partial<BM25Config> = {}): BM25Index {
    const cfg = resolveBM25Config(config);
    const analyze = makeAnalyzer(analyzerOptions(cfg));
    const terms = new Map<string, number>();
    const all: Document[] = [];
    const docTerms = new GrowU32();
    const docTfs = new GrowU32();
    const docStart = new GrowU32();
    const lens = new GrowU32();
    const local = new Map<number, number>();
    let df = new Uint32Array(1024);
    for (const doc of docs) {
      all.push(doc);
      docStart.push(docTerms.length);
      const toks = analyze(doc.contents);
      lens.push(toks.length);
      local.clear();
      for (const w of toks) {
        let t = terms.get(w);
        if (t === undefined) {
          t = terms.size;
          terms.set(w, t);
        }
        local.set(t, (local.get(t) ?? 0) + 1);
      }
      for (const [t, tf] of local) {
        docTerms.push(t);
        docTfs.push(tf);
        if (t >= df.length) {
          const d = new Uint32Array(Math.max(df.length * 2, t + 1));
          d.set(df);
          df = d;
        }
        df[t]! += 1;
      }
    }
    docStart.push(docTerms.length);
    const v = terms.size;
    const offsets = new Uint32Array(v + 1);
    for (let t = 0; t < v; t++) offsets[t + 1] = offsets[t]! + df[t]!;
    const nnz = docTerms.length;
    const postDocs = new Uint32Array(nnz);
    const postTfs = new Uint32Array(nnz);
    const fill = offsets.slice(0, v);
    const dt = docTerms.view();
    const dtf = docTfs.view();
    const ds = docStart.view();
    for (let d = 0; d < all.length; d++) {
      for (let p = ds[d]!; p < ds[d + 1]!; p++) {
        const t = dt[p]!;
        const at = fill[t]!++;
        postDocs[at] = d;
        postTfs[at] = dtf[p]!;
      }
    }
    return new BM25Index(cfg, all, terms, offsets, postDocs, postTfs, lens.view().slice());
  }

  get numDocs(): number {
    return this.docs.length;
  }
  get numTerms(): number {
    return this.terms.size;
  }
  get numPostings(): number {
    return this.postDocs.length;
  }

  /** idf of an analyzed term (0 for an unknown term). */
  idf(term: string): number {
    const t = this.terms.get(term);
    if (t === undefined) return 0;
    const df = this.offsets[t + 1]! - this.offsets[t]!;
    const n = this.docs.length;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /** Top-k (document index, score) for one query, best first; documents with score 0 are not returned. */
  searchIndices(query: string, topk: number): { index: number; score: number }[] {
    const k1p1 = this.config.k1 + 1;
    const scores = this.scratch;
    const touched = this.touched;
    let nTouched = 0;
    const n = this.docs.length;
    for (const w of this.analyze(query)) {
      const t = this.terms.get(w);
      if (t === undefined) continue;
      const lo = this.offsets[t]!;
      const hi = this.offsets[t + 1]!;
      const idf = Math.log(1 + (n - (hi - lo) + 0.5) / (hi - lo + 0.5));
      for (let p = lo; p < hi; p++) {
        const d = this.postDocs[p]!;
        const tf = this.postTfs[p]!;
        if (scores[d] === 0) touched[nTouched++] = d;
        scores[d]! += (idf * tf * k1p1) / (tf + this.norm[d]!);
      }
    }
    const out = topK(scores, touched, nTouched, Math.max(0, Math.floor(topk)));
    for (let i = 0; i < nTouched; i++) scores[touched[i]!] = 0;
    return out;
  }

  async search(queries: string[], topk: number): Promise<Hit[][]> {
    return queries.map((q) =>
      this.searchIndices(q, topk).map(({ index, score }) => ({ document: this.docs[index]!, score })),
    );
  }

  /** Serializes the index and its documents to bytes (format version BM25_FORMAT_VERSION). */
  toBytes(): Uint8Array {
    const enc = new TextEncoder();
    const termList: string[] = new Array(this.terms.size);
    for (const [w, t] of this.terms) termList[t] = w;
    const blobs: [string, Uint8Array][] = [
      ["terms", enc.encode(JSON.stringify(termList))],
      ["docs", enc.encode(JSON.stringify(this.docs.map((d) => [d.id, d.contents])))],
      ["offsets", u8(this.offsets)],
      ["postDocs", u8(this.postDocs)],
      ["postTfs", u8(this.postTfs)],
      ["docLens", u8(this.docLens)],
    ];
    const sections: Record<string, [number, number]> = {};
    let at = 0;
    for (const [name, b] of blobs) {
      sections[name] = [at, b.length];
      at = align4(at + b.length);
    }
    const header = enc.encode(
      JSON.stringify({
        version: BM25_FORMAT_VERSION,
        config: { k1: this.config.k1, b: this.config.b, stopwords: this.config.stopwords },
        numDocs: this.docs.length,
        numTerms: this.terms.size,
        numPostings: this.postDocs.length,
        sections,
      }),
    );
    const base = align4(MAGIC.length + 4 + header.length);
    const out = new Uint8Array(base + at);
    out.set(enc.encode(MAGIC), 0);
    new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
    out.set(header, MAGIC.length + 4);
    for (const [name, b] of blobs) out.set(b, base + sections[name]![0]);
    return out;
  }

  /** Reads bytes written by `toBytes`; `where` names the source in errors. */
  static fromBytes(bytes: Uint8Array, where = "BM25 index"): BM25Index {
    const dec = new TextDecoder();
    if (bytes.length < MAGIC.length + 4 || dec.decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) {
      throw new Error(
        `${where}: not a BM25 index file (bad magic); rebuild it with saveBM25Index(BM25Index.build(...), path)`,
      );
    }
    const hlen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
    let header: IndexHeader;
    try {
      header = JSON.parse(
        new TextDecoder("utf-8", { fatal: true }).decode(
          bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + hlen),
        ),
      );
    } catch {
      throw new Error(`${where}: corrupt BM25 index header; rebuild the index`);
    }
    if (header.version !== BM25_FORMAT_VERSION) {
      throw new Error(
        `${where}: index format version ${header.version}, this code reads version ${BM25_FORMAT_VERSION}; rebuild the index`,
      );
    }
    const base = align4(MAGIC.length + 4 + hlen);
    const sec = checkSections(header, bytes.length - base, where);
    const section = (name: string) => bytes.slice(base + sec[name]![0], base + sec[name]![0] + sec[name]![1]);
    const strict = new TextDecoder("utf-8", { fatal: true });
    const json = <T>(name: string): T => {
      try {
        return JSON.parse(strict.decode(section(name))) as T;
      } catch (e) {
        throw new Error(
          `${where}: section "${name}" is corrupt (${(e as Error).message}); rebuild the index`,
        );
      }
    };
    const termList = json<string[]>("terms");
    const docs = json<[string, string][]>("docs").map(([id, contents]) => ({ id, contents }));
    const terms = new Map<string, number>();
    for (const [i, w] of termList.entries()) terms.set(w, i);
    const u32 = (name: string) => {
      const b = section(name);
      return new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
    };
    const counts: [string, number, number][] = [
      ["terms", termList.length, header.numTerms],
      ["docs", docs.length, header.numDocs],
      ["offsets", sec.offsets![1] / 4, header.numTerms + 1],
      ["postDocs", sec.postDocs![1] / 4, header.numPostings],
      ["postTfs", sec.postTfs![1] / 4, header.numPostings],
      ["docLens", sec.docLens![1] / 4, header.numDocs],
    ];
    for (const [name, got, want] of counts) {
      if (got !== want)
        throw new Error(
          `${where}: section "${name}" holds ${got} entries, the header says ${want}; rebuild the index`,
        );
    }
    return new BM25Index(
      resolveBM25Config(header.config),
      docs,
      terms,
      u32("offsets"),
      u32("postDocs"),
      u32("postTfs"),
      u32("docLens"),
    );
  }
}

interface IndexHeader {
  version: number;
  config: BM25Config;
  numDocs: number;
  numTerms: number;
  numPostings: number;
  sections: Record<string, [number, number]>;
}

const SECTIONS = ["terms", "docs", "offsets", "postDocs", "postTfs", "docLens"] as const;

/**
 * Every section [offset, length] must lie inside the data (`dataLen` bytes after the header), in the
 * written order without overlap, u32 sections a whole number of words, and the data end where the
 * last section (4-byte aligned) ends: a truncated or padded file is refused, never half-read.
 */
function checkSections(h: IndexHeader, dataLen: number, where: string): IndexHeader["sections"] {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}; the index file is truncated or corrupt: rebuild it (mempo data)`);
  };
  for (const k of ["numDocs", "numTerms", "numPostings"] as const)
    if (!Number.isInteger(h[k]) || h[k] < 0) fail(`header field "${k}" is ${JSON.stringify(h[k])}`);
  let at = 0;
  for (const name of SECTIONS) {
    const s = h.sections?.[name];
    if (!Array.isArray(s) || !s.every((x) => Number.isInteger(x) && x >= 0))
      return fail(`section "${name}" is missing from the header`);
    const [o, n] = s;
    if (o < at) fail(`section "${name}" at ${o} overlaps the previous section (ends at ${at})`);
    if (o + n > dataLen)
      fail(`section "${name}" [${o}, ${o + n}) runs past the end of the data (${dataLen} bytes)`);
    if (name !== "terms" && name !== "docs" && n % 4 !== 0)
      fail(`section "${name}" is ${n} bytes, not whole u32s`);
    at = o + n;
  }
  if (align4(at) !== dataLen) fail(`the data is ${dataLen} bytes but its sections end at ${align4(at)}`);
  return h.sections;
}

export function resolveBM25Config(c: Partial<BM25Config> = {}): BM25Config {
  const cfg = { ...DEFAULT_BM25_CONFIG, ...c };
  if (!(cfg.k1 >= 0) || !(cfg.b >= 0 && cfg.b <= 1)) {
    throw new Error(`BM25 config: need k1 ≥ 0 and 0 ≤ b ≤ 1, got k1=${cfg.k1}, b=${cfg.b}`);
  }
  return cfg;
}

function analyzerOptions(c: BM25Config): AnalyzerOptions {
  return { stopwords: c.stopwords === true ? ENGLISH_STOPWORDS : c.stopwords };
}

function u8(a: Uint32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** The k best touched documents: score descending, then index ascending. */
function topK(
  scores: Float64Array,
  touched: Uint32Array,
  nTouched: number,
  k: number,
): { index: number; score: number }[] {
  if (k === 0 || nTouched === 0) return [];
  // Min-heap of size k keyed by (score, -index): the root is the worst kept document.
  const heap: number[] = [];
  const worse = (a: number, b: number) => scores[a]! < scores[b]! || (scores[a] === scores[b] && a > b);
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let j = 0; j < nTouched; j++) {
    const d = touched[j]!;
    if (heap.length < k) {
      heap.push(d);
      for (let i = heap.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (!worse(heap[i]!, heap[p]!)) break;
        [heap[i], heap[p]] = [heap[p]!, heap[i]!];
        i = p;
      }
    } else if (worse(heap[0]!, d)) {
      heap[0] = d;
      down(0);
    }
  }
  heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
  return heap.map((index) => ({ index, score: scores[index]! }));
}
