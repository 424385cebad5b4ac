/** The stages of a `mempo train` run, in the order they execute. */
export const STAGES = [
  "data: generate the seeded fictional encyclopedia, build a BM25 index, build 2-objective training tasks",
  "tokenizer: train byte-level BPE with the agent protocol's special tokens",
  "sft: cold start on scripted-teacher trajectories that already write <mem>",
  "rl: MemPO (GRPO trajectory advantage + memory-level advantage), PPO-clip + k3 KL",
  "eval: MemPO vs GRPO vs ReAct-style full history on 2..10-objective tasks (F1, EM, TT, PT)",
] as const;

export function planText(): string {
  return ["mempo train — plan:", ...STAGES.map((s, i) => `  ${i + 1}. ${s}`)].join("\n");
}
