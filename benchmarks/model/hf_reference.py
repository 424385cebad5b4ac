"""Independent PyTorch reference for loading Hugging Face checkpoints (benchmarks/model/hf_parity_test.ts).

Writes an HF model directory with random weights, in the tensor names and layouts of HF's own
modeling code (modeling_gpt2.py: Conv1D weights [in, out], fused c_attn, the causal-mask buffer
`h.<i>.attn.bias`, lm_head tied to wte; modeling_qwen2.py: Linear [out, in], q/k/v bias, no o_proj
bias, RMSNorm, rotate_half RoPE, grouped-query heads, SwiGLU), stored as F32 or BF16 (optionally in
two shards with model.safetensors.index.json), then computes the logits of `ids` in float64 from the
weights as stored. Needs only torch (Debian python3-torch); the safetensors file is written by hand.

Run: python3 hf_reference.py '{"dir": D, "family": "gpt2"|"qwen2", "dtype": "F32"|"BF16",
      "shards": 1|2, "ids": [...], "seed": 0}'   → prints {"logits": [[...], ...]}
"""
import json
import math
import os
import struct
import sys

import torch

args = json.loads(sys.argv[1])
torch.manual_seed(args.get("seed", 0))
FAMILY, DTYPE, IDS = args["family"], args["dtype"], args["ids"]
V, D, L, H, KV, F, P = 96, 48, 2, 4, 2, 80, 64
HD = D // H
EPS = 1e-5 if FAMILY == "gpt2" else 1e-6
THETA = 10000.0


def rnd(*shape, std=0.15, mean=0.0):
    return torch.randn(*shape) * std + mean


# --- weights in HF names and layouts ---------------------------------------------------------------
W = {}
if FAMILY == "gpt2":
    W["wte.weight"] = rnd(V, D, std=0.3)
    W["wpe.weight"] = rnd(P, D, std=0.1)
    for i in range(L):
        h = f"h.{i}"
        W[f"{h}.ln_1.weight"] = rnd(D, std=0.1, mean=1.0)
        W[f"{h}.ln_1.bias"] = rnd(D, std=0.05)
        W[f"{h}.attn.bias"] = torch.tril(torch.ones(P, P)).view(1, 1, P, P)  # causal-mask buffer
        W[f"{h}.attn.c_attn.weight"] = rnd(D, 3 * D)  # Conv1D: [in, out]
        W[f"{h}.attn.c_attn.bias"] = rnd(3 * D, std=0.05)
        W[f"{h}.attn.c_proj.weight"] = rnd(D, D)
        W[f"{h}.attn.c_proj.bias"] = rnd(D, std=0.05)
        W[f"{h}.ln_2.weight"] = rnd(D, std=0.1, mean=1.0)
        W[f"{h}.ln_2.bias"] = rnd(D, std=0.05)
        W[f"{h}.mlp.c_fc.weight"] = rnd(D, 4 * D)
        W[f"{h}.mlp.c_fc.bias"] = rnd(4 * D, std=0.05)
        W[f"{h}.mlp.c_proj.weight"] = rnd(4 * D, D)
        W[f"{h}.mlp.c_proj.bias"] = rnd(D, std=0.05)
    W["ln_f.weight"] = rnd(D, std=0.1, mean=1.0)
    W["ln_f.bias"] = rnd(D, std=0.05)
    config = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": V, "n_embd": D,
              "n_layer": L, "n_head": H, "n_inner": None, "n_positions": P, "n_ctx": P,
              "layer_norm_epsilon": EPS, "activation_function": "gelu_new", "tie_word_embeddings": True}
else:
    W["model.embed_tokens.weight"] = rnd(V, D, std=0.3)
    for i in range(L):
        h = f"model.layers.{i}"
        W[f"{h}.input_layernorm.weight"] = rnd(D, std=0.1, mean=1.0)
        W[f"{h}.self_attn.q_proj.weight"] = rnd(H * HD, D)  # Linear: [out, in]
        W[f"{h}.self_attn.q_proj.bias"] = rnd(H * HD, std=0.05)
        W[f"{h}.self_attn.k_proj.weight"] = rnd(KV * HD, D)
        W[f"{h}.self_attn.k_proj.bias"] = rnd(KV * HD, std=0.05)
        W[f"{h}.self_attn.v_proj.weight"] = rnd(KV * HD, D)
        W[f"{h}.self_attn.v_proj.bias"] = rnd(KV * HD, std=0.05)
        W[f"{h}.self_attn.o_proj.weight"] = rnd(D, H * HD)
        W[f"{h}.post_attention_layernorm.weight"] = rnd(D, std=0.1, mean=1.0)
        W[f"{h}.mlp.gate_proj.weight"] = rnd(F, D)
        W[f"{h}.mlp.up_proj.weight"] = rnd(F, D)
        W[f"{h}.mlp.down_proj.weight"] = rnd(D, F)
    W["model.norm.weight"] = rnd(D, std=0.1, mean=1.0)
    W["lm_head.weight"] = rnd(V, D, std=0.3)
    config = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": V, "hidden_size": D,
              "intermediate_size": F, "num_hidden_layers": L, "num_attention_heads": H,
              "num_key_value_heads": KV, "max_position_embeddings": P, "rms_norm_eps": EPS,
              "rope_theta": THETA, "tie_word_embeddings": False, "hidden_act": "silu",
              "use_sliding_window": False}
config["torch_dtype"] = "bfloat16" if DTYPE == "BF16" else "float32"

# Store, then compute from the stored values (BF16 rounds).
tdtype = torch.bfloat16 if DTYPE == "BF16" else torch.float32
W = {k: v.to(tdtype) for k, v in W.items()}


def write_safetensors(path, tensors):
    header, off, blobs = {}, 0, []
    for name, t in tensors.items():
        raw = t.contiguous().view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.contiguous().numpy().tobytes()
        header[name] = {"dtype": DTYPE, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        off += len(raw)
        blobs.append(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


out = args["dir"]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(config, f)
names = list(W)
if args.get("shards", 1) == 1:
    write_safetensors(os.path.join(out, "model.safetensors"), W)
else:
    half = len(names) // 2
    parts = {"model-00001-of-00002.safetensors": names[:half], "model-00002-of-00002.safetensors": names[half:]}
    for file, ns in parts.items():
        write_safetensors(os.path.join(out, file), {n: W[n] for n in ns})
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": {n: file for file, ns in parts.items() for n in ns}}, f)

# --- forward in float64 -------------------------------------------------------------------------------
w = {k: v.to(torch.float64) for k, v in W.items()}
ids = torch.tensor(IDS)
T = len(IDS)
mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)


def attend(q, k, v):  # [heads, T, hd]
    s = q @ k.transpose(-1, -2) / math.sqrt(HD) + mask
    return torch.softmax(s, -1) @ v


if FAMILY == "gpt2":
    def ln(x, p):
        return torch.nn.functional.layer_norm(x, (D,), w[f"{p}.weight"], w[f"{p}.bias"], EPS)

    def gelu_new(x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))

    x = w["wte.weight"][ids] + w["wpe.weight"][torch.arange(T)]
    for i in range(L):
        h = f"h.{i}"
        qkv = ln(x, f"{h}.ln_1") @ w[f"{h}.attn.c_attn.weight"] + w[f"{h}.attn.c_attn.bias"]
        q, k, v = (t.view(T, H, HD).transpose(0, 1) for t in qkv.split(D, -1))
        a = attend(q, k, v).transpose(0, 1).reshape(T, D)
        x = x + a @ w[f"{h}.attn.c_proj.weight"] + w[f"{h}.attn.c_proj.bias"]
        m = gelu_new(ln(x, f"{h}.ln_2") @ w[f"{h}.mlp.c_fc.weight"] + w[f"{h}.mlp.c_fc.bias"])
        x = x + m @ w[f"{h}.mlp.c_proj.weight"] + w[f"{h}.mlp.c_proj.bias"]
    logits = ln(x, "ln_f") @ w["wte.weight"].T
else:
    def rms(x, p):
        return w[p] * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS))

    def lin(x, p, bias=False):
        y = x @ w[f"{p}.weight"].T
        return y + w[f"{p}.bias"] if bias else y

    inv = 1.0 / (THETA ** (torch.arange(0, HD, 2, dtype=torch.float64) / HD))
    fr = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    emb = torch.cat([fr, fr], -1)
    cos, sin = emb.cos(), emb.sin()

    def rotate_half(t):
        return torch.cat([-t[..., HD // 2:], t[..., : HD // 2]], -1)

    def rope(t):
        return t * cos + rotate_half(t) * sin

    x = w["model.embed_tokens.weight"][ids]
    for i in range(L):
        h = f"model.layers.{i}"
        hs = rms(x, f"{h}.input_layernorm.weight")
        q = lin(hs, f"{h}.self_attn.q_proj", True).view(T, H, HD).transpose(0, 1)
        k = lin(hs, f"{h}.self_attn.k_proj", True).view(T, KV, HD).transpose(0, 1)
        v = lin(hs, f"{h}.self_attn.v_proj", True).view(T, KV, HD).transpose(0, 1)
        q, k = rope(q), rope(k)
        k = k.repeat_interleave(H // KV, 0)  # repeat_kv
        v = v.repeat_interleave(H // KV, 0)
        a = attend(q, k, v).transpose(0, 1).reshape(T, H * HD)
        x = x + lin(a, f"{h}.self_attn.o_proj")
        hs = rms(x, f"{h}.post_attention_layernorm.weight")
        x = x + lin(torch.nn.functional.silu(lin(hs, f"{h}.mlp.gate_proj")) * lin(hs, f"{h}.mlp.up_proj"), f"{h}.mlp.down_proj")
    logits = lin(rms(x, "model.norm.weight"), "lm_head")

print(json.dumps({"logits": logits.tolist(), "torch": torch.__version__}))
