/**
 * Stage 2, tokenizer: byte-level BPE (@mempo/tokenizer) with the protocol's special tokens, trained on
 * the corpus passages plus transcripts of `tokenizer.teacherTasks` teacher episodes (so the instruction,
 * tags and memory lines compress as well as the passages). Saved as tokenizer.json (HF format).
 * With a pre-trained base (`model.base`) the base's tokenizer is used as it is; with `tokenizer.from`
 * (or `model.from`, when its directory has a tokenizer.json) that one is, with its tokenizer_config.json.
 * Without generator plans (the user's QA) there are no teacher transcripts: BPE trains on the passages.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@mempo/tokenizer";
import { loadTokenizer as readTokenizerFile, saveTokenizer } from "@mempo/tokenizer/node";
import { baseDir } from "../base.ts";
import { type Run, requireFile } from "../run_dir.ts";
import { type Data, hasTeacherPlans } from "./data.ts";
import { teacherEpisodes } from "./teacher.ts";

/** The tokenizer directory given with `tokenizer.from`, or `model.from` when it holds a tokenizer.json; else null. */
export function givenTokenizerDir(config: Run["config"]): string | null {
  if (config.tokenizer.from !== "") return config.tokenizer.from;
  const m = config.model.from;
  return m !== "" && existsSync(join(m, "tokenizer.json")) ? m : null;
}

export async function tokenizerStage(run: Run, data: Data): Promise<Tokenizer> {
  const cfg = run.config.tokenizer;
  const given = givenTokenizerDir(run.config);
  if (given !== null) {
    const tok = readTokenizerFile(given);
    saveTokenizer(tok, run.path("tokenizer"));
    run.log(`tokenizer: ${tok.vocabSize} ids, from ${given}`);
    run.metric({ stage: "tokenizer", vocabSize: tok.vocabSize, from: given });
    return tok;
  }
  const base = baseDir(run.config.model.base);
  if (base !== null) {
    const tok = readTokenizerFile(base);
    saveTokenizer(tok, run.path("tokenizer"));
    run.log(`tokenizer: ${tok.vocabSize} ids, the base's (${base})`);
    run.metric({ stage: "tokenizer", vocabSize: tok.vocabSize, base });
    return tok;
  }
  const t0 = performance.now();
  const planned = hasTeacherPlans(data.qa);
  const episodes = planned
    ? await teacherEpisodes(data, run.config, data.train.slice(0, cfg.teacherTasks))
    : [];
  if (data.documents.length === 0)
    throw new Error(
      "tokenizer: no passages to train BPE on (searching a retrieval server without --data.corpus); give --tokenizer.from DIR",
    );
  const transcripts = episodes.flatMap((e) => e.turns.map((t) => t.context + t.response));
  const tok = Tokenizer.train([...data.documents.map((d) => d.contents), ...transcripts], {
    vocabSize: cfg.vocabSize,
  });
  saveTokenizer(tok, run.path("tokenizer"));
  const s = (performance.now() - t0) / 1000;
  run.log(
    `tokenizer: ${tok.vocabSize} ids from ${data.documents.length} passages + ${transcripts.length} teacher turns (${s.toFixed(1)} s)`,
  );
  run.metric({ stage: "tokenizer", vocabSize: tok.vocabSize, transcripts: transcripts.length });
  return tok;
}

/** The given tokenizer (`tokenizer.from` / `model.from`), else tokenizer.json of the run directory. */
export function loadTokenizer(run: Run): Tokenizer {
  const given = givenTokenizerDir(run.config);
  return readTokenizerFile(given ?? requireFile(run, "tokenizer", "tokenizer"));
}
