/**
 * SFT trajectories as token-id step records: one record per turn with the prompt (context) and the
 * response encoded piecewise through a TokenCodec, so retrieved documents inside `<information>` are
 * encoded with allowSpecial false (they cannot inject control tokens) while template text and the
 * agent's tags are special tokens. `memSpan` covers the `<mem>` content and `</mem>` in responseIds
 * (the tokens that receive the memory advantage, DESIGN.md §6.6); `lossMask` is 1 over the response.
 * Tested in trajectory_test.ts.
 */
import { concatIds, encodePieces, type TokenCodec } from "./codec.ts";
import { type Episode, type EpisodeOptions, runEpisode } from "./episode.ts";
import type { Retriever } from "./retriever.ts";
import type { Task } from "./tasks.ts";
import type { Teacher } from "./teacher.ts";

/** One supervised turn. */
export interface SftStep {
  prompt: string;
  response: string;
  /** Context ids. [P] */
  promptIds: Uint32Array;
  /** Response ids. [R] */
  responseIds: Uint32Array;
  /** [start, end) in responseIds covering the <mem> content and </mem>; null without <mem>. */
  memSpan: [number, number] | null;
  /** 1 where the token is trained on. [R] */
  lossMask: Uint8Array;
}

/** Encodes a response; the mem span is located by composing ids around `<mem>` … `</mem>`. */
export function encodeResponse(
  response: string,
  codec: TokenCodec,
): { ids: Uint32Array; memSpan: [number, number] | null } {
  const open = response.indexOf("<mem>");
  const close = open < 0 ? -1 : response.indexOf("</mem>", open);
  const enc = (t: string) => (t.length === 0 ? new Uint32Array(0) : codec.encode(t, { allowSpecial: true }));
  if (close < 0) return { ids: enc(response), memSpan: null };
  const head = enc(response.slice(0, open + 5));
  const content = enc(response.slice(open + 5, close));
  const closeTag = enc("</mem>");
  const tail = enc(response.slice(close + 6));
  const start = head.length;
  const end = start + content.length + closeTag.length;
  return { ids: concatIds([head, content, closeTag, tail]), memSpan: [start, end] };
}

/** Step records of every turn of an episode. */
export function episodeSteps(episode: Episode, codec: TokenCodec): SftStep[] {
  return episode.turns.map((t) => {
    const { ids, memSpan } = encodeResponse(t.response, codec);
    return {
      prompt: t.context,
      response: t.response,
      promptIds: encodePieces(codec, t.contextPieces),
      responseIds: ids,
      memSpan,
      lossMask: new Uint8Array(ids.length).fill(1),
    };
  });
}

export interface TeacherDataOptions {
  /** Keep only episodes whose F1 is at least this (default 100: fully correct, as the paper's cold start). */
  minF1?: number;
}

/** Runs the teacher on tasks and returns the kept episodes with their step records. */
export async function teacherTrajectories(
  teacher: Teacher,
  tasks: readonly Task[],
  retriever: Retriever,
  codec: TokenCodec,
  episode: Partial<EpisodeOptions> = {},
  opts: TeacherDataOptions = {},
): Promise<{ episode: Episode; steps: SftStep[] }[]> {
  const minF1 = opts.minF1 ?? 100;
  const out: { episode: Episode; steps: SftStep[] }[] = [];
  for (const task of tasks) {
    const ep = await runEpisode(teacher.agentFor(task), task, retriever, episode);
    if (ep.formatValid && ep.score.f1 >= minF1) out.push({ episode: ep, steps: episodeSteps(ep, codec) });
  }
  return out;
}
