#!/usr/bin/env python3
"""The abacus model of a config JSON, written in PyTorch, one training step (forward, backward,
AdamW) timed step by step: torch_train_step.py CONFIG THREADS STEPS [BATCH SEQ].
Same architecture as src/model (param_layout.h): tied embeddings, RoPE, no biases, SwiGLU;
fp = pre-norm RMSNorm + Linear; b1.58 = BitLinear at every projection (its own RMSNorm with a
gain, per-token absmax int8 activations, absmean ternary weights, straight-through estimator)."""
import json, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.g = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.g


class BitLinear(nn.Module):
    def __init__(self, i, o, eps):
        super().__init__()
        self.w = nn.Parameter(torch.randn(o, i) * 0.02)
        self.norm = RMSNorm(i, eps)

    def forward(self, x):
        x = self.norm(x)
        s = 127.0 / x.abs().amax(-1, keepdim=True).clamp(min=1e-5)
        xq = x + ((x * s).round().clamp(-128, 127) / s - x).detach()
        ws = 1.0 / self.w.abs().mean().clamp(min=1e-5)
        wq = self.w + ((self.w * ws).round().clamp(-1, 1) / ws - self.w).detach()
        return F.linear(xq, wq)


class Proj(nn.Module):  # fp Linear without bias
    def __init__(self, i, o):
        super().__init__()
        self.w = nn.Parameter(torch.randn(o, i) * 0.02)

    def forward(self, x):
        return F.linear(x, self.w)


def rope(x, theta):  # x [B, H, T, D]
    T, D = x.shape[-2], x.shape[-1]
    inv = theta ** (-torch.arange(0, D, 2, dtype=torch.float32) / D)
    ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]
    cos, sin = ang.cos(), ang.sin()
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), -1).flatten(-2)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, f, eps = c["hidden_size"], c["intermediate_size"], c["rms_norm_eps"]
        self.h = c["num_attention_heads"]
        self.theta = c["rope_theta"]
        self.bit = c["quant"] != "fp"
        P = (lambda i, o: BitLinear(i, o, eps)) if self.bit else Proj
        self.q, self.k, self.v, self.o = P(d, d), P(d, d), P(d, d), P(d, d)
        self.gate, self.up, self.down = P(d, f), P(d, f), P(f, d)
        if not self.bit:
            self.attn_norm, self.ffn_norm = RMSNorm(d, eps), RMSNorm(d, eps)

    def forward(self, x):
        B, T, d = x.shape
        a = x if self.bit else self.attn_norm(x)
        sh = lambda t: t.view(B, T, self.h, d // self.h).transpose(1, 2)
        q, k, v = rope(sh(self.q(a)), self.theta), rope(sh(self.k(a)), self.theta), sh(self.v(a))
        att = (q @ k.transpose(-1, -2)) / (d // self.h) ** 0.5
        att = att.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf")).softmax(-1)
        x = x + self.o((att @ v).transpose(1, 2).reshape(B, T, d))
        f = x if self.bit else self.ffn_norm(x)
        return x + self.down(F.silu(self.gate(f)) * self.up(f))


class LM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.emb = nn.Parameter(torch.randn(c["vocab_size"], c["hidden_size"]) * 0.02)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c["num_hidden_layers"]))
        self.final_norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, idx, tgt):
        x = self.emb[idx]
        for b in self.blocks:
            x = b(x)
        logits = F.linear(self.final_norm(x), self.emb)
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), tgt.view(-1))


def main():
    cfg, threads, steps = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
    B = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    T = int(sys.argv[5]) if len(sys.argv) > 5 else 128
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    m = LM(cfg)
    decay = [p for n, p in m.named_parameters() if p.dim() == 2 and n != "emb"]
    rest = [p for n, p in m.named_parameters() if not (p.dim() == 2 and n != "emb")]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.95))
    V = cfg["vocab_size"]
    i = torch.arange(B * T, dtype=torch.int64)
    idx = ((i * 2654435761) % V).view(B, T)
    tgt = ((i * 40503 + 7) % V).view(B, T)
    print("params", sum(p.numel() for p in m.parameters()))
    for s in range(steps + 2):
        t, c = time.perf_counter(), time.process_time()
        loss = m(idx, tgt)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ms, cms = (time.perf_counter() - t) * 1e3, (time.process_time() - c) * 1e3
        if s >= 2:
            print(f"step_ms {ms:.3f} cpu_ms {cms:.3f} loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
