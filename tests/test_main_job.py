"""`./run.sh --train` end to end on a tiny setting (the 200-entry sample, the tiny preset, a few samples and one
figure): every step runs, in order, into the folders the README names; a second run finds everything up to date."""
import json, os, subprocess, sys
from pathlib import Path
from conftest import ROOT, SAMPLE

TINY = {"PRESET": "tiny", "N_SAMPLES": "8", "TABLE3_SAMPLES": "5", "CONDITION_N": "2", "CONDITION_STEPS": "5",
        "FIGURES": "fig7 tables_1_2", "PLAUSIBILITY": "1", "RELAX_N": "1", "TABLE3_RELAX": "0", "CONDITION_RELAX": "0", "SCREEN_N": "0",
        "SERIES_X": "0:0.2:0.1"}


def main_job(tmp_path, *args):
    env = {**os.environ, **TINY, "DATA": str(SAMPLE), "OUT": str(tmp_path / "out"), "RUN": str(tmp_path / "run"),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(["bash", "tools/main_job.sh", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)


def test_main_job_with_training_on_a_tiny_setting(tmp_path):
    r = main_job(tmp_path, "--train")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = tmp_path / "out"
    for step in ("1. the collection", "2. featurize", "3. train", "4. evaluate", "5. sample", "5a. sample", "6. condition", "6a. predict", "6b. a composition series", "7. paper figures"):
        assert f"== {step}" in r.stdout, step
    assert (tmp_path / "run" / "best.pt").exists() and (tmp_path / "run" / "samplers.npz").exists()
    assert json.loads((out / "metrics.json").read_text())["made_by"]["command"] == "evaluate"
    assert len(list((out / "samples" / "kde" / "cifs").glob("*.cif"))) == 8
    assert json.loads((out / "samples" / "kde" / "metrics.json").read_text())["plausibility"]["n_requested"] == 1
    balanced = json.loads((out / "samples" / "kde_charge_balanced" / "metrics.json").read_text())   # step 5a
    assert balanced["n_samples"] == 8 and balanced["repairs"]["charge_balance"]["unbalanced"] == balanced["discarded"].get("charge_unbalanced", 0)
    assert balanced["n_decoded"] == 0 or balanced["charge_neutral"] == 1.0
    for name in ("pnma_LiPO_1dis", "pnma_LiPO_Li0.5", "fm3m_CuAu_1dis"):
        assert json.loads((out / "conditioned" / name / "metrics.json").read_text())["n"] == 2
    assert (out / "index.html").exists() and (out / "fig7" / "fig7_training_curves.html").exists()
    predicted = [json.loads(l) for l in (out / "predicted" / "predictions.jsonl").read_text().splitlines()]   # step 6a
    assert {r["formula"] for r in predicted} == {"LiCo0.97Ni0.03O2", "Li0.33La0.56TiO3", "Na3Zr2Si2PO12", "(Mg0.2Co0.2Ni0.2Cu0.2Zn0.2)O",
                                                 "Li7La3Zr2O12", "Li6.4La3Zr1.4Ta0.6O12", "Li6PS5Cl", "Li10GeP2S12"}
    assert all(r["rank"] for r in predicted) and (out / "predicted" / "index.html").exists()
    assert "predicted/index.html" in (out / "index.html").read_text()           # the showcase, linked from the main page
    series = (out / "series" / "series.csv").read_text().splitlines()            # step 6b
    assert len(series) == 4 and series[1].startswith("0.0,LiCoO2,LiCoO2,R-3m") and "Vegard" in (out / "series" / "index.html").read_text()
    assert "series/index.html" in (out / "index.html").read_text()
    assert json.loads((out / "relaxed" / "kde" / "summary.json").read_text())["n"] == 1          # step 5b
    check = json.loads((out / "relaxed" / "independent_check.json").read_text())                 # step 5b', and step 7
    assert check["made_by"]["tool"] == "tools/independent_check.py" and "== 5b'" in r.stdout  # accepted the folder after it
    assert "the main job took" in r.stdout                                  # its total time, at the end
    again = main_job(tmp_path, "--train")                                # everything up to date: nothing redone
    assert again.returncode == 0 and "trained 3 of 3 epochs" in again.stdout


def test_main_job_refuses_unknown_options(tmp_path):
    r = main_job(tmp_path, "--trian")
    assert r.returncode == 2 and "unknown option --trian" in r.stderr and "--full" in r.stderr
