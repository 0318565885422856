"""Reads an abacus trace (or any safetensors file) with numpy only; README formats shows it.

    from trace_reader import read_trace
    meta, records = read_trace("trace.safetensors")
    r = records["step0.layers.0.attn.q"]          # dict: x_q, x_scale, w_q, w_scale, acc, y
    # (format v2 stores each layer's weights once, 2-bit packed; read_trace unpacks them into
    #  every record of the layer, so records look the same for v1 and v2)
    assert (r["x_q"].astype(np.int32) @ r["w_q"].T.astype(np.int32) == r["acc"]).all()
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "I8": np.int8, "U8": np.uint8, "I32": np.int32, "I64": np.int64}


def read_safetensors(path):
    """Returns (metadata dict, {name: numpy array}) from a memory-mapped safetensors file."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    (n,) = struct.unpack("<Q", raw[:8].tobytes())
    header = json.loads(raw[8:8 + n].tobytes())
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        tensors[name] = raw[8 + n + begin:8 + n + end].view(DTYPES[t["dtype"]]).reshape(t["shape"])
    return meta, tensors


def unpack_ternary(packed, K):
    """abacus 2-bit packing (src/quant/packing.h): rows of 32-byte blocks; byte j of block b
    holds weights k = 128 b + 32 i + j at bits 2i; codes 00 = 0, 01 = +1, 11 = -1 (10 invalid)."""
    N, row_bytes = packed.shape
    p = np.asarray(packed).reshape(N, row_bytes // 32, 1, 32)
    codes = (p >> (2 * np.arange(4, dtype=np.uint8)).reshape(1, 1, 4, 1)) & 3
    if (codes == 2).any():
        raise ValueError("invalid 2-bit weight code 10")
    lut = np.array([0, 1, 0, -1], np.int8)
    return lut[codes.reshape(N, -1)[:, :K]]


def read_trace(path):
    """Returns (metadata with JSON fields decoded, {record name: {tensor: array}}) in call order."""
    meta, tensors = read_safetensors(path)
    if meta.get("format") != "abacus-trace":
        raise ValueError(f"{path}: not an abacus trace")
    for key in ("config", "tokens", "steps", "records"):
        meta[key] = json.loads(meta[key])
    records = {}
    unpacked = {}
    for name in meta["records"]:
        records[name] = {k[len(name) + 1:]: v for k, v in tensors.items() if k.startswith(name + ".")}
        if meta.get("version") == "2":  # weights once per layer: weights.<layer>.w_packed / w_scale
            layer = name.split(".", 1)[1]
            if layer not in unpacked:
                K = records[name]["x_q"].shape[1]
                unpacked[layer] = unpack_ternary(tensors["weights." + layer + ".w_packed"], K)
            records[name]["w_q"] = unpacked[layer]
            records[name]["w_scale"] = tensors["weights." + layer + ".w_scale"]
    return meta, records


def check_trace(path):
    """Recomputes every record's acc from x_q and w_q; returns (records, mismatching records)."""
    _, records = read_trace(path)
    bad = [name for name, r in records.items()
           if not np.array_equal(r["x_q"].astype(np.int32) @ r["w_q"].T.astype(np.int32), r["acc"])]
    return len(records), bad


if __name__ == "__main__":
    n, bad = check_trace(sys.argv[1])
    print(f"{n} records, {len(bad)} acc mismatches" + (": " + ", ".join(bad[:5]) if bad else ""))
    sys.exit(1 if bad or n == 0 else 0)
