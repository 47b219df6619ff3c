#!/usr/bin/env bash
# One command: set up .venv/ and run every test (notebooks through nbdev-test, then pytest).
# Exits non-zero on any failure and prints the counts.
set -uo pipefail
cd "$(dirname "$0")"
source tools/env.sh || exit 1
set +e
# --slow: also the slow tests (pytest -m slow, notebook cells flagged #| slow): a short training that must reach floors
NB_FLAGS=(); PYTEST_MARK=(-m "not slow")
if [ "${1:-}" = "--slow" ]; then shift; NB_FLAGS=(--flags slow); PYTEST_MARK=(); fi
started=$(date +%s)
# two workers on two cores: each single-threaded (torch, BLAS), so their thread pools do not fight over the cores
# (a tiny training took 31 s with the default pools beside a second worker, 16 s with one thread each)
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"
echo "== nbdev-test (notebooks) =="
# nbs/paper and nbs/tutorials are executed by pytest instead, the way users run them: papermill on a tiny run
# (tests/test_figures.py) and JupyterLab in a browser (tests/test_browser.py)
nb_log=$(mktemp)
nbdev-test --n-workers 2 --do-print "${NB_FLAGS[@]}" --skip-folder-re '^([_.].*|paper|tutorials)$' 2>&1 | tee "$nb_log"
nb_rc=${PIPESTATUS[0]}
# -o | wc -l, not grep -c: the two workers' "Starting" lines can share a line of the log
nb_started=$(grep -o "Starting " "$nb_log" | wc -l)
nb_done=$(grep -o "Completed " "$nb_log" | wc -l)
echo "notebooks: $nb_done passed, $((nb_started - nb_done)) failed"
echo "== pytest =="
# two workers, each test file on one of them (its module fixtures made once); the shared demo run and the featurized
# collection are made once per version of the code in ~/.cache/dis-csp ($DIS_CSP_CACHE) and reused by both
python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile "${PYTEST_MARK[@]}" "$@"
py_rc=$?
rm -f "$nb_log"
if [ $nb_rc -ne 0 ] || [ $py_rc -ne 0 ]; then
  echo "FAILED (nbdev-test exit $nb_rc, pytest exit $py_rc)"
  exit 1
fi
echo "all tests passed in $(( ($(date +%s) - started) / 60 )) min $(( ($(date +%s) - started) % 60 )) s"
