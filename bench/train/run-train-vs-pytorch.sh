#!/usr/bin/env bash
# Training step, abacus vs PyTorch CPU (Debian python3-torch), same model, data, batch 8 x 128,
# AdamW, at 1M (models/tiny-1m-*) and 27M (bench/train/configs/bench-27m-*) for fp and b1.58,
# 1 and 2 threads; runs interleaved (abacus, torch, next config ...) and repeated; reports min and
# median step time and the ratios (> 1: abacus faster). PyTorch's ratio uses its best thread
# setting at or below the thread count. Also the abacus b1.58 step / fp step of the same size.
#   bash bench/train/run-train-vs-pytorch.sh [BUILD] [OUT] [ROUNDS] [STEPS]
# Installs python3-torch with apt when missing (only here; make test never needs it).
set -euo pipefail
BUILD=${1:-build}
OUT=${2:-$BUILD/bench/results}
ROUNDS=${3:-3}
STEPS=${4:-5}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
mkdir -p "$OUT"
if ! "$PY" -c "import torch" 2>/dev/null; then
  echo "installing Debian's python3-torch for this benchmark"
  for i in 1 2 3 4 5; do apt-get install -y python3-torch > /dev/null && break || sleep 10; done
fi
cmake --build "$BUILD" --target train_step_timer > /dev/null
TIMER="$BUILD/bench/train_step_timer"
RAW="$OUT/train_vs_pytorch_raw.csv"
echo "round,model,impl,threads,step_ms" > "$RAW"
models=("1m-fp:$SRC/models/tiny-1m-fp.json" "1m-b1.58:$SRC/models/tiny-1m-b1.58.json"
        "27m-fp:$SRC/bench/train/configs/bench-27m-fp.json" "27m-b1.58:$SRC/bench/train/configs/bench-27m-b1.58.json")
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, torch $("$PY" -c 'import torch; print(torch.__version__)'), load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  for entry in "${models[@]}"; do
    name=${entry%%:*} cfg=${entry#*:}
    for th in 1 2; do
      "$TIMER" "$cfg" "$th" "$STEPS" | awk -v r="$r" -v n="$name" -v t="$th" '/^step_ms/ {print r "," n ",abacus," t "," $2}' >> "$RAW"
      "$PY" "$SRC/bench/train/torch_train_step.py" "$cfg" "$th" "$STEPS" | awk -v r="$r" -v n="$name" -v t="$th" '/^step_ms/ {print r "," n ",torch," t "," $2}' >> "$RAW"
    done
  done
  echo "round $r done"
done
"$PY" - "$RAW" <<'PYEOF' | tee "$OUT/train_vs_pytorch.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
t = {}
for r in rows:
    t.setdefault((r["model"], r["impl"], int(r["threads"])), []).append(float(r["step_ms"]))
def st(k): v = t[k]; return min(v), statistics.median(v)
print("| model | threads | abacus ms (min / median) | PyTorch ms (min / median, best threads <= n) | abacus speed-up vs PyTorch (min / median) |")
print("|---|---|---|---|---|")
for m in ["1m-fp", "1m-b1.58", "27m-fp", "27m-b1.58"]:
    for th in (1, 2):
        a = st((m, "abacus", th))
        best = min((st((m, "torch", k)) for k in range(1, th + 1)), key=lambda x: x[1])
        print(f"| {m} | {th} | {a[0]:.1f} / {a[1]:.1f} | {best[0]:.1f} / {best[1]:.1f} | {best[0]/a[0]:.2f} / {best[1]/a[1]:.2f} |")
print()
print("| size | threads | abacus b1.58 step / fp step (min / median; < 1: b1.58 faster) |")
print("|---|---|---|")
for size in ["1m", "27m"]:
    for th in (1, 2):
        b, f = st((size + "-b1.58", "abacus", th)), st((size + "-fp", "abacus", th))
        print(f"| {size} | {th} | {b[0]/f[0]:.2f} / {b[1]/f[1]:.2f} |")
PYEOF
