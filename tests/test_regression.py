"""A regression test of the whole method (slow: about 5 minutes on 2 cores; `./test.sh --slow` or `pytest -m slow`):
the default preset trained for 30 epochs on the embedded collection must reach stated floors on its test split.
The floors sit about three run-to-run spreads below what such a run reached when they were set (values in
FLOORS' comments), so a change that breaks learning fails it and CPU noise does not."""
import json
import pytest
from conftest import run

EPOCHS = 30
FLOORS = {  # metric: (floor, direction). Measured on 2026-12-02 (2 cores, 232 s of training) with seed 0 (this test)
    # and seed 1 (its spread): values seed 0 / seed 1
    "space_group_accuracy": (0.95, ">="),             # 0.986 / 0.974
    "ordered_sites.element_accuracy": (0.945, ">="),  # 0.968 / 0.960
    "ordered_sites.letter_accuracy": (0.93, ">="),    # 0.951 / 0.944
    "disordered_flag_accuracy": (0.91, ">="),         # 0.931 / 0.926
    "sma": (0.93, ">="),                              # 0.957 / 0.948
    "disordered_sites.occupancy_mae": (0.165, "<="),  # 0.147 / 0.151
    "lattice_mae.a": (0.26, "<="),                    # 0.167 / 0.199 Å
}


@pytest.mark.slow
def test_short_training_reaches_floors(full_dataset, tmp_path):
    r = run("train", "--data", full_dataset, "--out", tmp_path / "run", "--epochs", EPOCHS, "--quiet")
    assert r.returncode == 0, r.stderr[-2000:]
    r = run("evaluate", "--checkpoint", tmp_path / "run", "--data", full_dataset, "--out", tmp_path / "m.json")
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "m.json").read_text())
    get = lambda key: m[key.split(".")[0]][key.split(".")[1]] if "." in key else m[key]
    missed = {k: (get(k), f"{d} {f}") for k, (f, d) in FLOORS.items() if not (get(k) >= f if d == ">=" else get(k) <= f)}
    assert not missed, missed
