"""Long jobs killed (SIGKILL, no chance to clean up) at random points and started again with the same command end
exactly as a run that was never interrupted: featurize, train, virtual-cells."""
import json, random, signal, subprocess, time
from pathlib import Path
import pytest, torch
from conftest import SAMPLE, EXE
from test_hostile import agsbte2



def timed(args) -> float:
    "Seconds a straight run of `dis-csp ARGS` takes."
    t0 = time.time()
    r = subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    return time.time() - t0


def killed_then_finished(args, kills: int, seed: int, window=(0.5, 4.0), timeout=600) -> int:
    "Run `dis-csp ARGS`, kill it `kills` times at random moments in `window` (s), then let it finish; how many kills landed."
    import psutil
    rng, landed = random.Random(seed), 0
    for _ in range(kills):
        p = subprocess.Popen([EXE, *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try: p.wait(timeout=rng.uniform(*window))
        except subprocess.TimeoutExpired:
            workers = psutil.Process(p.pid).children(recursive=True)
            p.send_signal(signal.SIGKILL); p.wait(); landed += 1
            for w in workers:                               # the killed command's workers, as a crash would leave them
                try: w.kill()
                except psutil.NoSuchProcess: pass
    r = subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr[-2000:]
    return landed


def test_featurize(tmp_path):
    args = ["featurize", SAMPLE, "--quiet", "--processes", "2", "--shard-size", "15", "--out"]
    t = timed([*args, tmp_path / "straight"])
    landed = killed_then_finished([*args, tmp_path / "resumed"], kills=3, seed=1, window=(0.3 * t, 0.9 * t))
    assert landed >= 1
    for name in ("dataset.npz", "records.jsonl", "rejected.csv"):
        assert (tmp_path / "straight" / name).read_bytes() == (tmp_path / "resumed" / name).read_bytes(), name


def test_train(sample_dataset, tmp_path):
    straight = tmp_path / "straight"
    common = ["--data", sample_dataset, "--quiet", "--preset", "tiny", "--epochs", "6", "--device", "cpu"]
    t = timed(["train", *common, "--out", straight])
    resumed = tmp_path / "resumed"
    rng = random.Random(3)
    landed = 0
    for k in range(2):                                    # first start a new run, then resume it, each time killed
        args = ["train", *common, "--out", resumed] + (["--resume"] if (resumed / "last.pt").exists() else [])
        proc = subprocess.Popen([EXE, *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try: proc.wait(timeout=rng.uniform(0.4 * t, 0.9 * t))
        except subprocess.TimeoutExpired: proc.send_signal(signal.SIGKILL); proc.wait(); landed += 1
    args = ["train", *common, "--out", resumed] + (["--resume"] if (resumed / "last.pt").exists() else [])
    r = subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert landed >= 1
    a = torch.load(straight / "last.pt", weights_only=True)
    b = torch.load(resumed / "last.pt", weights_only=True)
    assert a["epoch"] == b["epoch"] == 5
    for k in a["state_dict"]: assert torch.equal(a["state_dict"][k], b["state_dict"][k]), k
    strip = lambda text: [l.rsplit(",", 1)[0] for l in text.splitlines()]          # all but the seconds column
    assert strip((straight / "history.csv").read_text()) == strip((resumed / "history.csv").read_text())


def test_virtual_cells(tmp_path):
    cif = tmp_path / "agsbte2.cif"; cif.write_text(agsbte2(ag=0.5, sb=0.5))
    args = ["virtual-cells", cif, "--n", "200", "--no-energy", "--supercell", "3", "3", "3", "--quiet"]
    t = timed([*args, "--out", tmp_path / "straight"])
    landed = killed_then_finished([*args, "--out", tmp_path / "resumed"], kills=2, seed=5, window=(0.5 * t, 0.9 * t))
    assert landed >= 1
    for name in ("properties.csv", "cells.extxyz"):
        assert (tmp_path / "straight" / name).read_bytes() == (tmp_path / "resumed" / name).read_bytes(), name
    a, b = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("straight", "resumed"))
    assert a["properties"] == b["properties"] and a["n_cells"] == b["n_cells"] == 200
