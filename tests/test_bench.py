"""Every benchmark runs on a tiny input (`--quick`), so that a broken benchmark is caught here, not when someone needs it."""
import subprocess, sys
import pytest
from conftest import ROOT

QUICK = ["csp.py", "decode.py", "featurize.py", "finetune.py", "generate.py", "train.py", "relax.py", "scale.py", "synthetic.py",
         "virtual_cells.py"]


def test_every_benchmark_has_a_quick_run():
    assert sorted(p.name for p in (ROOT / "bench").glob("*.py")) == sorted(QUICK)


@pytest.mark.parametrize("script", QUICK)
def test_benchmark_runs_quick(script, tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--quick"], capture_output=True, text=True, timeout=600,
                       cwd=tmp_path)                                # the shared cache: the demo run is made once
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert "/s" in r.stdout or "x" in r.stdout, r.stdout          # it printed its throughput (and a ratio)
