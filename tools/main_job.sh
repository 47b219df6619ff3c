# The main job, as far as the pipeline goes today: summarize the embedded collection, then featurize it into
# out/dataset/ (resumable; a finished build is reused). Later steps (train, generate, figures) join here.
set -euo pipefail
DATA="${DATA:-data/open_inorganic_cifs.jsonl.gz}"
OUT="${OUT:-out}"
dis-csp summary "$DATA"
dis-csp featurize "$DATA" --out "$OUT/dataset"
papermill --cwd nbs/paper nbs/paper/fig2_data_distribution.ipynb "$OUT/figures/fig2/fig2_data_distribution.ipynb" \
  -p dataset_dir "$PWD/$OUT/dataset" -p out_dir "$PWD/$OUT/figures/fig2" --no-progress-bar
echo "Fig. 2 (data distribution): $OUT/figures/fig2/fig2_data_distribution.html"
