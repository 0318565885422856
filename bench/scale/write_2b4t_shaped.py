#!/usr/bin/python3
"""Writes a Hugging Face BitNetForCausalLM folder shaped like microsoft/bitnet-b1.58-2B-4T (the
packed release: uint8 weights, 4 ternary values per byte along the outputs, bf16 weight_scale,
bf16 embeddings and norms, tied LM head), with random ternary weights (1/3 zeros) instead of the
trained ones, which cannot be downloaded here. Streams tensors to disk chunk by chunk.

usage: write_2b4t_shaped.py OUT [--layers L]   (default 30 layers, as the release)
"""
import json
import os
import sys

import numpy as np

CFG = {"architectures": ["BitNetForCausalLM"], "model_type": "bitnet", "hidden_size": 2560,
       "intermediate_size": 6912, "num_hidden_layers": 30, "num_attention_heads": 20,
       "num_key_value_heads": 5, "vocab_size": 128256, "max_position_embeddings": 4096,
       "hidden_act": "relu2", "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "tie_word_embeddings": True,
       "attention_bias": False, "torch_dtype": "bfloat16", "bos_token_id": 128000, "eos_token_id": 128001,
       "quantization_config": {"quant_method": "bitnet", "linear_class": "bitlinear", "quantization_mode": "offline"}}


def bf16(x):
    b = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((b + np.uint64(0x7FFF) + ((b >> np.uint64(16)) & np.uint64(1))) >> np.uint64(16)).astype(np.uint16)


def main():
    out = sys.argv[1]
    cfg = dict(CFG)
    if "--layers" in sys.argv:
        cfg["num_hidden_layers"] = int(sys.argv[sys.argv.index("--layers") + 1])
    d, f, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    kv = d // cfg["num_attention_heads"] * cfg["num_key_value_heads"]
    rng = np.random.default_rng(2025)
    # byte value of every 4-tuple of codes in {0, 1, 2} (= ternary -1, 0, +1)
    table = np.array([a | (b << 2) | (c << 4) | (e << 6) for a in range(3) for b in range(3) for c in range(3)
                      for e in range(3)], np.uint8)
    plan = [("model.embed_tokens.weight", "BF16", (V, d), "normal")]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        plan.append((p + "input_layernorm.weight", "BF16", (d,), "norm"))
        for name, (N, K) in [("self_attn.q_proj", (d, d)), ("self_attn.k_proj", (kv, d)), ("self_attn.v_proj", (kv, d)),
                             ("self_attn.o_proj", (d, d)), ("mlp.gate_proj", (f, d)), ("mlp.up_proj", (f, d)),
                             ("mlp.down_proj", (d, f))]:
            plan.append((p + name + ".weight", "U8", (N // 4, K), "packed"))
            plan.append((p + name + ".weight_scale", "BF16", (1,), "scale"))
        plan.append((p + "self_attn.attn_sub_norm.weight", "BF16", (d,), "norm"))
        plan.append((p + "post_attention_layernorm.weight", "BF16", (d,), "norm"))
        plan.append((p + "mlp.ffn_sub_norm.weight", "BF16", (f,), "norm"))
    plan.append(("model.norm.weight", "BF16", (d,), "norm"))
    header, off = {"__metadata__": {"format": "pt"}}, 0
    for name, dt, shape, _ in plan:
        n = int(np.prod(shape)) * (1 if dt == "U8" else 2)
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + n]}
        off += n
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.safetensors"), "wb") as fo:
        fo.write(np.uint64(len(h)).tobytes())
        fo.write(h)
        for name, dt, shape, kind in plan:
            n = int(np.prod(shape))
            if kind == "packed":
                for start in range(0, n, 1 << 24):
                    fo.write(table[rng.integers(0, 81, size=min(1 << 24, n - start))].tobytes())
            elif kind == "normal":
                for start in range(0, n, 1 << 24):
                    fo.write(bf16(rng.standard_normal(min(1 << 24, n - start), dtype=np.float32)).tobytes())
            elif kind == "norm":
                fo.write(bf16(1.0 + 0.1 * rng.standard_normal(n, dtype=np.float32)).tobytes())
            else:  # weight_scale = 1 / mean|W| of a latent with typical mean|W| ~ 0.02
                fo.write(bf16(np.array([1.0 / rng.uniform(0.01, 0.03)], np.float32)).tobytes())
    with open(os.path.join(out, "config.json"), "w") as fc:
        json.dump(cfg, fc, indent=2)
    print(f"wrote {out}: {cfg['num_hidden_layers']} layers, {off / 2**30:.2f} GiB of tensors")


if __name__ == "__main__":
    main()
