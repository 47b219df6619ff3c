# The main job, as far as the pipeline goes today. Each step is skipped when its output is already there
# (delete the output, or OUT/RUN, to redo it):
#   1. summary of the collection        2. featurize -> $OUT/dataset          3. train (default preset) -> $RUN
#   4. evaluate the test split -> $OUT/metrics.json
#   5. paper figures through papermill -> $OUT/figures/ (Fig. 2, Fig. 7, Tables 1-2 with Figs. 8-10, Fig. 11 with
#      small virtual-cell ensembles; the notebook's parameters give the paper's 1000 cells)
set -euo pipefail
DATA="${DATA:-data/open_inorganic_cifs.jsonl.gz}"
OUT="${OUT:-out}"
RUN="${RUN:-runs/default}"
ROOT="$PWD"
step() { echo; echo "== $* =="; }

step "1. the collection"
dis-csp summary "$DATA"

step "2. featurize"
dis-csp featurize "$DATA" --out "$OUT/dataset" --quiet

step "3. train ($RUN)"
if [ -f "$RUN/last.pt" ] && [ -f "$RUN/best.pt" ]; then
  dis-csp train --data "$OUT/dataset" --out "$RUN" --resume --quiet   # finishes an interrupted run; no-op when done
else
  dis-csp train --data "$OUT/dataset" --out "$RUN" --quiet
fi

step "4. evaluate"
if [ ! -f "$OUT/metrics.json" ] || [ "$RUN/best.pt" -nt "$OUT/metrics.json" ]; then
  dis-csp evaluate --checkpoint "$RUN/best.pt" --data "$OUT/dataset" --out "$OUT/metrics.json" > /dev/null
fi
python -c "import json; m=json.load(open('$OUT/metrics.json')); print(json.dumps({k: m[k] for k in ('n_structures','space_group_accuracy','sma')}))"

step "5. paper figures"
render() {  # notebook, output folder, parameters...
  local nb="$1" dest="$2"; shift 2
  mkdir -p "$dest"
  papermill --cwd nbs/paper "nbs/paper/$nb" "$dest/$nb" -p out_dir "$ROOT/$dest" "$@" --no-progress-bar
}
render fig2_data_distribution.ipynb "$OUT/figures/fig2" -p dataset_dir "$ROOT/$OUT/dataset"
render fig7_training_curves.ipynb "$OUT/figures/fig7" -p run_dir "$ROOT/$RUN"
render tables_1_2_reconstruction.ipynb "$OUT/figures/tables_1_2" -p run_dir "$ROOT/$RUN" -p dataset_dir "$ROOT/$OUT/dataset"
render fig11_virtual_cells.ipynb "$OUT/figures/fig11" -p n_cells_2 200 -p n_cells_3 40 -p n_relaxed 4   # paper: 1000 each
echo
echo "Done. Figures and tables in $OUT/figures/ (HTML, CSV, Markdown; executed notebooks beside them)."
