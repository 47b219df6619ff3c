#!/usr/bin/env bash
# The GPU check: run it whenever a GPU machine is at hand (under 10 minutes on one H200). Training samples/s of the
# paper's model and of the default preset at batch 64 and 8192, and decoding latents/s of the shipped model, each beside
# the CPU of the same machine as a ratio; conditioning and prediction's latent route in seconds on both. Needs the
# environment of ./test.sh (.venv) with a CUDA build of PyTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .venv/bin/activate ]; then source .venv/bin/activate; fi
python -c "import torch; print('CUDA:', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
timeout 400 python bench/train.py --steps 30 --large-batch 1024
timeout 150 python bench/decode.py --batch 8192 --steps 20 --n 200
# conditioned generation (Adam in latent space, then decoding) and prediction's latent route, CPU beside the GPU
for dev in cpu cuda; do
  t0=$(date +%s.%N)
  timeout 100 dis-csp condition --spacegroup 62 --elements Li,P,O --n 10 --device "$dev" --out "/tmp/gpu-check-condition-$dev" --force --quiet >/dev/null || echo "$dev: failed"
  t1=$(date +%s.%N)
  timeout 100 dis-csp predict LiCo0.97Ni0.03O2 --routes latent --device "$dev" --out "/tmp/gpu-check-predict-$dev" --force --quiet >/dev/null || echo "$dev: failed"
  echo "$dev: condition (10 candidates) $(awk "BEGIN{print $t1 - $t0}") s, predict (latent route) $(awk "BEGIN{print $(date +%s.%N) - $t1}") s"
done
