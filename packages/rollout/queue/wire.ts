/**
 * Wire format of the rollout queue: RolloutGroups (with their StepRecords and memory scores) to plain
 * JSON and back, bit for bit. Typed arrays travel as base64 of their little-endian bytes (every
 * platform Node runs on is little-endian), so ids, log-probs (NaN and −0 included) and masks come back
 * exactly; everything else is plain JSON. A rollout's task is the group's task (runGroups shares the
 * object) and is sent once per group.
 *
 * Receipt is validated: the JSON shape with zod (errors name the path, e.g.
 * `groups[0].rollouts[1].steps[2].responseLogprobs`), the arrays' byte lengths, then each StepRecord
 * with `validateStepRecord` and the rollout's own invariants (ids, one observation and response per
 * step, memory scores of existing steps).
 *
 * Test: `npx vitest run queue/wire_test.ts`.
 */
import type { MalformedReason, Task } from "@mempo/env";
import { z } from "zod";
import type { FormatFailure, MemoryScore, Rollout, RolloutGroup } from "../rollout.ts";
import { type StepRecord, validateStepRecord } from "../step.ts";

/** Version of the wire format; a worker and an orchestrator must agree on it. */
export const WIRE_FORMAT = 1;

// ---- typed arrays ⇄ base64 ----

type Typed = Uint32Array | Float32Array | Uint8Array;
type TypedCtor = Uint32ArrayConstructor | Float32ArrayConstructor | Uint8ArrayConstructor;

function toBase64(a: Typed): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
}

function fromBase64<C extends TypedCtor>(ctor: C, b64: string, where: string): InstanceType<C> {
  const bytes = Buffer.from(b64, "base64");
  const size = ctor.BYTES_PER_ELEMENT;
  if (bytes.length % size !== 0) {
    throw new WireError(
      `${where}: ${bytes.length} bytes is not a whole number of ${ctor.name} elements (${size} bytes each)`,
    );
  }
  const out = new ctor(bytes.length / size) as InstanceType<C>;
  new Uint8Array(out.buffer).set(bytes); // copy: aligned, and independent of Buffer's pool
  return out;
}

/** A malformed or inconsistent message of the rollout queue. */
export class WireError extends Error {
  override name = "WireError";
}

// ---- schemas ----

const FORMAT_REASONS = [
  "empty",
  "truncated-tag",
  "information-tag",
  "stray-closing-tag",
  "nested-tag",
  "duplicate-tag",
  "both-actions",
  "wrong-order",
  "text-outside-tags",
  "unclosed-tag",
  "missing-action",
  "missing-mem",
  "missing-think",
  "empty-query",
  "empty-answer",
  "undecodable",
] as const satisfies readonly FormatFailure["reason"][];
// every reason env can produce is listed (compile-time check)
const _allReasons: Exclude<MalformedReason | "undecodable", (typeof FORMAT_REASONS)[number]> extends never
  ? true
  : never = true;
void _allReasons;

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "expected base64");
const int = z.number().int();
const nat = int.min(0);

export const taskSchema = z.object({
  id: z.string().min(1),
  question: z.string(),
  objectives: z.array(z.string()),
  golden: z.array(z.array(z.string())),
  sourceIds: z.array(z.string()),
});

const scoreSchema = z.object({
  em: z.number(),
  f1: z.number(),
  perObjective: z.array(z.object({ em: z.number(), f1: z.number() })),
  countMismatch: z.boolean(),
});

const stepSchema = z.object({
  stepIdx: nat,
  promptIds: b64,
  responseIds: b64,
  responseLogprobs: b64,
  memSpan: z.tuple([nat, nat]).nullable(),
  lossMask: b64,
  policyVersion: int,
  finish: z.enum(["stop", "length"]),
  tokens: nat,
});

const memorySchema = z.object({
  stepIdx: nat,
  memLogprobs: b64,
  baseLogprobs: b64,
  truncated: z.boolean(),
});

const rolloutSchema = z.object({
  sampleId: nat,
  promptIds: b64,
  steps: z.array(stepSchema),
  observations: z.array(b64),
  responses: z.array(z.string()),
  finish: z.enum(["answer", "malformed", "turn-limit", "context-overflow"]),
  failure: z.object({ turn: nat, reason: z.enum(FORMAT_REASONS), detail: z.string() }).nullable(),
  answers: z.array(z.string()).nullable(),
  score: scoreSchema,
  formatValid: z.boolean(),
  tt: nat,
  pt: nat,
  o200k: z.object({ tt: nat, pt: nat }).nullable(),
  memory: z.array(memorySchema).nullable(),
});

export const groupSchema = z.object({
  groupId: z.string().min(1),
  task: taskSchema,
  rollouts: z.array(rolloutSchema),
});

/** One RolloutGroup on the wire (plain JSON). */
export type WireGroup = z.infer<typeof groupSchema>;
type WireRollout = z.infer<typeof rolloutSchema>;
type WireStep = z.infer<typeof stepSchema>;

/**
 * Throws a WireError naming `what` and the first few failing paths of a zod result (paths start
 * with `root`, the value's name).
 */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string, root = ""): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const lines = r.error.issues.slice(0, 5).map((i) => `  ${formatPath(root, i.path)}: ${i.message}`);
  const more = r.error.issues.length > 5 ? `\n  … ${r.error.issues.length - 5} more` : "";
  throw new WireError(`${what} is malformed:\n${lines.join("\n")}${more}`);
}

function formatPath(root: string, path: readonly PropertyKey[]): string {
  let s = root;
  for (const p of path) s += typeof p === "number" ? `[${p}]` : s === "" ? String(p) : `.${String(p)}`;
  return s === "" ? "(root)" : s;
}

// ---- encode ----

function encodeStep(s: StepRecord): WireStep {
  return {
    stepIdx: s.stepIdx,
    promptIds: toBase64(s.promptIds),
    responseIds: toBase64(s.responseIds),
    responseLogprobs: toBase64(s.responseLogprobs),
    memSpan: s.memSpan === null ? null : [s.memSpan[0], s.memSpan[1]],
    lossMask: toBase64(s.lossMask),
    policyVersion: s.policyVersion,
    finish: s.finish,
    tokens: s.tokens,
  };
}

function encodeRollout(r: Rollout, g: RolloutGroup): WireRollout {
  if (r.groupId !== g.groupId || r.task.id !== g.task.id) {
    throw new WireError(
      `encodeGroups: rollout ${r.sampleId} of group ${g.groupId} belongs to group ${r.groupId} (task ${r.task.id})`,
    );
  }
  return {
    sampleId: r.sampleId,
    promptIds: toBase64(r.promptIds),
    steps: r.steps.map(encodeStep),
    observations: r.observations.map(toBase64),
    responses: [...r.responses],
    finish: r.finish,
    failure: r.failure === null ? null : { ...r.failure },
    answers: r.answers === null ? null : [...r.answers],
    score: structuredClone(r.score),
    formatValid: r.formatValid,
    tt: r.tt,
    pt: r.pt,
    o200k: r.o200k === null ? null : { ...r.o200k },
    memory:
      r.memory === null
        ? null
        : r.memory.map((m) => ({
            stepIdx: m.stepIdx,
            memLogprobs: toBase64(m.memLogprobs),
            baseLogprobs: toBase64(m.baseLogprobs),
            truncated: m.truncated,
          })),
  };
}

/** RolloutGroups as plain JSON values (JSON.stringify them as they are). */
export function encodeGroups(groups: readonly RolloutGroup[]): WireGroup[] {
  return groups.map((g) => ({
    groupId: g.groupId,
    task: structuredClone(g.task),
    rollouts: g.rollouts.map((r) => encodeRollout(r, g)),
  }));
}

// ---- decode ----

function decodeRollout(w: WireRollout, group: { groupId: string; task: Task }, where: string): Rollout {
  const { groupId } = group;
  const steps = w.steps.map((s, t): StepRecord => {
    const at = `${where}.steps[${t}]`;
    const step: StepRecord = {
      groupId,
      sampleId: w.sampleId,
      stepIdx: s.stepIdx,
      promptIds: fromBase64(Uint32Array, s.promptIds, `${at}.promptIds`),
      responseIds: fromBase64(Uint32Array, s.responseIds, `${at}.responseIds`),
      responseLogprobs: fromBase64(Float32Array, s.responseLogprobs, `${at}.responseLogprobs`),
      memSpan: s.memSpan,
      lossMask: fromBase64(Uint8Array, s.lossMask, `${at}.lossMask`),
      policyVersion: s.policyVersion,
      finish: s.finish,
      tokens: s.tokens,
    };
    try {
      validateStepRecord(step, at);
    } catch (e) {
      throw new WireError((e as Error).message);
    }
    if (s.stepIdx !== t)
      throw new WireError(`${at}.stepIdx is ${s.stepIdx}; steps must be in turn order 0, 1, …`);
    return step;
  });
  if (w.observations.length !== steps.length || w.responses.length !== steps.length) {
    throw new WireError(
      `${where}: ${steps.length} steps but ${w.observations.length} observations and ${w.responses.length} responses; ` +
        "a rollout has one of each per step",
    );
  }
  const memory =
    w.memory === null
      ? null
      : w.memory.map((m, j): MemoryScore => {
          const at = `${where}.memory[${j}]`;
          const mem = fromBase64(Float32Array, m.memLogprobs, `${at}.memLogprobs`);
          const base = fromBase64(Float32Array, m.baseLogprobs, `${at}.baseLogprobs`);
          if (m.stepIdx >= steps.length) {
            throw new WireError(`${at}.stepIdx = ${m.stepIdx} but the rollout has ${steps.length} steps`);
          }
          if (mem.length !== base.length) {
            throw new WireError(
              `${at}: memLogprobs has ${mem.length} values but baseLogprobs ${base.length}; both score the same target`,
            );
          }
          return { stepIdx: m.stepIdx, memLogprobs: mem, baseLogprobs: base, truncated: m.truncated };
        });
  return {
    groupId,
    sampleId: w.sampleId,
    task: group.task,
    promptIds: fromBase64(Uint32Array, w.promptIds, `${where}.promptIds`),
    steps,
    observations: w.observations.map((o, t) => fromBase64(Uint32Array, o, `${where}.observations[${t}]`)),
    responses: w.responses,
    finish: w.finish,
    failure: w.failure,
    answers: w.answers,
    score: w.score,
    formatValid: w.formatValid,
    tt: w.tt,
    pt: w.pt,
    o200k: w.o200k,
    memory,
  };
}

/**
 * Parses and validates groups received as JSON values. `what` names the source in errors (a job id).
 * @throws WireError naming the message, the path and what is wrong.
 */
export function decodeGroups(value: unknown, what = "rollout groups"): RolloutGroup[] {
  const wire = parseOrThrow(z.array(groupSchema), value, what, "groups");
  return wire.map((g, i) => {
    const where = `${what}: groups[${i}] (${g.groupId})`;
    const rollouts = g.rollouts.map((r, j) => decodeRollout(r, g, `${where}.rollouts[${j}]`));
    rollouts.forEach((r, j) => {
      if (r.sampleId !== j) {
        throw new WireError(
          `${where}.rollouts[${j}] has sampleId ${r.sampleId}; rollouts must be in sample order`,
        );
      }
    });
    return { groupId: g.groupId, task: g.task, rollouts };
  });
}
