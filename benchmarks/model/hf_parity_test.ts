/**
 * Loading real Hugging Face checkpoints, checked against an independent PyTorch implementation:
 * hf_reference.py writes a GPT-2-shaped and a Qwen2-shaped model directory (random weights in HF's
 * names and layouts, F32 and BF16, one file or two shards) and computes their logits from HF's
 * modeling code's equations in float64; @mempo/model loads each directory (loadModel: streamed
 * safetensors, BF16 → f32) and its logits must match to 1e-4. Needs PyTorch (Debian python3-torch:
 * `bash benchmarks/setup-peers.sh`); skipped with that message where it is missing.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { forward } from "@mempo/model";
import { loadModel } from "@mempo/model/node";
import { afterAll, describe, expect, it } from "vitest";
import { findPython } from "../mod.ts";

const py = findPython();
if (!py)
  console.warn(
    "skipping HF parity: PyTorch not found; run `bash benchmarks/setup-peers.sh` (Debian python3-torch)",
  );

const dir = mkdtempSync(join(tmpdir(), "mempo-hf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ids = [5, 17, 0, 95, 42, 42, 8, 63, 1, 30, 77];

describe.skipIf(!py)("HF checkpoints: our logits equal PyTorch's (HF modeling equations)", () => {
  it.each([
    ["gpt2", "F32", 1],
    ["gpt2", "BF16", 1],
    ["qwen2", "F32", 2],
    ["qwen2", "BF16", 1],
  ] as const)(
    "%s %s (%i file(s))",
    async (family, dtype, shards) => {
      const out = join(dir, `${family}-${dtype}-${shards}`);
      const arg = JSON.stringify({ dir: out, family, dtype, shards, ids, seed: 1 });
      const ref = JSON.parse(
        execFileSync(py!, [join(import.meta.dirname, "hf_reference.py"), arg], { encoding: "utf8" }),
      ) as { logits: number[][] };
      const m = await loadModel(out, { backend: "ts" });
      try {
        const T = ids.length;
        const { logits } = forward(
          m,
          {
            B: 1,
            T,
            ids: Int32Array.from(ids),
            pos: new Int32Array(1),
            rows: Int32Array.from(ids, (_, i) => i),
          },
          { kind: "full", keyEnd: Int32Array.of(T) },
          false,
        );
        const ours = logits.readSync() as Float32Array;
        logits.dispose();
        const V = m.config.vocabSize;
        let maxDiff = 0;
        let maxAbs = 0;
        for (let t = 0; t < T; t++)
          for (let v = 0; v < V; v++) {
            maxDiff = Math.max(maxDiff, Math.abs(ours[t * V + v]! - ref.logits[t]![v]!));
            maxAbs = Math.max(maxAbs, Math.abs(ref.logits[t]![v]!));
          }
        expect(maxAbs).toBeGreaterThan(0.5); // logits that differ between tokens, not a flat output
        expect(maxDiff).toBeLessThan(1e-4);
      } finally {
        m.dispose();
      }
    },
    60_000,
  );
});
