#!/bin/bash
# The 2B4T-shaped benchmark (README "Real models in"): a Hugging Face folder shaped like
# microsoft/bitnet-b1.58-2B-4T with random ternary weights in the published packed format, traced
# for a 64-token prefill + 16 decode steps straight from the folder (abacus trace --hf), the
# trace consumed by stats and energy, and abacus generate's decode speed and weight bandwidth.
# Wall time and peak memory come from /usr/bin/time.
# usage: bench/scale/run_2b4t.sh ABACUS WORKDIR [LAYERS]
set -euo pipefail
ABACUS=$1
WORK=$2
LAYERS=${3:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$WORK"
HF=$WORK/hf-2b4t-shaped-$LAYERS
[ -f "$HF/config.json" ] || /usr/bin/python3 "$HERE/write_2b4t_shaped.py" "$HF" --layers "$LAYERS"
/usr/bin/python3 -c "import random; random.seed(64); print(' '.join(str(random.randrange(128256)) for _ in range(64)))" > "$WORK/prompt64.txt"
echo "== cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) ($(nproc) cores, avx512f: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no))"
echo "== trace: 64-token prefill + 16 decode steps"
/usr/bin/time -f "trace wall %e s, peak RSS %M KiB" "$ABACUS" trace --hf "$HF" --tokens "$WORK/prompt64.txt" \
  --decode-steps 16 --max-mib 8192 --out "$WORK/trace-2b4t.safetensors"
ls -l "$WORK/trace-2b4t.safetensors"
echo "== energy --trace (reads the v2 trace back)"
/usr/bin/time -f "energy wall %e s, peak RSS %M KiB" "$ABACUS" energy --trace "$WORK/trace-2b4t.safetensors" | tail -3
echo "== generate: 16 greedy tokens after the 64-token prompt"
/usr/bin/time -f "generate wall %e s, peak RSS %M KiB" "$ABACUS" generate --hf "$HF" --tokens "$WORK/prompt64.txt" \
  --max-tokens 17 --temperature 0
