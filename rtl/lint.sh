#!/usr/bin/env bash
# Verilator lint (-Wall) of every RTL module, with the tiles in each built configuration.
# adder_tree is recursive and is linted inside the columns (Verilator cannot take a recursive
# module as its own top). Exits non-zero on any warning.
set -euo pipefail
cd "$(dirname "$0")"
SOURCES="adder_tree.v ternary_column.v mac_column.v out_fifo.v gemm_tile.v ternary_tile.v mac_tile.v"
fail=0
lint() {
  if ! out=$(verilator --lint-only -Wall "$@" $SOURCES 2>&1); then
    echo "lint failed: $*"; echo "$out"; fail=1
  else
    echo "lint ok: $*"
  fi
}
for m in ternary_column mac_column out_fifo gemm_tile; do lint --top-module $m; done
lint --top-module ternary_column -GBINARY=1
for cfg in "4 8" "8 16" "16 32" "3 2"; do
  set -- $cfg
  lint --top-module ternary_tile -GN_T=$1 -GK_T=$2
  lint --top-module ternary_tile -GN_T=$1 -GK_T=$2 -GBINARY=1
  lint --top-module mac_tile -GN_T=$1 -GK_T=$2
done
exit $fail
