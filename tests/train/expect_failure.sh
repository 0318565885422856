#!/bin/sh
# expect_failure.sh PATTERN COMMAND...: passes when COMMAND exits non-zero and its output
# contains PATTERN (a clear error, not a crash or a silent success).
pattern="$1"; shift
out=$("$@" 2>&1); rc=$?
echo "$out"
if [ "$rc" -eq 0 ]; then echo "expected a non-zero exit"; exit 1; fi
if [ "$rc" -gt 1 ]; then echo "expected exit 1 (a reported error), got $rc"; exit 1; fi
echo "$out" | grep -q -- "$pattern" || { echo "expected the message to contain: $pattern"; exit 1; }
