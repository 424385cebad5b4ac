/**
 * Stage 2, tokenizer: byte-level BPE (@mempo/tokenizer) with the protocol's special tokens, trained on
 * the corpus passages plus transcripts of `tokenizer.teacherTasks` teacher episodes (so the instruction,
 * tags and memory lines compress as well as the passages). Saved as tokenizer.json (HF format).
 * With a pre-trained base (`model.base`) the base's tokenizer is used as it is.
 */
import { Tokenizer } from "@mempo/tokenizer";
import { baseDir } from "../base.ts";
import { type Run, requireFile } from "../run_dir.ts";
import type { Data } from "./data.ts";
import { teacherEpisodes } from "./teacher.ts";

export async function tokenizerStage(run: Run, data: Data): Promise<Tokenizer> {
  const cfg = run.config.tokenizer;
  const base = baseDir(run.config.model.base);
  if (base !== null) {
    const tok = Tokenizer.load(base);
    tok.save(run.path("tokenizer"));
    run.log(`tokenizer: ${tok.vocabSize} ids, the base's (${base})`);
    run.metric({ stage: "tokenizer", vocabSize: tok.vocabSize, base });
    return tok;
  }
  const t0 = performance.now();
  const episodes = await teacherEpisodes(data, run.config, data.train.slice(0, cfg.teacherTasks));
  const transcripts = episodes.flatMap((e) => e.turns.map((t) => t.context + t.response));
  const tok = Tokenizer.train([...data.documents.map((d) => d.contents), ...transcripts], {
    vocabSize: cfg.vocabSize,
  });
  tok.save(run.path("tokenizer"));
  const s = (performance.now() - t0) / 1000;
  run.log(
    `tokenizer: ${tok.vocabSize} ids from ${data.documents.length} passages + ${transcripts.length} teacher turns (${s.toFixed(1)} s)`,
  );
  run.metric({ stage: "tokenizer", vocabSize: tok.vocabSize, transcripts: transcripts.length });
  return tok;
}

/** Reads tokenizer.json from the run directory. */
export function loadTokenizer(run: Run): Tokenizer {
  return Tokenizer.load(requireFile(run, "tokenizer", "tokenizer"));
}
