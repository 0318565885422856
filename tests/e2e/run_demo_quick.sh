#!/bin/bash
# Runs `abacus demo --quick` on tests/data/tiny-corpus into WORKDIR and checks the report.
set -euo pipefail
abacus=$1 src=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
"$abacus" demo --quick --data "$src/tests/data/tiny-corpus" --run "$work/run" --out "$work/report"
/usr/bin/python3 "$src/tests/e2e/check_demo_report.py" "$work/run" "$work/report"
