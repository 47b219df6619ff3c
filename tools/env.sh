# Sourced by ./run.sh and ./test.sh: create or update the environment in .venv/ (idempotent).
# The environment is rebuilt only when requirements.txt or pyproject.toml changed since the last install,
# so a second run costs a second, not minutes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
stamp="$VENV/.dis-csp-installed"
want="$(cat "$ROOT/requirements.txt" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ]; then
  echo "[env] creating $VENV"
  "$PY" -m venv "$VENV"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[env] installing requirements (first time: about 4 minutes)"
  t0=$(date +%s)
  # pip prints one warning per package for this machine's empty local index folders; keep the log readable
  "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements.txt" 2>&1 | grep -v "is ignored: it is neither" || true
  "$VENV/bin/python" -m pip install -q --no-deps -e "$ROOT" 2>&1 | grep -v "is ignored: it is neither" || true
  "$VENV/bin/python" -m pip check >/dev/null || { "$VENV/bin/python" -m pip check; exit 1; }
  "$VENV/bin/python" -c "import dis_csp, torch, pymatgen.core, spglib, moyopy, gemmi, pyxtal, nbdev" \
    || { echo "[env] install incomplete"; exit 1; }
  echo "$want" > "$stamp"
  echo "[env] ready in $(( $(date +%s) - t0 )) s"
else
  echo "[env] up to date ($VENV)"
fi
export PATH="$VENV/bin:$PATH"
# SHRY, for the cross-check of distinct orderings (tests/test_shry.py), in its own environment: it pins an old
# pymatgen and numpy. Rebuilt only when tools/requirements-shry.txt changes.
SHRY_VENV="$ROOT/.venv-shry"
shry_want="$(sha256sum "$ROOT/tools/requirements-shry.txt" | cut -d' ' -f1)"
if [ "$(cat "$SHRY_VENV/.installed" 2>/dev/null)" != "$shry_want" ]; then
  echo "[env] installing SHRY into $SHRY_VENV (cross-check of distinct orderings)"
  [ -x "$SHRY_VENV/bin/python" ] || "$PY" -m venv "$SHRY_VENV"
  "$SHRY_VENV/bin/python" -m pip install -q --only-binary=:all: -r "$ROOT/tools/requirements-shry.txt" 2>&1 \
    | grep -v "is ignored: it is neither" || true
  if "$SHRY_VENV/bin/python" -c "import shry" 2>/dev/null; then echo "$shry_want" > "$SHRY_VENV/.installed"
  else echo "[env] SHRY could not be installed into $SHRY_VENV: tests/test_shry.py will fail"; fi
fi
