/**
 * Stage 4, RL: MemPO from the SFT checkpoint. One iteration, in the order of DESIGN.md §6 and the
 * equation numbers of docs/algorithm.md (each step one call into @mempo/rollout or @mempo/rl):
 *
 *   rollouts     `rl.tasksPerIteration` training tasks × G = `rl.groupSize`, `mem` retention (`full`
 *                and no `<mem>` for `--agent.kind react`, trained with `--rl.algo grpo`), and
 *   P, ε         every `<mem>` scored: P(gold | question, memory), ε = P(gold | question, full history),
 *                both where the rollouts run (this process, or `mempo worker`s: `--rollout.queue`)
 *   R^T, A^T     trajectory reward (eq. 1) → group advantage (eq. 2, `rl.estimator`)
 *   R^M, A^M     memory reward P − ε (eqs. 3–4) → memory advantage within the group (eq. 5)
 *   routing      A^T on every generated token, + w·A^M on the `<mem>` tokens (eq. 6)
 *   update       PPO-clip + β·k3 KL to the frozen SFT model (eq. 7), one AdamW step
 *
 * `--rl.algo grpo` runs the same loop without the memory scores and A^M: the GRPO baseline (eq. 8).
 * Writes the `rl/` checkpoint (optimizer state included; `--rl.saveEvery k` also every k iterations)
 * and one metrics line per iteration. Resuming from a checkpoint is exact: tasks and sampling seeds
 * are functions of (seed, iteration), the rest is the model and optimizer state.
 *
 * Simplifications: one PPO epoch per batch (ratios start at 1), on-policy, in process.
 */
import { ANSWER_THOUGHT, Rng } from "@mempo/env";
import { phase } from "@mempo/kernels";
import { AdamW, type Model } from "@mempo/model";
import { type LoadedCheckpoint, loadModel } from "@mempo/model/node";
import { computeAdvantages, memoryAdvantages, memoryRewards, trajectoryRewards } from "@mempo/rl";
import {
  groupIds,
  learnerStep,
  memorySegments,
  modelPolicy,
  objectiveScores,
  type Rollout,
  type RolloutExecutor,
  tokenBatch,
  turnSeed,
} from "@mempo/rollout";
import type { Tokenizer } from "@mempo/tokenizer";
import { type CheckpointInfo, saveRunCheckpoint } from "../checkpoint.ts";
import { agentProtocol, type Config, rlConfig } from "../config.ts";
import { checkRlIteration } from "../guards.ts";
import { startProgress } from "../progress.ts";
import { type Run, requireFile, round } from "../run_dir.ts";
import { type Data, maxTurns } from "./data.ts";
import { openExecutor } from "./worker.ts";

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
  const sftDir = run.config.model.from !== "" ? run.config.model.from : requireFile(run, "sft", "sft");
  const fromRl = start.resume?.info.stage === "rl";
  const model = fromRl ? start.resume!.model : await phase("load", () => loadModel(sftDir, { backend }));
  const ref = modelPolicy(await phase("load", () => loadModel(sftDir, { backend })), {
    maxBatchTokens: cfg.microBatchTokens,
  });
  // The schedule follows this run's config; a resumed run restores the moments and the step count.
  const opt = new AdamW(model, {
    lr: cfg.lr,
    warmupSteps: Math.min(cfg.warmupSteps, Math.max(0, cfg.iterations - 1)),
    totalSteps: Math.max(1, cfg.iterations),
    minLrRatio: cfg.minLrRatio,
    weightDecay: cfg.weightDecay,
    gradClip: cfg.gradClip,
  });
  if (fromRl) {
    if (!start.resume!.optimizer) {
      throw new Error(`rl: the RL checkpoint has no optimizer state; resume from the SFT checkpoint instead`);
    }
    opt.loadState(await start.resume!.optimizer.state());
  }
  start.resume?.optimizer?.dispose();
  if (!fromRl) start.resume?.model.dispose();
  const first = fromRl ? start.resume!.info.step : 0;
  const policy = modelPolicy(model, { version: first, maxBatchTokens: cfg.microBatchTokens });
  const rl = rlConfig(cfg);
  const memory = cfg.algo === "mempo";
  run.log(
    `rl: ${cfg.algo} from ${fromRl ? `iteration ${first} of ${start.resume!.info.step}` : "the SFT model"}: ` +
      `${cfg.iterations} iterations × ${cfg.tasksPerIteration} tasks × G = ${cfg.groupSize}`,
  );
  const executor = await openExecutor(run, policy, { retriever: data.index, tokenizer: tok });
  const progress = startProgress(`rl`, cfg.iterations, run.config.log);
  let noSignal = 0; // iterations where every group's rewards were equal (A^T = 0 everywhere)
  try {
    for (let it = first; it < cfg.iterations; it++) {
      const t0 = performance.now();
      await executor.publishPolicy(it, model);
      // rollouts, and (MemPO) P and ε of every <mem> teacher-forced by the policy that wrote it
      const groups = await iterationRollouts(executor, run.config, it, data);
      const rollouts = groups.flatMap((g) => g.rollouts);
      const tRollout = (performance.now() - t0) / 1000;
      // eq. 1: R^T per rollout; eq. 2: A^T within each task's group
      const rT = trajectoryRewards(objectiveScores(rollouts), rl.rewardMode);
      const aT = computeAdvantages(rl.estimator, rT, groupIds(rollouts), { epsilon: rl.epsilon });
      // eqs. 3–4: R^M = P − ε per memory; eq. 5: A^M within each group (none for GRPO)
      const { segments } = memorySegments(memory ? rollouts : []);
      const rM = memoryRewards(segments);
      const aM = memoryAdvantages(rM.rewards, segments, {
        normalization: rl.memoryNormalization,
        epsilon: rl.epsilon,
        stdFloor: rl.memoryStdFloor,
      });
      // eq. 6: A^T on every generated token, + w·A^M on the tokens of each turn's <mem>
      const batch = tokenBatch(
        rollouts,
        aT.advantages,
        memory ? { segments, advantages: aM.advantages } : null,
        rl.memoryWeight,
      );
      // eq. 7: one PPO-clip + β·k3 step (log π_ref from the frozen SFT model), AdamW
      const res = await learnerStep(model, opt, batch, rl, {
        refPolicy: ref,
        microBatchTokens: cfg.microBatchTokens,
        temperature: cfg.temperature,
      });
      checkRlIteration(run, it + 1, res);
      if (aT.zeroStdGroupFraction === 1) noSignal++;
      const m = iterationMetrics(rollouts, rT, aT, rM, aM);
      run.metric({
        stage: "rl",
        algo: cfg.algo,
        iteration: it + 1,
        ...m,
        loss: round(res.loss),
        clipFraction: round(res.metrics.clipFraction),
        refKl: round(res.metrics.refKl, 6),
        lr: res.lr,
        gradNorm: round(res.gradNorm),
        rollout_s: round(tRollout, 2),
        update_s: round((performance.now() - t0) / 1000 - tRollout, 2),
        microBatches: res.microBatches,
        learnerPositions: res.positions,
      });
      progress.tick(it + 1, {
        reward: m.reward,
        f1: m.f1,
        fmtFail: m.formatFailureRate,
        kl: res.metrics.refKl,
      });
      if (cfg.saveEvery > 0 && (it + 1) % cfg.saveEvery === 0 && it + 1 < cfg.iterations) {
        await phase("checkpoint", () =>
          saveRunCheckpoint(run, run.path("rl"), model, { stage: "rl", step: it + 1 }, { optimizer: opt }),
        );
      }
    }
  } finally {
    await executor.close();
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

/**
 * G rollouts of each of iteration `it`'s tasks in the agent's protocol (`mem` retention; the react
 * agent: no `<mem>`, `full` retention), their memories scored for MemPO:
 * one submission per objective count N (the turn budget depends on N).
 */
async function iterationRollouts(executor: RolloutExecutor, config: Config, it: number, data: Data) {
  const tasks = iterationTasks(data, config, it);
  const groups = [];
  for (const n of [...new Set(tasks.map((t) => t.objectives.length))].sort((a, b) => a - b)) {
    const some = tasks.filter((t) => t.objectives.length === n);
    const { useMem, retention } = agentProtocol(config.agent.kind);
    const rollout = {
      groupSize: config.rl.groupSize,
      maxTurns: maxTurns(config.data, n),
      retention,
      useMem,
      topk: config.data.topk,
      maxNewTokens: config.rl.maxNewTokens,
      sampling: { temperature: config.rl.temperature },
      seed: turnSeed(config.seed, it * 64 + n),
      memoryReward: config.rl.algo === "mempo" && useMem,
      memoryBridge: memoryBridge(config.rl.memoryLayout),
      groupIdPrefix: `it${it}/n${n}/`,
      scoring: config.data.scoring,
    } as const;
    groups.push(...(await executor.submit(some, rollout, it)));
  }
  return groups;
}

const mean = (xs: ArrayLike<number>) =>
  xs.length === 0 ? 0 : Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;

/** The rollouts' and advantages' side of an iteration's metrics line. */
function iterationMetrics(
  rollouts: Rollout[],
  rT: ArrayLike<number>,
  aT: { zeroStdGroupFraction: number },
  rM: { rewards: ArrayLike<number> },
  aM: { meanAbsAdvantage: number },
) {
  const per = (f: (r: Rollout) => number) => mean(rollouts.map(f));
  return {
    reward: round(mean(rT)),
    f1: round(
      per((r) => r.score.f1),
      2,
    ),
    em: round(
      per((r) => r.score.em),
      2,
    ),
    answerRate: round(per((r) => +(r.finish === "answer"))),
    formatFailureRate: round(per((r) => +(r.finish === "malformed"))),
    turns: round(
      per((r) => r.steps.length),
      2,
    ),
    tt: round(
      per((r) => r.tt),
      1,
    ),
    pt: round(
      per((r) => r.pt),
      1,
    ),
    zeroStdGroupFraction: round(aT.zeroStdGroupFraction),
    memoryReward: round(mean(rM.rewards)),
    absMemoryAdvantage: round(aM.meanAbsAdvantage),
  };
}
