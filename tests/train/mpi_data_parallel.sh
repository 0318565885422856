#!/usr/bin/env bash
# mpi_data_parallel.sh ABACUS SOURCE_DIR WORK_DIR MPIEXEC
# Data-parallel training through MPI equals one process bit for bit, resumes bit-identically,
# and a sharded sweep equals the unsharded one:
#   1. `mpirun -np 2 abacus train` (2 micro-batches of 4) == `abacus train --micro-batch 4`
#      (model, optimizer, trainer state, losses), for b1.58 and fp;
#   2. mpirun -np 2 stopped after step 3 and resumed == the uninterrupted mpirun run;
#   3. `mpirun -np 2 abacus dse` == `abacus dse` (the CSV, byte for byte).
set -euo pipefail
ABACUS=$1 SRC=$2 WORK=$3 MPIEXEC=$4
MPI=("$MPIEXEC" --oversubscribe --allow-run-as-root --bind-to none -np 2)
rm -rf "$WORK" && mkdir -p "$WORK"
cp -r "$SRC/tests/data/tiny-corpus" "$WORK/corpus"  # the tokenizer is trained into it
common=(--data "$WORK/corpus" --steps 6 --batch 8 --seq 32 --threads 1 --seed 7 --eval-every 3 --eval-windows 4 --log-every 1)

same() {  # same FILE_A FILE_B WHAT
  if ! cmp -s "$1" "$2"; then echo "FAIL: $3 differ: $1 $2"; exit 1; fi
  echo "ok: $3"
}
losses() { cut -d, -f1-5 "$1"; }
# A run's file, looked up in its newest checkpoint generation (the optimizer state lives only there).
gen() { echo "$(ls -d "$1"/checkpoints/step-[0-9]* | grep -v '\.tmp' | tail -1)/$2"; }  # metrics.csv without tokens_per_s (a timing)

for quant in b1.58 fp; do
  cfg="$SRC/models/tiny-1m-$quant.json"
  "$ABACUS" train --config "$cfg" "${common[@]}" --micro-batch 4 --out "$WORK/single-$quant" > "$WORK/single-$quant.log"
  "${MPI[@]}" "$ABACUS" train --config "$cfg" "${common[@]}" --out "$WORK/mpi-$quant" > "$WORK/mpi-$quant.log"
  grep -q "data parallel: 2 rank(s) (mpi)" "$WORK/mpi-$quant.log" || { cat "$WORK/mpi-$quant.log"; echo "FAIL: not 2 MPI ranks"; exit 1; }
  for f in model.safetensors optimizer.safetensors trainer.json; do
    same "$(gen "$WORK/single-$quant" $f)" "$(gen "$WORK/mpi-$quant" $f)" "$quant $f (1 process vs mpirun -np 2)"
  done
  same <(losses "$WORK/single-$quant/metrics.csv") <(losses "$WORK/mpi-$quant/metrics.csv") "$quant losses"
done

# Resume under MPI: stop after step 3, continue, compare with the uninterrupted run.
cfg="$SRC/models/tiny-1m-b1.58.json"
"${MPI[@]}" "$ABACUS" train --config "$cfg" "${common[@]}" --stop-after 3 --out "$WORK/mpi-resume" > /dev/null
"${MPI[@]}" "$ABACUS" train "${common[@]}" --resume --out "$WORK/mpi-resume" > "$WORK/mpi-resume.log"
grep -q "resumed" "$WORK/mpi-resume.log" || { cat "$WORK/mpi-resume.log"; echo "FAIL: did not resume"; exit 1; }
for f in model.safetensors optimizer.safetensors; do
  same "$(gen "$WORK/mpi-b1.58" $f)" "$(gen "$WORK/mpi-resume" $f)" "resumed $f"
done
same <(losses "$WORK/mpi-b1.58/metrics.csv") <(losses "$WORK/mpi-resume/metrics.csv") "resumed losses"

# Sharded sweep under MPI.
if "$ABACUS" dse --help > /dev/null 2>&1; then
  dse=(dse --model "$SRC/models/tiny-1m-b1.58.json" --space "$SRC/sim/configs/sweep-small.json")
  "$ABACUS" "${dse[@]}" --out "$WORK/dse-single.csv" > /dev/null
  "${MPI[@]}" "$ABACUS" "${dse[@]}" --out "$WORK/dse-mpi.csv" > /dev/null
  same "$WORK/dse-single.csv" "$WORK/dse-mpi.csv" "dse CSV (unsharded vs mpirun -np 2)"
fi
echo "PASS"
