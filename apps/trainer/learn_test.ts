/**
 * The learning check: `mempo train --profile learn` (the shipped pre-trained base, SFT on 300
 * single-objective tasks, no RL) must answer held-out single-objective questions about entities it
 * never saw, searching the held-out world's index. A change that stops the model from learning the
 * protocol or from reading its context (tokenizer, templates, kernels, model, SFT, rollouts) fails
 * here. About two minutes on 2 cores.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "./main.ts";
import type { EvalRow } from "./report.ts";

const dir = mkdtempSync(join(tmpdir(), "mempo-learn-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("mempo train --profile learn", () => {
  it("reaches a non-zero held-out F1 at N = 1", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(await main(["train", "--profile", "learn", "--out", dir, "--log.progress", "lines"])).toBe(0);
    } finally {
      log.mockRestore();
    }
    const { rows } = JSON.parse(readFileSync(join(dir, "eval.json"), "utf8")) as { rows: EvalRow[] };
    const sft = rows.find((r) => r.agent === "sft" && r.n === 1)!;
    console.log(`learn profile: held-out F1 ${sft.f1} at N = 1 (${sft.tasks} tasks)`);
    expect(sft.tasks).toBe(8);
    expect(sft.f1).toBeGreaterThan(0);
  }, 600_000);
});
