#!/usr/bin/python3
"""Family result tables: reads the JSON files `abacus family train --json` wrote under a
directory (any depth) and prints Markdown tables, one per family/config/hidden size, with the
test metric per quant mode as mean +- sample standard deviation over seeds (n given), and
the energy lines `abacus family energy` printed into <dir>/energy/*.txt if present.

usage: reports/family_tables.py RESULTS_DIR [--out FILE]
"""
import argparse
import collections
import glob
import json
import math
import os
import sys

QUANTS = ["fp", "b1.58", "b1.58-median"]


def stats(xs):
    n = len(xs)
    m = sum(xs) / n
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1)) if n > 1 else float("nan")
    return m, sd, n


def cell(xs, pct):
    if not xs:
        return "-"
    m, sd, n = stats(xs)
    k = 100.0 if pct else 1.0
    if n == 1:
        return f"{m * k:.2f} (n=1)"
    return f"{m * k:.2f} ± {sd * k:.2f} (n={n})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--out")
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.results, "**", "*.json"), recursive=True))
    if not files:
        sys.exit(f"family_tables: no result JSON under {a.results}")
    groups = collections.OrderedDict()
    for f in files:
        with open(f) as fh:
            try:
                r = json.load(fh)
            except json.JSONDecodeError as e:
                sys.exit(f"family_tables: {f}: not JSON ({e})")
        if "test_accuracy" not in r:
            continue
        key = (r["family"], r.get("name", ""), r["hidden_size"], r.get("act_scale", 128), r["steps"])
        groups.setdefault(key, collections.defaultdict(list))[r["quant"]].append(r)
    out = []
    out.append("| family | config | hidden | act_scale | metric | fp | b1.58 (mean) | b1.58-median | steps | s/run |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for (fam, name, hidden, aq, _steps), byq in groups.items():
        transformer = fam in ("encoder", "encdec")
        rows = [("test token accuracy %", "test_accuracy", True), ("test loss", "test_loss", False)] if transformer else \
               [("test accuracy %", "test_accuracy", True)]
        any_r = next(iter(byq.values()))[0]
        secs = [r["seconds"] for rs in byq.values() for r in rs]
        for label, field, pct in rows:
            cells = [cell([r[field] for r in byq.get(q, [])], pct) for q in QUANTS]
            out.append(f"| {fam} | {name} | {hidden} | {aq} | {label} | " + " | ".join(cells) +
                       f" | {any_r['steps']} | {sum(secs) / len(secs):.0f} |")
    text = "\n".join(out) + "\n"
    energy = sorted(glob.glob(os.path.join(a.results, "energy", "*.txt")))
    if energy:
        text += "\nPer-inference matmul energy (abacus family energy):\n\n```\n"
        for f in energy:
            with open(f) as fh:
                text += fh.read()
        text += "```\n"
    if a.out:
        with open(a.out + ".tmp", "w") as fh:
            fh.write(text)
        os.replace(a.out + ".tmp", a.out)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
