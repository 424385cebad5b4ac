/**
 * Stage 3, SFT cold start: the scripted teacher (default imperfections) solves the training tasks
 * (`--agent.kind react`: without `<mem>`, every earlier turn kept — the ReAct baseline's data);
 * as in the paper only trajectories with a fully correct answer are kept (`sft.minF1` = 100). Every
 * turn becomes a step record (prompt ids = the `mem`-policy context, response ids = the teacher's
 * `<mem>…</mem><think>…</think><search>/<answer>`, loss mask over the whole response). Cross-entropy on
 * the masked response tokens, AdamW with linear warmup + cosine decay and gradient clipping.
 * Writes the `sft/` checkpoint (with optimizer state) and one metrics line per step.
 *
 * Simplification: batches are `sft.batchSize` turns of similar length (length-bucketed after a
 * seeded shuffle), not a token budget.
 */
import {
  type Episode,
  encodePieces,
  encodeResponse,
  episodeSteps,
  piecesText,
  Rng,
  Teacher,
  turnsLeftHint,
} from "@mempo/env";
import {
  AdamW,
  Model,
  type ModelConfig,
  PRESETS,
  type PresetName,
  resolveConfig as resolveModelConfig,
  type SeqItem,
  sftStep,
} from "@mempo/model";
import { loadModel } from "@mempo/model/node";
import type { Tokenizer } from "@mempo/tokenizer";
import { baseDir } from "../base.ts";
import { saveRunCheckpoint } from "../checkpoint.ts";
import { agentProtocol, type Config, TRAINER_MODEL_PRESETS } from "../config.ts";
import { checkFinite } from "../guards.ts";
import { startProgress } from "../progress.ts";
import { type Run, round } from "../run_dir.ts";
import { type Data, maxTurns } from "./data.ts";
import { heldOutEpisodes } from "./eval.ts";
import { teacherEpisodes, withoutMem } from "./teacher.ts";

/** The model shape: a trainer or @mempo/model preset with the tokenizer's vocabulary and maxSeqLen. */
export function modelConfig(
  cfg: Pick<Config["model"], "preset" | "maxSeqLen">,
  vocabSize: number,
): ModelConfig {
  const base =
    (TRAINER_MODEL_PRESETS as Record<string, object>)[cfg.preset] ?? PRESETS[cfg.preset as PresetName];
  return resolveModelConfig({ ...base, vocabSize, maxSeqLen: cfg.maxSeqLen } as ModelConfig);
}

/**
 * Last-turn items: a share `sft.lastTurnShare` of the kept episodes also gives one turn replayed as if
 * it were the last (its turns-left line replaced by the last-turn line) with the teacher's forced answer
 * (what it knows, `unknown` for the rest). Fully correct episodes rarely reach their last turn, so
 * without these the model never sees one and keeps searching when it has to answer.
 */
async function lastTurnItems(
  run: Run,
  data: Data,
  tok: Tokenizer,
  kept: readonly Episode[],
): Promise<SeqItem[]> {
  const teacher = new Teacher(data.qa, run.config.teacher);
  const { useMem } = agentProtocol(run.config.agent.kind);
  const rng = new Rng(`${run.config.seed}/sft/last-turn`);
  const out: SeqItem[] = [];
  for (const e of kept) {
    if (e.turns.length < 2 || !rng.chance(run.config.sft.lastTurnShare)) continue;
    const idx = rng.int(0, e.turns.length - 2);
    const budget = maxTurns(run.config.data, e.task.objectives.length);
    // the context ends with the turns-left line of turn idx: swap it for the last turn's
    const pieces = e.turns[idx]!.contextPieces.map((p) => ({ ...p }));
    const tail = pieces[pieces.length - 1]!;
    const hint = turnsLeftHint(budget - idx);
    if (!tail.text.includes(hint)) continue;
    tail.text = tail.text.replace(hint, turnsLeftHint(1));
    let agent = teacher.agentFor(e.task);
    if (!useMem) {
      // the ReAct teacher's notes are its own: replay the turns before idx to rebuild them
      agent = withoutMem(agent);
      for (let j = 0; j < idx; j++) await agent(e.turns[j]!.context, { index: j, maxTurns: budget });
    }
    const response = await agent(piecesText(pieces), {
      index: budget - 1,
      maxTurns: budget,
    });
    const { ids } = encodeResponse(response, tok);
    out.push({ promptIds: encodePieces(tok, pieces), responseIds: ids });
  }
  return out;
}

/**
 * Kept teacher turns as SFT items (plus the last-turn items), in the agent's protocol: `mem` turns
 * with `<mem>` (`agent.kind` mem), or full-history turns without it (react).
 */
export async function teacherData(
  run: Run,
  data: Data,
  tok: Tokenizer,
): Promise<{ items: SeqItem[]; episodes: number; kept: number; tokens: number }> {
  const { useMem, retention } = agentProtocol(run.config.agent.kind);
  const episodes = await teacherEpisodes(data, run.config, data.train, { policy: retention, useMem });
  const kept = episodes.filter((e) => e.formatValid && e.score.f1 >= run.config.sft.minF1);
  const items = [
    ...kept.flatMap((e) => episodeSteps(e, tok)),
    ...(await lastTurnItems(run, data, tok, kept)),
  ];
  const tokens = items.reduce((s, it) => s + it.promptIds.length + it.responseIds.length, 0);
  return { items, episodes: episodes.length, kept: kept.length, tokens };
}

/** Batches of similar-length items: seeded shuffle, sort within windows of 16 batches, shuffle batches. */
export function lengthBatches(items: readonly SeqItem[], batchSize: number, rng: Rng): SeqItem[][] {
  const order = rng.shuffle(items.map((_, i) => i));
  const len = (i: number) => items[i]!.promptIds.length + items[i]!.responseIds.length;
  const batches: SeqItem[][] = [];
  const window = batchSize * 16;
  for (let w = 0; w < order.length; w += window) {
    const chunk = order.slice(w, w + window).sort((a, b) => len(a) - len(b));
    for (let i = 0; i < chunk.length; i += batchSize)
      batches.push(chunk.slice(i, i + batchSize).map((j) => items[j]!));
  }
  return rng.shuffle(batches);
}

export async function sftStage(run: Run, data: Data, tok: Tokenizer): Promise<Model> {
  const cfg = run.config.sft;
  const teacher = await teacherData(run, data, tok);
  if (teacher.items.length === 0) {
    throw new Error(
      `sft: the teacher solved none of ${teacher.episodes} training tasks with F1 ≥ ${cfg.minF1}; lower --sft.minF1 or the teacher's imperfections`,
    );
  }
  run.log(
    `sft: teacher kept ${teacher.kept}/${teacher.episodes} episodes (F1 ≥ ${cfg.minF1}) → ` +
      `${teacher.items.length} turns, ${teacher.tokens} tokens`,
  );
  const base = baseDir(run.config.model.base);
  const model =
    base === null
      ? Model.init(modelConfig(run.config.model, tok.vocabSize), {
          seed: run.config.seed,
          backend: run.config.backend,
        })
      : await loadModel(base, { backend: run.config.backend });
  if (model.config.vocabSize !== tok.vocabSize) {
    throw new Error(
      `sft: the base model has ${model.config.vocabSize} ids but the run's tokenizer ${tok.vocabSize}; ` +
        `rerun the tokenizer stage (mempo tokenizer --run ${run.dir}) so it takes the base's tokenizer`,
    );
  }
  if (base !== null) run.log(`sft: starting from the pre-trained base ${base}`);
  const rng = new Rng(`${run.config.seed}/sft`);
  const epochs = Math.ceil(cfg.epochs);
  let batches: SeqItem[][] = [];
  for (let e = 0; e < epochs; e++) batches.push(...lengthBatches(teacher.items, cfg.batchSize, rng));
  batches = batches.slice(0, Math.max(1, Math.round((batches.length * cfg.epochs) / epochs)));
  const opt = new AdamW(model, {
    lr: cfg.lr,
    warmupSteps: Math.min(cfg.warmupSteps, batches.length - 1),
    totalSteps: batches.length,
    minLrRatio: cfg.minLrRatio,
    weightDecay: cfg.weightDecay,
    gradClip: cfg.gradClip,
  });
  run.log(
    `sft: ${model.numParams().toLocaleString("en")} parameters, ${batches.length} steps of ${cfg.batchSize} turns`,
  );
  const progress = startProgress("sft", batches.length, run.config.log);
  let ema = Number.NaN;
  for (let step = 1; step <= batches.length; step++) {
    const { loss, tokens } = await sftStep(model, batches[step - 1]!);
    const { lr, gradNorm } = opt.step();
    checkFinite(run, "sft", step, { loss, gradNorm, lr });
    ema = Number.isNaN(ema) ? loss : 0.9 * ema + 0.1 * loss;
    run.metric({ stage: "sft", step, loss: round(loss), lr, gradNorm: round(gradNorm), tokens });
    progress.tick(step, { loss: ema, lr });
    if (cfg.evalEvery > 0 && (step % cfg.evalEvery === 0 || step === batches.length))
      await learningCurvePoint(run, data, tok, model, step);
  }
  progress.done();
  await saveRunCheckpoint(
    run,
    run.path("sft"),
    model,
    { stage: "sft", step: batches.length },
    { optimizer: opt },
  );
  run.log(`sft: final loss (EMA) ${ema.toFixed(4)}; checkpoint ${run.path("sft")}`);
  opt.dispose();
  return model;
}

/** Held-out F1 of the model now (greedy, the first `sft.evalTasks` tasks of the first N): one metrics line. */
async function learningCurvePoint(run: Run, data: Data, tok: Tokenizer, model: Model, step: number) {
  const first = data.eval[0];
  if (!first) return;
  const tasks = first.tasks.slice(0, run.config.sft.evalTasks);
  const groups = await heldOutEpisodes(run, data, tok, model, tasks);
  const rs = groups.flatMap((g) => g.rollouts);
  const f1 = rs.reduce((s, r) => s + r.score.f1, 0) / rs.length;
  run.metric({
    stage: "sft-eval",
    step,
    n: first.n,
    tasks: rs.length,
    f1: round(f1, 2),
    minutes: round(run.elapsed() / 60, 2),
  });
}
