/**
 * Stage 4, RL: MemPO from the SFT checkpoint (DESIGN.md §6). Each iteration:
 *   1. sample `rl.tasksPerIteration` training tasks (seeded by the iteration number);
 *   2. G = `rl.groupSize` rollouts per task with the `mem` retention policy (@mempo/rollout's
 *      runGroups: one batched generate per turn), and — for MemPO — every `<mem>` scored: P(gold |
 *      question, memory) against the full-history baseline ε;
 *   3. trajectory reward → GRPO advantage A^T, memory reward → A^M, routed to tokens (assembleBatch);
 *   4. one PPO-clip + k3-KL (to the frozen SFT model) update with AdamW (learnerStep).
 * `--rl.algo grpo` runs the same loop with A^M off (and skips memory scoring): the GRPO baseline.
 * Writes the `rl/` checkpoint (optimizer state included; `--rl.saveEvery k` also every k iterations)
 * and one metrics line per iteration. Resuming from a checkpoint is exact: tasks and sampling seeds
 * are functions of (seed, iteration), the rest is the model and optimizer state.
 *
 * Simplifications: one PPO epoch per batch (ratios start at 1), on-policy, in process; the RL
 * optimizer is a fresh AdamW (no weight decay, gradient clip 1) with warmup + cosine over the iterations.
 */
import { ANSWER_THOUGHT, Rng } from "@mempo/env";
import { phase } from "@mempo/kernels";
import { AdamW, type LoadedCheckpoint, loadModel, type Model } from "@mempo/model";
import { type RlConfig, resolveRlConfig } from "@mempo/rl";
import {
  assembleBatch,
  learnerStep,
  modelPolicy,
  type RolloutGroup,
  runGroups,
  turnSeed,
} from "@mempo/rollout";
import type { Tokenizer } from "@mempo/tokenizer";
import { type CheckpointInfo, saveRunCheckpoint } from "../checkpoint.ts";
import type { Config } from "../config.ts";
import { checkRlIteration } from "../guards.ts";
import { startProgress } from "../progress.ts";
import { type Run, requireFile, round } from "../run_dir.ts";
import { type Data, maxTurns } from "./data.ts";

/** @mempo/rl's config from the trainer's rl section. */
export function rlLossConfig(cfg: Config["rl"]): RlConfig {
  return resolveRlConfig({
    rewardMode: cfg.rewardMode,
    estimator: "grpo",
    memoryNormalization: cfg.memoryNormalization,
    memoryWeight: cfg.algo === "mempo" ? cfg.memoryWeight : 0,
    memoryStdFloor: cfg.memoryStdFloor,
    clipLow: cfg.clipLow,
    clipHigh: cfg.clipHigh,
    klCoef: cfg.klCoef,
    aggregation: cfg.aggregation,
    maxLength: cfg.maxNewTokens,
  });
}

/**
 * What goes between the memory and `<answer>` in the memory-score contexts: nothing (eq. 3), or the
 * `<think>` line the agent writes before a final answer (the teacher's layout, `\n`s included).
 */
export function memoryBridge(layout: Config["rl"]["memoryLayout"]): string {
  return layout === "think" ? `\n<think>${ANSWER_THOUGHT}</think>\n` : "";
}

/** The training tasks of iteration `it` (a seeded draw without replacement). */
export function iterationTasks(data: Data, cfg: Config, it: number) {
  const rng = new Rng(cfg.seed).fork(`rl/${it}`);
  const wanted = cfg.rl.objectives;
  const pool =
    wanted.length === 0 ? data.train : data.train.filter((t) => wanted.includes(t.objectives.length));
  if (pool.length === 0) {
    throw new Error(
      `rl: no training task has ${wanted.join(" or ")} objectives (--rl.objectives); ` +
        `the training tasks have ${[...new Set(data.train.map((t) => t.objectives.length))].join(", ")}`,
    );
  }
  const order = rng.shuffle(pool.map((_, i) => i));
  return order.slice(0, Math.min(cfg.rl.tasksPerIteration, order.length)).map((i) => pool[i]!);
}

export interface RlStart {
  /** A checkpoint to continue from (--resume): an sft/ or a partial rl/ one. */
  resume: (LoadedCheckpoint & { info: CheckpointInfo }) | null;
}

export async function rlStage(run: Run, data: Data, tok: Tokenizer, start: RlStart): Promise<Model> {
  const cfg = run.config.rl;
  const backend = run.config.backend;
  const sftDir = requireFile(run, "sft", "sft");
  const fromRl = start.resume?.info.stage === "rl";
  const model = fromRl ? start.resume!.model : await phase("load", () => loadModel(sftDir, { backend }));
  const ref = modelPolicy(await phase("load", () => loadModel(sftDir, { backend })), {
    maxBatchTokens: cfg.microBatchTokens,
  });
  // The schedule follows this run's config; a resumed run restores the moments and the step count.
  const opt = newOptimizer(model, cfg);
  if (fromRl && start.resume!.optimizer) opt.loadState(await start.resume!.optimizer.state());
  start.resume?.optimizer?.dispose();
  if (!fromRl) start.resume?.model.dispose();
  const first = fromRl ? start.resume!.info.step : 0;
  const policy = modelPolicy(model, { version: first, maxBatchTokens: cfg.microBatchTokens });
  const loss = rlLossConfig(cfg);
  const memory = cfg.algo === "mempo";
  run.log(
    `rl: ${cfg.algo} from ${fromRl ? `iteration ${first} of ${start.resume!.info.step}` : "the SFT model"}: ` +
      `${cfg.iterations} iterations × ${cfg.tasksPerIteration} tasks × G = ${cfg.groupSize}`,
  );
  const progress = startProgress(`rl`, cfg.iterations, run.config.log);
  let noSignal = 0; // iterations where every group's rewards were equal (A^T = 0 everywhere)
  for (let it = first; it < cfg.iterations; it++) {
    const t0 = performance.now();
    // one batched runGroups per objective count (the turn budget is 2N + 2)
    const tasks = iterationTasks(data, run.config, it);
    const groups: RolloutGroup[] = [];
    for (const n of [...new Set(tasks.map((t) => t.objectives.length))].sort((a, b) => a - b)) {
      const some = tasks.filter((t) => t.objectives.length === n);
      groups.push(
        ...(await runGroups(
          policy,
          some,
          {
            groupSize: cfg.groupSize,
            maxTurns: maxTurns(run.config.data, n),
            retention: "mem",
            topk: run.config.data.topk,
            maxNewTokens: cfg.maxNewTokens,
            sampling: { temperature: cfg.temperature },
            seed: turnSeed(run.config.seed, it * 64 + n),
            memoryReward: memory,
            memoryBridge: memoryBridge(cfg.memoryLayout),
            groupIdPrefix: `it${it}/n${n}/`,
          },
          { retriever: data.index, tokenizer: tok },
        )),
      );
    }
    const tRollout = (performance.now() - t0) / 1000;
    const batch = phase("advantages", () => assembleBatch(groups, loss, { memory }));
    const res = await learnerStep(model, opt, batch, loss, {
      refPolicy: ref,
      microBatchTokens: cfg.microBatchTokens,
      temperature: cfg.temperature,
    });
    checkRlIteration(run, it + 1, res);
    policy.version = it + 1;
    const m = batch.metrics;
    if (m.zeroStdGroupFraction === 1) noSignal++;
    run.metric({
      stage: "rl",
      algo: cfg.algo,
      iteration: it + 1,
      reward: round(m.meanReward),
      f1: round(m.meanF1, 2),
      em: round(m.meanEm, 2),
      answerRate: round(m.answerRate),
      formatFailureRate: round(m.formatFailureRate),
      turns: round(m.meanTurns, 2),
      tt: round(m.meanTT, 1),
      pt: round(m.meanPT, 1),
      zeroStdGroupFraction: round(m.zeroStdGroupFraction),
      memoryReward: round(m.meanMemoryReward),
      absMemoryAdvantage: round(m.meanAbsMemoryAdvantage),
      loss: round(res.loss),
      clipFraction: round(res.metrics.clipFraction),
      refKl: round(res.metrics.refKl, 6),
      lr: res.lr,
      gradNorm: round(res.gradNorm),
      rollout_s: round(tRollout, 2),
      update_s: round((performance.now() - t0) / 1000 - tRollout, 2),
    });
    progress.tick(it + 1, {
      reward: m.meanReward,
      f1: m.meanF1,
      fmtFail: m.formatFailureRate,
      kl: res.metrics.refKl,
    });
    if (cfg.saveEvery > 0 && (it + 1) % cfg.saveEvery === 0 && it + 1 < cfg.iterations) {
      await phase("checkpoint", () =>
        saveRunCheckpoint(run, run.path("rl"), model, { stage: "rl", step: it + 1 }, { optimizer: opt }),
      );
    }
  }
  progress.done();
  await phase("checkpoint", () =>
    saveRunCheckpoint(run, run.path("rl"), model, { stage: "rl", step: cfg.iterations }, { optimizer: opt }),
  );
  if (noSignal > 0) {
    run.log(
      `rl: in ${noSignal} of ${cfg.iterations - first} iterations every group's rewards were equal, so the trajectory ` +
        `advantage was 0${memory ? " and only the memory advantage acted" : " and the update had no policy-gradient signal"}`,
    );
  }
  run.log(`rl: checkpoint ${run.path("rl")}`);
  ref.model.dispose();
  return model;
}

function newOptimizer(model: Model, cfg: Config["rl"]): AdamW {
  return new AdamW(model, {
    lr: cfg.lr,
    warmupSteps: Math.min(cfg.warmupSteps, Math.max(0, cfg.iterations - 1)),
    totalSteps: Math.max(1, cfg.iterations),
    minLrRatio: 0.1,
    weightDecay: 0,
    gradClip: 1,
  });
}
