# The main job, as far as the pipeline goes today: summarize the embedded collection, then featurize it into
# out/dataset/ (resumable; a finished build is reused). Later steps (train, generate, figures) join here.
set -euo pipefail
DATA="${DATA:-data/open_inorganic_cifs.jsonl.gz}"
OUT="${OUT:-out}"
dis-csp summary "$DATA"
dis-csp featurize "$DATA" --out "$OUT/dataset"
