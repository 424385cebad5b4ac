/**
 * Fault injection for the reliability tests (reliability_test.ts, docs/reliability.md), read from one
 * environment variable and inert when it is unset:
 *
 *   MEMPO_FAULT=kill:POINT:K     SIGKILL this process the K-th time a checkpoint write reaches POINT
 *                                (written, manifest, aside, in-place, removed; see CHECKPOINT_POINTS)
 *   MEMPO_FAULT=enospc:FILE:K    the K-th checkpoint write of FILE (tokenizer.json, mempo.config.json,
 *                                manifest.json) goes to /dev/full, so it fails with the kernel's ENOSPC
 *
 * Nothing else in the trainer reads MEMPO_FAULT.
 */
import { ConfigError } from "./config.ts";

/** The moments of a checkpoint write (apps/trainer/checkpoint.ts), in order. */
export const CHECKPOINT_POINTS = ["written", "manifest", "aside", "in-place", "removed"] as const;
export type CheckpointPoint = (typeof CHECKPOINT_POINTS)[number];

interface Fault {
  kind: "kill" | "enospc";
  at: string;
  count: number;
}

function parseFault(v: string | undefined): Fault | null {
  if (v === undefined || v === "") return null;
  const m = /^(kill|enospc):([\w.-]+):(\d+)$/.exec(v);
  if (!m || (m[1] === "kill" && !(CHECKPOINT_POINTS as readonly string[]).includes(m[2]!))) {
    throw new ConfigError(
      `MEMPO_FAULT=${v}: expected kill:POINT:K (POINT one of ${CHECKPOINT_POINTS.join(", ")}) or enospc:FILE:K`,
    );
  }
  return { kind: m[1] as Fault["kind"], at: m[2]!, count: Number(m[3]) };
}

let fault: Fault | null | undefined;
const seen = new Map<string, number>();

function hit(kind: Fault["kind"], at: string): boolean {
  fault ??= parseFault(process.env.MEMPO_FAULT);
  if (fault?.kind !== kind || fault.at !== at) return false;
  const n = (seen.get(at) ?? 0) + 1;
  seen.set(at, n);
  return n === fault.count;
}

/** A checkpoint write reached `point`: dies here when MEMPO_FAULT says so. */
export function faultPoint(point: CheckpointPoint): void {
  if (hit("kill", point)) process.kill(process.pid, "SIGKILL");
}

/** Where a checkpoint file named `file` is written: `path`, or /dev/full when MEMPO_FAULT says so. */
export function faultPath(file: string, path: string): string {
  return hit("enospc", file) ? "/dev/full" : path;
}
