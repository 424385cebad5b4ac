import { describe, expect, it } from "vitest";
import { type Agent, runEpisode } from "./episode.ts";
import type { Hit, Retriever } from "./retriever.ts";
import type { Task } from "./tasks.ts";

const task: Task = {
  id: "t0",
  question: "Who founded X?; When?",
  objectives: ["Who founded X?", "When?"],
  golden: [["Alma R. Vetterling", "Alma Vetterling"], ["1947"]],
  sourceIds: ["a", "b"],
};

class StubRetriever implements Retriever {
  calls: string[] = [];
  async search(queries: string[], topk: number): Promise<Hit[][]> {
    this.calls.push(...queries);
    return queries.map((q) =>
      Array.from({ length: topk }, (_, i) => ({
        document: { id: `${q}-${i}`, contents: `"T${i}"\nabout ${q}` },
        score: 1,
      })),
    );
  }
}

const searcher: Agent = (_ctx, { index }) =>
  `<mem>turn ${index}</mem><think>t</think><search>q${index}</search>`;

describe("runEpisode", () => {
  it("an answer ends the episode and is scored", async () => {
    const ep = await runEpisode(
      () => "<mem>m</mem><think>t</think><answer>Alma Vetterling; 1948</answer>",
      task,
      new StubRetriever(),
    );
    expect(ep.finish).toBe("answer");
    expect(ep.formatValid).toBe(true);
    expect(ep.answers).toEqual(["Alma Vetterling", "1948"]);
    expect(ep.score.em).toBe(50);
    expect(ep.turns).toHaveLength(1);
  });

  it("malformed output is a format failure with score 0, not an exception", async () => {
    const ep = await runEpisode(
      () => "<think>t</think><answer>Alma Vetterling; 1947</answer>",
      task,
      new StubRetriever(),
    );
    expect(ep.finish).toBe("malformed");
    expect(ep.formatValid).toBe(false);
    expect(ep.turns[0]!.parsed).toMatchObject({ kind: "malformed", reason: "missing-mem" });
    expect(ep.score).toMatchObject({ em: 0, f1: 0 });
  });

  it("runs out of turns when the agent never answers; the last turn says it must answer", async () => {
    const r = new StubRetriever();
    const ep = await runEpisode(searcher, task, r, { maxTurns: 3, topk: 2 });
    expect(ep.finish).toBe("turn-limit");
    expect(ep.answers).toBeNull();
    expect(ep.formatValid).toBe(true);
    expect(r.calls).toEqual(["q0", "q1"]); // no search is run on the last turn
    expect(ep.turns[0]!.hits).toHaveLength(2);
    expect(ep.turns[2]!.hits).toBeNull();
    expect(ep.turns[0]!.context).toContain("You have 3 turns left.");
    expect(ep.turns[1]!.context.trimEnd().endsWith("You have 2 turns left.")).toBe(true);
    expect(ep.turns[2]!.context.trimEnd().endsWith("you must answer now.")).toBe(true);
  });

  it("mem keeps only the previous turn, full keeps all", async () => {
    const mem = await runEpisode(searcher, task, new StubRetriever(), { maxTurns: 4 });
    const c = mem.turns[3]!.context;
    expect(c).toContain("<search>q2</search>");
    expect(c).toContain("about q2");
    expect(c).not.toContain("q1");
    expect(c).toContain("Only your previous turn is shown again");
    const full = await runEpisode(searcher, task, new StubRetriever(), { maxTurns: 4, policy: "full" });
    for (const q of ["q0", "q1", "q2"]) expect(full.turns[3]!.context).toContain(`<search>${q}</search>`);
    expect(full.turns[3]!.context).not.toContain("Only your previous turn");
    const last2 = await runEpisode(searcher, task, new StubRetriever(), {
      maxTurns: 4,
      policy: "last-k",
      lastK: 2,
    });
    expect(last2.turns[3]!.context).toContain("<search>q1</search>");
    expect(last2.turns[3]!.context).not.toContain("<search>q0</search>");
  });

  it("ReAct mode accepts turns without <mem>", async () => {
    const ep = await runEpisode(
      () => "<think>t</think><answer>Alma R. Vetterling; 1947</answer>",
      task,
      new StubRetriever(),
      {
        useMem: false,
        policy: "full",
      },
    );
    expect(ep.finish).toBe("answer");
    expect(ep.score.em).toBe(100);
    expect(ep.turns[0]!.context).not.toContain("<mem>");
  });
});
