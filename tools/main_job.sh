# The main job: the whole pipeline on the embedded open collection. Each step is skipped when its outputs are newer
# than its inputs (delete them, or OUT / RUN, to redo a step):
#   1. summary of the collection          2. featurize -> $OUT/dataset       3. train (default preset) -> $RUN
#   4. evaluate the test split -> $OUT/metrics.json
#   5. sample: KDE, constrained decoding -> $OUT/samples/kde (CIFs, samples.jsonl, metrics.json)
#   6. condition: three conditioned generations -> $OUT/conditioned/*
#   7. every paper notebook through papermill (`dis-csp figures`) -> $OUT/<figure>/, executed notebooks in
#      $OUT/notebooks/, and $OUT/index.html linking every figure and table
set -euo pipefail
DATA="${DATA:-data/open_inorganic_cifs.jsonl.gz}"
OUT="${OUT:-out}"
RUN="${RUN:-runs/default}"
N_SAMPLES="${N_SAMPLES:-1000}"
step() { echo; echo "== $* == ($(date +%H:%M:%S))"; }
# output missing, older than the checkpoint, or written before outputs carried their maker's record (then redone)
stale() { [ ! -f "$1" ] || [ "$RUN/best.pt" -nt "$1" ] || ! grep -q '"made_by"\|"complete": true' "$1"; }

step "1. the collection"
dis-csp summary "$DATA"

step "2. featurize"
dis-csp featurize "$DATA" --out "$OUT/dataset" --quiet

step "3. train ($RUN)"
if [ -f "$RUN/last.pt" ] && [ -f "$RUN/best.pt" ]; then
  # finishes an interrupted run (no-op when done); says so when the run was made with another version of the preset
  dis-csp train --data "$OUT/dataset" --out "$RUN" --resume --quiet
else
  dis-csp train --data "$OUT/dataset" --out "$RUN" --quiet
fi

step "4. evaluate"
if stale "$OUT/metrics.json"; then
  dis-csp evaluate --checkpoint "$RUN/best.pt" --data "$OUT/dataset" --out "$OUT/metrics.json" > /dev/null
fi
python -c "import json; m=json.load(open('$OUT/metrics.json')); print(json.dumps({k: m[k] for k in ('n_structures','space_group_accuracy','sma')}))"

step "5. sample ($N_SAMPLES, KDE, constrained)"
if stale "$OUT/samples/kde/.dis-csp-sample.json"; then
  dis-csp sample --checkpoint "$RUN/best.pt" --sampler kde --n "$N_SAMPLES" --out "$OUT/samples/kde" --quiet
fi

step "6. condition"
condition() {  # name, then the conditions
  local name="$1"; shift
  if stale "$OUT/conditioned/$name/.dis-csp-condition.json"; then
    dis-csp condition --checkpoint "$RUN/best.pt" --n 40 --out "$OUT/conditioned/$name" --quiet "$@"
  fi
  python -c "import json; m=json.load(open('$OUT/conditioned/$name/metrics.json')); print('$name', 'success rate', m['success_rate'], m['per_condition'])"
}
condition pnma_LiPO_1dis --spacegroup 62 --elements Li,P,O --disordered-sites 1
condition pnma_LiPO_Li0.5 --spacegroup 62 --elements Li,P,O --disordered-sites 1 --occupancy Li:0.5
condition fm3m_CuAu_1dis --spacegroup 225 --elements Cu,Au --disordered-sites 1

step "7. paper figures and tables"
dis-csp figures --run "$RUN" --out "$OUT" --set table3.n_samples=1000 \
  --set fig11.n_cells_2=200 --set fig11.n_cells_3=40 --set fig11.n_relaxed=4   # fig11 paper: 1000 cells each
echo
echo "Done ($(date +%H:%M:%S)). Open $OUT/index.html."
