import { existsSync, symlinkSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCheckpoint, loadModel, saveCheckpoint, writeAtomic } from "./checkpoint.ts";
import { toHfConfig } from "./hf_config.ts";
import { forwardLogprobs, sftStep } from "./logprobs.ts";
import { Model } from "./params.ts";
import { type PresetName, preset } from "./presets.ts";
import { Rng } from "@mempo/kernels/random";
import { type NamedTensor, parseSafetensors, serializeSafetensors } from "./safetensors.ts";
import { randomItems } from "./testing.ts";
import { AdamW } from "./train.ts";

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "mempo-model-"));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

async function logprobs(m: Model, seed: number): Promise<number[]> {
  const p = await forwardLogprobs(m, randomItems(4, m.config.vocabSize, seed), { train: false });
  return bits(p.flat);
}

/** An HF-layout directory written by hand (GPT-2: no `transformer.` prefix, Conv1D [in, out], mask buffers). */
async function writeHfFixture(
  dir: string,
  m: Model,
  mutate?: (t: Map<string, NamedTensor>) => void,
): Promise<void> {
  const c = m.config;
  const arrays = await m.toArrays();
  const tensors = new Map<string, NamedTensor>();
  for (const [name, data] of arrays) {
    const shape = [...m.p(name).shape];
    if (c.family === "gpt2" && /\.(c_attn|c_proj|c_fc)\.weight$/.test(name)) {
      const [o, i] = shape as [number, number];
      const t = new Float32Array(data.length);
      for (let r = 0; r < o; r++) for (let k = 0; k < i; k++) t[k * o + r] = data[r * i + k]!;
      tensors.set(name.replace(/^transformer\./, ""), { shape: [i, o], data: t });
    } else tensors.set(c.family === "gpt2" ? name.replace(/^transformer\./, "") : name, { shape, data });
  }
  if (c.family === "gpt2") {
    const T = c.maxSeqLen;
    for (let l = 0; l < c.nLayers; l++)
      tensors.set(`h.${l}.attn.bias`, { shape: [1, 1, T, T], data: new Float32Array(T * T) });
  }
  mutate?.(tensors);
  await writeFile(join(dir, "config.json"), JSON.stringify(toHfConfig(c)));
  await writeFile(join(dir, "model.safetensors"), serializeSafetensors(tensors, { format: "pt" }));
}

describe.each(["tiny-gpt2", "tiny-llama"] as PresetName[])("checkpoints (%s)", (name) => {
  const c = preset(name, { initStd: 0.2 });

  it("save → load gives bit-identical log-probs", async () => {
    const dir = await tmp();
    const m = Model.init(c, { seed: 5 });
    await saveCheckpoint(dir, m);
    const back = await loadModel(dir);
    expect(back.config).toEqual(c);
    expect(await logprobs(back, 1)).toEqual(await logprobs(m, 1));
    m.dispose();
    back.dispose();
  });

  it("loads an HF-layout directory written by hand", async () => {
    const dir = await tmp();
    const m = Model.init(c, { seed: 6 });
    await writeHfFixture(dir, m);
    const back = await loadModel(dir);
    expect(await logprobs(back, 2)).toEqual(await logprobs(m, 2));
    m.dispose();
    back.dispose();
  });

  it("loads a sharded directory (model.safetensors.index.json)", async () => {
    const dir = await tmp();
    const m = Model.init(c, { seed: 7 });
    await saveCheckpoint(dir, m);
    const all = parseSafetensors(await readFile(join(dir, "model.safetensors"))).tensors;
    await rm(join(dir, "model.safetensors"));
    const names = [...all.keys()];
    const weightMap: Record<string, string> = {};
    for (const [k, part] of [names.slice(0, 5), names.slice(5)].entries()) {
      const file = `model-0000${k + 1}-of-00002.safetensors`;
      await writeFile(
        join(dir, file),
        serializeSafetensors(part.map((n) => [n, all.get(n)!] as [string, NamedTensor])),
      );
      for (const n of part) weightMap[n] = file;
    }
    await writeFile(
      join(dir, "model.safetensors.index.json"),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );
    const back = await loadModel(dir);
    expect(await logprobs(back, 4)).toEqual(await logprobs(m, 4));
    m.dispose();
    back.dispose();
  });

  it("names the tensor and both shapes when one is missing or mis-shaped", async () => {
    const m = Model.init(c);
    const key = c.family === "gpt2" ? "h.1.mlp.c_fc.weight" : "model.layers.1.mlp.up_proj.weight";
    const full = c.family === "gpt2" ? `transformer.${key}` : key;
    const d1 = await tmp();
    await writeHfFixture(d1, m, (t) => t.delete(key));
    await expect(loadModel(d1)).rejects.toThrow(`tensor "${full}" is missing (expected shape [`);
    const d2 = await tmp();
    await writeHfFixture(d2, m, (t) => t.set(key, { shape: [3, 5], data: new Float32Array(15) }));
    const want = c.family === "gpt2" ? "[16,64]" : "[32,16]"; // GPT-2 c_fc: Conv1D [in, out]
    await expect(loadModel(d2)).rejects.toThrow(
      `model.safetensors: tensor "${key}" has shape [3,5] but the config needs ${want}`,
    );
    const d3 = await tmp();
    await writeHfFixture(d3, m, (t) => t.set("extra.weight", { shape: [1], data: new Float32Array(1) }));
    await expect(loadModel(d3)).rejects.toThrow(/unexpected tensors "extra\.weight"/);
    m.dispose();
  });

  it("resumes training exactly from optimizer and PRNG state", async () => {
    const dir = await tmp();
    const items = randomItems(4, c.vocabSize, 3);
    const m = Model.init(c, { seed: 8 });
    const opt = new AdamW(m, { lr: 1e-2, warmupSteps: 2, totalSteps: 10 });
    const rng = new Rng(1);
    for (let s = 0; s < 2; s++) {
      await sftStep(m, items);
      opt.step();
      rng.next();
    }
    await saveCheckpoint(dir, m, { optimizer: opt, rng, extra: { iteration: 2 } });
    const cont = async (model: Model, o: AdamW, r: Rng) => {
      for (let s = 0; s < 2; s++) {
        await sftStep(model, items);
        o.step();
      }
      return { p: bits((await model.toArrays()).get(model.names.embed)!), r: r.next() };
    };
    const a = await cont(m, opt, rng);
    const ck = await loadCheckpoint(dir);
    expect(ck.extra).toEqual({ iteration: 2 });
    expect(ck.optimizer!.stepCount).toBe(2);
    const b = await cont(ck.model, ck.optimizer!, ck.rng!);
    expect(b).toEqual(a);
    m.dispose();
    ck.model.dispose();
  });

  it("refuses to write NaN or Inf in parameters or optimizer moments", async () => {
    const dir = await tmp();
    const good = Model.init(c, { seed: 9 });
    const arrays = await good.toArrays();
    arrays.get(good.names.embed)![7] = Number.NaN;
    const bad = Model.fromArrays(c, arrays);
    await expect(saveCheckpoint(dir, bad)).rejects.toThrow(
      new RegExp(`parameter "${good.names.embed.replace(/\./g, "\\.")}" holds NaN at index 7; refusing`),
    );
    expect(await readdir(dir)).toEqual([]);
    good.dispose();
    bad.dispose();
  });

  it("validates trainer_state.json and refuses a checkpoint whose optimizer file is missing or from another step", async () => {
    const dir = await tmp();
    const m = Model.init(c, { seed: 10 });
    const opt = new AdamW(m, { lr: 1e-2, totalSteps: 10 });
    await sftStep(m, randomItems(2, c.vocabSize, 1));
    opt.step();
    await saveCheckpoint(dir, m, { optimizer: opt, extra: { stage: "rl", step: 1 } });
    const state = join(dir, "trainer_state.json");
    const saved = await readFile(state, "utf8");
    await writeFile(state, "{}");
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /trainer_state\.json: field "step" must be an integer ≥ 0, got nothing/,
    );
    await writeFile(state, saved.replace('"step": 1', '"step": 2'));
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /optimizer\.safetensors holds the moments of step 1 but .*trainer_state\.json says step 2/,
    );
    await writeFile(state, Buffer.from([0x7b, 0xff, 0x7d]));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/trainer_state\.json: not valid UTF-8/);
    await writeFile(state, saved);
    await rm(join(dir, "optimizer.safetensors"));
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /optimizer\.safetensors is missing but .*trainer_state\.json records an optimizer at step 1/,
    );
    opt.dispose();
    m.dispose();
  });

  it.skipIf(!existsSync("/dev/full"))(
    "a failed write (disk full) names the file and leaves no temporary file",
    async () => {
      const dir = await tmp();
      const path = join(dir, "model.safetensors");
      symlinkSync("/dev/full", `${path}.tmp-${process.pid}`); // the temporary file's writes hit a full disk
      const err = await writeAtomic(path, new Uint8Array(1 << 16)).catch((e: NodeJS.ErrnoException) => e);
      expect(String(err)).toMatch(
        /model\.safetensors: cannot write \(ENOSPC.*\); free disk space and run again/,
      );
      expect((err as NodeJS.ErrnoException).code).toBe("ENOSPC");
      expect(await readdir(dir)).toEqual([]);
    },
  );
});
