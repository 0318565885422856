#!/usr/bin/python3
"""Turns bench_core_kernels' JSON into the README's ratio table (run with /usr/bin/python3).

Usage: /usr/bin/python3 bench/core/ratios.py build/bench/results/bench_core_kernels.json [--cpu-time]

--cpu-time compares CPU time of the calling thread instead of wall time (use it for runs with
ABACUS_THREADS=1 OPENBLAS_NUM_THREADS=1 on a shared, loaded machine, where wall time includes
time spent descheduled).
"""
import json
import sys


def main(path, cpu_time=False):
    key = "cpu_time" if cpu_time else "real_time"

    with open(path) as f:
        data = json.load(f)
    # With --benchmark_repetitions, use the medians; otherwise the single runs.
    bench = data["benchmarks"]
    if any(b.get("aggregate_name") == "median" for b in bench):
        runs = {b["run_name"]: b for b in bench if b.get("aggregate_name") == "median"}
    else:
        runs = {b["name"]: b for b in bench if b.get("run_type", "iteration") == "iteration"}
    ctx = data.get("context", {})
    print(f"machine: {ctx.get('host_name', '?')}, {ctx.get('num_cpus', '?')} CPUs @ {ctx.get('mhz_per_cpu', '?')} MHz")
    print()
    print(f"time base: {key}")
    print("| kernel | shape | int8 x ternary | fp32 OpenBLAS | speed-up (fp32 time / ternary time) |")
    print("|---|---|---|---|---|")
    for name, b in runs.items():
        for kind, base in (("BM_TernaryGemm/", "BM_Sgemm/"), ("BM_TernaryGemv/", "BM_Sgemv/")):
            if name.startswith(kind):
                shape = name[len(kind):].split("/real_time")[0]
                other = runs.get(base + name[len(kind):])
                if other is None:
                    continue
                t, o = b[key], other[key]
                unit = b["time_unit"]
                label = "GEMM T/K/N" if "Gemm" in kind else "GEMV K/N"
                print(f"| {label} | {shape} | {t:.3g} {unit} | {o:.3g} {unit} | {o / t:.2f}x |")
    def bw(b):
        # bytes_per_second is per wall second; rescale to the chosen time base.
        return b["bytes_per_second"] * b["real_time"] / b[key]

    def bw_of(prefix):
        for n, b in runs.items():
            if n.startswith(prefix) and "bytes_per_second" in b:
                return bw(b)
        return None

    copy1, copy2, read2 = bw_of("BM_Memcpy/"), bw_of("BM_MemcpyParallel/"), bw_of("BM_ReadParallel/")
    if copy1 and copy2 and read2:
        print()
        print(f"memcpy, 1 thread (read + write traffic): {copy1 / 1e9:.2f} GB/s; "
              f"memcpy, all threads: {copy2 / 1e9:.2f} GB/s; streaming read, all threads: {read2 / 1e9:.2f} GB/s")
        print()
        print("| GEMV K/N | kernel | packed weight GB/s | vs memcpy 1 thread | vs memcpy all threads | vs streaming read |")
        print("|---|---|---|---|---|---|")
        for name, b in runs.items():
            if not name.startswith("BM_TernaryGemv") or "bytes_per_second" not in b:
                continue
            args = name.split("/")[1:]
            args = [a for a in args if a and not a.startswith("real_time")]
            kernel = "auto"
            if name.startswith("BM_TernaryGemvKernel/"):
                kernel = {"0": "portable", "1": "AVX2", "2": "AVX-512 VNNI"}[args[2]]
            g = bw(b)
            print(f"| {args[0]}/{args[1]} | {kernel} | {g / 1e9:.2f} | {100 * g / copy1:.0f}% | "
                  f"{100 * g / copy2:.0f}% | {100 * g / read2:.0f}% |")


if __name__ == "__main__":
    main(sys.argv[1], "--cpu-time" in sys.argv[2:])
