# The main job: the whole pipeline on the embedded open collection, with the shipped model (dis_csp/models/default)
# unless --train is given. Each step is skipped when its outputs are newer than its inputs and were made by this
# version's commands (delete them, or OUT / RUN, to redo a step):
#   1. summary of the collection          2. featurize -> $OUT/dataset (the shipped model's test split and novelty)
#   3. with --train only: train the default preset -> $RUN (then every step below uses $RUN instead of the shipped model)
#   4. evaluate the test split -> $OUT/metrics.json
#   5. sample: KDE, constrained decoding -> $OUT/samples/kde (CIFs, samples.jsonl, metrics.json; the first $PLAUSIBILITY
#      scored with CHGNet beside as many real test crystals: plausibility.csv, plausibility.html)
#   5a. the same KDE samples with --charge-balance -> $OUT/samples/kde_charge_balanced
#   5b. relax: the first $RELAX_N of step 5's samples relaxed (symmetry and occupancies kept) -> $OUT/relaxed/kde
#   5b'. with SevenNet installed: the same crystals before and after checked without dis-csp code -> $OUT/relaxed/independent_check.json
#   5c. screen: the first $SCREEN_N of step 5's samples ranked by their virtual cells' CHGNet energies -> $OUT/screened/kde
#   6. condition: three conditioned generations -> $OUT/conditioned/* (the first $CONDITION_RELAX of each relaxed)
#   6a. predict: the structures of eight showcase compositions (a doped layered oxide, a perovskite with A-site
#      vacancies, a NASICON, a high-entropy rock salt, and four Li-ion conductors: the garnets Li7La3Zr2O12 and
#      Li6.4La3Zr1.4Ta0.6O12, the argyrodite Li6PS5Cl, Li10GeP2S12) -> $OUT/predicted (predictions.jsonl, CIFs, index.html)
#   6b. a composition series: LiCo1-xNixO2 for x = 0 to 0.2 in steps of 0.01 (21 queries) -> $OUT/series (series.csv,
#      and index.html with the structure type, lattice parameters and score against x)
#   7. every paper notebook through papermill (`dis-csp figures`) -> $OUT/<figure>/, executed notebooks in
#      $OUT/notebooks/, and $OUT/index.html with every table beside the paper's and every figure; the CSP benchmark
#      on $CSP_QUERIES test compositions
# Two profiles: the default one runs every step with small CHGNet counts (about 10 minutes on 2 cores after the
# environment); --full runs the reproduction the README reports (about two hours on 2 cores, most of it CHGNet).
# Every count below can also be set from the environment (N_SAMPLES=2000 ./run.sh ...).
set -euo pipefail
DATA="${DATA:-data/open_inorganic_cifs.jsonl.gz}"
OUT="${OUT:-out}"
RUN="${RUN:-runs/default}"
PRESET="${PRESET:-default}"              # with --train: the preset to train
FIGURES="${FIGURES:-}"                   # some of the figures only (names as `dis-csp figures --only` takes), default all
TRAIN=0; FULL=0
for arg in "$@"; do
  case "$arg" in
    --train) TRAIN=1 ;;
    --full) FULL=1 ;;
    -h|--help) sed '/^set -euo/,$d' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $arg (--full: the full reproduction; --train: train the model first)" >&2; exit 2 ;;
  esac
done
if [ $FULL = 1 ]; then   # the reproduction the README reports
  : "${N_SAMPLES:=1000}" "${PLAUSIBILITY:=50}" "${RELAX_N:=100}" "${SCREEN_N:=20}" "${CONDITION_N:=40}" "${CONDITION_STEPS:=600}"
  : "${CONDITION_RELAX:=3}" "${TABLE3_SAMPLES:=300}" "${TABLE3_PLAUSIBILITY:=10}" "${TABLE3_RELAX:=5}" "${FIG11_CELLS:=200}"
  : "${FIG11_CELLS_3:=40}" "${FIG11_RELAXED:=4}" "${CSP_QUERIES:=300}"
else                     # every step, small CHGNet counts: about 10 minutes on 2 cores
  : "${N_SAMPLES:=1000}" "${PLAUSIBILITY:=8}" "${RELAX_N:=3}" "${SCREEN_N:=2}" "${CONDITION_N:=12}" "${CONDITION_STEPS:=300}"
  : "${CONDITION_RELAX:=0}" "${TABLE3_SAMPLES:=100}" "${TABLE3_PLAUSIBILITY:=3}" "${TABLE3_RELAX:=1}" "${FIG11_CELLS:=24}"
  : "${FIG11_CELLS_3:=6}" "${FIG11_RELAXED:=1}" "${CSP_QUERIES:=10}"
fi
: "${PREDICT_ROUTES:=templates}"          # templates,latent: the latent route too (about 8 s more per query)
: "${SERIES_X:=0:0.2:0.01}"               # step 6b: the values of x in LiCo1-xNixO2 (21)
START=$(date +%s)
step() { echo; echo "== $* == ($(date +%H:%M:%S), $(( $(date +%s) - START )) s)"; }
if [ $TRAIN = 1 ]; then MODEL="$RUN"; CKPT="$RUN/best.pt"; else MODEL="default"; CKPT="$(python -c 'from dis_csp.model.pretrained import resolve_checkpoint; print(resolve_checkpoint())')"; fi
# output missing, older than the checkpoint, or written before outputs carried their maker's record (then redone)
stale() { [ ! -f "$1" ] || [ "$CKPT" -nt "$1" ] || ! grep -q '"made_by"\|"complete": true' "$1"; }
# print some keys of a JSON file (missing keys as null): show FILE KEY...
show() { python -c 'import json, sys; d = json.load(open(sys.argv[1])); print(json.dumps({k: d.get(k) for k in sys.argv[2:]}))' "$@"; }

step "1. the collection"
dis-csp summary "$DATA"

step "2. featurize"
dis-csp featurize "$DATA" --out "$OUT/dataset" --quiet

if [ $TRAIN = 1 ]; then
  step "3. train ($RUN)"
  if [ -f "$RUN/last.pt" ] && [ -f "$RUN/best.pt" ]; then
    # finishes an interrupted run (no-op when done); says so when the run was made with another version of the preset
    dis-csp train --data "$OUT/dataset" --out "$RUN" --resume --quiet
  else
    dis-csp train --data "$OUT/dataset" --out "$RUN" --preset "$PRESET" --quiet
  fi
else
  step "3. the shipped model ($MODEL)"
fi

step "4. evaluate"
if stale "$OUT/metrics.json"; then
  dis-csp evaluate --checkpoint "$MODEL" --data "$OUT/dataset" --out "$OUT/metrics.json" > /dev/null
fi
show "$OUT/metrics.json" n_structures space_group_accuracy sma

step "5. sample ($N_SAMPLES, KDE, constrained)"
if stale "$OUT/samples/kde/.dis-csp-sample.json"; then
  dis-csp sample --checkpoint "$MODEL" --data "$OUT/dataset" --sampler kde --n "$N_SAMPLES" --out "$OUT/samples/kde" \
    --plausibility "$PLAUSIBILITY" --quiet
fi

step "5a. sample ($N_SAMPLES, KDE, constrained, --charge-balance)"
if stale "$OUT/samples/kde_charge_balanced/.dis-csp-sample.json"; then
  dis-csp sample --checkpoint "$MODEL" --data "$OUT/dataset" --sampler kde --n "$N_SAMPLES" \
    --out "$OUT/samples/kde_charge_balanced" --charge-balance --quiet > /dev/null
fi
show "$OUT/samples/kde_charge_balanced/metrics.json" n_samples n_decoded generation_error discarded validity_paper validity_disorder_aware validity_chemistry charge_neutral uniqueness novelty repairs

step "5b. relax ($RELAX_N of the KDE samples, CHGNet)"
if [ "$RELAX_N" -gt 0 ]; then
  if stale "$OUT/relaxed/kde/.dis-csp-relax.json"; then
    dis-csp relax "$OUT/samples/kde" --n "$RELAX_N" --out "$OUT/relaxed/kde" --quiet > /dev/null
  fi
  show "$OUT/relaxed/kde/summary.json" n problems median_energy_drop median_volume_change plausibility_before plausibility_after crystals_per_minute
fi

if [ "$RELAX_N" -gt 0 ] && python -c "import sevenn" 2>/dev/null; then
  step "5b'. independent check of 5b: pymatgen orders, ASE radii, SevenNet forces (no dis-csp code)"
  if stale "$OUT/relaxed/independent_check.json" || [ "$OUT/relaxed/kde/summary.json" -nt "$OUT/relaxed/independent_check.json" ]; then
    python tools/independent_check.py "$OUT/samples/kde/cifs" "$OUT/relaxed/kde/cifs" --n "$RELAX_N" 2>/dev/null > "$OUT/relaxed/independent_check.json.tmp"
    mv "$OUT/relaxed/independent_check.json.tmp" "$OUT/relaxed/independent_check.json"
  fi
  python -c "import json; d=json.load(open('$OUT/relaxed/independent_check.json')); d.pop('made_by', None); print(json.dumps(d))"
fi

step "5c. screen ($SCREEN_N of the KDE samples, 8 cells each, CHGNet)"
if [ "$SCREEN_N" -gt 0 ]; then
  if stale "$OUT/screened/kde/.dis-csp-screen.json"; then
    dis-csp screen "$OUT/samples/kde" --n "$SCREEN_N" --out "$OUT/screened/kde" --quiet > /dev/null
  fi
  show "$OUT/screened/kde/summary.json" n screened problems median_distance_from_minimum median_relaxation_drop median_pressure median_below_baseline median_energy_spread plausible_cells
fi

step "6. condition"
condition() {  # name, then the conditions
  local name="$1"; shift
  if stale "$OUT/conditioned/$name/.dis-csp-condition.json"; then
    dis-csp condition --checkpoint "$MODEL" --data "$OUT/dataset" --n "$CONDITION_N" --steps "$CONDITION_STEPS" \
      --out "$OUT/conditioned/$name" --relax "$CONDITION_RELAX" --quiet "$@" > /dev/null
  fi
  python -c "import json; m=json.load(open('$OUT/conditioned/$name/metrics.json')); print('$name', 'success rate', m['success_rate'], 'yield', m['yield'], m['per_condition'])"
  if [ -f "$OUT/conditioned/$name/relaxed/summary.json" ]; then
    python -c "import json; s=json.load(open('$OUT/conditioned/$name/relaxed/summary.json')); print('$name', 'relaxed', s['n'], s['problems'], 'plausible before/after', s['plausibility_before']['plausible'], s['plausibility_after']['plausible'], 'median energy drop', s['median_energy_drop'])"
  fi
}
condition pnma_LiPO_1dis --spacegroup 62 --elements Li,P,O --disordered-sites 1
condition pnma_LiPO_Li0.5 --spacegroup 62 --elements Li,P,O --disordered-sites 1 --occupancy Li:0.5
condition fm3m_CuAu_1dis --spacegroup 225 --elements Cu,Au --disordered-sites 1

step "6a. predict (eight showcase compositions, four of them Li-ion conductors)"
if stale "$OUT/predicted/.dis-csp-predict.json"; then
  dis-csp predict "LiCo0.97Ni0.03O2" "Li0.33La0.56TiO3" "Na3Zr2Si2PO12" "(Mg0.2Co0.2Ni0.2Cu0.2Zn0.2)O" \
    "Li7La3Zr2O12" "Li6.4La3Zr1.4Ta0.6O12" "Li6PS5Cl" "Li10GeP2S12" --n 5 \
    --routes "$PREDICT_ROUTES" --checkpoint "$MODEL" --out "$OUT/predicted" --quiet > /dev/null
fi
python -c "
import json
for l in open('$OUT/predicted/predictions.jsonl'):
    r = json.loads(l)
    if r['rank'] == 1 or r['rank'] is None: print(r['formula'], '->', 'space group', r.get('space_group'), r.get('source'), r.get('problem') or '')"

step "6b. a composition series (LiCo1-xNixO2, x = $SERIES_X)"
if stale "$OUT/series/.dis-csp-predict.json"; then
  dis-csp predict --series 'LiCo{1-x}Ni{x}O2' --x "$SERIES_X" --n 5 --routes "$PREDICT_ROUTES" --checkpoint "$MODEL" \
    --out "$OUT/series" --quiet > /dev/null
fi
python -c "
import csv
rows = list(csv.DictReader(open('$OUT/series/series.csv')))
print(len(rows), 'compositions; structure types:', sorted({r['structure_type'] for r in rows}))
print('a from', rows[0]['a'], 'to', rows[-1]['a'], 'A; volume per atom from', rows[0]['volume_per_atom'], 'to', rows[-1]['volume_per_atom'])"

step "7. paper figures and tables"
dis-csp figures --run "$MODEL" --data "$OUT/dataset" --out "$OUT" --set table3.n_samples="$TABLE3_SAMPLES" \
  --set table3.n_plausibility="$TABLE3_PLAUSIBILITY" --set table3.n_relax="$TABLE3_RELAX" \
  --set fig11.n_cells_2="$FIG11_CELLS" --set fig11.n_cells_3="$FIG11_CELLS_3" --set fig11.n_relaxed="$FIG11_RELAXED" \
  --set csp.n_queries="$CSP_QUERIES" \
  --quiet ${FIGURES:+--only $FIGURES}   # fig11 paper: 1000 cells each
TOTAL=$(( $(date +%s) - START ))
echo
echo "Done ($(date +%H:%M:%S)): the main job took $((TOTAL / 60)) min $((TOTAL % 60)) s$([ $FULL = 1 ] && echo ' (--full)'). Open $OUT/index.html."
