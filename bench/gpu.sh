#!/usr/bin/env bash
# The GPU check: run it whenever a GPU machine is at hand (under 10 minutes on one H200). Training samples/s of the
# paper's model and of the default preset at batch 64 and 8192, and decoding latents/s of the shipped model, each beside
# the CPU of the same machine as a ratio. Needs the environment of ./test.sh (.venv) with a CUDA build of PyTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .venv/bin/activate ]; then source .venv/bin/activate; fi
python -c "import torch; print('CUDA:', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
timeout 400 python bench/train.py --steps 30 --large-batch 1024
timeout 150 python bench/decode.py --batch 8192 --steps 20 --n 200
