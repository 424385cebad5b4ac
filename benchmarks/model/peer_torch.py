"""PyTorch peer for benchmarks/model/main.ts: the same decoder-only transformer (gpt2 or llama family)
in eager PyTorch, timed on the same shapes. Prints one JSON object on stdout.

Run: python3 benchmarks/model/peer_torch.py '<json>' where json = {"config": ModelConfig (camelCase, as
@mempo/model resolves it), "threads": 2, "train": {"batch", "seqLen", "steps"}, "decode": {"batch",
"promptLen", "newTokens", "reps"}, "sft": {"shapes": [[B, T, N], …]}} (each section optional). Simplifications: random weights and token ids, greedy decoding,
a preallocated KV cache, attention written out (torch 1.13 has no scaled_dot_product_attention).
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

args = json.loads(sys.argv[1])
cfg = args["config"]
torch.set_num_threads(int(args.get("threads", 2)))
torch.manual_seed(0)

D = cfg["dModel"]
H = cfg["nHeads"]
KV = cfg["nKvHeads"]
HD = D // H
FF = cfg["dFf"]
V = cfg["vocabSize"]
L = cfg["nLayers"]
GPT2 = cfg["family"] == "gpt2"
EPS = cfg["normEps"]


class RMSNorm(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * self.weight


def norm(d):
    return torch.nn.LayerNorm(d, eps=EPS) if GPT2 else RMSNorm(d)


def rope_tables(T):
    inv = 1.0 / (cfg["ropeTheta"] ** (torch.arange(0, HD, 2).float() / HD))
    f = torch.outer(torch.arange(T).float(), inv)
    emb = torch.cat([f, f], -1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    a, b = x[..., : HD // 2], x[..., HD // 2 :]
    return torch.cat([-b, a], -1)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.n1 = norm(D)
        self.n2 = norm(D)
        self.q = torch.nn.Linear(D, H * HD, bias=GPT2 or cfg["qkvBias"])
        self.k = torch.nn.Linear(D, KV * HD, bias=GPT2 or cfg["qkvBias"])
        self.v = torch.nn.Linear(D, KV * HD, bias=GPT2 or cfg["qkvBias"])
        self.o = torch.nn.Linear(H * HD, D, bias=GPT2)
        if GPT2:
            self.fc = torch.nn.Linear(D, FF)
            self.proj = torch.nn.Linear(FF, D)
        else:
            self.gate = torch.nn.Linear(D, FF, bias=False)
            self.up = torch.nn.Linear(D, FF, bias=False)
            self.down = torch.nn.Linear(FF, D, bias=False)

    def forward(self, x, pos0, cache, cos, sin):
        B, T, _ = x.shape
        h = self.n1(x)
        q = self.q(h).view(B, T, H, HD).transpose(1, 2)
        k = self.k(h).view(B, T, KV, HD).transpose(1, 2)
        v = self.v(h).view(B, T, KV, HD).transpose(1, 2)
        if not GPT2:
            c, s = cos[pos0 : pos0 + T], sin[pos0 : pos0 + T]
            q = q * c + rotate_half(q) * s
            k = k * c + rotate_half(k) * s
        if cache is not None:
            kc, vc = cache
            kc[:, :, pos0 : pos0 + T] = k
            vc[:, :, pos0 : pos0 + T] = v
            k, v = kc[:, :, : pos0 + T], vc[:, :, : pos0 + T]
        if KV != H:
            k = k.repeat_interleave(H // KV, dim=1)
            v = v.repeat_interleave(H // KV, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(HD)
        S = k.shape[2]
        if T > 1:
            mask = torch.ones(T, S, dtype=torch.bool).tril(S - T)
            att = att.masked_fill(~mask, float("-inf"))
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, H * HD)
        x = x + self.o(y)
        h = self.n2(x)
        if GPT2:
            x = x + self.proj(F.gelu(self.fc(h), approximate="tanh"))
        else:
            x = x + self.down(F.silu(self.gate(h)) * self.up(h))
        return x


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = torch.nn.Embedding(V, D)
        if GPT2:
            self.wpe = torch.nn.Embedding(cfg["maxSeqLen"], D)
        self.blocks = torch.nn.ModuleList([Block() for _ in range(L)])
        self.nf = norm(D)
        self.head = None if cfg["tieEmbeddings"] else torch.nn.Linear(D, V, bias=False)
        cos, sin = rope_tables(cfg["maxSeqLen"])
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)

    def forward(self, ids, pos0=0, caches=None):
        T = ids.shape[1]
        x = self.wte(ids)
        if GPT2:
            x = x + self.wpe(torch.arange(pos0, pos0 + T))
        for i, b in enumerate(self.blocks):
            x = b(x, pos0, None if caches is None else caches[i], self.cos, self.sin)
        x = self.nf(x)
        return x @ (self.wte.weight.t() if self.head is None else self.head.weight.t())


model = Model()
out = {"torch": torch.__version__, "threads": torch.get_num_threads()}

if "train" in args:
    tr = args["train"]
    B, T = tr["batch"], tr["seqLen"]
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.1)
    ids = torch.randint(0, V, (B, T + 1))
    times = []
    for step in range(tr["steps"] + 2):
        t0 = time.perf_counter()
        logits = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step >= 2:
            times.append(time.perf_counter() - t0)
    times.sort()
    out["trainStepS"] = times[len(times) // 2]
    out["trainTokensPerS"] = B * T / out["trainStepS"]

if "decode" in args:
    dc = args["decode"]
    B, P, N = dc["batch"], dc["promptLen"], dc["newTokens"]
    prompt = torch.randint(0, V, (B, P))
    dts, pts = [], []
    with torch.no_grad():
        for rep in range(dc["reps"] + 1):
            caches = [(torch.zeros(B, KV, P + N, HD), torch.zeros(B, KV, P + N, HD)) for _ in range(L)]
            t0 = time.perf_counter()
            nxt = model(prompt, 0, caches)[:, -1].argmax(-1, keepdim=True)
            t1 = time.perf_counter()
            for i in range(N - 1):
                nxt = model(nxt, P + i, caches)[:, -1].argmax(-1, keepdim=True)
            t2 = time.perf_counter()
            if rep >= 1:
                pts.append(t1 - t0)
                dts.append(t2 - t1)
    dts.sort()
    pts.sort()
    out["prefillS"] = pts[len(pts) // 2]
    out["decodeS"] = dts[len(dts) // 2]
    out["decodeTokensPerS"] = B * (N - 1) / out["decodeS"]

if "sft" in args:
    # The trainer's SFT batches (benchmarks/trainer): per batch [B, T, N] = sequences, padded length,
    # response rows; the head and the loss run on N rows only, as in @mempo/model forwardLogprobs.
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.1)
    gen = torch.Generator().manual_seed(1)

    def sft_step(B, T, N):
        ids = torch.randint(0, V, (B, T), generator=gen)
        x = model.wte(ids)
        for b in model.blocks:
            x = b(x, 0, None, model.cos, model.sin)
        rows = torch.randint(0, B * T, (N,), generator=gen)
        h = model.nf(x.reshape(B * T, D)[rows])
        logits = h @ (model.wte.weight.t() if model.head is None else model.head.weight.t())
        loss = F.cross_entropy(logits, torch.randint(0, V, (N,), generator=gen))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    shapes = args["sft"]["shapes"]
    for B, T, N in shapes[:2]:
        sft_step(B, T, N)
    t0 = time.perf_counter()
    for B, T, N in shapes:
        sft_step(B, T, N)
    out["sftS"] = time.perf_counter() - t0

print(json.dumps(out))
