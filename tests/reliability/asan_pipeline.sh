#!/usr/bin/env bash
# The CLI pipeline end to end in the ASan+UBSan build (issue 13, goal 5): train a few steps,
# resume, eval, generate, trace, energy on the trace, and the report, whatever of it the build
# contains (the sanitizer build has no SystemC/Verilator: sim, dse and verify say so). Any
# sanitizer report aborts the command (halt_on_error) and fails the test.
# usage: asan_pipeline.sh ABACUS SOURCE_DIR WORK_DIR
set -euo pipefail
abacus=$1 src=$2 work=$3
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
rm -rf "$work"; mkdir -p "$work"; cd "$work"
cp -r "$src/tests/data/tiny-corpus" corpus
cat > cfg.json <<'J'
{"name": "asan", "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 2,
 "vocab_size": 256, "max_position_embeddings": 64, "quant": "b1.58", "norm": "rmsnorm", "ffn": "swiglu",
 "hidden_act": "silu", "tie_word_embeddings": true, "rms_norm_eps": 1e-05, "rope_theta": 10000.0}
J
step() { echo "== abacus $*"; timeout 300 "$abacus" "$@"; }
has() { ! "$abacus" --help | grep -q "^  $1 .*not in this build"; }
ran=()
step train --config cfg.json --data corpus --out run/train --steps 3 --batch 2 --seq 16 --eval-windows 2 --threads 1 --stop-after 2
step train --out run/train --resume --threads 1; ran+=(train)
step eval --checkpoint run/train --max-windows 2 --threads 1; ran+=(eval)
step generate --checkpoint run/train --max-tokens 4 --temperature 0; ran+=(generate)
mkdir -p run/trace
step trace --checkpoint run/train --prompt "The jury said" --decode-steps 2 --out run/trace/trace.safetensors; ran+=(trace)
step inspect run/trace/trace.safetensors > /dev/null; ran+=(inspect)
if has energy; then
  mkdir -p run/energy
  step energy --trace run/trace/trace.safetensors --json run/energy/energy.json; ran+=(energy)
fi
for c in verify sim dse; do
  has $c && echo "note: $c is in this build but not run here" || echo "note: $c is not in this build (no SystemC/Verilator under ASan)"
done
if [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
  step report --run run --out report; ran+=(report)
  test -s report/index.md
fi
echo "asan-pipeline: ran ${ran[*]} without a sanitizer report"
