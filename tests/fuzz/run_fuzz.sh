#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/targets/fuzz_*.cpp) with clang, libFuzzer, ASan and
# UBSan straight from the parser sources, and runs each for a bounded time over a copy of its
# seed corpus (tests/fuzz/corpus/<target>/). Prints one summary line per target (executions,
# coverage edges, corpus size) and fails on any finding (crash-*/leak-*/timeout-* saved in
# WORK_DIR/<target>/).
# Usage: run_fuzz.sh SOURCE_DIR WORK_DIR [SECONDS_PER_TARGET] [TARGET...]
# Exits 77 (CTest: skipped) without clang. `make fuzz` runs it for long runs.
set -euo pipefail
src=$(cd "$1" && pwd) work=$2 seconds=${3:-5}
shift $(( $# >= 3 ? 3 : $# ))
cxx=${CLANGXX:-/usr/bin/clang++}
[[ -x $cxx ]] || cxx=$(command -v clang++ || true)
if [[ -z $cxx ]]; then
  echo "clang++ not found: fuzz test skipped"
  exit 77
fi
mkdir -p "$work/obj"
work=$(cd "$work" && pwd)
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
       -I"$src" -DABACUS_SOURCE_DIR=\""$src"\" -DABACUS_ENERGY_TECH_DIR=\""$src/energy/tech"\"
       -DABACUS_ENERGY_REFERENCE_DIR=\""$src/energy/reference_models"\"
       -DABACUS_MEMORY_TECH_DIR=\""$src/energy/tech/memory"\")
# The parsers and what they need; the archive lets each target link only its part.
sources=$(cd "$src" && ls src/io/*.cpp src/model/config.cpp src/model/param_layout.cpp src/train/checkpoint.cpp \
  src/trace/trace.cpp src/trace/workload.cpp src/data/token_shard.cpp src/data/tokenizer.cpp src/tensor/parallel.cpp \
  src/quant/packing.cpp src/trace/operand_stats.cpp src/accel/arith_config.cpp sim/accel_config.cpp sim/systemc/sweep.cpp sim/systemc/report.cpp energy/tech_table.cpp 2>/dev/null)
build_one() {  # source -> object when the source or anything it includes (clang's -MMD list) is newer
  local s=$1 o=$work/obj/$(echo "$1" | tr / _).o
  local stale=0
  if [[ ! -f $o || ! -f $o.d ]]; then
    stale=1
  else
    for dep in $(sed -e 's/\\$//' -e 's/^[^:]*://' "$o.d"); do
      [[ $dep -nt $o ]] && { stale=1; break; }
    done
  fi
  if [[ $stale == 1 ]]; then
    echo "  cc $s"; "$cxx" "${flags[@]}" -MMD -MF "$o.d" -c "$src/$s" -o "$o"
  fi
}
echo "building the fuzz targets with $cxx"
for s in $sources; do build_one "$s"; done
if [[ ! -f $work/libparsers.a || -n $(find "$work/obj" -name '*.o' -newer "$work/libparsers.a") ]]; then
  rm -f "$work/libparsers.a"
  ar qc "$work/libparsers.a" "$work"/obj/*.o
fi
targets=("$@")
if [[ ${#targets[@]} == 0 ]]; then
  for f in "$src"/tests/fuzz/targets/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
status=0
summary=()
for t in "${targets[@]}"; do
  bin=$work/$t/$t
  mkdir -p "$work/$t/corpus"
  if [[ ! -x $bin || $src/tests/fuzz/targets/$t.cpp -nt $bin || $work/libparsers.a -nt $bin ]]; then
    "$cxx" "${flags[@]}" -fsanitize=fuzzer "$src/tests/fuzz/targets/$t.cpp" "$work/libparsers.a" \
      -lsentencepiece_train -lsentencepiece -lpthread -o "$bin"
  fi
  seeds=$src/tests/fuzz/corpus/${t#fuzz_}
  [[ -d $seeds ]] && cp -f "$seeds"/* "$work/$t/corpus/" 2>/dev/null || true
  log=$work/$t/last-run.log
  set +e
  (cd "$work/$t" && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 TMPDIR=$work/$t "$bin" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 corpus) > "$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  ncorp=$(ls "$work/$t/corpus" | wc -l)
  line=$(printf "%-22s %10s execs in %ss, cov %s edges, ft %s, corpus %s" "$t" "${execs:-?}" "$seconds" "${cov:-?}" "${ft:-?}" "$ncorp")
  if [[ $rc != 0 ]]; then
    line="$line  FINDING (exit $rc, see $log)"
    status=1
    tail -40 "$log"
  fi
  summary+=("$line")
done
printf 'fuzz: %s\n' "${summary[@]}"
exit $status
