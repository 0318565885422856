#!/usr/bin/env bash
# Builds the parser fuzzer with clang (libFuzzer + ASan + UBSan) straight from the parser
# sources and runs it for a bounded time over a copy of the seed corpus.
# Usage: run_fuzz.sh SOURCE_DIR WORK_DIR [SECONDS]. Exits 77 (CTest: skipped) without clang.
set -euo pipefail
src=$1 work=$2 seconds=${3:-20}
cxx=${CLANGXX:-/usr/bin/clang++}
if [[ ! -x $cxx ]]; then
  cxx=$(command -v clang++ || true)
fi
if [[ -z $cxx ]]; then
  echo "clang++ not found: fuzz test skipped"
  exit 77
fi
mkdir -p "$work/corpus"
bin=$work/fuzz_parsers
sources=(tests/fuzz/fuzz_parsers.cpp src/io/safetensors.cpp src/io/atomic_file.cpp src/io/json_fields.cpp
  src/model/config.cpp)
# Rebuild only when a source is newer than the binary.
rebuild=0
[[ -x $bin ]] || rebuild=1
for s in "${sources[@]}" src/io/safetensors.h src/model/config.h src/io/json_fields.h; do
  [[ $src/$s -nt $bin ]] && rebuild=1
done
if [[ $rebuild == 1 ]]; then
  echo "building $bin with $cxx"
  (cd "$src" && "$cxx" -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I. "${sources[@]}" -o "$bin")
fi
cp -f "$src"/tests/fuzz/corpus/* "$work/corpus/"
cd "$work"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
TMPDIR=$work "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 corpus
