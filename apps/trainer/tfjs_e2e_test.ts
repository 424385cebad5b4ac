/**
 * `mempo train --profile smoke --backend tfjs` end to end on TensorFlow.js (tfjs-backend-wasm, the one
 * CI installs; MEMPO_TFJS_BACKEND picks another), shortened to one SFT epoch and one RL iteration, and
 * the same run on our wasm backend as an independent implementation: every stage completes on tfjs,
 * its checkpoints load, and SFT logs the same losses step by step (same data, seed and batches; only the
 * kernels differ, so float32 round-off is the only difference). About a minute on 2 cores.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCheckpoint } from "@mempo/model/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "./main.ts";

const root = mkdtempSync(join(tmpdir(), "mempo-tfjs-e2e-"));
const SHORT = ["--profile", "smoke", "--sft.epochs", "1", "--rl.iterations", "1", "--log.progress", "lines"];
const code: Record<string, number> = {};

const sftLosses = (backend: string) =>
  readFileSync(join(root, backend, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { stage: string; loss?: number })
    .filter((r) => r.stage === "sft" && r.loss !== undefined)
    .map((r) => r.loss!);

beforeAll(async () => {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    for (const backend of ["tfjs", "wasm"]) {
      code[backend] = await main(["train", ...SHORT, "--backend", backend, "--out", join(root, backend)]);
    }
  } finally {
    log.mockRestore();
  }
}, 600_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("mempo train --profile smoke --backend tfjs", () => {
  it("completes every stage and writes checkpoints that load", async () => {
    expect(code.tfjs).toBe(0);
    const dir = join(root, "tfjs");
    for (const f of ["config.json", "tokenizer.json", "eval.json", "report.md"]) {
      expect(existsSync(join(dir, f))).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).backend).toBe("tfjs");
    for (const stage of ["sft", "rl"]) {
      const ck = await loadCheckpoint(join(dir, stage));
      expect(ck.model.numParams()).toBeGreaterThan(0);
    }
  });

  it("logs the same SFT losses as the wasm backend, step by step", () => {
    expect(code.wasm).toBe(0);
    const tfjs = sftLosses("tfjs");
    const wasm = sftLosses("wasm");
    expect(tfjs.length).toBe(wasm.length);
    expect(tfjs.length).toBeGreaterThan(10);
    for (let i = 0; i < tfjs.length; i++) expect(Math.abs(tfjs[i]! - wasm[i]!)).toBeLessThan(2e-3);
  });
});
