/**
 * Faults a user's machine can cause (docs/reliability.md), each ending in an exact resume or a clear
 * error naming the file — never exit code 0 with different results. One small run directory (smoke
 * world, one SFT epoch) is prepared in process; every fault runs on a copy of it, through the CLI in a
 * child process where the fault is a kill (MEMPO_FAULT, apps/trainer/faults.ts), in process otherwise.
 * About a minute on 2 cores.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MANIFEST_FILE, writeManifest } from "./checkpoint.ts";
import { CHECKPOINT_POINTS } from "./faults.ts";
import { runCli } from "./main.ts";
import { configSchema } from "./config.ts";
import { openRun } from "./run_dir.ts";

const root = mkdtempSync(join(tmpdir(), "mempo-faults-"));
const base = join(root, "base");
const BIN = fileURLToPath(new URL("./bin/mempo.mjs", import.meta.url));
const RL = ["--rl.iterations", "3", "--rl.saveEvery", "1", "--log.progress", "lines"];
let copies = 0;

/** A fresh copy of the prepared run (data, tokenizer, SFT) or of another run directory. */
function copy(from = base): string {
  const dir = join(root, `run${++copies}`);
  cpSync(from, dir, { recursive: true });
  return dir;
}

/** The CLI in a child process. */
function cli(args: string[], fault?: string) {
  const env = { ...process.env };
  if (fault) env.MEMPO_FAULT = fault;
  else delete env.MEMPO_FAULT;
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env, timeout: 120_000 });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

/** The CLI in this process (faster): exit code, stdout and stderr. */
async function inProcess(args: string[]) {
  let out = "";
  let err = "";
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
    out += `${a.join(" ")}\n`;
  });
  const error = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => {
    err += `${a.join(" ")}\n`;
  });
  try {
    return { code: await runCli(args), out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const bytes = (dir: string, stage: string, file: string) => readFileSync(join(dir, stage, file));
const leftovers = (dir: string) => readdirSync(dir).filter((n) => /\.(tmp|old)-\d+$/.test(n));

let ref = "";

beforeAll(async () => {
  const prep = [
    ["data", "--profile", "smoke", "--out", base],
    ["tokenizer", "--run", base],
    ["sft", "--run", base, "--sft.epochs", "1", "--log.progress", "lines"],
  ];
  for (const args of prep) expect((await inProcess(args)).code, args.join(" ")).toBe(0);
  ref = copy();
  const r = cli(["rl", "--run", ref, ...RL]);
  expect(r.code, r.err).toBe(0);
}, 300_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The final RL weights and optimizer state equal the uninterrupted run's, bit for bit. */
function expectSameAsReference(dir: string) {
  for (const f of ["model.safetensors", "optimizer.safetensors"])
    expect(Buffer.compare(bytes(dir, "rl", f), bytes(ref, "rl", f)), f).toBe(0);
  expect(leftovers(dir)).toEqual([]);
}

describe("the uninterrupted reference", () => {
  it("moved the weights away from SFT (so a repeated or skipped iteration would show)", () => {
    expect(
      Buffer.compare(bytes(ref, "rl", "model.safetensors"), bytes(ref, "sft", "model.safetensors")),
    ).not.toBe(0);
    expect(JSON.parse(bytes(ref, "rl", MANIFEST_FILE).toString()).step).toBe(3);
  });
});

describe("killed during a checkpoint write", () => {
  it.each(CHECKPOINT_POINTS)(
    "killed at '%s' of the iteration-2 checkpoint: --resume rl/ gives the reference weights",
    (point) => {
      const dir = copy();
      // the first checkpoint has nothing to move aside: the 1st 'aside' is the iteration-2 write
      const killed = cli(["rl", "--run", dir, ...RL], `kill:${point}:${point === "aside" ? 1 : 2}`);
      expect(killed.signal).toBe("SIGKILL");
      const resumed = cli(["rl", "--run", dir, "--resume", join(dir, "rl"), ...RL]);
      expect(resumed.code, resumed.err).toBe(0);
      // before the new checkpoint is in place the previous one (iteration 1) is what resumes
      const from = point === "in-place" || point === "removed" ? 2 : 1;
      expect(resumed.out).toContain(`rl: mempo from iteration ${from} of ${from}`);
      if (point === "aside") expect(resumed.out).toMatch(/rl: put back .*\/rl from rl\.old-\d+/);
      if (point !== "removed")
        expect(resumed.out).toMatch(/removed .*rl\.(tmp|old)-\d+, left by an interrupted write/);
      expectSameAsReference(dir);
      // the resumed command's metrics carry the next attempt number and continue the iterations
      const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { stage: string; attempt: number; iteration?: number });
      const last = Math.max(...lines.map((l) => l.attempt));
      const rlOf = (a: number) =>
        lines.filter((l) => l.stage === "rl" && l.attempt === a).map((l) => l.iteration);
      expect(rlOf(last)).toEqual(Array.from({ length: 3 - from }, (_, i) => from + 1 + i));
      expect(rlOf(last - 1).length).toBeGreaterThanOrEqual(2);
    },
  );

  it("killed before the first RL checkpoint existed: --resume rl/ says it is not one; --resume sft/ gives the reference", () => {
    const dir = copy();
    expect(cli(["rl", "--run", dir, ...RL], "kill:manifest:1").signal).toBe("SIGKILL");
    const bad = cli(["rl", "--run", dir, "--resume", join(dir, "rl"), ...RL]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${join(dir, "rl")}: not a checkpoint`);
    const ok = cli(["rl", "--run", dir, "--resume", join(dir, "sft"), ...RL]);
    expect(ok.code, ok.err).toBe(0);
    expectSameAsReference(dir);
  });

  it("killed while writing the SFT checkpoint: the next stage says sft/ is missing", () => {
    const dir = copy();
    rmSync(join(dir, "sft"), { recursive: true });
    const killed = cli(
      ["sft", "--run", dir, "--sft.epochs", "0.2", "--log.progress", "lines"],
      "kill:written:1",
    );
    expect(killed.signal).toBe("SIGKILL");
    const next = cli(["rl", "--run", dir, ...RL]);
    expect(next.code).toBe(1);
    expect(next.err).toContain(`${join(dir, "sft")} is missing: run \`mempo sft --run ${dir}\``);
    expect(leftovers(dir)).toEqual([]);
  });

  it("a full disk during a checkpoint write names the file, leaves no temporary files, and a rerun is exact", () => {
    const dir = copy();
    const full = cli(["rl", "--run", dir, ...RL], "enospc:manifest.json:2");
    expect(full.code).toBe(1);
    expect(full.err).toMatch(
      /rl\.tmp-\d+\/manifest\.json: cannot write \(ENOSPC.*\); free disk space and run again/,
    );
    expect(leftovers(dir)).toEqual([]);
    expect(JSON.parse(bytes(dir, "rl", MANIFEST_FILE).toString()).step).toBe(1);
    const resumed = cli(["rl", "--run", dir, "--resume", join(dir, "rl"), ...RL]);
    expect(resumed.code, resumed.err).toBe(0);
    expectSameAsReference(dir);
  });
});

describe("damaged or inconsistent checkpoints are refused with the file named", () => {
  const resume = (dir: string) => inProcess(["rl", "--run", dir, "--resume", join(dir, "rl"), ...RL]);
  const edit = (dir: string, file: string, f: (s: string) => string) =>
    writeFileSync(join(dir, "rl", file), f(readFileSync(join(dir, "rl", file), "utf8")));
  const rehash = (dir: string, step = 3) => writeManifest(join(dir, "rl"), { stage: "rl", step });

  it("optimizer.safetensors deleted", async () => {
    const dir = copy(ref);
    rmSync(join(dir, "rl", "optimizer.safetensors"));
    const r = await resume(dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${join(dir, "rl", "optimizer.safetensors")} is missing (the manifest lists it)`);
    expect(r.err).toContain("resume it from the SFT checkpoint");
  });

  it("trainer_state.json emptied: the manifest names it; with a rewritten manifest, the schema does", async () => {
    const dir = copy(ref);
    writeFileSync(join(dir, "rl", "trainer_state.json"), "{}");
    expect((await resume(dir)).err).toContain(
      `${join(dir, "rl", "trainer_state.json")}: 2 bytes but the manifest says`,
    );
    await rehash(dir);
    expect((await resume(dir)).err).toContain(
      `${join(dir, "rl", "trainer_state.json")}: field "step" must be an integer ≥ 0`,
    );
  });

  it("a step beyond --rl.iterations is refused, not run as zero iterations", async () => {
    const dir = copy(ref);
    edit(dir, "trainer_state.json", (s) => s.replace('"step": 3\n  }', '"step": 99\n  }'));
    await rehash(dir, 99);
    const r = await resume(dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain("the checkpoint is at RL iteration 99 but --rl.iterations is 3");
    expect(Buffer.compare(bytes(dir, "rl", "model.safetensors"), bytes(ref, "rl", "model.safetensors"))).toBe(
      0,
    );
  });

  it("an RL checkpoint without trainer_state.json is not evaluated as the RL model", async () => {
    const dir = copy(ref);
    rmSync(join(dir, "rl", "trainer_state.json"));
    const r = await inProcess(["eval", "--run", dir, "--eval.teacher=false", "--log.progress", "lines"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${join(dir, "rl", "trainer_state.json")} is missing`);
    expect(existsSync(join(dir, "eval.json"))).toBe(false);
  });

  it("safetensors offsets shifted by 4 bytes (overlapping tensors)", async () => {
    const dir = copy(ref);
    const file = join(dir, "rl", "model.safetensors");
    const b = readFileSync(file);
    const n = Number(b.readBigUInt64LE(0));
    const header = JSON.parse(b.subarray(8, 8 + n).toString()) as Record<string, { data_offsets: number[] }>;
    // a tensor whose shifted offsets keep their digit count, so the header keeps its length
    const digits = (x: number) => String(x).length;
    const second = Object.entries(header).find(
      ([k, v]) =>
        k !== "__metadata__" &&
        v.data_offsets[0]! > 0 &&
        digits(v.data_offsets[0]! - 4) === digits(v.data_offsets[0]!) &&
        digits(v.data_offsets[1]! - 4) === digits(v.data_offsets[1]!),
    )!;
    const [from, to] = second[1].data_offsets as [number, number];
    const text = b
      .subarray(8, 8 + n)
      .toString()
      .replace(`[${from},${to}]`, `[${from - 4},${to - 4}]`);
    expect(text.length).toBe(n);
    b.write(text, 8);
    writeFileSync(file, b);
    expect((await resume(dir)).err).toContain(`${file}: its sha256 differs from the manifest's`);
    await rehash(dir);
    expect((await resume(dir)).err).toMatch(
      new RegExp(`${file}: tensor "${second[0]}": data_offsets .* overlap`),
    );
  });

  it("two layers' tensor names swapped (same shapes): the manifest names the file", async () => {
    const dir = copy(ref);
    const file = join(dir, "rl", "model.safetensors");
    const b = readFileSync(file).toString("latin1");
    writeFileSync(
      file,
      Buffer.from(
        b
          .replace(/layers\.0\./g, "layers.X.")
          .replace(/layers\.1\./g, "layers.0.")
          .replace(/layers\.X\./g, "layers.1."),
        "latin1",
      ),
    );
    const r = await resume(dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}: its sha256 differs from the manifest's`);
  });

  it("config.json rope_theta or heads changed with the tensor shapes unchanged", async () => {
    const dir = copy(ref);
    edit(dir, "config.json", (s) => s.replace(/"rope_theta": [\d.e+]+/, '"rope_theta": 500000'));
    expect((await resume(dir)).err).toMatch(
      /rl\/config\.json: \d+ bytes but the manifest says \d+; the checkpoint is damaged/,
    );
    await rehash(dir);
    const r = await resume(dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /config\.json: ropeTheta is 500000 but .*mempo\.config\.json gives 10000 \(preset tiny\)/,
    );
    // twice the heads and KV heads at half the head size: every tensor keeps its shape
    const heads = copy(ref);
    edit(heads, "config.json", (s) =>
      s
        .replace('"num_attention_heads": 4', '"num_attention_heads": 8')
        .replace('"num_key_value_heads": 2', '"num_key_value_heads": 4'),
    );
    await rehash(heads);
    expect((await resume(heads)).err).toMatch(/config\.json: nHeads is 8 but .*mempo\.config\.json gives 4/);
  });

  it("a checkpoint from an older mempo (no manifest) is refused with what to do", async () => {
    const dir = copy(ref);
    rmSync(join(dir, "rl", MANIFEST_FILE));
    expect((await resume(dir)).err).toContain(
      `${join(dir, "rl")}: no manifest.json, so the checkpoint is incomplete or was written by an older mempo; rerun RL`,
    );
  });
});

describe("training guards", () => {
  it("--sft.lr 1e6: stops at the first NaN with stage, step and lr; sft/ is not overwritten", async () => {
    const dir = copy();
    const before = bytes(dir, "sft", "model.safetensors");
    const r = await inProcess(["sft", "--run", dir, "--sft.lr", "1e6", "--log.progress", "lines"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /sft: (loss|gradient norm) NaN.* at step \d+ \(learning rate [\d.e+]+\); training diverged/,
    );
    expect(r.err).toContain("Lower --sft.lr (now 1000000)");
    expect(Buffer.compare(bytes(dir, "sft", "model.safetensors"), before)).toBe(0);
  });

  it("--rl.lr 1e3: the KL spike to the reference is reported on the console and in metrics.jsonl", async () => {
    const dir = copy();
    const r = await inProcess(["rl", "--run", dir, "--rl.lr", "1e3", ...RL]);
    expect(r.out).toMatch(
      /rl: warning: KL to the SFT reference is [\d.]+ at iteration \d \(above --rl\.klWarn 0\.1\)/,
    );
    const warnings = readFileSync(join(dir, "metrics.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l.includes('"rl-warning"'));
    expect(warnings.length).toBeGreaterThan(0);
  });
});

describe("one process per run directory", () => {
  it("a second mempo on a directory in use fails with the holder's PID; the holder's run is untouched", async () => {
    const dir = copy();
    const config = configSchema.parse({
      ...JSON.parse(readFileSync(join(dir, "config.json"), "utf8")),
      out: dir,
    });
    const holder = openRun(config, () => {});
    try {
      const r = cli(["rl", "--run", dir, ...RL]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(
        `${dir} is in use by another mempo process (PID ${process.pid}, lock ${join(dir, "run.lock")})`,
      );
      expect(existsSync(join(dir, "rl"))).toBe(false);
    } finally {
      holder.close();
    }
    expect(existsSync(join(dir, "run.lock"))).toBe(false);
  });

  it("a lock left by a killed process is taken over with a message", () => {
    const dir = copy();
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    writeFileSync(join(dir, "run.lock"), `${dead}\n`);
    const r = cli(["rl", "--run", dir, ...RL]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(
      `taking over ${join(dir, "run.lock")}: its process (${dead}) is no longer running`,
    );
    expect(existsSync(join(dir, "run.lock"))).toBe(false);
    expectSameAsReference(dir);
  });
});

describe("inputs are validated with the file named", () => {
  const rl = (dir: string) => inProcess(["rl", "--run", dir, ...RL]);

  it("a non-UTF-8 byte in qa.jsonl (a gold answer would change)", async () => {
    const dir = copy();
    const file = join(dir, "qa.jsonl");
    const b = readFileSync(file);
    b[b.indexOf('"golden_answers":["') + 19] = 0xe9;
    writeFileSync(file, b);
    const r = await rl(dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}:1: field '(line)' is not valid UTF-8`);
  });

  it("tasks.json: bad bytes, bad JSON and a missing field each name the file", async () => {
    const dir = copy();
    const file = join(dir, "tasks.json");
    const good = readFileSync(file);
    const latin1 = Buffer.from(good);
    latin1[latin1.indexOf('"golden":[["') + 12] = 0xe9;
    writeFileSync(file, latin1);
    expect((await rl(dir)).err).toContain(`${file}: not valid UTF-8`);
    writeFileSync(file, good.subarray(0, 100));
    expect((await rl(dir)).err).toContain(`${file}: not valid JSON`);
    writeFileSync(file, good.toString().replace('"golden":', '"gold":'));
    expect((await rl(dir)).err).toContain(`${file}: field "train.0.golden"`);
  });

  it("index.bin truncated by 1,000 bytes", async () => {
    const dir = copy();
    const file = join(dir, "index.bin");
    const b = readFileSync(file);
    writeFileSync(file, b.subarray(0, b.length - 1000));
    const r = await rl(dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`${file}: section "\\w+" .* runs past the end of the data`));
  });
});

describe("eval", () => {
  it("says which step it evaluates and warns when rl/ is short of rl.iterations", async () => {
    const dir = copy();
    expect(cli(["rl", "--run", dir, ...RL], "kill:removed:2").signal).toBe("SIGKILL");
    const r = await inProcess([
      "eval",
      "--run",
      dir,
      "--eval.teacher=false",
      "--log.progress",
      "lines",
      ...RL,
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/eval: sft\/ after \d+ SFT steps/);
    expect(r.out).toContain("eval: rl/ at RL iteration 2 of 3");
    expect(r.out).toContain("eval: warning: rl/ holds iteration 2, short of --rl.iterations 3");
  });
});
