#!/usr/bin/python3
"""abacus report: turns the CSV/JSON files of a run directory into <out>/index.md + PNG plots.

Run layout read (every part optional; a missing input is reported as missing, never faked):
  demo.json                     stages of `abacus demo` (name, status, seconds, command)
  train/<quant>/metrics.csv     step,tokens,lr,train_loss,val_loss,tokens_per_s  (abacus train)
  trace/trace.safetensors       BitLinear trace (abacus trace), read with numpy (trace_reader.py)
  energy/paper.csv              abacus energy --paper --csv
  energy/*.json                 abacus energy --json (per-token energy lines)
  dse/*.csv                     abacus dse design points
  families/tables.md            scripts/family-results.sh (bottom-up paper's families)
  sim/*.json, verify/*.json|csv abacus sim / verify summaries
and <source>/rtl/synth/gates.csv (gate counts, ternary vs MAC tile).
Plots use Debian's matplotlib (run with /usr/bin/python3).
"""
import argparse
import csv
import glob
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trace_reader import read_trace  # noqa: E402

QUANT_ORDER = ["fp", "b1", "b1.58", "b1.58-median"]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def fmt(v, digits=4):
    if v is None:
        return "-"
    if isinstance(v, float):
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e6):
            return f"{v:.{digits - 1}e}"
        return f"{v:.{digits}g}"
    return str(v)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(fmt(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


RUN_DIR = "."


def rel(path):
    """Paths in the report are shown relative to the run directory (or the source tree)."""
    return os.path.relpath(path, RUN_DIR)


def missing(what, path, producer):
    return f"*Not available: {what} ({rel(path)} not found; produced by `{producer}`).*\n"


class Report:
    def __init__(self, run, out, source):
        self.run, self.out, self.source = run, out, source
        self.md = []
        self.figures = []

    def add(self, text):
        self.md.append(text)

    def figure(self, fig, name, caption):
        path = os.path.join(self.out, name)
        tmp = os.path.join(self.out, f".{name}.tmp.{os.getpid()}")
        try:  # a temporary name renamed into place: a failed write leaves no partial PNG
            fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        finally:
            plt.close(fig)
        self.figures.append(name)
        self.add(f"![{caption}]({name})\n\n*{caption}*\n")

    # ------------------------------------------------------------------------------------------
    def pipeline(self):
        self.add("## Pipeline\n")
        path = os.path.join(self.run, "demo.json")
        if not os.path.exists(path):
            self.add(f"Run directory `{self.run}` (not written by `abacus demo`: no demo.json).\n")
            return
        with open(path) as f:
            demo = json.load(f)
        rows = [[s["name"], s["status"], round(s.get("seconds", 0), 1), s.get("note", "")] for s in demo["stages"]]
        self.add(f"Written by `abacus demo` ({demo.get('mode', '')}); total {demo.get('seconds', 0):.0f} s.\n\n")
        self.add(table(["stage", "status", "seconds", "note"], rows))

    def training(self):
        self.add("## Training: fp vs b1 vs b1.58 vs b1.58-median\n")
        runs = {}
        for path in sorted(glob.glob(os.path.join(self.run, "train", "*", "metrics.csv"))):
            runs[os.path.basename(os.path.dirname(path))] = read_csv(path)
        if not runs:
            self.add(missing("training metrics", os.path.join(self.run, "train/<quant>/metrics.csv"), "abacus train"))
            return
        names = sorted(runs, key=lambda n: QUANT_ORDER.index(n) if n in QUANT_ORDER else 99)
        fig, ax = plt.subplots(figsize=(7, 4))
        rows = []
        for n in names:
            m = runs[n]
            steps = [num(r["step"]) for r in m]
            ax.plot(steps, [num(r["train_loss"]) for r in m], label=f"{n} train", lw=1)
            val = [(num(r["step"]), num(r["val_loss"])) for r in m if num(r.get("val_loss")) is not None]
            if val:
                ax.plot([v[0] for v in val], [v[1] for v in val], "o--", label=f"{n} val", ms=4)
            last_val = val[-1][1] if val else None
            rows.append([n, int(steps[-1]) if steps else 0, int(num(m[-1]["tokens"]) or 0) if m else 0,
                         num(m[-1]["train_loss"]) if m else None, last_val,
                         math.exp(last_val) if last_val is not None else None])
        ax.set_xlabel("step")
        ax.set_ylabel("cross-entropy loss (nats/token)")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        self.figure(fig, "training_curves.png",
                    "Training and validation loss per step, read from train/<quant>/metrics.csv written by `abacus train`.")
        self.add("### Validation\n\nLast validation of each run (loss in nats/token; perplexity = exp(loss) over "
                 "the run's own validation split and tokenizer; see `abacus train --help` for windowing).\n\n")
        self.add(table(["model", "steps", "tokens", "train loss", "val loss", "val ppl"], rows))
        vals = {r[0]: r[4] for r in rows if r[4] is not None}
        if "fp" in vals and "b1.58" in vals:
            gap = (vals["b1.58"] - vals["fp"]) / vals["fp"] * 100
            self.add(f"\nb1.58 validation loss is {gap:+.1f}% relative to fp (target: within 10% at tiny scale).\n")
        if "b1" in vals and "b1.58" in vals:
            self.add(f"b1.58 {'beats' if vals['b1.58'] < vals['b1'] else 'does not beat'} b1 "
                     f"({vals['b1.58']:.4f} vs {vals['b1']:.4f}).\n")

    def trace(self):
        self.add("## Trace\n")
        path = os.path.join(self.run, "trace", "trace.safetensors")
        if not os.path.exists(path):
            self.add(missing("trace", path, "abacus trace"))
            return
        import numpy as np
        meta, records = read_trace(path)
        macs = zeros_w = weights = zeros_x = acts = abs_x = 0
        bad = []
        seen = set()
        for name, r in records.items():
            T, K = r["x_q"].shape
            N = r["w_q"].shape[0]
            macs += T * K * N
            x = r["x_q"].astype(np.int32)
            acts += x.size
            zeros_x += int((x == 0).sum())
            abs_x += int(np.abs(x).sum())
            layer = name.split(".", 1)[1]
            if layer not in seen:
                seen.add(layer)
                weights += r["w_q"].size
                zeros_w += int((r["w_q"] == 0).sum())
            if not np.array_equal(x @ r["w_q"].T.astype(np.int32), r["acc"]):
                bad.append(name)
        self.add(f"`{rel(path)}`, read here with numpy alone (reports/trace_reader.py): model "
                 f"`{meta['config'].get('name', '')}` ({meta['quant']}), {len(meta['tokens'])} tokens in "
                 f"{len(meta['steps'])} steps (prefill of {meta['prompt_tokens']}, then decode), "
                 f"{len(records)} BitLinear records.\n\n")
        rows = [["records", len(records)], ["MACs (sum of T*K*N)", float(macs)],
                ["zero ternary weights", f"{100 * zeros_w / max(weights, 1):.2f}%"],
                ["zero int8 activations", f"{100 * zeros_x / max(acts, 1):.2f}%"],
                ["mean abs x_q", abs_x / max(acts, 1)],
                ["acc recomputed by numpy (x_q @ w_q.T) that differ", len(bad)]]
        self.add(table(["quantity", "value"], rows))

    def paper_energy(self):
        self.add("## Energy: the papers' tables reproduced\n")
        path = os.path.join(self.run, "energy", "paper.csv")
        if not os.path.exists(path):
            self.add(missing("paper energy tables", path, "abacus energy --paper --csv"))
            return
        rows = read_csv(path)
        out, labels, ours, theirs = [], [], [], []
        for r in rows:
            j, p = num(r["joules"]), num(r.get("paper_joules"))
            diff = (j - p) / p * 100 if (j is not None and p) else None
            out.append([r["table"], r["model"], r["size"], r["bits"], r["node"], r["op"], j, p,
                        f"{diff:+.2f}%" if diff is not None else "-"])
            if p:
                labels.append(f"{r['model']} {r['size']} {r['op']}")
                ours.append(j)
                theirs.append(p)
        self.add(f"From `abacus energy --paper` ({rel(path)}): every cell beside the paper's printed value.\n\n")
        self.add(table(["table", "model", "size", "bits", "node", "op", "abacus (J)", "paper (J)", "diff"], out))
        if ours:
            fig, ax = plt.subplots(figsize=(7, 5))
            ax.loglog(theirs, ours, "o", ms=4)
            lo, hi = min(theirs + ours), max(theirs + ours)
            ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="y = x")
            ax.set_xlabel("paper (J)")
            ax.set_ylabel("abacus (J)")
            ax.legend()
            ax.grid(alpha=0.3, which="both")
            self.figure(fig, "paper_energy.png",
                        "Each paper energy cell: abacus's value (y) against the printed value (x), from energy/paper.csv.")

    def energy_per_token(self):
        self.add("## Energy per token: arithmetic vs memory\n")
        files = [p for p in sorted(glob.glob(os.path.join(self.run, "energy", "*.json")))]
        results = []
        for p in files:
            with open(p) as f:
                j = json.load(f)
            if "lines" in j:
                results.append((os.path.splitext(os.path.basename(p))[0], j))
        if not results:
            self.add(missing("per-token energy", os.path.join(self.run, "energy/<name>.json"), "abacus energy --json"))
            return
        groups = ["matmul", "non-matmul", "memory"]
        fig, ax = plt.subplots(figsize=(7, 4))
        bottoms = [0.0] * len(results)
        rows = []
        for g in groups:
            vals = []
            for name, j in results:
                # The accumulator-aware, zero-gated arithmetic line when present, else the paper convention.
                lines = [l for l in j["lines"] if l["group"] == g]
                if g == "matmul":
                    pick = [l for l in lines if "gated" in l["item"]] or [l for l in lines if "accumulator" in l["item"]] or lines[:1]
                    vals.append(sum(l["joules_per_token"] for l in pick[:1]))
                else:
                    vals.append(sum(l["joules_per_token"] for l in lines if l["item"] != "total"))
            ax.bar([r[0] for r in results], vals, bottom=bottoms, label=g)
            bottoms = [b + v for b, v in zip(bottoms, vals)]
        for name, j in results:
            rows.append([name, j.get("model"), j.get("node"), j.get("phase"), j.get("tokens"),
                         fmt(j.get("zero_fraction")) + (f" ({j.get('zero_fraction_source')})" if j.get("zero_fraction_source") else ""),
                         j.get("total_paper_convention"), j.get("total_accumulator_gated")])
        ax.set_ylabel("J per token")
        ax.legend()
        ax.grid(alpha=0.3, axis="y")
        self.figure(fig, "energy_per_token.png",
                    "Energy per token split into matmul arithmetic (accumulator-aware, zero-gated line where present), "
                    "non-matmul vector work and memory, from `abacus energy --json` files in energy/.")
        self.add(table(["result", "model", "node", "phase", "tokens", "zero weights", "total J/token (paper adds)",
                        "total J/token (acc-aware, gated)"], rows))
        for name, j in results:
            self.add(f"\n<details><summary>{name}: every line</summary>\n\n")
            self.add(table(["group", "item", "J/token", "note"],
                           [[l["group"], l["item"], l["joules_per_token"], l.get("note", "")] for l in j["lines"]]))
            self.add("\n</details>\n")

    def dse(self):
        self.add("## Design-space exploration\n")
        files = sorted(glob.glob(os.path.join(self.run, "dse", "*.csv")))
        if not files:
            self.add(missing("design points", os.path.join(self.run, "dse/*.csv"), "abacus dse"))
            return
        for path in files:
            rows = read_csv(path)
            if not rows:
                self.add(f"`{rel(path)}` holds no design points.\n")
                continue
            cols = list(rows[0].keys())
            xcol = next((c for c in cols if c in ("latency_s", "latency_us", "latency_ms", "cycles")), None)
            ycol = next((c for c in cols if c.startswith("energy_per_token")), None) or \
                next((c for c in cols if c.startswith("energy") and "total" in c), None) or \
                next((c for c in cols if c.startswith("energy")), None)
            pcol = next((c for c in cols if "pareto" in c), None)
            self.add(f"`{rel(path)}`: {len(rows)} design points written by `abacus dse`.\n\n")
            if xcol and ycol:
                fig, ax = plt.subplots(figsize=(6, 4))
                pts = [(num(r[xcol]), num(r[ycol]), str(r.get(pcol, "0")).lower() in ("1", "true", "yes")) for r in rows]
                ax.scatter([p[0] for p in pts if not p[2]], [p[1] for p in pts if not p[2]], s=10, c="grey", label="design points")
                front = sorted([p for p in pts if p[2]])
                if front:
                    ax.plot([p[0] for p in front], [p[1] for p in front], "ro-", ms=4, label="Pareto front (marked by dse)")
                ax.set_xlabel(xcol)
                ax.set_ylabel(ycol)
                ax.set_xscale("log")
                ax.set_yscale("log")
                ax.legend(fontsize=8)
                ax.grid(alpha=0.3, which="both")
                name = "dse_" + os.path.splitext(os.path.basename(path))[0] + ".png"
                self.figure(fig, name, f"{ycol} against {xcol} for every design point of {rel(path)}; "
                                       f"red: the Pareto front as `abacus dse` marked it ({pcol or 'no pareto column'}).")
            front_rows = [r for r in rows if pcol and str(r[pcol]).lower() in ("1", "true", "yes")] or rows[:10]
            self.add("Pareto-optimal points:\n\n" if pcol else "First points:\n\n")
            self.add(table(cols, [[r[c] for c in cols] for r in front_rows[:20]]))

    def quality(self):
        """Perplexity delta (abacus dse --quality) against energy per token, per arithmetic choice."""
        self.add("## Arithmetic vs model quality\n")
        files = [f for f in sorted(glob.glob(os.path.join(self.run, "dse", "*.csv")))
                 if read_csv(f) and "ppl_delta" in read_csv(f)[0]]
        if not files:
            self.add(missing("quality columns", os.path.join(self.run, "dse/*.csv"), "abacus dse --quality"))
            return
        arith = ("acc_bits", "acc_overflow", "act_bits", "hadamard", "ppu_precision", "kv_bits", "k_t")
        for path in files:
            rows = read_csv(path)
            cols = list(rows[0].keys())
            knobs = [c for c in cols if c in arith]
            pts = [(num(r["energy_per_token_pj"]), num(r["ppl_delta"]), r) for r in rows]
            ok = [p for p in pts if p[0] == p[0] and p[1] == p[1] and abs(p[1]) != float("inf")]
            fig, ax = plt.subplots(figsize=(6.5, 4.2))
            groups = {}
            for e, d, r in ok:
                groups.setdefault(" ".join(f"{k}={r[k]}" for k in knobs if k != "acc_bits"), []).append((e, d, r))
            for label, g in sorted(groups.items()):
                ax.scatter([p[0] for p in g], [max(p[1], 1e-4) for p in g], s=18, label=label or "all")
                for e, d, r in g:
                    if "acc_bits" in r:
                        ax.annotate(str(r["acc_bits"]), (e, max(d, 1e-4)), fontsize=6, xytext=(2, 2), textcoords="offset points")
            ax.set_xlabel("energy per token (pJ)")
            ax.set_ylabel("perplexity delta vs software reference")
            ax.set_yscale("symlog", linthresh=0.01)
            ax.legend(fontsize=6)
            ax.grid(alpha=0.3, which="both")
            name = "quality_" + os.path.splitext(os.path.basename(path))[0] + ".png"
            self.figure(fig, name, f"perplexity delta (abacus dse --quality, integer inference path of the trained b1.58 "
                                   f"model) against energy per token for every design point of {rel(path)}; "
                                   f"numbers: acc_bits.")
            # The finding, from the data: each knob value's worst delta, and the cheapest harmless point.
            lines = []
            for k in knobs:
                vals = sorted({r[k] for _, _, r in pts}, key=lambda v: (len(v), v))
                worst = []
                for v in vals:
                    ds = [d for _, d, r in pts if r[k] == v]
                    worst.append(f"{v}: {max(ds):+.3g}" if all(d == d for d in ds) else f"{v}: nan")
                lines.append(f"- `{k}`: worst perplexity delta per value: " + ", ".join(worst))
            harmless = [p for p in ok if abs(p[1]) <= 0.01 * max(1.0, abs(num(p[2]["perplexity"]) - p[1]))]
            if harmless:
                best = min(harmless, key=lambda p: p[0])
                lines.append(f"- Cheapest point within 1% of the reference perplexity: index {best[2]['index']} "
                             f"({', '.join(f'{k}={best[2][k]}' for k in knobs)}) at {best[0]:.4g} pJ/token, delta {best[1]:+.3g}.")
            energies = sorted({round(p[0], 6) for p in ok})
            lines.append(f"- Distinct energies per token in this sweep: {len(energies)}. Knobs that leave energy unchanged "
                         f"are not priced by the energy model (it prices the accumulator width, not activation bits, "
                         f"PPU precision or KV storage), so their quality cost buys nothing in this sweep.")
            self.add(f"`{rel(path)}`: {len(rows)} design points.\n\n" + "\n".join(lines) + "\n")

    def sim(self):
        self.add("## SystemC simulation\n")
        files = sorted(glob.glob(os.path.join(self.run, "sim", "*.json")))
        self.add("Each file is one `abacus sim --trace` run (the traced GEMMs plus the model's vector work); "
                 "SystemC (event-driven) and analytic results should agree on cycles.\n\n")
        if not files:
            self.add(missing("simulation results", os.path.join(self.run, "sim/*.json"), "abacus sim"))
            return
        results = []
        for path in files:
            with open(path) as f:
                j = json.load(f)
            flat = {k: v for k, v in j.items() if not isinstance(v, (dict, list))}
            for group in ("counters", "energy_pj"):
                if isinstance(j.get(group), dict):
                    flat.update({f"{group}.{k}": v for k, v in j[group].items() if not isinstance(v, (dict, list))})
            results.append((rel(path), flat))
        keys = []
        for _, flat in results:
            keys += [k for k in flat if k not in keys]
        self.add(table(["quantity"] + [name for name, _ in results],
                       [[k] + [flat.get(k) for _, flat in results] for k in keys]))
        cycles = {flat.get("fidelity"): flat.get("cycles") for _, flat in results}
        if "systemc" in cycles and "analytic" in cycles:
            same = cycles["systemc"] == cycles["analytic"]
            self.add(f"\nSystemC and analytic cycles {'agree' if same else 'DIFFER'}: "
                     f"{cycles['systemc']} vs {cycles['analytic']}.\n")
        for path in files:
            with open(path) as f:
                co = json.load(f).get("cosim")
            if not isinstance(co, dict):
                continue
            verdict = "PASS" if co.get("pass") else "FAIL"
            differing = [k for k, v in co.get("counters", {}).items()
                         if isinstance(v, dict) and v.get("systemc") != v.get("cosim")]
            self.add(f"\n### Co-simulation: the SystemC model with the Verilated RTL tile\n\n"
                     f"`{rel(path)}` (`abacus sim --fidelity cosim`): the same SystemC model with its tile replaced "
                     f"by the RTL tile `{co.get('tile')}` (Verilator's SystemC output), clocked cycle by cycle "
                     f"inside the model on the trace's operands. Verdict: **{verdict}**. "
                     f"{co.get('traced_gemms')} traced GEMMs; accumulators differing from the SystemC tile model: "
                     f"{co.get('acc_mismatches_vs_systemc')}, from the trace's acc: {co.get('acc_mismatches_vs_trace')}; "
                     f"counters that differ between the two runs: {', '.join(differing) if differing else 'none'} "
                     f"(cycles {cycles.get('cosim')} with the RTL tile, {cycles.get('systemc')} with the SystemC tile). "
                     f"Wall time {fmt(co.get('seconds'), 3)} s.\n")

    def verify(self):
        self.add("## RTL verification\n")
        path = os.path.join(self.run, "verify", "summary.txt")
        if not os.path.exists(path):
            self.add(missing("RTL verification summary", path, "abacus verify --trace"))
            return
        text = open(path).read()
        verdict = "PASS" if text.rstrip().endswith("PASS") else "FAIL"
        self.add(f"`{rel(path)}`: every trace record run through the Verilated RTL tile by `abacus verify --trace` "
                 f"and compared with the integer reference and with the acc the model recorded; per projection "
                 f"kind: records, MACs, mismatching accumulators, RTL cycles and the cycles the formula predicts. "
                 f"Verdict: **{verdict}**{' (bit-exact)' if verdict == 'PASS' else ''}.\n\n")
        self.add("```\n" + text.strip() + "\n```\n")

    def gates(self):
        self.add("## Gate counts: ternary adder tile vs MAC tile\n")
        path = os.path.join(self.source, "rtl", "synth", "gates.csv")
        if not os.path.exists(path):
            self.add("*Not available: gate counts (rtl/synth/gates.csv not found in the source tree; produced by the Yosys synthesis in rtl/).*\n")
            return
        rows = read_csv(path)
        if not rows:
            self.add(f"`{path}` is empty.\n")
            return
        cols = list(rows[0].keys())
        self.add(f"From `rtl/synth/gates.csv` (Yosys synthesis of the tiles, generic cells):\n\n")
        self.add(table(cols, [[r[c] for c in cols] for r in rows]))
        label = cols[0]
        value = next((c for c in cols if c in ("cells", "gates", "total_cells", "cell_count")), None) or \
            next((c for c in cols[1:] if num(rows[0][c]) is not None), None)
        if value:
            fig, ax = plt.subplots(figsize=(6, 3.5))
            ax.bar([r[label] for r in rows], [num(r[value]) or 0 for r in rows])
            ax.set_ylabel(value)
            plt.setp(ax.get_xticklabels(), rotation=30, ha="right", fontsize=8)
            ax.grid(alpha=0.3, axis="y")
            self.figure(fig, "gates.png", f"{value} per design from rtl/synth/gates.csv (Yosys).")

    def write(self):
        text = "# abacus report\n\n" + \
            f"Generated by `abacus report` (reports/make_report.py) from run directory `{self.run}` (paths below are relative to it). " + \
            "Sections whose inputs were not produced say so.\n\n" + "\n".join(self.md)
        tmp = os.path.join(self.out, f".index.md.tmp.{os.getpid()}")
        try:
            with open(tmp, "w") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, os.path.join(self.out, "index.md"))
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise

    # ------------------------------------------------------------------------------------------
    def families(self):
        self.add("## Bottom-up families: MLP, GNN, encoder, encoder-decoder (fp vs b1.58 vs median)\n")
        path = os.path.join(self.run, "families", "tables.md")
        if not os.path.exists(path):
            self.add(f"Not produced (`scripts/family-results.sh build {self.run}/families` writes `{path}`).\n")
            return
        with open(path) as f:
            self.add("Test metrics per quant mode (mean ± sample std over seeds) and per-inference matmul "
                     "energy of the b1.58 traces against fp of the same shapes:\n\n" + f.read())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--source", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    a = ap.parse_args()
    if not os.path.isdir(a.run):
        print(f"{a.run}: run directory not found", file=sys.stderr)
        return 1
    try:
        os.makedirs(a.out, exist_ok=True)
    except OSError as e:
        print(f"{a.out}: cannot create the report folder: {e.strerror or e}", file=sys.stderr)
        return 1
    global RUN_DIR
    RUN_DIR = a.run
    r = Report(a.run, a.out, a.source)
    try:
        for section in (r.pipeline, r.training, r.trace, r.verify, r.sim, r.dse, r.quality, r.paper_energy,
                        r.energy_per_token, r.gates, r.families):
            print(f"report: {section.__name__}", flush=True)
            section()
        r.write()
    except OSError as e:  # full disk, read-only folder, I/O error: one clear line, no traceback
        print(f"{e.filename or a.out}: cannot write the report: {e.strerror or e}", file=sys.stderr)
        return 1
    print(f"report: wrote {os.path.join(a.out, 'index.md')} with {len(r.figures)} figures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
