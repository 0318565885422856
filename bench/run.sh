#!/usr/bin/env bash
# Runs every benchmark executable of a build and every bench/*/run-*.sh pipeline benchmark.
# Results go to <build>/bench/results/ as JSON (Google Benchmark) and CSV/Markdown.
set -euo pipefail
BUILD=${1:-build}
OUT="$BUILD/bench/results"
mkdir -p "$OUT"
for exe in "$BUILD"/bench/bench_*; do
  [ -x "$exe" ] || continue
  name=$(basename "$exe")
  echo "== $name"
  "$exe" --benchmark_out="$OUT/$name.json" --benchmark_out_format=json
done
for script in bench/*/run-*.sh; do
  [ -f "$script" ] || continue
  echo "== $script"
  bash "$script" "$BUILD" "$OUT"
done
echo "bench: results in $OUT"
