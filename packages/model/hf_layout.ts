/**
 * Tensor-level mapping between the model's parameters (HF names, Linear layout [out, in]) and the
 * tensors of an HF `model.safetensors`: GPT-2's Conv1D matrices are [in, out] on disk and transposed
 * here; GPT-2 files saved from `GPT2Model` lack the `transformer.` prefix; known non-parameter buffers
 * (`attn.bias`, `attn.masked_bias`, `rotary_emb.inv_freq`) and a redundant tied `lm_head.weight` are
 * skipped. Missing, mis-shaped and unexpected tensors fail with the tensor's name and both shapes.
 *
 * Test: `npx vitest run checkpoint_test.ts`.
 */
import type { ModelConfig } from "./config.ts";
import { paramSpecs } from "./params_spec.ts";
import type { NamedTensor } from "./safetensors.ts";

/** Transposes a row-major [rows, cols] matrix. */
export function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

const IGNORED = [/\.attn\.bias$/, /\.attn\.masked_bias$/, /rotary_emb\.inv_freq$/];

/**
 * Parameters (model layout) from the tensors of an HF file.
 * @param where the file path, for errors.
 * @throws Error naming the tensor and both shapes when one is missing, mis-shaped or unexpected.
 */
export function paramsFromHf(
  c: ModelConfig,
  tensors: Map<string, NamedTensor>,
  where: string,
): Map<string, Float32Array> {
  const byName = new Map<string, NamedTensor & { fileName: string }>();
  for (const [name, t] of tensors) {
    const n =
      c.family === "gpt2" && !name.startsWith("transformer.") && name !== "lm_head.weight"
        ? `transformer.${name}`
        : name;
    byName.set(n, { ...t, fileName: name });
  }
  const out = new Map<string, Float32Array>();
  for (const s of paramSpecs(c)) {
    const fileShape = s.conv1d ? [s.shape[1]!, s.shape[0]!] : s.shape;
    const t = byName.get(s.name);
    if (t === undefined) {
      throw new Error(
        `${where}: tensor "${s.name}" is missing (expected shape [${fileShape}]); the checkpoint does not match config.json`,
      );
    }
    if (t.shape.length !== fileShape.length || t.shape.some((d, i) => d !== fileShape[i])) {
      throw new Error(
        `${where}: tensor "${t.fileName}" has shape [${t.shape}] but the config needs [${fileShape}]`,
      );
    }
    out.set(s.name, s.conv1d ? transpose2d(t.data, fileShape[0]!, fileShape[1]!) : t.data);
    byName.delete(s.name);
  }
  if (c.tieEmbeddings) byName.delete("lm_head.weight");
  const extra = [...byName.values()].map((t) => t.fileName).filter((n) => !IGNORED.some((re) => re.test(n)));
  if (extra.length > 0) {
    throw new Error(
      `${where}: unexpected tensors ${extra
        .slice(0, 5)
        .map((n) => `"${n}"`)
        .join(
          ", ",
        )}${extra.length > 5 ? ` and ${extra.length - 5} more` : ""}; the checkpoint does not match config.json`,
    );
  }
  return out;
}

/** HF-layout tensors (Conv1D transposed back) for writing, in parameter order. */
export function paramsToHf(c: ModelConfig, params: Map<string, Float32Array>): [string, NamedTensor][] {
  return paramSpecs(c).map((s) => {
    const data = params.get(s.name);
    if (data === undefined) throw new Error(`paramsToHf: parameter "${s.name}" is missing`);
    if (!s.conv1d) return [s.name, { shape: s.shape, data }];
    return [s.name, { shape: [s.shape[1]!, s.shape[0]!], data: transpose2d(data, s.shape[0]!, s.shape[1]!) }];
  });
}
