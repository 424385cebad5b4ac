/**
 * Rollout bench: what one RL iteration costs around the model, on a generated world with BM25.
 *
 *   runner      env's scripted teacher through the token-level runner (no model): turns/s, i.e. the
 *               runner's own cost (context assembly, decode + parse, batched retrieval, encoding)
 *   generate    an untrained `default`-shaped model, G·tasks rollouts: ONE batched generate per turn
 *               (runGroups) vs the peer in the same run, one generate call per rollout (sequential)
 *   memory      scoreMemories on the teacher's rollouts with the model (contexts (a) and (b)), tokens/s
 *   learner     learnerStep (forward + backward + AdamW) on the teacher's rollouts, tokens/s
 *
 * Run: `npx tsx benchmarks/rollout/main.ts [--backend=wasm] [--tasks=8] [--group=4]`. Prints a table and
 * writes results/rollout.json. Simplifications: random weights (their responses are one turn of random
 * tokens up to maxNewTokens, so `generate` measures decoding, not agent behaviour); the model's
 * vocabulary is the tokenizer's. The CPU may be shared: each timing is the best of 3 rounds and the load
 * average is recorded.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { listBackends, setBackend } from "@mempo/kernels";
import { BM25Index, buildTasks, generateWorld, PERFECT_TEACHER_CONFIG, Teacher } from "@mempo/env";
import { AdamW, Model, preset } from "@mempo/model";
import {
  assembleBatch,
  learnerStep,
  modelPolicy,
  type RolloutGroup,
  runGroups,
  scoreMemories,
  teacherPolicy,
} from "@mempo/rollout";
import { Tokenizer } from "@mempo/tokenizer";
import { machineInfo } from "../mod.ts";

const args = process.argv.slice(2);
const arg = (name: string, d: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? d;
const backend = arg("backend", listBackends().includes("wasm") ? "wasm" : "ts");
const TASKS = Number(arg("tasks", "8"));
const G = Number(arg("group", "4"));
const MAX_NEW = 32;
const ROUNDS = 3;
setBackend(backend);

const world = generateWorld({ seed: 1, entities: 600, questions: 400 });
const index = BM25Index.build(world.documents);
const tok = Tokenizer.train(
  world.documents.slice(0, 1500).map((d) => d.contents),
  { vocabSize: 2048 },
);
const tasks = buildTasks(world.questions, 2).slice(0, TASKS);
const env = { retriever: index, tokenizer: tok };
const model = Model.init(preset("default", { vocabSize: tok.vocabSize }), { seed: 1, backend });
const policy = modelPolicy(model);

const time = async (f: () => Promise<unknown>) => {
  let bestS = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    await f();
    bestS = Math.min(bestS, (performance.now() - t0) / 1e3);
  }
  return bestS;
};
const load0 = loadavg();

// runner alone: the scripted teacher, G rollouts per task
let teacherGroups: RolloutGroup[] = [];
const runnerS = await time(async () => {
  const p = teacherPolicy(new Teacher(world.questions, PERFECT_TEACHER_CONFIG), tasks, tok);
  teacherGroups = await runGroups(p, tasks, { groupSize: G, maxTurns: 8, memoryReward: false }, env);
});
const teacherRollouts = teacherGroups.flatMap((g) => g.rollouts);
const turns = teacherRollouts.reduce((s, r) => s + r.steps.length, 0);

// model generation: batched runGroups vs one call per rollout
const genConfig = { groupSize: G, maxTurns: 1, maxNewTokens: MAX_NEW, memoryReward: false, seed: 1 };
let generated = 0;
const batchedS = await time(async () => {
  const gs = await runGroups(policy, tasks, genConfig, env);
  generated = gs.flatMap((g) => g.rollouts).reduce((s, r) => s + r.steps[0]!.responseIds.length, 0);
});
let generatedSeq = 0;
const sequentialS = await time(async () => {
  generatedSeq = 0;
  for (const task of tasks)
    for (let i = 0; i < G; i++) {
      const [g] = await runGroups(policy, [task], { ...genConfig, groupSize: 1, seed: i }, env);
      generatedSeq += g!.rollouts[0]!.steps[0]!.responseIds.length;
    }
});

// memory scoring of the teacher's rollouts with the model
let memItems = 0;
const memoryS = await time(async () => {
  memItems = (await scoreMemories(policy, teacherGroups, tok)).items;
});
const memTokens = (() => {
  // contexts + targets scored: count them once through a recording policy
  let n = 0;
  return scoreMemories(
    {
      version: 0,
      maxTokens: model.config.maxSeqLen,
      generate: async () => [],
      score: async (c, t) => {
        c.forEach((x, i) => {
          n += x.length + t[i]!.length;
        });
        return t.map((x) => new Float32Array(x.length).fill(-1));
      },
    },
    teacherGroups,
    tok,
  ).then(() => n);
})();
const memTok = await memTokens;

// learner step on the teacher's rollouts (memory scores from the model)
await scoreMemories(policy, teacherGroups, tok);
const batch = assembleBatch(teacherGroups, { klCoef: 0 }, { memory: true });
const learnTokens = batch.steps.reduce((s, x) => s + x.tokens, 0);
const opt = new AdamW(model, { lr: 1e-5 });
const learnerS = await time(() => learnerStep(model, opt, batch, { klCoef: 0 }, { microBatchTokens: 8192 }));
const load1 = loadavg();

const rows = [
  {
    what: "runner (teacher, no model)",
    seconds: runnerS,
    work: `${turns} turns`,
    rate: `${(turns / runnerS).toFixed(0)} turns/s`,
  },
  {
    what: `generate batched (${TASKS}×${G} in 1 call)`,
    seconds: batchedS,
    work: `${generated} tokens`,
    rate: `${(generated / batchedS).toFixed(0)} tok/s`,
  },
  {
    what: "generate per rollout (peer)",
    seconds: sequentialS,
    work: `${generatedSeq} tokens`,
    rate: `${(generatedSeq / sequentialS).toFixed(0)} tok/s`,
  },
  {
    what: "scoreMemories",
    seconds: memoryS,
    work: `${memItems} items, ${memTok} tokens`,
    rate: `${(memTok / memoryS).toFixed(0)} tok/s`,
  },
  {
    what: "learnerStep",
    seconds: learnerS,
    work: `${batch.steps.length} steps, ${learnTokens} tokens`,
    rate: `${(learnTokens / learnerS).toFixed(0)} tok/s`,
  },
];
console.log(
  `rollout bench — backend ${backend}, ${TASKS} tasks × G ${G}, model default (vocab ${tok.vocabSize})`,
);
console.table(rows.map((r) => ({ ...r, seconds: r.seconds.toFixed(3) })));
console.log(
  `batched / per-rollout generation speed-up: ${(generated / batchedS / (generatedSeq / sequentialS)).toFixed(2)}×`,
);
const outDir = join(import.meta.dirname, "..", "results");
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, "rollout.json"),
  `${JSON.stringify(
    {
      bench: "rollout",
      date: new Date().toISOString(),
      machine: machineInfo(),
      backend,
      loadAverage: [load0[0], load1[0]],
      setup: { tasks: TASKS, groupSize: G, maxNewTokens: MAX_NEW, rounds: ROUNDS, vocab: tok.vocabSize },
      results: {
        runner: { seconds: runnerS, turns, turnsPerS: turns / runnerS },
        generateBatched: { seconds: batchedS, tokens: generated, tokensPerS: generated / batchedS },
        generatePerRollout: {
          seconds: sequentialS,
          tokens: generatedSeq,
          tokensPerS: generatedSeq / sequentialS,
        },
        batchedSpeedup: generated / batchedS / (generatedSeq / sequentialS),
        scoreMemories: { seconds: memoryS, items: memItems, tokens: memTok, tokensPerS: memTok / memoryS },
        learnerStep: {
          seconds: learnerS,
          steps: batch.steps.length,
          tokens: learnTokens,
          tokensPerS: learnTokens / learnerS,
        },
      },
    },
    null,
    2,
  )}\n`,
);
model.dispose();
