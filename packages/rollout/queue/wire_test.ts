import { describe, expect, it } from "vitest";
import type { RolloutGroup } from "../rollout.ts";
import { runGroups } from "../runner.ts";
import { tinyWorld } from "../testing.ts";
import { decodePayload, encodePayload, parseJobData } from "./jobs.ts";
import { statelessPolicy } from "./testing.ts";
import { decodeGroups, encodeGroups, WireError } from "./wire.ts";

const { index, tokenizer: tok, tasks } = tinyWorld();
const some = tasks.slice(0, 3);
const config = { groupSize: 3, maxTurns: 3, seed: 1, groupIdPrefix: "it0/", memoryReward: true };

async function groups(): Promise<RolloutGroup[]> {
  const gs = await runGroups(statelessPolicy(tok, some), some, config, { retriever: index, tokenizer: tok });
  // awkward floats: −0, denormals, −Infinity / NaN where the format allows them (memory scores)
  const r = gs[0]!.rollouts[1]!;
  r.steps[0]!.responseLogprobs.set([-0, -1e-45, -3.4028234663852886e38]);
  r.memory![0]!.memLogprobs[0] = Number.NaN;
  r.memory![0]!.baseLogprobs[0] = Number.NEGATIVE_INFINITY;
  return gs;
}

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Every typed array of the groups, in a fixed order. */
function arrays(gs: RolloutGroup[]): ArrayBufferView[] {
  return gs.flatMap((g) =>
    g.rollouts.flatMap((r) => [
      r.promptIds,
      ...r.observations,
      ...r.steps.flatMap((s) => [s.promptIds, s.responseIds, s.responseLogprobs, s.lossMask]),
      ...(r.memory ?? []).flatMap((m) => [m.memLogprobs, m.baseLogprobs]),
    ]),
  );
}

describe("wire format", () => {
  it("round-trips groups through JSON text exactly: every typed array bit for bit, the rest deep-equal", async () => {
    const gs = await groups();
    expect(gs.every((g) => g.rollouts.every((r) => r.memory !== null && r.steps.length === 2))).toBe(true);
    const back = decodeGroups(JSON.parse(JSON.stringify(encodeGroups(gs))));
    expect(back).toEqual(gs);
    const a = arrays(gs);
    const b = arrays(back);
    expect(b.map((x) => x.constructor.name)).toEqual(a.map((x) => x.constructor.name));
    expect(b.every((x, i) => bytes(x).equals(bytes(a[i]!)))).toBe(true);
    expect(Object.is(back[0]!.rollouts[1]!.steps[0]!.responseLogprobs[0], -0)).toBe(true);
    expect(back[0]!.rollouts[1]!.memory![0]!.memLogprobs[0]).toBeNaN();
    // a rollout's task is its group's task, as runGroups makes it
    expect(back[1]!.rollouts[2]!.task).toBe(back[1]!.task);
  });

  it("a payload is checked against its job: group ids, G, and one policy version on every step", async () => {
    const gs = await groups();
    const job = { tasks: some, config: { ...config, groupSize: 3 } } as Parameters<typeof decodePayload>[1];
    expect(decodePayload(encodePayload(gs, 0), job, "job 7").groups).toEqual(gs);
    expect(() => decodePayload(encodePayload(gs.slice(1), 0), job, "job 7")).toThrow(
      /job 7: groups \[it0\/.*\] do not answer the job's tasks/,
    );
    expect(() =>
      decodePayload(encodePayload(gs, 0), { ...job, config: { ...job.config, groupSize: 4 } }, "job 7"),
    ).toThrow(/has 3 rollouts; the job asked for G = 4/);
    gs[2]!.rollouts[0]!.steps[1]!.policyVersion = 5;
    expect(() => decodePayload(encodePayload(gs, 0), job, "job 7")).toThrow(
      /sample 0 step 1 has policyVersion 5; the payload says 0/,
    );
  });

  it("rejects malformed groups with the path and the reason", async () => {
    const wire = () => JSON.parse(JSON.stringify(encodeGroups(groups0)));
    const groups0 = await groups();
    // biome-ignore lint/suspicious/noExplicitAny: the cases spoil arbitrary fields of parsed JSON
    const cases: [(w: any) => void, RegExp][] = [
      [
        (w) => delete w[0].rollouts[1].steps[0].lossMask,
        /groups\[0\]\.rollouts\[1\]\.steps\[0\]\.lossMask: /,
      ],
      [(w) => (w[0].rollouts[0].finish = "done"), /groups\[0\]\.rollouts\[0\]\.finish: /],
      [(w) => (w[1].rollouts[0].steps[1].responseIds = "not base64!"), /responseIds: expected base64/],
      [
        (w) => (w[0].rollouts[0].steps[0].responseLogprobs = Buffer.from([1, 2, 3]).toString("base64")),
        /steps\[0\]\.responseLogprobs: 3 bytes is not a whole number of Float32Array elements/,
      ],
      [
        (w) => (w[0].rollouts[0].steps[0].lossMask = Buffer.from([1]).toString("base64")),
        /field 'lossMask' has length 1 but responseIds has \d+/,
      ],
      [
        (w) => w[0].rollouts[2].observations.pop(),
        /rollouts\[2\]: 2 steps but 1 observations and 2 responses/,
      ],
      [
        (w) => (w[0].rollouts[0].memory[0].stepIdx = 9),
        /memory\[0\]\.stepIdx = 9 but the rollout has 2 steps/,
      ],
      [(w) => w[0].rollouts.reverse(), /rollouts\[0\] has sampleId 2; rollouts must be in sample order/],
      [
        (w) => (w[0].rollouts[0].steps[1].stepIdx = 0),
        /steps\[1\]\.stepIdx is 0; steps must be in turn order/,
      ],
    ];
    for (const [spoil, message] of cases) {
      const w = wire();
      spoil(w);
      expect(() => decodeGroups(w, "job 3")).toThrow(WireError);
      expect(() => decodeGroups(w, "job 3")).toThrow(message);
    }
  });

  it("validates job data: shape, rollout config rules, the staleness arithmetic", () => {
    const data = {
      format: 1,
      submission: "s",
      index: 0,
      attempt: 0,
      tasks: some.slice(0, 1),
      config: { ...structuredClone(tinyConfig()), groupSize: 2 },
      learnerVersion: 4,
      maxStaleness: 1,
      minVersion: 3,
    };
    expect(parseJobData(data, "job a").minVersion).toBe(3);
    expect(() => parseJobData({ ...data, tasks: [] }, "job a")).toThrow(/job a is malformed:\n {2}tasks: /);
    expect(() => parseJobData({ ...data, config: { ...data.config, groupSize: 0 } }, "job a")).toThrow(
      /job a: rollout config: groupSize = 0: must be an integer ≥ 1/,
    );
    expect(() => parseJobData({ ...data, minVersion: 4 }, "job a")).toThrow(
      /minVersion 4 ≠ learnerVersion 4 − maxStaleness 1/,
    );
    expect(() => parseJobData({ ...data, format: 2 }, "job a")).toThrow(/format: /);
  });
});

function tinyConfig() {
  return {
    groupSize: 8,
    maxTurns: 8,
    retention: "mem",
    k: 1,
    topk: 3,
    maxNewTokens: 256,
    sampling: { temperature: 1 },
    seed: 0,
    useMem: true,
    memoryReward: true,
    memoryBridge: "",
    countO200k: false,
    groupIdPrefix: "",
  };
}
