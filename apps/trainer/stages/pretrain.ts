/**
 * `mempo pretrain`: the base model the default run starts from. A small transformer trained from
 * scratch does not learn to copy names and values from its context within a CPU run's SFT budget
 * (docs/training.md, "Learning"); language-model pre-training on encyclopedia text with many rare
 * names does teach it (induction/copying heads), and reading-comprehension items teach it to pick a
 * value out of retrieved passages. Both come from freshly generated worlds (`pretrain/<k>` seeds), so
 * no entity of the training or evaluation worlds is ever seen here.
 *
 * The text stream, world by world: every passage of the world (`"Title"\ntext`), and for every
 * single-hop question whose top-`topk` BM25 hits (for the keyword query the teacher would write) state
 * the answer, a reading item in the environment's own document layout:
 *
 *   Question: In which country is Nimmorstad located?
 *   Doc 1 (Title: Nimmorstad) Nimmorstad is a city located in Drujorovia. …
 *   Doc 2 (Title: …) …
 *   Answer: Drujorovia
 *
 * shuffled together, encoded, joined with "\n\n" and cut into `seqLen`-token sequences trained with
 * next-token cross-entropy on every position. The agent protocol (`<mem>`, `<search>`, turns) is not
 * in this text: the run's SFT teaches it.
 *
 * The tokenizer is trained here too (passages and reading items of the first worlds plus scripted
 * teacher transcripts, so the protocol's text compresses) and shipped with the weights; a run that
 * starts from this base uses its tokenizer.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  BM25Index,
  buildTasks,
  documentStates,
  formatDocuments,
  generateWorld,
  questionMeta,
  Rng,
  runEpisode,
  splitContents,
  Teacher,
} from "@mempo/env";
import { AdamW, Model, type SeqItem, sftStep } from "@mempo/model";
import { saveCheckpoint } from "@mempo/model/node";
import { Tokenizer } from "@mempo/tokenizer";
import { saveTokenizer } from "@mempo/tokenizer/node";
import { modelConfig } from "./sft.ts";

export interface PretrainOptions {
  /** Output directory: `step-<k>/` snapshots and the final base. */
  out: string;
  seed: number;
  backend: string;
  /** Model preset (trainer or @mempo/model preset name). */
  preset: string;
  maxSeqLen: number;
  vocabSize: number;
  /** Optimizer steps; each trains `batchSize` sequences of `seqLen` tokens. */
  steps: number;
  batchSize: number;
  seqLen: number;
  lr: number;
  warmupSteps: number;
  minLrRatio: number;
  weightDecay: number;
  /** Entities per generated world (a new world, new names, whenever the stream runs out). */
  entitiesPerWorld: number;
  /** Passages per reading item. */
  topk: number;
  /** Snapshot every k steps (0 = only the final base). */
  saveEvery: number;
  log: (line: string) => void;
}

const worldSeed = (k: number) => `pretrain/${k}`;

/** The texts of world k: passages and reading items, shuffled. */
export async function worldTexts(k: number, entities: number, topk: number): Promise<string[]> {
  const world = generateWorld({
    seed: worldSeed(k),
    entities,
    questions: Math.round(entities * 1.5),
    twoHopFraction: 0,
  });
  const index = BM25Index.build(world.documents);
  const texts = world.documents.map((d) => {
    const { title, text } = splitContents(d.contents);
    return `${title}\n${text}`;
  });
  const queries = world.questions.map((q) => questionMeta(q)!.hops[0]!);
  const hits = await index.search(
    queries.map((h) => h.query),
    topk,
  );
  world.questions.forEach((q, i) => {
    const h = queries[i]!;
    const shown = hits[i]!.map((x) => splitContents(x.document.contents));
    if (!shown.some((d) => documentStates(d, h, h.subject))) return;
    texts.push(`Question: ${q.question}\n${formatDocuments(hits[i]!)}\nAnswer: ${h.answers[0]}`);
  });
  return new Rng(`${worldSeed(k)}/order`).shuffle(texts);
}

/** Teacher transcripts (prompt + response of every turn) on world k's two-hop tasks, for the tokenizer. */
async function teacherTranscripts(k: number, tasks: number): Promise<string[]> {
  const world = generateWorld({ seed: worldSeed(k), entities: 1200, questions: 2 * tasks });
  const index = BM25Index.build(world.documents);
  const teacher = new Teacher(world.questions);
  const out: string[] = [];
  for (const task of buildTasks(world.questions, 2, { idPrefix: "p-" })) {
    const ep = await runEpisode(teacher.agentFor(task), task, index, { maxTurns: 6, topk: 3, policy: "mem" });
    for (const t of ep.turns) out.push(t.context + t.response);
  }
  return out;
}

/** Endless stream of `seqLen + 1`-token windows over the worlds' texts. */
class TokenStream {
  private buf: number[] = [];
  private at = 0;
  private world = 0;
  private readonly sep: number[];
  constructor(
    private readonly tok: Tokenizer,
    private readonly o: PretrainOptions,
  ) {
    this.sep = Array.from(tok.encode("\n\n"));
  }
  async next(): Promise<number[]> {
    const need = this.o.seqLen + 1;
    while (this.buf.length - this.at < need) {
      const texts = await worldTexts(this.world, this.o.entitiesPerWorld, this.o.topk);
      this.o.log(`pretrain: world ${worldSeed(this.world)} → ${texts.length} texts`);
      this.world++;
      this.buf = this.buf.slice(this.at);
      this.at = 0;
      for (const t of texts) this.buf.push(...this.tok.encode(t, { allowSpecial: false }), ...this.sep);
    }
    this.at += need;
    return this.buf.slice(this.at - need, this.at);
  }
  get worldsUsed(): number {
    return this.world;
  }
}

export async function pretrain(o: PretrainOptions): Promise<Model> {
  mkdirSync(o.out, { recursive: true });
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const corpus = [
    ...(await worldTexts(0, o.entitiesPerWorld, o.topk)),
    ...(await teacherTranscripts(0, 300)),
  ];
  const tok = Tokenizer.train(corpus, { vocabSize: o.vocabSize });
  saveTokenizer(tok, join(o.out, "tokenizer.json"));
  o.log(`pretrain: tokenizer ${tok.vocabSize} ids from ${corpus.length} texts (${elapsed().toFixed(1)} s)`);
  const model = Model.init(modelConfig({ preset: o.preset, maxSeqLen: o.maxSeqLen }, tok.vocabSize), {
    seed: o.seed,
    backend: o.backend,
  });
  const opt = new AdamW(model, {
    lr: o.lr,
    warmupSteps: o.warmupSteps,
    totalSteps: o.steps,
    minLrRatio: o.minLrRatio,
    weightDecay: o.weightDecay,
    gradClip: 1,
  });
  o.log(
    `pretrain: ${model.numParams().toLocaleString("en")} parameters, ${o.steps} steps of ${o.batchSize} × ${o.seqLen} tokens`,
  );
  const stream = new TokenStream(tok, o);
  const save = async (dir: string, step: number, loss: number) => {
    await saveCheckpoint(dir, model, {
      extra: { stage: "pretrain", step, loss, worlds: stream.worldsUsed, seconds: Math.round(elapsed()) },
    });
    saveTokenizer(tok, join(dir, "tokenizer.json"));
    const { log: _, ...opts } = o;
    writeFileSync(
      join(dir, "pretrain.json"),
      `${JSON.stringify({ ...opts, step, loss, seconds: Math.round(elapsed()) }, null, 2)}\n`,
    );
  };
  let ema = Number.NaN;
  for (let step = 1; step <= o.steps; step++) {
    const batch: SeqItem[] = [];
    for (let b = 0; b < o.batchSize; b++) {
      const w = await stream.next();
      batch.push({ promptIds: w.slice(0, 1), responseIds: w.slice(1) });
    }
    const { loss } = await sftStep(model, batch);
    const { lr } = opt.step();
    ema = Number.isNaN(ema) ? loss : 0.9 * ema + 0.1 * loss;
    if (step % 25 === 0 || step === 1)
      o.log(
        `pretrain: step ${step}/${o.steps} loss ${ema.toFixed(4)} lr ${lr.toExponential(2)} ${elapsed().toFixed(0)} s`,
      );
    if (o.saveEvery > 0 && step % o.saveEvery === 0 && step < o.steps)
      await save(join(o.out, `step-${step}`), step, ema);
  }
  await save(o.out, o.steps, ema);
  opt.dispose();
  o.log(`pretrain: done in ${elapsed().toFixed(0)} s → ${o.out}`);
  return model;
}
