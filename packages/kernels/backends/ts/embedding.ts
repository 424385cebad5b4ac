/**
 * Reference embedding gather and scatter-add backward.
 */
import type { EmbeddingArgs, EmbeddingBackwardArgs } from "../../kernel_types.ts";
import { checkId, F, I } from "./util.ts";

export function embedding({ ids, table, out, N, D, V }: EmbeddingArgs): void {
  const id = I(ids);
  const t = F(table);
  const o = F(out);
  for (let n = 0; n < N; n++) {
    const v = id[n]!;
    checkId("embedding", v, n, V);
    o.set(t.subarray(v * D, v * D + D), n * D);
  }
}

export function embeddingBackward({ dOut, ids, dTable, N, D, V, accumulate }: EmbeddingBackwardArgs): void {
  const id = I(ids);
  const g = F(dOut);
  const dt = F(dTable);
  if (!accumulate) dt.fill(0);
  for (let n = 0; n < N; n++) {
    const v = id[n]!;
    checkId("embeddingBackward", v, n, V);
    for (let d = 0; d < D; d++) dt[v * D + d]! += g[n * D + d]!;
  }
}
