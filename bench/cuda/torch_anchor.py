#!/usr/bin/env python3
"""PyTorch BF16 anchor for bench_cuda_model: the same decoder-only LM (models/<preset>.json:
embedding, pre-norm blocks with RoPE causal attention and a GELU or SwiGLU FFN, no biases, final
norm, LM head tied or not) trained with nn.Linear layers under bf16 autocast, fp32 master weights
and AdamW, at the same batch and sequence length. Eager mode (no torch.compile); attention is
torch's scaled_dot_product_attention. Prints "RESULT torch ..." lines like bench_cuda_model.

usage: torch_anchor.py [--batch B] [--seq T] [--steps N] [--peak-tflops F] [--sizes 125M,700M]
"""
import argparse
import json
import os
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print("SKIPPED: no PyTorch")
    sys.exit(0)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRESETS = {"125M": "transformer-125M", "700M": "llama-700M"}


class Norm(nn.Module):
    def __init__(self, kind, d, eps):
        super().__init__()
        self.kind, self.eps = kind, eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        if self.kind == "layernorm":
            return F.layer_norm(x, (x.shape[-1],), self.weight, None, self.eps)
        return x * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps).to(x.dtype) * self.weight


def rope(x, theta):  # x [B, T, H, hd], rotate-half pairing as src/nn/rope.cpp
    T, hd = x.shape[1], x.shape[-1]
    half = hd // 2
    freq = theta ** (-2.0 * torch.arange(half, device=x.device, dtype=torch.float64) / hd)
    ang = torch.arange(T, device=x.device, dtype=torch.float64)[:, None] * freq[None, :]
    c, s = ang.cos().float()[None, :, None, :], ang.sin().float()[None, :, None, :]
    a, b = x[..., :half], x[..., half:]
    return torch.cat([a * c - b * s, b * c + a * s], dim=-1).to(x.dtype)  # back to bf16 under autocast


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, f = c["hidden_size"], c["intermediate_size"]
        self.h, self.kv = c["num_attention_heads"], c["num_key_value_heads"]
        self.hd, self.theta, self.ffn = d // self.h, c["rope_theta"], c["ffn"]
        self.attn_norm = Norm(c["norm"], d, c["rms_norm_eps"])
        self.ffn_norm = Norm(c["norm"], d, c["rms_norm_eps"])
        self.q = nn.Linear(d, d, bias=False)
        self.k = nn.Linear(d, self.kv * self.hd, bias=False)
        self.v = nn.Linear(d, self.kv * self.hd, bias=False)
        self.o = nn.Linear(d, d, bias=False)
        self.up = nn.Linear(d, f, bias=False)
        self.gate = nn.Linear(d, f, bias=False) if self.ffn != "gelu" else None
        self.down = nn.Linear(f, d, bias=False)

    def forward(self, x):
        B, T, _ = x.shape
        a = self.attn_norm(x)
        q = rope(self.q(a).view(B, T, self.h, self.hd), self.theta).transpose(1, 2)
        k = rope(self.k(a).view(B, T, self.kv, self.hd), self.theta).transpose(1, 2)
        v = self.v(a).view(B, T, self.kv, self.hd).transpose(1, 2)
        if self.kv != self.h:
            k = k.repeat_interleave(self.h // self.kv, dim=1)
            v = v.repeat_interleave(self.h // self.kv, dim=1)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, -1)
        x = x + self.o(y)
        m = self.ffn_norm(x)
        h = F.gelu(self.up(m), approximate="tanh") if self.gate is None else F.silu(self.gate(m)) * self.up(m)
        return x + self.down(h)


class LM(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, V = c["hidden_size"], c["vocab_size"]
        self.embed = nn.Embedding(V, d)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c["num_hidden_layers"]))
        self.norm = Norm(c["norm"], d, c["rms_norm_eps"])
        self.head = nn.Linear(d, V, bias=False)
        if c.get("tie_word_embeddings", True):
            self.head.weight = self.embed.weight

    def forward(self, idx, tgt):
        x = self.embed(idx)
        for b in self.blocks:
            x = b(x)
        logits = self.head(self.norm(x))
        return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), tgt.view(-1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--peak-tflops", type=float, default=989.0)
    ap.add_argument("--sizes", default="125M,700M")
    a = ap.parse_args()
    if not torch.cuda.is_available():
        print("SKIPPED: no CUDA GPU for PyTorch")
        return
    dev = torch.device("cuda")
    print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}, {a.batch} x {a.seq} tokens per step")
    for size in a.sizes.split(","):
        c = json.load(open(os.path.join(ROOT, "models", PRESETS[size] + ".json")))
        torch.manual_seed(1)
        model = LM(c).to(dev)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
        V = c["vocab_size"]
        n = a.batch * a.seq
        i = torch.arange(n, device=dev)
        idx = ((i * 7919) % V).view(a.batch, a.seq)
        tgt = ((i * 104729 + 1) % V).view(a.batch, a.seq)
        times = []
        for s in range(a.steps + 1):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = model(idx, tgt)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            torch.cuda.synchronize()
            if s > 0:  # step 0 warms up
                times.append((time.perf_counter() - t0) * 1e3)
        d, L, f = c["hidden_size"], c["num_hidden_layers"], c["intermediate_size"]
        kvd = d // c["num_attention_heads"] * c["num_key_value_heads"]
        per_layer = 2 * d * d + 2 * d * kvd + (3 if c["ffn"] != "gelu" else 2) * d * f
        matmul_params = L * per_layer + V * d
        med, mn = statistics.median(times), min(times)
        tps = n / (med * 1e-3)
        mfu = 6 * matmul_params * tps / (a.peak_tflops * 1e12)
        print(f"{size:6s} torch-bf16 min {mn:.2f} ms median {med:.2f} ms {tps:.0f} tokens/s MFU {100 * mfu:.1f}%")
        print(f"RESULT torch size={size} step_ms_min={mn:.3f} step_ms_median={med:.3f} tokens_per_s={tps:.0f} "
              f"mfu={mfu:.4f}")
        del model, opt
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
