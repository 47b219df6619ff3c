"""Composition series and prediction on Dask workers (issue 39): a series through the CLI, the same ranks on two
local workers as in one process, a killed batch resumed without redoing or duplicating queries, and one-line errors
for bad series and an unreachable scheduler."""
import csv, io, json, os, shutil, signal, subprocess, sys, time
from pathlib import Path
import pytest

def dis_csp(*args, env=None, **kw):
    exe = shutil.which("dis-csp") or str(Path(sys.executable).parent / "dis-csp")
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})}, **kw)

def rows_of(folder: Path) -> list[dict]:
    return [json.loads(l) for l in (folder / "predictions.jsonl").read_text().splitlines()]


def test_series_through_the_cli(tmp_path):
    out = tmp_path / "lco"
    r = dis_csp("predict", "--series", "LiCo{1-x}Ni{x}O2", "--x", "0:0.2:0.1", "--routes", "templates", "--n", "3", "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    table = list(csv.DictReader(io.StringIO((out / "series.csv").read_text())))
    assert [(t["x"], t["formula"]) for t in table] == [("0.0", "LiCoO2"), ("0.1", "LiCo0.9Ni0.1O2"), ("0.2", "LiCo0.8Ni0.2O2")]
    assert all(t["symbol"] == "R-3m" and float(t["a"]) > 2.5 and float(t["volume_per_atom"]) > 5 for t in table), table
    assert all(0 <= float(t["probability"]) <= 1 and t["confidence"] in ("high", "low") for t in table), table
    rows = rows_of(out)
    assert {r["variables"]["x"] for r in rows} == {0.0, 0.1, 0.2} and len(rows) == 9
    page = (out / "index.html").read_text()
    assert "Vegard" in page and "LiCo0.9Ni0.1O2" in page
    r = dis_csp("predict", "--series", "({choose})O", "--choose", "4", "--from", "Mg,Co,Ni,Cu,Zn", "--routes", "templates",
                "--n", "2", "--out", str(tmp_path / "heo"), "--quiet")
    assert r.returncode == 0, r.stderr
    heo = rows_of(tmp_path / "heo")
    assert len({r["id"] for r in heo}) == 5 and heo[0]["variables"] == {"choose": "Mg,Co,Ni,Cu"} and heo[0]["formula"] == "(Mg0.25Co0.25Ni0.25Cu0.25)O"


@pytest.mark.parametrize("args, why", [
    (["--series", "LiCo{1-y}Ni{y}O2", "--x", "0:1:0.5"], "the variable 'y' is not defined"),
    (["--series", "LiCo{1-x}Ni{x}O2", "--x", "0:2:0.5"], "is -0.5 at x=1.5, a negative amount"),
    (["--series", "LiCo{1-x}Ni{x}O2", "--x", "0:1:0"], "the step is zero"),
    (["--series", "LiCo{1-x}Ni{x}O2", "--x", "0:1:0.01", "--max-queries", "50"], "more than the cap of 50"),
    (["--series", "({choose})O", "--choose", "3", "--from", "Mg,Qq,Ni"], "'Qq' is not an element"),
    (["--x", "0:1:0.5", "NaCl"], "--x belongs to a series"),
])
def test_bad_series_is_one_line(tmp_path, args, why):
    r = dis_csp("predict", *args, "--out", str(tmp_path / "o"), "--routes", "templates")
    assert r.returncode == 2 and why in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "o").exists()                                  # nothing written for a refused series


def test_unreachable_scheduler_is_one_line(tmp_path):
    r = dis_csp("predict", "NaCl", "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o"), "--routes", "templates",
                env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s"})
    assert r.returncode == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "o").exists()


def test_two_dask_workers_rank_as_one_process(tmp_path):
    from dis_csp.generation.predict import predict_run, PredictSettings, read_queries
    queries = read_queries(["Na0.5K0.5Cl", "LiFePO4", "Li2Xx"])
    settings = PredictSettings(n=8, routes="templates,latent", latent_starts=4, latent_steps=50)   # both routes, the latent one short
    serial = predict_run(queries, tmp_path / "serial", settings=settings, progress=False)
    spread = predict_run(queries, tmp_path / "dask", settings=settings, progress=False, workers=2)
    assert spread["workers"] == 2 and serial["answered"] == spread["answered"] == 2
    key = lambda r: (r["id"], r["rank"], r.get("space_group"), r.get("source"), r.get("score"), r.get("problem"))
    assert [key(r) for r in rows_of(tmp_path / "serial")] == [key(r) for r in rows_of(tmp_path / "dask")]
    assert any("latent" in (r.get("source") or "") for r in rows_of(tmp_path / "dask"))


def test_killed_batch_resumes_without_redoing_or_duplicates(tmp_path):
    formulas = ["NaCl", "KCl", "LiF", "MgO", "CaO", "LiCoO2", "NaNO3", "CaTiO3", "Mg2SiO4", "ZnS", "TiO2", "Al2O3"]
    (tmp_path / "q.txt").write_text("\n".join(formulas) + "\n")
    out, exe = tmp_path / "o", shutil.which("dis-csp") or str(Path(sys.executable).parent / "dis-csp")
    args = [exe, "predict", "--formulas", str(tmp_path / "q.txt"), "--routes", "templates", "--n", "5", "--out", str(out), "--quiet"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and len(list((out / "done").glob("*.json")) if (out / "done").is_dir() else []) < 3: time.sleep(0.2)
    proc.send_signal(signal.SIGKILL); proc.wait()
    done = {p.name: p.stat().st_mtime_ns for p in (out / "done").glob("*.json")}
    assert 3 <= len(done) < len(formulas), done
    streamed = rows_of(out)                                              # the rows of the queries finished so far
    assert {r["id"] for r in streamed} == {n[:-5] for n in done}                          # done/<id>.json
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert all((out / "done" / n).stat().st_mtime_ns == t for n, t in done.items())      # not redone
    rows = rows_of(out)
    assert [r["id"] for r in rows if r["rank"] in (1, None)] == [f"line_{i}" for i in range(1, len(formulas) + 1)]   # every query, in order
    assert len({(r["id"], r["rank"]) for r in rows}) == len(rows)                          # no duplicates
