#!/usr/bin/env bash
# One command: set up .venv/ and run the main job on the embedded open collection.
set -euo pipefail
cd "$(dirname "$0")"
source tools/env.sh
exec bash tools/main_job.sh "$@"
