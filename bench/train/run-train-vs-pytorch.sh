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
echo "round,model,impl,threads,step_ms,cpu_ms" > "$RAW"
SIZES=${SIZES:-1m 27m}  # e.g. SIZES=1m for a quick run
models=()
for size in $SIZES; do
  for q in fp b1.58; do
    if [ "$size" = 1m ]; then models+=("1m-$q:$SRC/models/tiny-1m-$q.json")
    else models+=("$size-$q:$SRC/bench/train/configs/bench-$size-$q.json"); fi
  done
done
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, torch $("$PY" -c 'import torch; print(torch.__version__)'), load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  for entry in "${models[@]}"; do
    name=${entry%%:*} cfg=${entry#*:}
    for th in 1 2; do
      "$TIMER" "$cfg" "$th" "$STEPS" | awk -v r="$r" -v n="$name" -v t="$th" '/^step_ms/ {print r "," n ",abacus," t "," $2 "," $4}' >> "$RAW"
      "$PY" "$SRC/bench/train/torch_train_step.py" "$cfg" "$th" "$STEPS" | awk -v r="$r" -v n="$name" -v t="$th" '/^step_ms/ {print r "," n ",torch," t "," $2 "," $4}' >> "$RAW"
    done
  done
  echo "round $r done"
done
"$PY" - "$RAW" <<'PYEOF' | tee "$OUT/train_vs_pytorch.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
t, c = {}, {}
for r in rows:
    k = (r["model"], r["impl"], int(r["threads"]))
    t.setdefault(k, []).append(float(r["step_ms"]))
    c.setdefault(k, []).append(float(r["cpu_ms"]))
def st(k, d=t): v = d[k]; return min(v), statistics.median(v)
print("| model | threads | abacus ms (min / median) | PyTorch ms (min / median, best threads <= n) | abacus speed-up vs PyTorch (min / median) |")
print("|---|---|---|---|---|")
present = sorted({k[0] for k in t}, key=lambda m: (int(m.split("m-")[0]), m))
for m in present:
    for th in (1, 2):
        a = st((m, "abacus", th))
        best = min((st((m, "torch", k)) for k in range(1, th + 1)), key=lambda x: x[1])
        print(f"| {m} | {th} | {a[0]:.1f} / {a[1]:.1f} | {best[0]:.1f} / {best[1]:.1f} | {best[0]/a[0]:.2f} / {best[1]/a[1]:.2f} |")
print()
print("1 thread by CPU time (steadier on a shared machine):")
print()
print("| model | abacus CPU ms (min / median) | PyTorch CPU ms (min / median) | abacus speed-up (min / median) |")
print("|---|---|---|---|")
for m in present:
    a, p = st((m, "abacus", 1), c), st((m, "torch", 1), c)
    print(f"| {m} | {a[0]:.1f} / {a[1]:.1f} | {p[0]:.1f} / {p[1]:.1f} | {p[0]/a[0]:.2f} / {p[1]/a[1]:.2f} |")
print()
print("| size | threads | abacus b1.58 step / fp step (min / median; < 1: b1.58 faster) |")
print("|---|---|---|")
sizes = sorted({m.split("-")[0] for m in present}, key=lambda x: int(x[:-1]))
for size in sizes:
    for th in (1, 2):
        b, f = st((size + "-b1.58", "abacus", th)), st((size + "-fp", "abacus", th))
        print(f"| {size} | {th} | {b[0]/f[0]:.2f} / {b[1]/f[1]:.2f} |")
for size in sizes:
    b, f = st((size + "-b1.58", "abacus", 1), c), st((size + "-fp", "abacus", 1), c)
    print(f"| {size} | 1 (CPU time) | {b[0]/f[0]:.2f} / {b[1]/f[1]:.2f} |")
PYEOF
