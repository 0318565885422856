#!/usr/bin/env bash
# Fills .device-debs/ (git-ignored) with the Debian packages scripts/gpu-check.sh needs on a fresh
# GPU machine that has nvcc, cmake, ninja and python3 (+ PyTorch) but none of our packages and no
# network: the build's libraries (Boost.Program_options, nlohmann-json, Catch2, OpenBLAS,
# SentencePiece, Google Benchmark), pkg-config, and their dependencies, minus what every
# Debian/Ubuntu system has (Priority required/important) and the compiler toolchain.
# Run it here (with network); gpu-check.sh dpkg -x's the files into a private prefix there.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=.device-debs
WANT=(libboost-program-options-dev nlohmann-json3-dev catch2 libopenblas-dev libopenblas0-pthread
      libopenblas-pthread-dev libsentencepiece-dev libsentencepiece0 libbenchmark-dev pkgconf pkgconf-bin
      libpkgconf3)
# The toolchain is on the GPU machine already; its libraries must not be replaced by ours.
SKIP_RE='^(libopenblas.*(openmp|serial)|rpcsvc-proto|gcc|g\+\+|cpp|libgcc|libstdc\+\+|libc6|libc-dev|linux-libc-dev|libcrypt|binutils|libbinutils|libctf|libgprofng|libasan|liblsan|libtsan|libubsan|libhwasan|libitm|libatomic|libgomp|libcc1|libisl|libmpc|libmpfr|libgmp|libjansson|libzstd|zlib1g|libnsl|libtirpc|libgssapi|libkrb|libk5crypto|libkeyutils|libcom-err|libssl|libselinux|libpcre|perl|debconf|dpkg|tar|libbz2|liblzma|libdb5|libsframe)'
mapfile -t closure < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
                         --no-replaces --no-enhances "${WANT[@]}" | grep -E '^[a-z0-9]' | sort -u)
pkgs=()
for p in "${closure[@]}"; do
  [[ "$p" =~ $SKIP_RE ]] && continue
  prio=$(apt-cache show --no-all-versions "$p" 2>/dev/null | sed -n 's/^Priority: //p' | head -1)
  [[ "$prio" == required || "$prio" == important ]] && continue
  pkgs+=("$p")
done
mkdir -p "$OUT"
rm -f "$OUT"/*.deb
(cd "$OUT" && apt-get download "${pkgs[@]}" >/dev/null)

echo "gpu-bundle: ${#pkgs[@]} packages, $(du -sh "$OUT" | cut -f1) in $OUT/:"
ls "$OUT" | sed 's/_.*//' | tr '\n' ' '
echo
