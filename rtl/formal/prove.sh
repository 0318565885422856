#!/usr/bin/env bash
# Bounded formal proof (Yosys SAT; Debian has no SymbiYosys package) of the tile's protocol
# assertions in gemm_tile.v: the output FIFO never overflows (no push into a full FIFO, results
# in flight never exceed the reserved slots), an offered output beat stays valid and unchanged
# until taken, the weight and activation streams are never ready together, and act_ready only
# in RUN. Inputs are free except for the valid/ready rules of the senders (assumptions) and a
# reset in the first cycle. Small configurations (the control logic does not depend on the
# datapath width), DEPTH cycles from reset.
#
#   rtl/formal/prove.sh [DEPTH]     (default 24; exits non-zero on a counterexample)
set -euo pipefail
RTL="$(cd "$(dirname "$0")/.." && pwd)"
DEPTH="${1:-24}"
SRC="$RTL/adder_tree.v $RTL/acc_unit.v $RTL/ternary_column.v $RTL/mac_column.v $RTL/lut_encode.v $RTL/lut_table.v \
  $RTL/lut_column.v $RTL/out_fifo.v $RTL/gemm_tile.v"
fail=0
# ARCH:N_T:K_T:LUT_G:FIFO_DEPTH:MAX_KS
for cfg in "0:1:2:4:2:2" "3:1:4:2:2:2" "0:2:2:4:1:3"; do
  IFS=: read -r arch nt kt g depth maxks <<<"$cfg"
  log="$(mktemp)"
  if yosys -q -l "$log" -p "read_verilog -formal -I$RTL $SRC; \
      chparam -set ARCH $arch -set N_T $nt -set K_T $kt -set LUT_G $g -set FIFO_DEPTH $depth -set MAX_KS $maxks \
              -set ACC_W 16 gemm_tile; \
      prep -top gemm_tile; memory_map; opt -fast; flatten; opt -fast; \
      sat -seq $DEPTH -prove-asserts -set-assumes -set-init-zero -set-at 1 rst_n 0 -verify -show-ports" >/dev/null 2>&1; then
    echo "proved ($DEPTH cycles): gemm_tile ARCH=$arch N_T=$nt K_T=$kt LUT_G=$g FIFO_DEPTH=$depth MAX_KS=$maxks"
  else
    echo "FAILED: gemm_tile ARCH=$arch N_T=$nt K_T=$kt LUT_G=$g FIFO_DEPTH=$depth MAX_KS=$maxks"
    grep -E "Assert|assert|failed|ERROR|Error" "$log" | head -20
    fail=1
  fi
  rm -f "$log"
done
exit $fail
