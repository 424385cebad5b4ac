/**
 * Embedding gather and its scatter-add backward.
 *
 *   embedding(ids i32 [...S], table [V, D]) → out [...S, D]        out[s] = table[ids[s]]
 *   embeddingBackward(dOut [...S, D], ids [...S], V, {into?}) → dTable [V, D]   dTable[ids[s]] += dOut[s]
 *
 *   gatherRows(x [N, D], rows i32 [M]) → [M, D]; gatherRowsBackward(dOut, rows, N) → [N, D]  (same kernels)
 *
 * Ids outside [0, V) throw (checked by the kernel on host backends).
 * Test: packages/kernels/spec/embedding_test.ts.
 */
import type { Tensor } from "../tensor.ts";
import { alloc, checkInputs, fail, run } from "./check.ts";

/** Rows of `table` picked by `ids`. */
export function embedding(ids: Tensor, table: Tensor): Tensor {
  const inputs = { table, ids };
  const { backend, dtype } = checkInputs("embedding", { table }, { ids });
  if (table.rank !== 2)
    fail("embedding", `"table" must be 2-D [V, D]`, inputs, "reshape the table to [V, D]");
  const [V, D] = table.shape as [number, number];
  const N = ids.size;
  const out = alloc("embedding", backend, [...ids.shape, D], dtype, false);
  run("embedding", backend, { ids, table, out, N, D, V });
  return out;
}

export interface EmbeddingBackwardOptions {
  /** Accumulate into this existing gradient [V, D] (e.g. a tied embedding's) instead of a new tensor. */
  into?: Tensor;
}

/** Scatter-add of dOut rows into a [V, D] gradient table. */
export function embeddingBackward(
  dOut: Tensor,
  ids: Tensor,
  V: number,
  opts: EmbeddingBackwardOptions = {},
): Tensor {
  const into = opts.into;
  const inputs = { dOut, ids, into };
  const { backend, dtype } = checkInputs("embeddingBackward", { dOut, into }, { ids });
  const D = dOut.shape[dOut.rank - 1] ?? 0;
  const N = ids.size;
  if (dOut.rank !== ids.rank + 1 || ids.shape.some((d, i) => d !== dOut.shape[i])) {
    fail(
      "embeddingBackward",
      `"dOut" must have shape [...ids.shape, D]`,
      inputs,
      "pass the gradient of embedding()'s output",
    );
  }
  if (into && (into.rank !== 2 || into.shape[0] !== V || into.shape[1] !== D)) {
    fail(
      "embeddingBackward",
      `"into" must have shape [${V},${D}]`,
      inputs,
      "pass the table's gradient tensor",
    );
  }
  const dTable = into ?? alloc("embeddingBackward", backend, [V, D], dtype);
  run("embeddingBackward", backend, { dOut, ids, dTable, N, D, V, accumulate: into !== undefined });
  return dTable;
}

/**
 * Rows of x [N, D] picked by rows i32 [M] → [M, D] (the embedding kernel with x as the table): e.g.
 * keep only the response positions' hidden states before the LM head.
 */
export function gatherRows(x: Tensor, rows: Tensor): Tensor {
  return embedding(rows, x);
}

/** Gradient of gatherRows: dOut [M, D] scatter-added into a zero [N, D] (repeated rows add up). */
export function gatherRowsBackward(dOut: Tensor, rows: Tensor, N: number): Tensor {
  return embeddingBackward(dOut, rows, N);
}
