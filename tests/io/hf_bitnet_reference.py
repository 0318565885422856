#!/usr/bin/python3
"""Independent reference for `abacus import --hf` (numpy only, no abacus code).

  hf_bitnet_reference.py write OUT      writes small Hugging Face BitNetForCausalLM folders in the
                                        published formats and, next to each, the token ids and the
                                        logits the HF BitNet forward gives for them:
      OUT/packed    uint8 weights, 4 ternary values per byte along the outputs, bf16 weight_scale,
                    tied embeddings, relu2
      OUT/sharded   the same model split into two shards + model.safetensors.index.json
      OUT/bf16      bf16 master weights (absmean quantization when run), untied lm_head, silu
    plus broken folders OUT/bad-* for the error checks.
  hf_bitnet_reference.py check-errors ABACUS OUT
                                        runs `abacus import` on every OUT/bad-* folder: exit code 1
                                        and one line on stderr naming the file and the tensor/field.

The forward follows the transformers BitNet model: RMSNorm (weight * x / sqrt(mean(x^2) + eps)),
per-token absmax int8 activations (127 / max|x|, round half to even, clip [-128, 127]),
y = (x_q . w_q) / (x_scale * weight_scale), rotate-half RoPE, GQA causal softmax attention,
attn_sub_norm before o_proj, relu(gate)^2 * up (or silu), ffn_sub_norm before down_proj,
final norm, lm_head (tied: the embedding).
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np

CFG = dict(hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
           num_key_value_heads=2, vocab_size=97, max_position_embeddings=64, rms_norm_eps=1e-5,
           rope_theta=10000.0)
TOKENS = [3, 17, 5, 88, 42, 7, 61, 0, 96]


def bf16_bits(x):
    b = np.atleast_1d(np.asarray(x, dtype=np.float32)).view(np.uint32).astype(np.uint64)
    return ((b + np.uint64(0x7FFF) + ((b >> np.uint64(16)) & np.uint64(1))) >> np.uint64(16)).astype(np.uint16)


def bf16_value(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path, tensors):
    """tensors: list of (name, dtype string, shape, raw bytes)."""
    header, off, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, dt, shape, raw in tensors:
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        off += len(raw)
        blobs.append(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(np.uint64(len(h)).tobytes())
        f.write(h)
        for b in blobs:
            f.write(b)


def pack_rows(wq):
    """Published packing: uint8 [N/4, K]; byte [r, k] holds wq[i*N/4 + r, k] + 1 at bits 2i."""
    n = wq.shape[0] // 4
    u = (wq + 1).astype(np.uint8)
    out = np.zeros((n, wq.shape[1]), np.uint8)
    for i in range(4):
        out |= u[i * n:(i + 1) * n] << (2 * i)
    return out


def rmsnorm(x, g, eps):
    return g * (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + np.float32(eps))).astype(np.float32)


def bitlinear(x, wq, ws):
    s = np.float32(127) / np.maximum(np.abs(x).max(axis=-1, keepdims=True), np.float32(1e-5))
    q = np.clip(np.round(x * s), -128, 127).astype(np.int64)
    acc = q @ wq.astype(np.int64).T
    return (acc.astype(np.float32) / (s * np.float32(ws))).astype(np.float32)


def rope(x, theta):  # x [T, heads, hd]
    T, _, hd = x.shape
    inv = 1.0 / (theta ** (np.arange(0, hd, 2, dtype=np.float64) / hd))
    ang = np.arange(T, dtype=np.float64)[:, None] * inv[None, :]
    cos = np.cos(np.concatenate([ang, ang], -1)).astype(np.float32)[:, None, :]
    sin = np.sin(np.concatenate([ang, ang], -1)).astype(np.float32)[:, None, :]
    h = hd // 2
    rot = np.concatenate([-x[..., h:], x[..., :h]], -1)
    return (x * cos + rot * sin).astype(np.float32)


def forward(c, P, act):
    d, nh, nkv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
    hd, eps = d // nh, c["rms_norm_eps"]
    x = P["embed"][TOKENS].astype(np.float32)
    T = len(TOKENS)
    for L in P["layers"]:
        n = rmsnorm(x, L["input_layernorm"], eps)
        q = rope(bitlinear(n, *L["q"]).reshape(T, nh, hd), c["rope_theta"])
        k = rope(bitlinear(n, *L["k"]).reshape(T, nkv, hd), c["rope_theta"])
        v = bitlinear(n, *L["v"]).reshape(T, nkv, hd)
        rep = nh // nkv
        k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
        s = np.einsum("thd,uhd->htu", q, k) / np.float32(np.sqrt(hd))
        s = np.where(np.tril(np.ones((T, T), bool))[None], s, -np.inf)
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        a = np.einsum("htu,uhd->thd", p, v).reshape(T, d).astype(np.float32)
        x = x + bitlinear(rmsnorm(a, L["attn_sub_norm"], eps), *L["o"])
        n = rmsnorm(x, L["post_attention_layernorm"], eps)
        g, u = bitlinear(n, *L["gate"]), bitlinear(n, *L["up"])
        h = (np.maximum(g, 0) ** 2 if act == "relu2" else g / (1 + np.exp(-g))) * u
        x = x + bitlinear(rmsnorm(h.astype(np.float32), L["ffn_sub_norm"], eps), *L["down"])
    n = rmsnorm(x, P["final_norm"], eps)
    return (n @ P["lm_head"].T).astype(np.float32)


PROJ = {"q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj", "o": "self_attn.o_proj",
        "gate": "mlp.gate_proj", "up": "mlp.up_proj", "down": "mlp.down_proj"}
NORMS = {"input_layernorm": "input_layernorm", "attn_sub_norm": "self_attn.attn_sub_norm",
         "post_attention_layernorm": "post_attention_layernorm", "ffn_sub_norm": "mlp.ffn_sub_norm"}


def shapes(c):
    d, f, hd = c["hidden_size"], c["intermediate_size"], c["hidden_size"] // c["num_attention_heads"]
    kv = hd * c["num_key_value_heads"]
    return {"q": (d, d), "k": (kv, d), "v": (kv, d), "o": (d, d), "gate": (f, d), "up": (f, d), "down": (d, f)}


def make_model(rng, form, tied, act):
    c = dict(CFG)
    d, f, V = c["hidden_size"], c["intermediate_size"], c["vocab_size"]

    def bf(shape, scale, offset=0.0):  # random values that are exact in bf16
        return bf16_value(bf16_bits(offset + scale * rng.standard_normal(shape).astype(np.float32)))

    P = {"embed": bf((V, d), 1.0), "final_norm": bf((d,), 0.1, 1.0), "layers": []}
    P["lm_head"] = P["embed"] if tied else bf((V, d), 0.1)
    tensors = [("model.embed_tokens.weight", "BF16", (V, d), bf16_bits(P["embed"]).tobytes())]
    for l in range(c["num_hidden_layers"]):
        L = {}
        pre = f"model.layers.{l}."
        for key, hf in NORMS.items():
            width = f if key == "ffn_sub_norm" else d
            L[key] = bf((width,), 0.1, 1.0)
            tensors.append((pre + hf + ".weight", "BF16", (width,), bf16_bits(L[key]).tobytes()))
        for p, (N, K) in shapes(c).items():
            name = pre + PROJ[p] + ".weight"
            if form == "packed":
                wq = rng.choice(np.array([-1, 0, 1], np.int8), size=(N, K), p=[0.3, 0.4, 0.3])
                ws = bf16_value(bf16_bits(np.float32(1.0 / rng.uniform(0.01, 0.05))))[0]
                L[p] = (wq, ws)
                tensors.append((name, "U8", (N // 4, K), pack_rows(wq).tobytes()))
                tensors.append((name + "_scale", "BF16", (1,), bf16_bits(np.array([ws], np.float32)).tobytes()))
            else:
                W = bf((N, K), 0.02)
                ws = np.float32(1.0) / np.maximum(np.float32(np.abs(W.astype(np.float64)).mean()), np.float32(1e-5))
                wq = np.clip(np.round(W * ws), -1, 1).astype(np.int8)
                L[p] = (wq, ws)
                tensors.append((name, "BF16", (N, K), bf16_bits(W).tobytes()))
        P["layers"].append(L)
    tensors.append(("model.norm.weight", "BF16", (d,), bf16_bits(P["final_norm"]).tobytes()))
    if not tied:
        tensors.append(("lm_head.weight", "BF16", (V, d), bf16_bits(P["lm_head"]).tobytes()))
    cfg = {"architectures": ["BitNetForCausalLM"], "model_type": "bitnet", **c, "hidden_act": act,
           "tie_word_embeddings": tied, "attention_bias": False, "torch_dtype": "bfloat16",
           "bos_token_id": 0, "eos_token_id": 1, "use_cache": True, "initializer_range": 0.02,
           "quantization_config": {"quant_method": "bitnet", "linear_class": "bitlinear" if form == "packed" else "autobitlinear",
                                   "quantization_mode": "offline" if form == "packed" else "online"}}
    return cfg, tensors, forward(c, P, act)


def save(folder, cfg, tensors, logits, shards=1):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    if shards == 1:
        write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    else:
        half = len(tensors) // 2
        parts = [tensors[:half], tensors[half:]]
        wm = {}
        for i, part in enumerate(parts):
            fn = f"model-{i + 1:05d}-of-{len(parts):05d}.safetensors"
            write_safetensors(os.path.join(folder, fn), part)
            wm.update({t[0]: fn for t in part})
        with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": sum(len(t[3]) for t in tensors)}, "weight_map": wm}, f)
    with open(os.path.join(folder, "tokens.txt"), "w") as f:
        f.write(" ".join(map(str, TOKENS)) + "\n")
    logits.astype("<f4").tofile(os.path.join(folder, "logits.f32"))


def write(out):
    shutil.rmtree(out, ignore_errors=True)
    rng = np.random.default_rng(15)
    cfg, tensors, logits = make_model(rng, "packed", True, "relu2")
    save(os.path.join(out, "packed"), cfg, tensors, logits)
    save(os.path.join(out, "sharded"), cfg, tensors, logits, shards=2)
    cfg_b, tensors_b, logits_b = make_model(rng, "bf16", False, "silu")
    save(os.path.join(out, "bf16"), cfg_b, tensors_b, logits_b)

    # Broken folders: (name, expected words in the one error line).
    def variant(name, cfg_edit=None, tensor_edit=None, shards=1, drop_shard=False):
        c = json.loads(json.dumps(cfg))
        if cfg_edit:
            cfg_edit(c)
        ts = [tensor_edit(t) if tensor_edit else t for t in tensors]
        ts = [t for t in ts if t is not None]
        folder = os.path.join(out, "bad-" + name)
        save(folder, c, ts, logits, shards=shards)
        if drop_shard:
            os.remove(os.path.join(folder, "model-00002-of-00002.safetensors"))

    variant("not-bitnet", cfg_edit=lambda c: c.update(architectures=["LlamaForCausalLM"]))
    variant("quant-method", cfg_edit=lambda c: c["quantization_config"].update(quant_method="gptq"))
    variant("missing-shard", shards=2, drop_shard=True)
    q0 = "model.layers.0.self_attn.q_proj.weight"
    k1 = "model.layers.1.self_attn.k_proj.weight"
    variant("shape", tensor_edit=lambda t: (t[0], t[1], (t[2][0] * 2, t[2][1] // 2), t[3]) if t[0] == k1 else t)
    variant("dtype", tensor_edit=lambda t: (t[0], "I8", t[2], t[3]) if t[0] == k1 else t)
    variant("packing", tensor_edit=lambda t: (t[0], t[1], t[2], b"\xff" + t[3][1:]) if t[0] == q0 else t)
    variant("missing-tensor", tensor_edit=lambda t: None if t[0] == "model.layers.1.mlp.ffn_sub_norm.weight" else t)
    variant("scale-shape", tensor_edit=lambda t: (t[0], t[1], (2,), t[3] * 2) if t[0] == k1 + "_scale" else t)
    os.makedirs(os.path.join(out, "bad-empty"), exist_ok=True)
    print(f"wrote {out}: packed, sharded, bf16 and bad-* folders")


EXPECT = {  # folder -> words the error line must contain
    "bad-not-bitnet": ["config.json", "architectures", "not a BitNet checkpoint"],
    "bad-quant-method": ["config.json", "quantization_config.quant_method", "gptq"],
    "bad-missing-shard": ["model-00002-of-00002.safetensors", "missing"],
    "bad-shape": ["model.safetensors", "model.layers.1.self_attn.k_proj.weight", "shape"],
    "bad-dtype": ["model.safetensors", "model.layers.1.self_attn.k_proj.weight", "dtype I8"],
    "bad-packing": ["model.safetensors", "model.layers.0.self_attn.q_proj.weight", "code 3"],
    "bad-missing-tensor": ["model.safetensors", "model.layers.1.mlp.ffn_sub_norm.weight", "missing"],
    "bad-scale-shape": ["model.safetensors", "model.layers.1.self_attn.k_proj.weight_scale", "[1]"],
    "bad-empty": ["config.json", "missing"],
}


def check_errors(abacus, out):
    failures = 0
    for folder, words in EXPECT.items():
        dest = os.path.join(out, "imported-" + folder)
        shutil.rmtree(dest, ignore_errors=True)
        r = subprocess.run([abacus, "import", "--hf", os.path.join(out, folder), "--out", dest],
                           capture_output=True, text=True, timeout=60)
        lines = r.stderr.strip().splitlines()
        ok = r.returncode == 1 and len(lines) == 1 and all(w in lines[0] for w in words) and not os.path.exists(dest)
        print(("ok   " if ok else "FAIL ") + folder + ": rc=" + str(r.returncode) + " " + r.stderr.strip())
        failures += not ok
    leftovers = [n for n in os.listdir(out) if ".partial-" in n]
    if leftovers:
        print("FAIL: half-written outputs left behind:", leftovers)
        failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "write":
        write(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "check-errors":
        sys.exit(check_errors(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
