#!/usr/bin/env bash
# Ternary GEMV: abacus vs llama.cpp/ggml TQ2_0 vs bitnet.cpp I2_S, side by side, plus streaming
# read bandwidth in the same run (bench/gemv/gemv_vs_ggml.cpp).
#   bash bench/gemv/run-gemv-vs-ggml.sh [BUILD] [OUT] [REPS]
# Sources: GGML_SRC / BITNET_SRC (checked-out trees), else the git mirrors under
# /work/.mirror (this project's fetch), else a shallow git clone of github.com/ggml-org/ggml and
# github.com/microsoft/BitNet. Built under BUILD/bench/ext (never committed). ggml is built with
# GGML_NATIVE (this CPU's best SIMD); the abacus kernel picks AVX-512 VNNI or AVX2 at run time.
set -euo pipefail
BUILD=${1:-build}
OUT=${2:-$BUILD/bench/results}
REPS=${3:-7}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
EXT=$(realpath -m "$BUILD/bench/ext")
mkdir -p "$EXT" "$OUT"

fetch_tree() {  # fetch_tree NAME GIT_MIRROR URL DEST
  local name=$1 mirror=$2 url=$3 dest=$4
  [ -d "$dest" ] && return 0
  mkdir -p "$dest"
  if [ -d "$mirror" ]; then
    git --git-dir="$mirror" archive HEAD | tar -x -C "$dest"
  else
    rm -rf "$dest" && git clone --depth 1 "$url" "$dest"
  fi
  echo "$name: $(cd "$dest" && (git rev-parse HEAD 2>/dev/null || git --git-dir="$mirror" rev-parse HEAD))"
}
GGML=${GGML_SRC:-$EXT/ggml}
BITNET=${BITNET_SRC:-$EXT/bitnet}
[ -n "${GGML_SRC:-}" ] || fetch_tree ggml /work/.mirror/ggml-org+ggml/repo https://github.com/ggml-org/ggml "$GGML"
[ -n "${BITNET_SRC:-}" ] || fetch_tree bitnet /work/.mirror/microsoft+BitNet/repo https://github.com/microsoft/BitNet "$BITNET"

if [ ! -f "$EXT/ggml-build/src/libggml-cpu.a" ]; then
  cmake -S "$GGML" -B "$EXT/ggml-build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
        -DGGML_NATIVE=ON -DGGML_OPENMP=OFF -DGGML_BUILD_TESTS=OFF -DGGML_BUILD_EXAMPLES=OFF > "$EXT/ggml-cmake.log"
  cmake --build "$EXT/ggml-build" -j2 --target ggml-cpu ggml-base > "$EXT/ggml-build.log"
fi

# bitnet.cpp's I2_S kernels from its own source, against the ggml headers (its quantizer, which
# needs bitnet's GGML_TYPE_I2_S, is compiled but not called: the harness packs I2_S itself).
CXXFLAGS=(-O3 -march=native -std=c++17 -DNDEBUG)
if [ ! -f "$EXT/ggml-bitnet-mad.o" ]; then
  g++ "${CXXFLAGS[@]}" -DGGML_TYPE_I2_S=GGML_TYPE_COUNT -I"$BITNET/include" -I"$GGML/include" -I"$GGML/src" \
      -I"$GGML/src/ggml-cpu" -c "$BITNET/src/ggml-bitnet-mad.cpp" -o "$EXT/ggml-bitnet-mad.o"
fi

# The harness with abacus' kernel sources (same flags as the abacus build: no -march).
g++ -O2 -std=c++17 -DNDEBUG -I"$SRC" -I"$GGML/include" "$SRC/bench/gemv/gemv_vs_ggml.cpp" \
    "$SRC/src/quant/ternary_gemm.cpp" "$SRC/src/quant/packing.cpp" "$SRC/src/tensor/parallel.cpp" \
    "$EXT/ggml-bitnet-mad.o" "$EXT/ggml-build/src/libggml-cpu.a" "$EXT/ggml-build/src/libggml-base.a" \
    -lpthread -lm -o "$EXT/gemv_vs_ggml"

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
     "AVX-512 VNNI: $(grep -qw avx512_vnni /proc/cpuinfo && echo yes || echo no), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$EXT/gemv_vs_ggml" "$REPS" | tee "$OUT/gemv_vs_ggml.csv"
echo "gemv: $OUT/gemv_vs_ggml.csv (x_* = their time / abacus time: > 1 means abacus is faster)"
