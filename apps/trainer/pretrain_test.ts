/**
 * `mempo pretrain` on a tiny setting: the base directory holds loadable weights and the tokenizer,
 * the loss falls, and `mempo sft` of a run started with `--model.base DIR` uses the base's tokenizer
 * and starts from its weights.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModel } from "@mempo/model/node";
import { loadTokenizer } from "@mempo/tokenizer/node";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "./main.ts";
import { worldTexts } from "./stages/pretrain.ts";

const dir = mkdtempSync(join(tmpdir(), "mempo-pretrain-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("mempo pretrain", () => {
  it("reading items quote the passages BM25 returns and end with the answer they state", async () => {
    const texts = await worldTexts(0, 60, 3);
    const items = texts.filter((t) => t.startsWith("Question: "));
    expect(items.length).toBeGreaterThan(20);
    for (const item of items.slice(0, 20)) {
      const lines = item.split("\n");
      expect(lines[1]).toMatch(/^Doc 1 \(Title: /);
      const answer = lines[lines.length - 1]!.replace(/^Answer: /, "");
      // the canonical answer, or its leading word ("890 km" is stated as "890 kilometres")
      expect(lines.slice(1, -1).join(" ")).toContain(answer.split(" ")[0]!);
    }
    expect(texts.length - items.length).toBeGreaterThan(100); // the passages themselves
  });

  it("writes a base that a run starts from", async () => {
    const base = join(dir, "base");
    const lines: string[] = [];
    const log = vi
      .spyOn(console, "log")
      .mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
    try {
      const flags = [
        "--model.preset",
        "tiny",
        "--tokenizer.vocabSize",
        "400",
        "--pretrain.entitiesPerWorld",
        "60",
      ];
      const p = [
        "--pretrain.steps",
        "50",
        "--pretrain.batchSize",
        "4",
        "--pretrain.seqLen",
        "64",
        "--pretrain.lr",
        "0.01",
      ];
      expect(await main(["pretrain", "--out", base, ...flags, ...p, "--pretrain.saveEvery", "20"])).toBe(0);
      for (const f of ["config.json", "model.safetensors", "tokenizer.json", "pretrain.json"])
        expect(existsSync(join(base, f))).toBe(true);
      expect(existsSync(join(base, "step-20", "model.safetensors"))).toBe(true);
      const losses = lines
        .map((l) => /loss (\d+\.\d+)/.exec(l)?.[1])
        .filter((x) => x !== undefined)
        .map(Number);
      expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! - 1);

      const run = join(dir, "run");
      const smoke = ["--profile", "smoke", "--out", run, "--log.progress", "lines", "--sft.epochs", "1"];
      expect(await main(["data", ...smoke])).toBe(0);
      expect(await main(["tokenizer", "--run", run, "--model.base", base])).toBe(0);
      expect(readFileSync(join(run, "tokenizer.json"), "utf8")).toBe(
        readFileSync(join(base, "tokenizer.json"), "utf8"),
      );
      expect(await main(["sft", "--run", run, "--model.base", base])).toBe(0);
      expect(lines.some((l) => l.includes(`starting from the pre-trained base ${base}`))).toBe(true);
      const m = await loadModel(join(run, "sft"));
      expect(m.config.vocabSize).toBe(loadTokenizer(base).vocabSize);
      m.dispose();
    } finally {
      log.mockRestore();
    }
  });

  it("a missing base is a clear error", async () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const run = join(dir, "run2");
      expect(await main(["data", "--profile", "smoke", "--out", run])).toBe(0);
      await expect(main(["tokenizer", "--run", run, "--model.base", join(dir, "nope")])).rejects.toThrow(
        /model\.safetensors|config\.json.*is missing/,
      );
    } finally {
      err.mockRestore();
      log.mockRestore();
    }
  });
});
