"""Every benchmark runs on a tiny input (`--quick`), so that a broken benchmark is caught here, not when someone needs it."""
import subprocess, sys
import pytest
from conftest import ROOT

QUICK = ["calibrate.py", "csp.py", "decode.py", "featurize.py", "finetune.py", "generate.py", "train.py", "relax.py", "scale.py", "synthetic.py",
         "virtual_cells.py"]


def test_every_benchmark_has_a_quick_run():
    assert sorted(p.name for p in (ROOT / "bench").glob("*.py")) == sorted(QUICK)


@pytest.mark.parametrize("script", QUICK)
def test_benchmark_runs_quick(script, tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--quick"], capture_output=True, text=True, timeout=600,
                       cwd=tmp_path)                                # the shared cache: the demo run is made once
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert "/s" in r.stdout or "x" in r.stdout, r.stdout          # it printed its throughput (and a ratio)


def test_leave_family_out_runs_quick(tmp_path):
    "bench/csp.py --family: two members of a family in its three settings, the table written; an unknown family refused."
    import json
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "csp.py"), "--family", "spinels", "--quick", "--out", str(tmp_path / "f.json")],
                       capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    out = json.loads((tmp_path / "f.json").read_text())
    assert [(t["family"], t["setting"], t["n"]) for t in out["table"]] == [("spinels", s, 2) for s in ("absent", "given", "present")]
    assert all(q["present"]["rank"] is not None for q in out["queries"]), out["queries"]   # spinels find spinels
    assert "32e" in out["definitions"]["spinels"]
    bad = subprocess.run([sys.executable, str(ROOT / "bench" / "csp.py"), "--family", "zeolites"], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert bad.returncode != 0 and "unknown family 'zeolites'" in bad.stderr


def test_csp_benchmark_in_parts_merges(tmp_path):
    "bench/csp.py --part 1/2 and 2/2 share the queries out; --merge gives the table of all of them."
    import json
    for i in (1, 2):
        r = subprocess.run([sys.executable, str(ROOT / "bench" / "csp.py"), "--quick", "--part", f"{i}/2", "--out", str(tmp_path / f"p{i}.json")],
                           capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    parts = [json.loads((tmp_path / f"p{i}.json").read_text())["queries"] for i in (1, 2)]
    assert [len(p) for p in parts] == [2, 1] and not {q["id"] for q in parts[0]} & {q["id"] for q in parts[1]}
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "csp.py"), "--merge", str(tmp_path / "p1.json"), str(tmp_path / "p2.json"),
                        "--n", "5", "--out", str(tmp_path / "all.json")], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    table = json.loads((tmp_path / "all.json").read_text())["table"]
    assert next(t for t in table if t["ingredient"] == "together" and t["queries"] == "all")["n"] == 3
