#!/usr/bin/env bash
# CLI reliability cases of issue 13 on one tiny run: refused overwrites, corrupt checkpoints,
# bad numbers, oversized models, failed writes. Each case must end in a clear error (exit 1,
# message naming the file/flag) or the documented success, never a hang, crash or half file.
# usage: cli_reliability.sh ABACUS SOURCE_DIR WORK_DIR
set -u
abacus=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 1
mkdir corpus && cp "$src"/tests/data/tiny-corpus/*.txt corpus/  # the documents only (other tests may leave a tokenizer there)
fails=0 cases=0
t() { timeout 120 "$abacus" "$@"; }
# expect RC PATTERN CMD...: exit status RC and PATTERN in the output.
expect() {
  local want=$1 pattern=$2; shift 2
  cases=$((cases + 1))
  local rc
  out=$("$@" 2>&1); rc=$?
  if [[ $rc != "$want" ]] || ! grep -q -- "$pattern" <<<"$out"; then
    echo "FAIL: $* -> exit $rc (want $want, /$pattern/)"; echo "$out" | tail -5; fails=$((fails + 1))
  else
    echo "ok: $* -> $rc"
  fi
}
check() {  # check DESCRIPTION CONDITION...
  local what=$1; shift
  cases=$((cases + 1))
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
cat > cfg.json <<'J'
{"name": "rel", "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 2,
 "vocab_size": 256, "max_position_embeddings": 64, "quant": "b1.58", "norm": "rmsnorm", "ffn": "swiglu",
 "hidden_act": "silu", "tie_word_embeddings": true, "rms_norm_eps": 1e-05, "rope_theta": 10000.0}
J
run=(--config cfg.json --data corpus --seq 16 --eval-windows 2)

# Bad numbers are refused before anything is written.
expect 1 "--lr: value -1 out of range" t train "${run[@]}" --out bad --steps 4 --lr -1 --batch 2
expect 1 "--threads" t train "${run[@]}" --out bad --steps 4 --threads -1
expect 1 "--batch" t train "${run[@]}" --out bad --steps 4 --batch 0
expect 1 "--schedule\|schedule" t train "${run[@]}" --out bad --steps 4 --schedule nope --batch 2
check "no run folder after refused options" test ! -e bad
check "no tokenizer written by refused options" test -z "$(ls corpus | grep -v '\.txt$')"

# A model too large for memory, and a vocabulary the shards cannot hold: refused up front.
sed 's/"hidden_size": 32/"hidden_size": 65536/; s/"num_attention_heads": 2/"num_attention_heads": 2/' cfg.json > huge.json
expect 1 "huge.json: training needs about" t train --config huge.json --data corpus --out hugerun --steps 2
sed 's/"vocab_size": 256/"vocab_size": 70000/' cfg.json > bigvocab.json
expect 1 "bigvocab.json: vocab_size: 70000 is above 65536" t train --config bigvocab.json --data corpus --out vrun --steps 2
check "no folder or tokenizer after the refusals" test ! -e hugerun -a ! -e vrun -a -z "$(ls corpus | grep -v '\.txt$')"
sed 's/"hidden_size": 32/"hidden_size": 1e405/' cfg.json > range.json
expect 1 "range.json: hidden_size: number 1e405 is outside the range of a double" t train --config range.json --data corpus --out r --steps 2

# A finished run is not overwritten by accident; --resume reads batch/seq/steps from it.
expect 0 "done: 4 steps" t train "${run[@]}" --batch 2 --threads 1 --out ck --steps 4 --checkpoint-every 1
expect 1 "already holds a run (step 4 of 4)" t train "${run[@]}" --batch 2 --out ck --steps 4
expect 0 "resumed ck from ck/checkpoints/step-000000000004 (step 4)" t train --out ck --resume
cp -r ck ck2

# A flipped bit in the newest generation: resume takes the one before and says so.
flip() { python3 - "$1" "$2" <<'P'
import sys
p, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, 'rb').read()); b[off if off >= 0 else len(b) + off] ^= 0x40
open(p, 'wb').write(b)
P
}
flip ck2/checkpoints/step-000000000004/optimizer.safetensors -3
expect 0 "skipped checkpoint ck2/checkpoints/step-000000000004.*checksum mismatch" t train --out ck2 --resume --steps 6
check "resumed from the generation before the corrupt one" grep -q "resumed ck2 from ck2/checkpoints/step-000000000003 (step 3)" <<<"$out"
check "the resumed run reached step 6" test -s ck2/checkpoints/step-000000000006/model.safetensors
# The flipped model is refused by every reader (eval, generate, trace, energy), --no-verify skips the check.
cp -r ck ck3
flip ck3/model.safetensors -2   # (cp -r copied the published hard link as a file of its own)
expect 1 "ck3/model.safetensors: tensor '.*': checksum mismatch" t eval --checkpoint ck3 --max-windows 2
expect 1 "checksum mismatch" t generate --checkpoint ck3 --max-tokens 2
expect 0 "val_loss" t eval --checkpoint ck3 --max-windows 2 --no-verify

# Numeric options of the other commands.
expect 1 "--batch: value 0 out of range" t eval --checkpoint ck --batch 0
expect 1 "--seq" t eval --checkpoint ck --seq -5
expect 1 "--temperature" t generate --checkpoint ck --temperature nan
expect 1 "--max-tokens" t generate --checkpoint ck --max-tokens -1
expect 1 "--top-k" t generate --checkpoint ck --top-k -1

# An output onto an input is refused (the input stays intact).
sum_before=$(md5sum < ck/model.safetensors)
expect 1 "is the same file as the input" t trace --checkpoint ck --prompt "The jury" --out ck/model.safetensors
check "model intact after the refused trace" test "$sum_before" = "$(md5sum < ck/model.safetensors)"
expect 1 "nodir/t.safetensors: --out: its folder nodir does not exist" t trace --checkpoint ck --prompt "The jury" --out nodir/t.safetensors
expect 0 "trace: wrote" t trace --checkpoint ck --prompt "The jury said" --out tr.safetensors
if "$abacus" energy --help >/dev/null 2>&1 && ! "$abacus" --help | grep -q "energy .*not in this build"; then
  cp ck/config.json cfgcopy.json
  expect 1 "is the same file as the input" t energy --config cfgcopy.json --json cfgcopy.json
  expect 0 "" t energy --trace tr.safetensors --json tr-energy.json
fi
if ! "$abacus" --help | grep -q "sim .*not in this build"; then
  echo '{"n_t": 16, "k_t": 16}' > accel.json
  expect 1 "is the same file as the input" t sim --trace tr.safetensors --accel accel.json --json accel.json
  echo '{"dram_gbps": 1e-300}' > a2.json
  expect 1 "a2.json: dram_gbps: value 1e-300 out of range" t sim --model cfg.json --accel a2.json
  echo '{"dram_latency_ns": 1e300}' > a3.json
  expect 1 "a3.json: dram_latency_ns" t sim --model cfg.json --accel a3.json
  echo '{"clock_mhz": 1e-300}' > a4.json
  expect 1 "a4.json: clock_mhz" t sim --model cfg.json --accel a4.json
  python3 -c "import json; print(json.dumps({'n_t': [8, 16, 32, 64] * 1, 'k_t': [8, 16, 32, 64], 'dram_gbps': list(range(1, 101)), 'clock_mhz': list(range(100, 1100)), 'ppu_lanes': list(range(1, 11))}))" > huge-space.json
  expect 1 "16000000 design points" t dse --model cfg.json --space huge-space.json --out dse.csv
  expect 1 "is the same file as the input" t dse --model cfg.json --space huge-space.json --out huge-space.json
  # A damaged shard (a fuzz finding: std::stoll threw from the merge) is a field error.
  printf 'index,energy_per_token_pj,latency_s,area_mm2,pareto\n0,1,1,1,1\n1x,2,2,2,0\n' > bad-shard.csv
  expect 1 "bad-shard.csv: line 3: index: \"1x\" is not a non-negative integer" t dse --merge bad-shard.csv --out merged.csv
fi

# Failed writes: a file-size limit makes write() fail (EFBIG, as a full disk gives ENOSPC):
# a clear error, non-zero exit, no partial or temporary file left.
limited() { (trap '' XFSZ; ulimit -f 64; exec timeout 120 "$abacus" "$@"); }
expect 1 "tr-big.safetensors.*write failed\|tr-big.safetensors.*flush failed" limited trace --checkpoint ck --prompt "The jury said that the city of Atlanta" --decode-steps 20 --out tr-big.safetensors
check "no partial trace" test -z "$(ls | grep tr-big)"
expect 1 "write failed\|flush failed" limited train "${run[@]}" --batch 2 --out limited-run --steps 2 --force
check "no temporary files in the failed run" test -z "$(find limited-run -name '*.tmp.*' 2>/dev/null)"
if ! "$abacus" --help | grep -q "verify .*not in this build"; then
  echo '{"n_t": 8, "k_t": 16}' > tile.json
  expect 1 "big.vcd: wave: writing the waveform failed" limited verify --gemm 64,256,64 --accel tile.json --wave big.vcd
  check "no partial VCD" test -z "$(ls | grep big.vcd)"
  expect 1 "nodir/w.vcd: wave" t verify --gemm 4,16,16 --accel tile.json --wave nodir/w.vcd
  expect 1 "cw.vcd: wave: writing the waveform failed" limited sim --fidelity cosim --trace tr.safetensors --accel tile.json --wave cw.vcd
  check "no partial co-simulation VCD or FIFO" test -z "$(ls | grep cw.vcd)"
  expect 0 "wrote cw.vcd" t sim --fidelity cosim --trace tr.safetensors --accel tile.json --wave cw.vcd
  check "the co-simulation VCD is complete" grep -q "enddefinitions" cw.vcd
fi

echo "cli-reliability: $((cases - fails)) of $cases cases passed"
[[ $fails == 0 ]]
