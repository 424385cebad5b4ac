"""PyTorch peer of the kernel bench (benchmarks/kernels/main.ts runs it in the same session).

Reads {"cases": [{id, op, p}], "ref": {...}, "minTime": s, "minRuns": n} as JSON on stdin and prints
{"torch", "threads", "blas", "cases": {id: ms}, "ref_step_ms"} on stdout. Times are medians after a
warm-up. Backward kernels are timed as autograd's backward over one retained forward graph. Attention is the manual causal softmax(QKᵀ)V (torch 1.13 has no fused
SDPA). Run through main.ts, which sets the thread count and unsets OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE.
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(0)
cfg = json.load(sys.stdin)
MIN_TIME = cfg.get("minTime", 0.3)
MIN_RUNS = cfg.get("minRuns", 5)


def median_ms(fn):
    fn()
    fn()
    ts = []
    start = time.perf_counter()
    while len(ts) < MIN_RUNS or time.perf_counter() - start < MIN_TIME:
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
        if len(ts) >= 200:
            break
    ts.sort()
    n = len(ts)
    return 1e3 * (ts[n // 2] if n % 2 else (ts[n // 2 - 1] + ts[n // 2]) / 2)


def causal_attention(q, k, v):
    # q, k, v: [B, T, H, Dh] like our layout → [B, H, T, Dh] views.
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))
    T = q.shape[2]
    s = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]))
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)
    p = torch.softmax(s.masked_fill(mask, float("-inf")), dim=-1)
    return (p @ v).transpose(1, 2)


def rmsnorm(x, w, eps=1e-6):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def fwd_bwd(make_inputs, f):
    """Returns (forward ms, backward ms) for y = f(*inputs) with grad dY = randn (the backward is
    timed on one retained graph, gradients accumulating: same work as a fresh backward)."""
    xs = make_inputs()

    def fw():
        with torch.no_grad():
            f(*xs)

    tf = median_ms(fw)
    y = f(*xs)
    dy = torch.randn_like(y)
    tb = median_ms(lambda: y.backward(dy, retain_graph=True))
    return tf, tb


def run_case(c):
    op, p = c["op"], c["p"]
    if op == "matmul":
        lead = [p["batch"]] if p["batch"] > 1 else []
        M, N, K = p["M"], p["N"], p["K"]
        a = torch.randn(*lead, *([K, M] if p["transA"] else [M, K]))
        b = torch.randn(*lead, *([N, K] if p["transB"] else [K, N]))
        at = a.transpose(-1, -2) if p["transA"] else a
        bt = b.transpose(-1, -2) if p["transB"] else b
        if p["bias"]:
            bias = torch.randn(N)
            return median_ms(lambda: torch.addmm(bias, at, bt))
        return median_ms(lambda: torch.matmul(at, bt))
    if op in ("attention", "attention_bwd"):
        shape = (p["B"], p["T"], p["H"], p["Dh"])
        tf, tb = fwd_bwd(lambda: [torch.randn(*shape, requires_grad=True) for _ in range(3)], causal_attention)
        return tf if op == "attention" else tb
    R = p.get("R")
    D = p.get("D")
    if op.startswith("layernorm"):
        tf, tb = fwd_bwd(
            lambda: [torch.randn(R, D, requires_grad=True), torch.randn(D, requires_grad=True), torch.randn(D, requires_grad=True)],
            lambda x, w, b: F.layer_norm(x, (D,), w, b, 1e-5),
        )
        return tf if op == "layernorm" else tb
    if op.startswith("rmsnorm"):
        tf, tb = fwd_bwd(lambda: [torch.randn(R, D, requires_grad=True), torch.randn(D, requires_grad=True)], rmsnorm)
        return tf if op == "rmsnorm" else tb
    unary = {"gelu": lambda x: F.gelu(x, approximate="tanh"), "silu": F.silu, "softmax": lambda x: torch.softmax(x, -1)}
    base = op.replace("_bwd", "")
    if base in unary:
        tf, tb = fwd_bwd(lambda: [torch.randn(R, D, requires_grad=True)], unary[base])
        return tf if op == base else tb
    if base == "swiglu":
        tf, tb = fwd_bwd(lambda: [torch.randn(R, D, requires_grad=True) for _ in range(2)], lambda g, u: F.silu(g) * u)
        return tf if op == base else tb
    if base == "logsoftmax_gather":
        N, V = p["N"], p["V"]
        t = torch.randint(0, V, (N, 1))
        tf, tb = fwd_bwd(lambda: [torch.randn(N, V, requires_grad=True)], lambda x: torch.log_softmax(x, -1).gather(1, t))
        return tf if op == base else tb
    if op == "adamw":
        w = torch.nn.Parameter(torch.randn(p["P"]) * 0.02)
        w.grad = torch.randn(p["P"]) * 0.01
        opt = torch.optim.AdamW([w], lr=1e-3, weight_decay=0.1)
        return median_ms(opt.step)
    raise ValueError(f"peer_torch: unknown op {op}")


class Block(torch.nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.heads = heads
        self.ln1 = torch.nn.LayerNorm(d)
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.proj = torch.nn.Linear(d, d)
        self.ln2 = torch.nn.LayerNorm(d)
        self.fc1 = torch.nn.Linear(d, ff)
        self.fc2 = torch.nn.Linear(ff, d)

    def forward(self, x):
        B, T, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        shape = (B, T, self.heads, d // self.heads)
        a = causal_attention(q.reshape(shape), k.reshape(shape), v.reshape(shape)).reshape(B, T, d)
        x = x + self.proj(a)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))


def ref_step_ms(r):
    model = torch.nn.Sequential(*[Block(r["d"], r["heads"], r["ff"]) for _ in range(r["layers"])])
    x = torch.randn(r["batch"], r["seq"], r["d"], requires_grad=True)
    dy = torch.randn(r["batch"], r["seq"], r["d"])

    def step():
        model.zero_grad(set_to_none=True)
        x.grad = None
        model(x).backward(dy)

    return median_ms(step)


def blas_info():
    try:
        import threadpoolctl

        return [
            {k: i.get(k) for k in ("internal_api", "version", "architecture", "threading_layer", "num_threads")}
            for i in threadpoolctl.threadpool_info()
        ]
    except ImportError:
        return "threadpoolctl not installed"


result = {
    "torch": torch.__version__,
    "threads": torch.get_num_threads(),
    "blas": blas_info(),
    "cases": {c["id"]: run_case(c) for c in cfg["cases"]},
}
if cfg.get("ref"):
    result["ref_step_ms"] = ref_step_ms(cfg["ref"])
json.dump(result, sys.stdout)
