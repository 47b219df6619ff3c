"""The VAE end to end on the sample: featurize, train (tiny), resume, evaluate; bad checkpoints; torchrun DDP."""
import json, os, shutil, subprocess, sys
from pathlib import Path
import pytest, torch
from conftest import SAMPLE, ROOT, EXE, run

KEYS = {"n_structures", "n_rejected", "lattice_mae", "space_group_accuracy", "disordered_flag_accuracy",
        "ordered_sites", "disordered_sites", "sma"}


def test_run_folder_contents(tiny_run):
    for name in ("best.pt", "last.pt", "history.csv", "split.json", "train_config.json"):
        assert (tiny_run / name).exists(), name
    split = json.loads((tiny_run / "split.json").read_text())
    n = sum(len(v) for v in split.values())
    assert abs(len(split["train"]) - 0.7 * n) <= 1 and abs(len(split["test"]) - 0.2 * n) <= 1
    ck = torch.load(tiny_run / "best.pt", weights_only=True)
    assert ck["format"] == "dis-csp-vae/3" and "scaler" in ck and "layout" in ck and set(ck["config"]) == {"model", "loss", "train", "augment"}
    header = (tiny_run / "history.csv").read_text().splitlines()[0].split(",")
    for term in ("kl", "space_group", "lattice", "occupancy", "multiplicity", "letter", "disordered", "coordinates"):
        assert term in header

def test_evaluate_on_dataset_uses_test_split(tiny_run, sample_dataset, tmp_path):
    r = run("evaluate", "--checkpoint", tiny_run / "best.pt", "--data", sample_dataset, "--out", tmp_path / "m.json")
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "m.json").read_text())
    assert set(m) == KEYS | {"made_by"} and m["made_by"]["command"] == "evaluate"
    assert m["n_structures"] == len(json.loads((tiny_run / "split.json").read_text())["test"])
    assert set(m["lattice_mae"]) == {"a", "b", "c", "alpha", "beta", "gamma"}
    assert set(m["ordered_sites"]) == {"n", "element_accuracy", "multiplicity_accuracy", "letter_accuracy", "coord_mae_frac", "coord_mae_angstrom"}
    assert set(m["disordered_sites"]) == {"n", "occupancy_mae", "multiplicity_accuracy", "letter_accuracy", "coord_mae_frac", "coord_mae_angstrom"}
    for v in (m["space_group_accuracy"], m["disordered_flag_accuracy"], m["sma"], m["ordered_sites"]["letter_accuracy"]):
        assert 0.0 <= v <= 1.0

def test_evaluate_on_a_folder_of_cifs_counts_rejections(tiny_run, tmp_path):
    from dis_csp.crystals.data import iter_cifs
    folder = tmp_path / "cifs"; folder.mkdir()
    for i, (cid, text, _) in enumerate(iter_cifs(SAMPLE)):
        if i == 12: break
        (folder / f"{cid}.cif").write_text(text)
    (folder / "junk.cif").write_text("not a cif")
    (folder / "p1.cif").write_text("data_p1\n_cell_length_a 3.1\n_cell_length_b 4.2\n_cell_length_c 5.3\n_cell_angle_alpha 81\n"
                                   "_cell_angle_beta 97\n_cell_angle_gamma 103\nloop_\n_atom_site_label\n_atom_site_fract_x\n"
                                   "_atom_site_fract_y\n_atom_site_fract_z\nNa1 0 0 0\nCl1 0.31 0.47 0.62\n")
    r = run("evaluate", "--checkpoint", tiny_run / "best.pt", "--data", folder)
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert m["n_rejected"].get("p1") == 1 and m["n_rejected"].get("load_not_cif") == 1
    assert m["n_structures"] + sum(v for k, v in m["n_rejected"].items() if not k.startswith("load_")) == 13

@pytest.mark.parametrize("payload,reason", [(b"garbage bytes", "not a readable PyTorch checkpoint"),
                                            (None, "not a dis-csp VAE checkpoint")])
def test_bad_checkpoints_are_clear_errors(tmp_path, sample_dataset, payload, reason):
    bad = tmp_path / "bad.pt"
    if payload is None: torch.save({"state": torch.zeros(3)}, bad)
    else: bad.write_bytes(payload)
    r = run("evaluate", "--checkpoint", bad, "--data", sample_dataset)
    assert r.returncode == 1 and "Traceback" not in r.stderr and f"bad.pt: {reason}" in r.stderr

def test_resume_continues_exactly(sample_dataset, tmp_path):
    from dis_csp.model.train import train, TrainRequest
    from dis_csp.model.vae import read_checkpoint
    from dis_csp.model.config import PRESETS
    small = PRESETS["tiny"].with_(**{"model.latent_dim": 8, "model.conv_channels": (16, 16, 16), "model.mlp_hidden": (16, 16),
                                     "model.decoder_hidden": 32, "train.epochs": 3})
    train(sample_dataset, tmp_path / "a", TrainRequest(config=small), progress=False)
    train(sample_dataset, tmp_path / "b", TrainRequest(config=small), progress=False, stop_after_epochs=1)
    train(sample_dataset, tmp_path / "b", TrainRequest(resume=True), progress=False)
    a, b = read_checkpoint(tmp_path / "a" / "last.pt"), read_checkpoint(tmp_path / "b" / "last.pt")
    assert a["epoch"] == b["epoch"] == 2
    for k in a["state_dict"]: assert torch.allclose(a["state_dict"][k], b["state_dict"][k], atol=1e-6), k
    assert (tmp_path / "a" / "history.csv").read_text().count("\n") == (tmp_path / "b" / "history.csv").read_text().count("\n")

def test_torchrun_ddp_on_cpu(sample_dataset, tmp_path):
    torchrun = Path(sys.executable).parent / "torchrun"
    r = subprocess.run([str(torchrun), "--standalone", "--nproc_per_node=2", "-m", "dis_csp.cli", "train", "--data",
                        str(sample_dataset), "--out", str(tmp_path / "ddp"), "--preset", "tiny", "--quiet", "--device", "cpu"],
                       capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "ddp" / "best.pt").exists()
    rows = (tmp_path / "ddp" / "history.csv").read_text().splitlines()
    assert len(rows) == 1 + 2 * 3   # one writer (rank 0): header + train/val for 3 epochs
