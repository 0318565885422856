"""The README's numpy-only reader on a trace written by `abacus trace`: every acc equals
x_q @ w_q.T, every w_q is ternary, y equals acc / (x_scale * w_scale) exactly in float32."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "reports"))
from trace_reader import read_trace  # noqa: E402

meta, records = read_trace(sys.argv[1])
assert meta["format"] == "abacus-trace" and meta["version"] in ("1", "2"), meta["format"]
assert len(records) > 0
for name, r in records.items():
    acc = r["x_q"].astype(np.int32) @ r["w_q"].T.astype(np.int32)
    assert np.array_equal(acc, r["acc"]), f"{name}: acc differs"
    assert set(np.unique(r["w_q"])) <= {-1, 0, 1}, f"{name}: w_q not ternary"
    if "x_offset" in r:  # b1 shifted form: y has the offset term too
        continue
    N = r["w_q"].shape[0]
    g = np.arange(N) // (N // r["w_scale"].shape[0])
    scale = r["x_scale"].reshape(-1, 1).astype(np.float32) * r["w_scale"][g].reshape(1, -1)
    y = r["acc"].astype(np.float32) / scale
    assert np.array_equal(y, r["y"]), f"{name}: y differs from acc / (x_scale * w_scale)"
print(f"check_trace_numpy: ok ({len(records)} records)")
