#!/usr/bin/python3
"""Writes the model presets of models/ (run: /usr/bin/python3 models/make_presets.py).

Shapes and recipes from ../shared/spec/papers.md; the vocabulary/tying assumptions that make the
parameter counts agree with the names are explained in models/README.md.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, cfg):
    cfg = {"name": name, **cfg}
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")


def gpt(d, layers, heads, vocab, ctx, quant, subln, ffn_mult=4, f=None, tied=False):
    return {"hidden_size": d, "intermediate_size": f or ffn_mult * d, "num_hidden_layers": layers,
            "num_attention_heads": heads, "num_key_value_heads": heads, "vocab_size": vocab,
            "max_position_embeddings": ctx, "hidden_act": "gelu", "rms_norm_eps": 1e-5,
            "rope_theta": 10000.0, "tie_word_embeddings": tied, "quant": quant,
            "norm": "layernorm", "ffn": "gelu", "subln": subln}


def llama(d, f, layers, heads, kv, vocab, ctx, quant, tied, ffn="swiglu", subln=False, theta=10000.0):
    return {"hidden_size": d, "intermediate_size": f, "num_hidden_layers": layers,
            "num_attention_heads": heads, "num_key_value_heads": kv, "vocab_size": vocab,
            "max_position_embeddings": ctx, "hidden_act": "silu" if ffn == "swiglu" else "relu2",
            "rms_norm_eps": 1e-5, "rope_theta": theta, "tie_word_embeddings": tied,
            "quant": quant, "norm": "rmsnorm", "ffn": ffn, "subln": subln}


# b1 (2310.11453 Tables 5-6): GPT-style, 16K SentencePiece vocab, untied LM head.
B1 = [("125M", 768, 12, 12, 2.4e-3), ("350M", 1024, 24, 16, 1.2e-3), ("760M", 1536, 24, 16, 1e-3),
      ("1.3B", 2048, 24, 32, 8e-4), ("2.7B", 2560, 32, 32, 6.4e-4), ("6.7B", 4096, 32, 32, 4.8e-4),
      ("13B", 5120, 40, 40, 4e-4), ("30B", 7168, 48, 56, 4e-4)]
for size, d, layers, heads, lr in B1:
    cfg = gpt(d, layers, heads, 16384, 2048, "b1", True)
    cfg["training"] = {"lr": lr, "weight_decay": 0.05 if size in ("13B", "30B") else 0.01,
                       "beta1": 0.9, "beta2": 0.98, "warmup_steps": 750, "schedule": "polynomial"}
    write("b1-" + size, cfg)
    # FP16 Transformer baseline of the same shape (pre-LayerNorm, no SubLN).
    write("transformer-" + size, gpt(d, layers, heads, 16384, 2048, "fp", False))

# b1.58 and the LLaMA baselines (FAQ Tables 1-2): 32000-token LLaMA vocab, tied embeddings.
B158 = [("700M", 1536, 4096, 24, 24, 1.5e-3, 1e-3, 2.5e-4), ("1.3B", 2048, 5460, 32, 24, 1.2e-3, 8e-4, 2e-4),
        ("3B", 3200, 8640, 32, 26, 1.2e-3, 8e-4, 2e-4), ("3.9B", 3200, 12800, 32, 26, 1.2e-3, 8e-4, None)]
for size, d, f, heads, layers, lr1, lr2, llama_lr in B158:
    cfg = llama(d, f, layers, heads, heads, 32000, 2048, "b1.58", True)
    cfg["training"] = {"lr": lr1, "lr_stage2": lr2, "weight_decay": 0.1, "weight_decay_stage2": 0.0,
                       "beta1": 0.9, "beta2": 0.95, "warmup_steps": 375, "schedule": "two-stage"}
    write("b1.58-" + size, cfg)
    if llama_lr is not None:
        cfg = llama(d, f, layers, heads, heads, 32000, 2048, "fp", True)
        cfg["training"] = {"lr": llama_lr, "weight_decay": 0.1, "beta1": 0.9, "beta2": 0.95,
                           "warmup_steps": 375, "schedule": "linear"}
        write("llama-" + size, cfg)

# BitNet b1.58 2B4T: ReLU^2 GLU, SubLN, GQA, Llama-3 vocab, tied embeddings.
write("b1.58-2B4T", llama(2560, 6912, 30, 20, 5, 128256, 4096, "b1.58", True, ffn="relu2-glu",
                          subln=True, theta=500000.0))
# LLaMA-2-70B shape, ternary (untied LM head as in LLaMA-2).
write("b1.58-70B", llama(8192, 28672, 80, 64, 8, 32000, 4096, "b1.58", False))

# Tiny CPU presets: 4096-token vocab, context 256, tied embeddings. The b1 (GELU, 2-matrix) FFN
# is 1.5x wider than the GLU FFN so every variant of a size has the same parameter count.
TINY = {"1m": (128, 4, 4, 192), "4m": (256, 4, 4, 640)}
for size, (d, layers, heads, f) in TINY.items():
    for quant in ("fp", "b1", "b1.58", "b1.58-median"):
        if quant == "b1":
            cfg = gpt(d, layers, heads, 4096, 256, "b1", True, f=f * 3 // 2, tied=True)
            cfg["training"] = {"lr": 6e-3, "weight_decay": 0.01, "beta1": 0.9, "beta2": 0.98,
                               "warmup_steps": 50, "schedule": "polynomial"}
        else:
            cfg = llama(d, f, layers, heads, heads, 4096, 256, quant, True)
            if quant == "fp":
                cfg["training"] = {"lr": 3e-3, "weight_decay": 0.1, "beta1": 0.9, "beta2": 0.95,
                                   "warmup_steps": 50, "schedule": "linear"}
            else:
                cfg["training"] = {"lr": 6e-3, "lr_stage2": 4e-3, "weight_decay": 0.1,
                                   "weight_decay_stage2": 0.0, "beta1": 0.9, "beta2": 0.95,
                                   "warmup_steps": 50, "schedule": "two-stage"}
        write(f"tiny-{size}-{quant}", cfg)
