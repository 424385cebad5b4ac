/**
 * Rollout bench: what one RL iteration costs around the model, on a generated world with BM25.
 *
 *   runner      env's scripted teacher through the token-level runner (no model): turns/s, i.e. the
 *               runner's own cost (context assembly, decode + parse, batched retrieval, encoding)
 *   generate    an untrained `default`-shaped model, G·tasks rollouts: ONE batched generate per turn
 *               (runGroups; prefix-tree prefill, and the padded prefill) vs the peer in the same run,
 *               one generate call per rollout (sequential)
 *   memory      scoreMemories on the teacher's rollouts with the model (contexts (a) and (b)), tokens/s:
 *               plain batched scoring (`sharePrefixes: false`, the peer) vs prefix-sharing scoring (the
 *               default), alternating on the same groups in the same run, with the largest difference
 *               of their log-probs; on the perfect teacher's groups (G identical rollouts) and on
 *               "varied" groups (each rollout from the default teacher with its own seed, so rollouts
 *               of a group differ after the question prompt)
 *   prefill     every turn's prompts of the varied groups, generate(1 greedy token): the padded prefill
 *               (the peer) vs the prefix-tree prefill (the default), same tokens checked
 *   learner     learnerStep (forward + backward + AdamW) on the teacher's rollouts, tokens/s
 *
 * Run: `npx tsx benchmarks/rollout/main.ts [--backend=wasm] [--tasks=8] [--group=4] [--only=memory]`.
 * Prints a table and writes results/out/rollout.json (`--only=memory`: the scoring and prefill comparisons
 * alone, to results/out/rollout-memory.json). Simplifications: random weights (their responses are one turn of random
 * tokens up to maxNewTokens, so `generate` measures decoding, not agent behaviour); the model's
 * vocabulary is the tokenizer's. The CPU may be shared: each timing is the best of 3 rounds and the load
 * average is recorded.
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { listBackends, setBackend } from "@mempo/kernels";
import {
  BM25Index,
  buildTasks,
  DEFAULT_TEACHER_CONFIG,
  generateWorld,
  PERFECT_TEACHER_CONFIG,
  Teacher,
} from "@mempo/env";
import { AdamW, buildPrefixTree, generate, Model, preset, treeTokens } from "@mempo/model";
import {
  learnerStep,
  memorySegments,
  modelPolicy,
  type Policy,
  type RolloutGroup,
  runGroups,
  scoreMemories,
  teacherPolicy,
  tokenBatch,
} from "@mempo/rollout";
import { Tokenizer } from "@mempo/tokenizer";
import { machineInfo, QUICK, resultsFile } from "../mod.ts";

const args = process.argv.slice(2);
const arg = (name: string, d: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? d;
const backend = arg("backend", listBackends().includes("wasm") ? "wasm" : "ts");
const TASKS = Number(arg("tasks", QUICK ? "2" : "8"));
const G = Number(arg("group", QUICK ? "2" : "4"));
const ONLY = arg("only", "all"); // "memory": the memory-scoring comparison alone
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
let generatedSeq = 0;
let batchedS = Number.NaN;
let generatedPadded = 0;
let batchedPaddedS = Number.NaN;
let sequentialS = Number.NaN;
if (ONLY === "all") {
  batchedS = await time(async () => {
    const gs = await runGroups(policy, tasks, genConfig, env);
    generated = gs.flatMap((g) => g.rollouts).reduce((s, r) => s + r.steps[0]!.responseIds.length, 0);
  });
  batchedPaddedS = await time(async () => {
    const gs = await runGroups(modelPolicy(model, { sharePrefixes: false }), tasks, genConfig, env);
    generatedPadded = gs.flatMap((g) => g.rollouts).reduce((s, r) => s + r.steps[0]!.responseIds.length, 0);
  });
  sequentialS = await time(async () => {
    generatedSeq = 0;
    for (const task of tasks)
      for (let i = 0; i < G; i++) {
        const [g] = await runGroups(policy, [task], { ...genConfig, groupSize: 1, seed: i }, env);
        generatedSeq += g!.rollouts[0]!.steps[0]!.responseIds.length;
      }
  });
}

// "varied" groups: rollout i of each task from a default (imperfect) teacher seeded i
const variedGroups: RolloutGroup[] = tasks.map((task) => ({ groupId: task.id, task, rollouts: [] }));
for (let i = 0; i < G; i++) {
  const t = new Teacher(world.questions, { ...DEFAULT_TEACHER_CONFIG, seed: 100 + i });
  const gs = await runGroups(
    teacherPolicy(t, tasks, tok),
    tasks,
    { groupSize: 1, maxTurns: 8, memoryReward: false },
    env,
  );
  for (const [k, g] of gs.entries()) variedGroups[k]!.rollouts.push(g.rollouts[0]!);
}

/** The items scoreMemories scores (recorded through a policy that returns placeholders). */
async function memoryItems(
  groups: RolloutGroup[],
): Promise<{ contexts: Uint32Array[]; targets: Uint32Array[] }> {
  const rec = { contexts: [] as Uint32Array[], targets: [] as Uint32Array[] };
  const recorder: Policy = {
    version: 0,
    maxTokens: model.config.maxSeqLen,
    generate: async () => [],
    score: async (c, t) => {
      rec.contexts.push(...c);
      rec.targets.push(...t);
      return t.map((x) => new Float32Array(x.length).fill(-1));
    },
  };
  await scoreMemories(recorder, groups, tok);
  return rec;
}

/** Memory scoring, plain vs prefix-sharing, alternating rounds on the same groups. */
async function memoryBench(name: string, groups: RolloutGroup[]) {
  const { contexts, targets } = await memoryItems(groups);
  const tokens = contexts.reduce((s, c, i) => s + c.length + targets[i]!.length, 0);
  const inputs = contexts.map((c, i) => [...c, ...targets[i]!.subarray(0, -1)]);
  const modelTokens = inputs.reduce((s, x) => s + x.length, 0); // positions plain scoring runs
  const uniqueTokens = treeTokens(buildPrefixTree(inputs)); // positions prefix sharing runs
  const plainPolicy = modelPolicy(model, { sharePrefixes: false });
  const sharedPolicy = modelPolicy(model);
  const read = () => groups.flatMap((g) => g.rollouts.flatMap((r) => r.memory ?? []));
  let plainS = Number.POSITIVE_INFINITY;
  let sharedS = Number.POSITIVE_INFINITY;
  let maxDiff = 0;
  for (let r = 0; r < ROUNDS; r++) {
    let t0 = performance.now();
    await scoreMemories(plainPolicy, groups, tok);
    plainS = Math.min(plainS, (performance.now() - t0) / 1e3);
    const plain = read();
    t0 = performance.now();
    await scoreMemories(sharedPolicy, groups, tok);
    sharedS = Math.min(sharedS, (performance.now() - t0) / 1e3);
    read().forEach((m, k) => {
      const p = plain[k]!;
      m.memLogprobs.forEach((v, j) => {
        maxDiff = Math.max(maxDiff, Math.abs(v - p.memLogprobs[j]!));
      });
      m.baseLogprobs.forEach((v, j) => {
        maxDiff = Math.max(maxDiff, Math.abs(v - p.baseLogprobs[j]!));
      });
    });
  }
  return {
    name,
    items: contexts.length,
    tokens,
    modelTokens,
    uniqueTokens,
    plain: { seconds: plainS, tokensPerS: tokens / plainS },
    shared: { seconds: sharedS, tokensPerS: tokens / sharedS },
    speedup: plainS / sharedS,
    maxAbsDiff: maxDiff,
  };
}
const memory = [
  await memoryBench("perfect teacher", teacherGroups),
  await memoryBench("varied", variedGroups),
];

/** Prefill of every turn's prompts of the varied groups (generate 1 greedy token), padded vs prefix tree. */
async function prefillBench(groups: RolloutGroup[]) {
  const rollouts = groups.flatMap((g) => g.rollouts);
  const turnsPrompts: Uint32Array[][] = [];
  for (let t = 0; ; t++) {
    const ps = rollouts.filter((r) => r.steps.length > t).map((r) => r.steps[t]!.promptIds);
    if (ps.length === 0) break;
    turnsPrompts.push(ps);
  }
  const tokens = turnsPrompts.flat().reduce((s, p) => s + p.length, 0);
  const padded = turnsPrompts.reduce((s, ps) => s + ps.length * Math.max(...ps.map((p) => p.length)), 0);
  const unique = turnsPrompts.reduce((s, ps) => s + treeTokens(buildPrefixTree(ps)), 0);
  const once = async (sharePrefixes: boolean) => {
    const t0 = performance.now();
    const ids: number[] = [];
    for (const ps of turnsPrompts) {
      const gs = await generate(model, ps, { maxNewTokens: 1, sampling: { temperature: 0 }, sharePrefixes });
      ids.push(...gs.map((g) => g.ids[0]!));
    }
    return { s: (performance.now() - t0) / 1e3, ids };
  };
  let paddedS = Number.POSITIVE_INFINITY;
  let treeS = Number.POSITIVE_INFINITY;
  let sameTokens = true;
  for (let r = 0; r < ROUNDS; r++) {
    const a = await once(false);
    const b = await once(true);
    paddedS = Math.min(paddedS, a.s);
    treeS = Math.min(treeS, b.s);
    sameTokens &&= a.ids.every((x, i) => x === b.ids[i]);
  }
  return {
    turns: turnsPrompts.length,
    prompts: turnsPrompts.flat().length,
    tokens,
    paddedPositions: padded,
    uniqueTokens: unique,
    padded: { seconds: paddedS, tokensPerS: tokens / paddedS },
    tree: { seconds: treeS, tokensPerS: tokens / treeS },
    speedup: paddedS / treeS,
    sameTokens,
  };
}
const prefill = await prefillBench(variedGroups);

// learner step on the teacher's rollouts (memory scores from the model)
let learnerS = Number.NaN;
let learnTokens = 0;
let learnSteps = 0;
if (ONLY === "all") {
  await scoreMemories(policy, teacherGroups, tok);
  // the learner's cost does not depend on the advantages' values: A^T = 1, A^M = 1
  const rollouts = teacherGroups.flatMap((g) => g.rollouts);
  const { segments } = memorySegments(rollouts);
  const advantages = new Float64Array(segments.length).fill(1);
  const batch = tokenBatch(rollouts, new Float64Array(rollouts.length).fill(1), { segments, advantages });
  learnTokens = batch.steps.reduce((s, x) => s + x.tokens, 0);
  learnSteps = batch.steps.length;
  const opt = new AdamW(model, { lr: 1e-5 });
  learnerS = await time(() => learnerStep(model, opt, batch, { klCoef: 0 }, { microBatchTokens: 8192 }));
}
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
    what: "generate batched, padded prefill",
    seconds: batchedPaddedS,
    work: `${generatedPadded} tokens`,
    rate: `${(generatedPadded / batchedPaddedS).toFixed(0)} tok/s`,
  },
  {
    what: "generate per rollout (peer)",
    seconds: sequentialS,
    work: `${generatedSeq} tokens`,
    rate: `${(generatedSeq / sequentialS).toFixed(0)} tok/s`,
  },
  ...memory.flatMap((m) => [
    {
      what: `scoreMemories plain (peer), ${m.name}`,
      seconds: m.plain.seconds,
      work: `${m.items} items, ${m.tokens} tokens`,
      rate: `${m.plain.tokensPerS.toFixed(0)} tok/s`,
    },
    {
      what: `scoreMemories prefix-shared, ${m.name}`,
      seconds: m.shared.seconds,
      work: `${m.uniqueTokens} of ${m.modelTokens} positions run`,
      rate: `${m.shared.tokensPerS.toFixed(0)} tok/s (${m.speedup.toFixed(1)}×)`,
    },
  ]),
  {
    what: `prefill padded (peer), varied, ${prefill.turns} turns`,
    seconds: prefill.padded.seconds,
    work: `${prefill.prompts} prompts, ${prefill.tokens} tokens (${prefill.paddedPositions} padded)`,
    rate: `${prefill.padded.tokensPerS.toFixed(0)} tok/s`,
  },
  {
    what: "prefill prefix-tree, varied",
    seconds: prefill.tree.seconds,
    work: `${prefill.uniqueTokens} of ${prefill.tokens} positions run`,
    rate: `${prefill.tree.tokensPerS.toFixed(0)} tok/s (${prefill.speedup.toFixed(1)}×)`,
  },
  {
    what: "learnerStep",
    seconds: learnerS,
    work: `${learnSteps} steps, ${learnTokens} tokens`,
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
console.log(
  `prefill (varied prompts): prefix-tree ${prefill.speedup.toFixed(2)}× faster than padded, same greedy tokens: ${prefill.sameTokens}`,
);
for (const m of memory)
  console.log(
    `memory scoring (${m.name}): prefix-shared ${m.speedup.toFixed(2)}× faster than plain, max |Δ logp| ${m.maxAbsDiff.toExponential(2)}`,
  );
const outFile = resultsFile(ONLY === "all" ? "rollout" : `rollout-${ONLY}`);
writeFileSync(
  outFile,
  `${JSON.stringify(
    {
      bench: "rollout",
      quick: QUICK,
      date: new Date().toISOString(),
      machine: machineInfo(),
      backend,
      loadAverage: [load0[0], load1[0]],
      setup: { tasks: TASKS, groupSize: G, maxNewTokens: MAX_NEW, rounds: ROUNDS, vocab: tok.vocabSize },
      results: {
        runner: { seconds: runnerS, turns, turnsPerS: turns / runnerS },
        generateBatched: { seconds: batchedS, tokens: generated, tokensPerS: generated / batchedS },
        generateBatchedPaddedPrefill: {
          seconds: batchedPaddedS,
          tokens: generatedPadded,
          tokensPerS: generatedPadded / batchedPaddedS,
        },
        generatePerRollout: {
          seconds: sequentialS,
          tokens: generatedSeq,
          tokensPerS: generatedSeq / sequentialS,
        },
        batchedSpeedup: generated / batchedS / (generatedSeq / sequentialS),
        scoreMemories: memory,
        prefill,
        learnerStep: {
          seconds: learnerS,
          steps: learnSteps,
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
