#!/usr/bin/env bash
# Yosys synthesis of the ternary tile, the b1 tile, the int8 MAC tile, the LUT tiles (g = 2..5)
# and the columns, mapped to simple gates (abc -g), written as a CSV of cell counts and a
# NAND2-equivalent total.
#
#   scripts/synth.sh [--configs "4x8 8x16 16x32"] [--designs "..."] [--out rtl/synth/gates.csv]
#                    [--max-ks N] [--no-extrapolate] [--check]
#
# --check exits non-zero unless each config's ternary_tile has fewer cells and fewer NAND2-eq
# than its mac_tile. Tiles are synthesized with MAX_KS = 2 and MAX_KS = 8 weight k-steps; the
# weight registers grow linearly with MAX_KS, so the two runs give the NAND2-eq per k-step and
# the CSV extrapolates the tile to the MAX_KS in use (--max-ks, default 256 = the Verilated
# harness tiles) in nand2_eq_at_max_ks (flip-flop register file; an SRAM macro would be smaller).
# --no-extrapolate synthesizes MAX_KS = 2 only (faster; the last three columns stay empty).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CONFIGS="4x8 8x16 16x32"
DESIGNS="ternary_tile binary_tile mac_tile lut_tile_g2 lut_tile_g3 lut_tile_g4 lut_tile_g5 ternary_column binary_column mac_column"
MAX_KS_USE=256
KS_RUNS="2 8"
OUT="$ROOT/rtl/synth/gates.csv"
CHECK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --configs) CONFIGS="$2"; shift 2 ;;
    --designs) DESIGNS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --check) CHECK=1; shift ;;
    --max-ks) MAX_KS_USE="$2"; shift 2 ;;
    --no-extrapolate) KS_RUNS="2"; shift ;;
    -h|--help) sed -n 2,16p "$0"; exit 0 ;;
    *) echo "synth.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "$CHECK" = 1 ]; then
  case " $DESIGNS " in *" ternary_tile "*) ;; *) DESIGNS="ternary_tile $DESIGNS" ;; esac
  case " $DESIGNS " in *" mac_tile "*) ;; *) DESIGNS="$DESIGNS mac_tile" ;; esac
fi
RTL="$ROOT/rtl"
SRC="$RTL/adder_tree.v $RTL/acc_unit.v $RTL/ternary_column.v $RTL/mac_column.v $RTL/lut_encode.v $RTL/lut_table.v \
  $RTL/lut_column.v $RTL/out_fifo.v $RTL/gemm_tile.v $RTL/ternary_tile.v $RTL/mac_tile.v $RTL/lut_tile.v"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

for cfg in $CONFIGS; do
  nt="${cfg%x*}"; kt="${cfg#*x}"
  for d in $DESIGNS; do
   for MAX_KS in $KS_RUNS; do
    case "$d" in *_column) [ $MAX_KS = 2 ] || continue ;; esac
    case "$d" in
      ternary_tile) top=ternary_tile; params="-set N_T $nt -set K_T $kt -set MAX_KS $MAX_KS" ;;
      binary_tile) top=ternary_tile; params="-set N_T $nt -set K_T $kt -set MAX_KS $MAX_KS -set BINARY 1" ;;
      mac_tile) top=mac_tile; params="-set N_T $nt -set K_T $kt -set MAX_KS $MAX_KS" ;;
      lut_tile_g[0-9]) top=lut_tile; params="-set N_T $nt -set K_T $kt -set MAX_KS $MAX_KS -set LUT_G ${d#lut_tile_g}" ;;
      ternary_column) top=ternary_column; params="-set K_T $kt" ;;
      binary_column) top=ternary_column; params="-set K_T $kt -set BINARY 1" ;;
      mac_column) top=mac_column; params="-set K_T $kt" ;;
      *) echo "synth.sh: unknown design $d" >&2; exit 2 ;;
    esac
    stat="$WORK/$cfg-$d-$MAX_KS.stat"
    yosys -q -l "$WORK/$cfg-$d-$MAX_KS.log" -p "read_verilog -I$RTL $SRC; chparam $params $top; synth -top $top -flatten; \
      abc -g AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT,MUX; opt_clean; tee -q -o $stat stat" >/dev/null
    echo "$cfg $d $MAX_KS $stat"
   done
  done
done > "$WORK/index"

mkdir -p "$(dirname "$OUT")"
/usr/bin/python3 - "$WORK/index" "$OUT" "$CHECK" "$MAX_KS_USE" <<'PY'
import os, re, sys
index, out, check, max_ks_use = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])
# NAND2-equivalent weights per Yosys internal cell (typical standard-cell areas / NAND2 area).
# Flip-flops: plain DFF 4.5; +1.5 for an enable (mux), +1 for a synchronous reset/set.
W = {"NOT": 0.67, "AND": 1.33, "NAND": 1.0, "OR": 1.33, "NOR": 1.0, "XOR": 2.33, "XNOR": 2.33,
     "ANDNOT": 1.33, "ORNOT": 1.33, "MUX": 2.33, "DFF": 4.5, "DFFE": 6.0, "SDFF": 5.5, "SDFFE": 7.0}
COLS = list(W)
def kind(cell):
    c = cell.strip("$_")
    if c.startswith("SDFFE") or c.startswith("SDFFCE"): return "SDFFE"
    if c.startswith("SDFF"): return "SDFF"
    if c.startswith("DFFE"): return "DFFE"
    if c.startswith("DFF"): return "DFF"
    return c
rows = []
for line in open(index):
    cfg, design, max_ks, path = line.split()
    counts = {k: 0 for k in COLS}
    for m in re.finditer(r"^\s+(\$_\w+)\s+(\d+)\s*$", open(path).read(), re.M):
        k = kind(m.group(1))
        if k not in counts:
            sys.exit(f"synth.sh: no NAND2 weight for cell {m.group(1)}")
        counts[k] += int(m.group(2))
    cells = sum(counts.values())
    nand2 = sum(W[k] * v for k, v in counts.items())
    rows.append((cfg, design, int(max_ks), counts, cells, nand2))
at2 = {(r[0], r[1]): r for r in rows if r[2] == 2}
at8 = {(r[0], r[1]): r for r in rows if r[2] == 8}
tmp = out + ".tmp"
with open(tmp, "w") as f:
    f.write("config,design,max_ks," + ",".join(c.lower() for c in COLS) +
            ",cells,nand2_eq,nand2_eq_per_kstep,max_ks_use,nand2_eq_at_max_ks\n")
    for (cfg, design), (_, _, mk, counts, cells, nand2) in sorted(at2.items()):
        per, at = "", ""
        if (cfg, design) in at8:
            slope = (at8[(cfg, design)][5] - nand2) / 6.0
            per, at = f"{slope:.1f}", f"{nand2 + slope * (max_ks_use - 2):.1f}"
        mk = mk if design.endswith("_tile") or design.startswith("lut_tile") else ""
        f.write(f"{cfg},{design},{mk}," + ",".join(str(counts[c]) for c in COLS) +
                f",{cells},{nand2:.1f},{per},{max_ks_use if at else ''},{at}\n")
os.replace(tmp, out)
by = {(r[0], r[1]): (r[0], r[1], r[3], r[4], r[5]) for r in rows if r[2] == 2}
bad = 0
for cfg in sorted({r[0] for r in rows}):
    for kindname in ("tile", "column"):
        t, m = by.get((cfg, "ternary_" + kindname)), by.get((cfg, "mac_" + kindname))
        if t and m:
            print(f"{cfg} {kindname}: ternary {t[3]} cells / {t[4]:.0f} NAND2-eq, mac {m[3]} cells / {m[4]:.0f} NAND2-eq, "
                  f"mac/ternary NAND2-eq ratio {m[4] / t[4]:.2f}")
    t = by.get((cfg, "ternary_tile"))
    for g in range(2, 6):
        l = by.get((cfg, f"lut_tile_g{g}"))
        if t and l:
            print(f"{cfg} tile: lut g={g} {l[3]} cells / {l[4]:.0f} NAND2-eq, lut/ternary NAND2-eq ratio {l[4] / t[4]:.2f}")
            if check and kindname == "tile" and not (t[3] < m[3] and t[4] < m[4]):
                print(f"FAIL: {cfg}: ternary tile is not smaller than the MAC tile"); bad = 1
print("wrote", out)
sys.exit(bad)
PY
