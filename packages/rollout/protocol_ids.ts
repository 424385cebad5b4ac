/**
 * The protocol tags as single token ids, looked up once from a codec, and the `<mem>` span of a
 * response found on ids (never on text). Test: runner_test.ts (memSpan cases).
 */
import type { TokenCodec } from "@mempo/env";

/** Ids of the tags the rollout code needs. */
export interface ProtocolIds {
  mem: number;
  memEnd: number;
  searchEnd: number;
  answer: number;
  answerEnd: number;
}

/** Looks the tags up; throws if a tag is not one special id in this codec. */
export function protocolIds(codec: TokenCodec): ProtocolIds {
  const one = (tag: string): number => {
    const ids = codec.encode(tag, { allowSpecial: true });
    if (ids.length !== 1) {
      throw new Error(
        `rollout: the codec encodes '${tag}' as ${ids.length} ids [${[...ids].join(", ")}]; ` +
          "the protocol tags must be special tokens (train or load the tokenizer with SPECIAL_TOKENS)",
      );
    }
    return ids[0]!;
  };
  return {
    mem: one("<mem>"),
    memEnd: one("</mem>"),
    searchEnd: one("</search>"),
    answer: one("<answer>"),
    answerEnd: one("</answer>"),
  };
}

/**
 * The `<mem>` span of a response: [index after the first `<mem>`, index of the first `</mem>` after
 * it + 1), i.e. the memory content and its closing tag; null without a closed `<mem>` block.
 */
export function findMemSpan(ids: Uint32Array, p: ProtocolIds): [number, number] | null {
  const open = ids.indexOf(p.mem);
  if (open < 0) return null;
  const close = ids.indexOf(p.memEnd, open + 1);
  return close < 0 ? null : [open + 1, close + 1];
}
