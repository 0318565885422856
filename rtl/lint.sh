#!/usr/bin/env bash
# Verilator lint (-Wall) of every RTL module, with the tiles in each built configuration.
# adder_tree is recursive and is linted inside the columns (Verilator cannot take a recursive
# module as its own top). Exits non-zero on any warning.
set -euo pipefail
cd "$(dirname "$0")"
SOURCES="adder_tree.v acc_unit.v ternary_column.v mac_column.v lut_encode.v lut_table.v lut_column.v out_fifo.v gemm_tile.v ternary_tile.v mac_tile.v lut_tile.v"
fail=0
lint() {
  if ! out=$(verilator --lint-only -Wall --assert "$@" $SOURCES 2>&1); then
    echo "lint failed: $*"; echo "$out"; fail=1
  else
    echo "lint ok: $*"
  fi
}
for m in ternary_column mac_column out_fifo gemm_tile acc_unit; do lint --top-module $m; done
lint --top-module ternary_column -GBINARY=1
lint --top-module acc_unit -GSAT=1 -GACC_W=16
for g in 2 3 4 5; do
  lint --top-module lut_encode -GG=$g
  lint --top-module lut_table -GG=$g -GK_T=8
  lint --top-module lut_column -GG=$g -GK_T=16 -GACC_SAT=1
  lint --top-module lut_tile -GN_T=4 -GK_T=8 -GLUT_G=$g
  lint --top-module lut_tile -GN_T=2 -GK_T=32 -GLUT_G=$g -GACC_W=16 -GACC_SAT=1
done
lint --top-module ternary_tile -GN_T=4 -GK_T=8 -GACC_W=16 -GACC_SAT=1
for cfg in "4 8" "8 16" "16 32" "3 2"; do
  set -- $cfg
  lint --top-module ternary_tile -GN_T=$1 -GK_T=$2
  lint --top-module ternary_tile -GN_T=$1 -GK_T=$2 -GBINARY=1
  lint --top-module mac_tile -GN_T=$1 -GK_T=$2
done
exit $fail
