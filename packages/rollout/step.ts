/**
 * StepRecord: one model turn of one rollout, token in and token out (DESIGN.md §4).
 *
 * The rollout carries ids, never text: a turn's `responseIds` are the ids the model sampled, and the
 * next turn's prompt is assembled from ids, so no decode→re-encode can shift a token boundary.
 * Test: `npx vitest run step_test.ts`.
 */

/** Why generation of a turn stopped. */
export type FinishReason = "stop" | "length";

export interface StepRecord {
  /** Task group: the G rollouts of one task share it. */
  groupId: string;
  /** Rollout index inside the group, 0..G-1. */
  sampleId: number;
  /** Turn index inside the rollout, 0-based. */
  stepIdx: number;
  /** Context the model saw this turn. [P] */
  promptIds: Uint32Array;
  /** Tokens the model generated this turn. [R] */
  responseIds: Uint32Array;
  /** log π_old of each generated token under the sampling policy. [R] */
  responseLogprobs: Float32Array;
  /** `<mem>` span in responseIds as [start, end) covering content and `</mem>`; null if none. */
  memSpan: [number, number] | null;
  /** 1 where the token is trained on, 0 elsewhere. [R] */
  lossMask: Uint8Array;
  /** Version of the policy that generated the turn (for staleness bounds). */
  policyVersion: number;
  finish: FinishReason;
  /** Tokens processed this turn: prompt + response. */
  tokens: number;
}

/**
 * Checks a record's internal consistency and throws an Error naming the record and field on the
 * first violation. `where` prefixes the message (e.g. a file and line when reading from disk).
 */
export function validateStepRecord(r: StepRecord, where = "step record"): void {
  const id = `${where} (group ${r.groupId}, sample ${r.sampleId}, step ${r.stepIdx})`;
  const fail = (field: string, msg: string): never => {
    throw new Error(`${id}: field '${field}' ${msg}`);
  };
  if (!Number.isInteger(r.sampleId) || r.sampleId < 0)
    fail("sampleId", `must be an integer ≥ 0, got ${r.sampleId}`);
  if (!Number.isInteger(r.stepIdx) || r.stepIdx < 0)
    fail("stepIdx", `must be an integer ≥ 0, got ${r.stepIdx}`);
  const n = r.responseIds.length;
  if (r.responseLogprobs.length !== n) {
    fail(
      "responseLogprobs",
      `has length ${r.responseLogprobs.length} but responseIds has ${n}; one log-prob per token`,
    );
  }
  if (r.lossMask.length !== n) fail("lossMask", `has length ${r.lossMask.length} but responseIds has ${n}`);
  for (let i = 0; i < n; i++) {
    const lp = r.responseLogprobs[i]!;
    if (!(lp <= 0) || Number.isNaN(lp))
      fail("responseLogprobs", `[${i}] = ${lp} is not a log-probability (≤ 0)`);
  }
  if (r.memSpan !== null) {
    const [s, e] = r.memSpan;
    if (!(Number.isInteger(s) && Number.isInteger(e) && 0 <= s && s <= e && e <= n)) {
      fail("memSpan", `[${s}, ${e}) is not a span inside the ${n} response tokens`);
    }
  }
  if (r.tokens !== r.promptIds.length + n) {
    fail("tokens", `is ${r.tokens} but prompt + response = ${r.promptIds.length} + ${n}`);
  }
}

/** Prompt ids followed by response ids: the sequence the model scores for this turn. */
export function stepSequence(r: StepRecord): Uint32Array {
  const out = new Uint32Array(r.promptIds.length + r.responseIds.length);
  out.set(r.promptIds, 0);
  out.set(r.responseIds, r.promptIds.length);
  return out;
}
