import { BM25Index, type Task } from "@mempo/env";
import { setBackend } from "@mempo/kernels";
import { loadModel } from "@mempo/model";
import { modelPolicy, runGroups } from "@mempo/rollout";
import { Tokenizer } from "@mempo/tokenizer";
import { readFileSync } from "node:fs";
setBackend("wasm");
const [dir, ck = "sft", nStr = "2", countStr = "4", retention = "mem"] = process.argv.slice(2);
const tok = Tokenizer.load(`${dir}/tokenizer.json`);
const model = await loadModel(`${dir}/${ck}`, { backend: "wasm" });
const index = await BM25Index.load(`${dir}/index.bin`);
const N = Number(nStr);
const tasks: Task[] = JSON.parse(readFileSync(`${dir}/tasks.json`, "utf8")).eval[nStr].slice(
  0,
  Number(countStr),
);
const groups = await runGroups(
  modelPolicy(model),
  tasks,
  {
    groupSize: 1,
    maxTurns: 2 * N + 2,
    retention: retention as "mem",
    maxNewTokens: 256,
    sampling: { temperature: 0 },
    memoryReward: false,
  },
  { retriever: index, tokenizer: tok },
);
for (const g of groups)
  for (const r of g.rollouts) {
    console.log(
      "==",
      r.task.question,
      "| gold",
      r.task.golden.map((x) => x[0]).join("; "),
      "|",
      r.finish,
      r.failure?.reason ?? "",
      "F1",
      r.score.f1,
      "TT",
      r.tt,
    );
    for (const resp of r.responses) console.log("  >>", resp.replace(/\n/g, " | ").slice(0, 400));
  }
