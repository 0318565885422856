#!/usr/bin/python3
"""Turns bench_core_kernels' JSON into the README's ratio table (run with /usr/bin/python3).

Usage: /usr/bin/python3 bench/core/ratios.py build/bench/results/bench_core_kernels.json
"""
import json
import sys


def main(path):
    with open(path) as f:
        data = json.load(f)
    runs = {b["name"]: b for b in data["benchmarks"] if b.get("run_type", "iteration") == "iteration"}
    ctx = data.get("context", {})
    print(f"machine: {ctx.get('host_name', '?')}, {ctx.get('num_cpus', '?')} CPUs @ {ctx.get('mhz_per_cpu', '?')} MHz")
    print()
    print("| kernel | shape | int8 x ternary | fp32 OpenBLAS | speed-up (fp32 time / ternary time) |")
    print("|---|---|---|---|---|")
    for name, b in runs.items():
        for kind, base in (("BM_TernaryGemm/", "BM_Sgemm/"), ("BM_TernaryGemv/", "BM_Sgemv/")):
            if name.startswith(kind):
                shape = name[len(kind):].split("/real_time")[0]
                other = runs.get(base + name[len(kind):])
                if other is None:
                    continue
                t, o = b["real_time"], other["real_time"]
                unit = b["time_unit"]
                label = "GEMM T/K/N" if "Gemm" in kind else "GEMV K/N"
                print(f"| {label} | {shape} | {t:.3g} {unit} | {o:.3g} {unit} | {o / t:.2f}x |")
    mem = [b for n, b in runs.items() if n.startswith("BM_Memcpy")]
    if mem:
        bw_copy = mem[0]["bytes_per_second"]
        print()
        print(f"memcpy bandwidth (read + write traffic): {bw_copy / 1e9:.2f} GB/s")
        print()
        print("| GEMV K/N | packed weight bytes/s | fraction of memcpy bandwidth |")
        print("|---|---|---|")
        for name, b in runs.items():
            if name.startswith("BM_TernaryGemv/"):
                shape = name[len("BM_TernaryGemv/"):].split("/real_time")[0]
                bw = b["bytes_per_second"]
                print(f"| {shape} | {bw / 1e9:.2f} GB/s | {100 * bw / bw_copy:.0f}% |")


if __name__ == "__main__":
    main(sys.argv[1])
