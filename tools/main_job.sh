# The main job, as far as the pipeline goes today: summarize the embedded collection.
set -euo pipefail
DATA="${DATA:-data/open_inorganic_cifs.jsonl.gz}"
dis-csp summary "$DATA"
