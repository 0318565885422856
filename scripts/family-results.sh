#!/usr/bin/env bash
# The README's family tables (issue 17): trains every family in fp, b1.58 and b1.58-median on
# data/brown, over seeds (MLP, GNN) or hidden sizes (encoder, encoder-decoder), traces the
# b1.58 models, and writes runs/families/ (JSON per run, energy lines, tables.md).
# Sized for a shared 2-core machine: every run takes seconds to a few minutes.
# usage: scripts/family-results.sh [BUILD_DIR] [OUT_DIR] [SEEDS] [STAGES: any of train trace tables]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
OUT=${2:-runs/families}
SEEDS=${3:-"1 2 3"}
STAGES=${4:-"train trace tables"}
A="$B/abacus"
[ -x "$A" ] || { echo "family-results: $A not built" >&2; exit 1; }
bash scripts/fetch-corpus.sh >/dev/null
mkdir -p "$OUT/energy" "$OUT/trace"
run() {  # config quant seed [extra flags...]
  local cfg=$1 q=$2 s=$3; shift 3
  local tag; tag=$(basename "$cfg" .json)-$q-s$s${*:+-$(echo "$*" | tr ' -' '_')}
  "$A" family train --config "$cfg" --quant "$q" --seed "$s" --json "$OUT/$tag.json" \
    $([ "$q" = b1.58 ] && echo --out "$OUT/trace/$tag.ck.safetensors") "$@"
}
if [[ " $STAGES " == *" train "* ]]; then
  for cfg in mlp-genre sgc-genre; do
    for s in $SEEDS; do for q in fp b1.58 b1.58-median; do run models/families/$cfg.json $q $s; done; done
  done
  for cfg in encoder-d32 encoder-d64 encdec-d32 encdec-d64; do
    for q in fp b1.58 b1.58-median; do run models/families/$cfg.json $q 1; done
  done
  for cfg in gcn-genre mlp-coarse; do
    for s in $SEEDS; do for q in fp b1.58 b1.58-median; do run models/families/$cfg.json $q $s; done; done
  done
fi
# Traces and per-inference energy/sim of one b1.58 model per family.
[[ " $STAGES " == *" trace "* ]] && for tag in mlp-genre-b1.58-s1 sgc-genre-b1.58-s1 gcn-genre-b1.58-s1 encoder-d64-b1.58-s1 encdec-d64-b1.58-s1; do
  ck="$OUT/trace/$tag.ck.safetensors"
  [ -f "$ck" ] || continue
  "$A" family trace --checkpoint "$ck" --out "$OUT/trace/$tag.trace.safetensors" --items 1
  "$A" family energy --trace "$OUT/trace/$tag.trace.safetensors" > "$OUT/energy/$tag.txt"
  "$A" family sim --trace "$OUT/trace/$tag.trace.safetensors" --json "$OUT/trace/$tag.sim.json" > "$OUT/trace/$tag.sim.txt"
done
[[ " $STAGES " == *" tables "* ]] && /usr/bin/python3 reports/family_tables.py "$OUT" --out "$OUT/tables.md"
