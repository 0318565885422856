#!/usr/bin/env python3
"""abacus energy --config M --accel A and abacus sim of the same workload: same DRAM bytes and
the same energy by component within 1% (they share sim/systemc/accounting.h)."""
import json
import os
import subprocess
import sys
import tempfile

abacus, src = sys.argv[1], sys.argv[2]
cases = [
    ("models/b1.58-700M.json", "sim/configs/default.json", "decode", 512, 8),
    ("models/b1.58-700M.json", "sim/configs/hbm3-pipelined.json", "prefill", 128, 1),
    ("models/tiny-1m-b1.58.json", "sim/configs/tile-8x16.json", "decode", 64, 1),
]
bad = 0
with tempfile.TemporaryDirectory() as tmp:
    for model, accel, phase, tokens, batch in cases:
        m, a = os.path.join(src, model), os.path.join(src, accel)
        sj, ej = os.path.join(tmp, "sim.json"), os.path.join(tmp, "energy.json")
        sim = [abacus, "sim", "--model", m, "--accel", a, "--phase", phase, "--json", sj]
        sim += ["--tokens", str(tokens)] if phase == "prefill" else ["--kv-len", str(tokens), "--batch", str(batch)]
        subprocess.run(sim, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([abacus, "energy", "--config", m, "--accel", a, "--phase", phase, "--tokens", str(tokens),
                        "--batch", str(batch), "--json", ej], check=True, stdout=subprocess.DEVNULL)
        s, e = json.load(open(sj)), json.load(open(ej))
        sim_bytes = s["counters"]["dram_read_bytes"] + s["counters"]["dram_write_bytes"]
        pairs = [("dram_bytes", sim_bytes, e["dram_bytes"])]
        pairs += [("energy_pj." + k, v, e["energy_pj"].get(k, float("nan"))) for k, v in s["energy_pj"].items()]
        pairs += [("energy_pj_total", s["energy_pj_total"], e["energy_pj_total"])]
        for name, x, y in pairs:
            ok = abs(x - y) <= 0.01 * max(abs(x), abs(y)) + 1e-9
            print(f"{model} {phase} on {accel}: {name} sim {x:.6g} energy {y:.6g} {'ok' if ok else 'DIFFERENT'}")
            bad += not ok
sys.exit(1 if bad else 0)
