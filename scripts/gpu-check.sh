#!/usr/bin/env bash
# One command that validates and measures the BitNet core on a GPU, on a fresh machine with nvcc,
# cmake, ninja and python3 (+ PyTorch) but none of our Debian packages and no network:
#   1. dpkg -x's the .deb files that scripts/gpu-bundle.sh put in .device-debs/ into a private
#      prefix (.device-root/, never /) and points CMake, pkg-config and the loader at it;
#   2. configures a CUDA-only build (no SystemC/Verilator) for this GPU's architecture and builds
#      only the GPU tests and benchmarks;
#   3. runs the GPU tests (ctest -L gpu: kernels bit-exact vs the CPU, whole-model training vs the
#      CPU, checkpoints across devices);
#   4. runs bench_cuda_model (whole-model b1.58 vs BF16 training step), bench_cuda (W2A8 decode
#      GEMV vs device copy bandwidth) and the PyTorch BF16 anchor, and prints one table.
# Budget: under 8 minutes on an H100/H200 (16 cores). Logs: build-gpu/gpu-check/*.log.
# Usage: scripts/gpu-check.sh [--peak-tflops F] [--skip-tests]
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PEAK=989
SKIP_TESTS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --peak-tflops) PEAK=$2; shift 2 ;;
    --skip-tests) SKIP_TESTS=1; shift ;;
    *) echo "gpu-check: unknown option $1" >&2; exit 2 ;;
  esac
done
T0=$(date +%s)
stamp() { echo "[gpu-check $(( $(date +%s) - T0 ))s] $*"; }
die() { echo "gpu-check: error: $*" >&2; exit 1; }

command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] || die "nvcc not found"
command -v cmake >/dev/null || die "cmake not found"
command -v ninja >/dev/null || die "ninja not found"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,compute_cap --format=csv,noheader

# ---- 1. the carried Debian packages, into a private prefix ----------------------------------
PREFIX=$ROOT/.device-root
if ls .device-debs/*.deb >/dev/null 2>&1; then
  if [ ! -f "$PREFIX/.unpacked" ]; then
    rm -rf "$PREFIX"
    mkdir -p "$PREFIX"
    for f in .device-debs/*.deb; do dpkg -x "$f" "$PREFIX" || die "dpkg -x $f"; done
    # pkg-config files and OpenBLAS' alternatives link name /usr; point them at the prefix.
    mkdir -p "$PREFIX/pc"
    find "$PREFIX" -name '*.pc' -exec sed -i "s|/usr|$PREFIX/usr|g" {} +
    ob=$(find "$PREFIX" -path '*openblas-pthread*' -name 'openblas*.pc' | head -1)
    [ -n "$ob" ] && cp "$ob" "$PREFIX/pc/openblas.pc"
    for l in libblas.so.3 liblapack.so.3; do
      s=$(find "$PREFIX" -path '*openblas-pthread*' -name "$l" | head -1)
      [ -n "$s" ] && ln -sf "$s" "$PREFIX/usr/lib/x86_64-linux-gnu/$l"
    done
    touch "$PREFIX/.unpacked"
  fi
  LIBDIR=$PREFIX/usr/lib/x86_64-linux-gnu
  # The carried pkg-config only where the machine has none (a system binary matches its libc).
  command -v pkg-config >/dev/null || export PATH=$PREFIX/usr/bin:$PATH
  export PKG_CONFIG_PATH=$PREFIX/pc:$LIBDIR/pkgconfig:$PREFIX/usr/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
  export LD_LIBRARY_PATH=$LIBDIR:$LIBDIR/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export CMAKE_PREFIX_PATH=$PREFIX/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}
  stamp "packages from .device-debs unpacked in $PREFIX"
else
  stamp "no .device-debs/ (run scripts/gpu-bundle.sh where apt works); using the system's packages"
fi

# ---- 2. configure and build only what the check needs ---------------------------------------
ARCH=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '. ')
[ -n "$ARCH" ] || ARCH=90
B=$ROOT/build-gpu
LOG=$B/gpu-check
mkdir -p "$LOG"
cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DABACUS_WITH_SIM=OFF -DABACUS_CUDA=ON \
      -DCMAKE_CUDA_ARCHITECTURES="$ARCH" >"$LOG/configure.log" 2>&1 || { tail -30 "$LOG/configure.log"; die "configure failed"; }
stamp "configured for sm_$ARCH"
cmake --build "$B" -j"$(nproc)" --target cuda_kernels_test cuda_model_test bench_cuda bench_cuda_model \
      >"$LOG/build.log" 2>&1 || { grep -E 'error|Error' "$LOG/build.log" | head -30; die "build failed"; }
stamp "built"

# ---- 3. GPU tests ----------------------------------------------------------------------------
TESTS=skipped
if [ $SKIP_TESTS -eq 0 ]; then
  if (cd "$B" && ctest -L gpu --output-on-failure --timeout 300 >"$LOG/tests.log" 2>&1); then
    if grep -q "Not Run\|Skipped" "$LOG/tests.log"; then TESTS="skipped (no GPU)"; else TESTS=passed; fi
  else TESTS=FAILED; tail -60 "$LOG/tests.log"; fi
  grep -E "tests passed|Passed|Failed|Skipped|SKIPPED" "$LOG/tests.log" | tail -5
  stamp "GPU tests $TESTS"
fi

# ---- 4. benchmarks ---------------------------------------------------------------------------
"$B/bench/bench_cuda_model" --peak-tflops "$PEAK" 2>&1 | tee "$LOG/bench_cuda_model.log"
stamp "bench_cuda_model done"
"$B/bench/bench_cuda" --peak-tflops "$PEAK" --iters 5 2>&1 | tee "$LOG/bench_cuda.log"
stamp "bench_cuda done"
python3 bench/cuda/torch_anchor.py --peak-tflops "$PEAK" 2>&1 | tee "$LOG/torch_anchor.log"
stamp "PyTorch anchor done"

# ---- the table -------------------------------------------------------------------------------
cat "$LOG"/bench_cuda_model.log "$LOG"/bench_cuda.log "$LOG"/torch_anchor.log | grep '^RESULT' >"$LOG/results.txt"
python3 - "$LOG/results.txt" "$TESTS" <<'PY'
import sys
rows = []
for line in open(sys.argv[1]):
    f = line.split()
    rows.append((f[1], dict(kv.split("=", 1) for kv in f[2:])))
def get(kind, **want):
    for k, d in rows:
        if k == kind and all(d.get(a) == b for a, b in want.items()):
            return d
    return {}
print("\n==== gpu-check: the BitNet core on this GPU (GPU tests: %s) ====" % sys.argv[2])
print("| size | b1.58 step ms | BF16 step ms | b1.58/BF16 | b1.58 MFU | BF16 MFU | PyTorch BF16 step ms | PyTorch MFU |")
print("|---|---|---|---|---|---|---|---|")
for size in ("125M", "700M"):
    b, f, r, t = get("train", size=size, mode="b1.58"), get("train", size=size, mode="bf16"), get("ratio", size=size), get("torch", size=size)
    cell = lambda d, k, fmt="%.2f": (fmt % float(d[k])) if k in d else "n/a"
    pct = lambda d, k: ("%.1f %%" % (100 * float(d[k]))) if k in d else "n/a"
    print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (size, cell(b, "step_ms_median"), cell(f, "step_ms_median"),
          cell(r, "b158_over_bf16", "%.3f"), pct(b, "mfu"), pct(f, "mfu"), cell(t, "step_ms_median"), pct(t, "mfu")))
d = get("decode", size="700M")
if d:
    print("\ndecode, 700M linears (one token): W2A8 %.0f tokens/s (BF16 GEMV %.0f tokens/s); W2A8 streams %.0f GB/s = %.1f %% of device copy bandwidth (%.0f GB/s)"
          % (float(d["w2a8_tokens_per_s"]), float(d["bf16_tokens_per_s"]), float(d["w2a8_gbps"]),
             float(d["w2a8_pct_of_copy"]), float(d["copy_gbps"])))
print("(step times: median of interleaved steps; MFU = 6 x matmul params x tokens/s / peak BF16; goal b1.58/BF16 <= 1, aiming at 0.8)")
PY
stamp "done"
[ "$TESTS" != FAILED ]
