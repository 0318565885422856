#!/usr/bin/env bash
# CLI-level check: `abacus inspect` on each kind of corrupt safetensors file prints one error
# naming the problem and exits 1 (not a crash, not success). Usage: inspect_errors.sh ABACUS
set -u
abacus=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0

# write FILE LENGTH HEADER DATA_BYTES: 8-byte little-endian LENGTH, HEADER, DATA_BYTES zero bytes.
write() {
  local file=$1 len=$2 header=$3 data=$4 i esc=""
  for ((i = 0; i < 8; i++)); do esc+=$(printf '\\x%02x' $(((len >> (8 * i)) & 255))); done
  printf "$esc" >"$file"
  printf '%s' "$header" >>"$file"
  head -c "$data" /dev/zero >>"$file"
}

# expect FILE PATTERN: inspect fails with exit 1 and its output contains PATTERN.
expect() {
  local out rc
  out=$("$abacus" inspect "$1" 2>&1)
  rc=$?
  if [[ $rc -ne 1 ]] || ! grep -qF -- "$2" <<<"$out"; then
    echo "FAIL: $1: exit $rc, wanted 1 and '$2'; output: $out"
    fails=$((fails + 1))
  else
    echo "ok: $(basename "$1"): $out"
  fi
}

good='{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}'
write "$dir/good.safetensors" ${#good} "$good" 16
if ! "$abacus" inspect "$dir/good.safetensors" | grep -q "F32"; then
  echo "FAIL: a valid file does not inspect"
  fails=$((fails + 1))
fi

write "$dir/truncated.safetensors" ${#good} "$good" 8
expect "$dir/truncated.safetensors" "past the end of the data section"
write "$dir/lying.safetensors" 4096 "$good" 16
expect "$dir/lying.safetensors" "header length 4096 runs past the end"
h='{"w":{"dtype":"F32","shape":[2],"data_offsets":[64,72]}}'
write "$dir/offset.safetensors" ${#h} "$h" 16
expect "$dir/offset.safetensors" "data_offsets [64, 72) past the end"
h='{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}'
write "$dir/overlap.safetensors" ${#h} "$h" 16
expect "$dir/overlap.safetensors" "overlaps tensor 'a'"
h='{"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}'
write "$dir/dtype.safetensors" ${#h} "$h" 8
expect "$dir/dtype.safetensors" "unknown dtype 'Q4'"
h='not json {'
write "$dir/nonjson.safetensors" ${#h} "$h" 8
expect "$dir/nonjson.safetensors" "header: not valid JSON"
h='{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}'
write "$dir/shape.safetensors" ${#h} "$h" 16
expect "$dir/shape.safetensors" "12 bytes but data_offsets span 16"
printf 'abc' >"$dir/short.safetensors"
expect "$dir/short.safetensors" "too short"
printf '{"hidden_size": 64}' >"$dir/config.json"
expect "$dir/config.json" "intermediate_size: missing"
expect "$dir/missing.safetensors" "no such config file, checkpoint folder or preset"

[[ $fails -eq 0 ]] && echo "all inspect error cases passed"
exit $((fails > 0))
