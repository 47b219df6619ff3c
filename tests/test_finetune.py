"Fine-tuning from the command line: `dis-csp train --init` on the shipped model and on a run, and its bad inputs."
import json
import torch
from conftest import run
from dis_csp.model.vae import read_checkpoint
from dis_csp.model.pretrained import resolve_checkpoint


def test_finetune_the_shipped_model_then_sample(sample_dataset, tmp_path):
    out = tmp_path / "ft"
    r = run("train", "--init", "default", "--data", sample_dataset, "--out", out, "--epochs", 1, "--quiet")
    assert r.returncode == 0, r.stderr
    record = json.loads((out / "train_config.json").read_text())
    assert record["preset"] == "fine-tuned" and record["init"]["from"] == "default" and record["init"]["epochs"] > 100
    shipped, tuned = read_checkpoint(resolve_checkpoint("default")), read_checkpoint(out / "best.pt")
    assert tuned["init"]["checkpoint_sha256"] == record["init"]["checkpoint_sha256"]
    assert tuned["scaler"] == shipped["scaler"] and tuned["run_config"].model == shipped["run_config"].model
    assert abs(tuned["run_config"].train.lr - shipped["run_config"].train.lr * 0.3) < 1e-12
    moved = [k for k, v in shipped["state_dict"].items() if not torch.allclose(v.float(), tuned["state_dict"][k].float(), atol=1e-4)]
    assert len(moved) > len(shipped["state_dict"]) // 2, moved            # the weights were trained on, not copied
    assert (out / "samplers.npz").exists() and (out / "decoding.json").exists()   # refitted on the new training latents
    r = run("sample", "--checkpoint", out, "--n", 3, "--out", tmp_path / "s", "--quiet")
    assert r.returncode == 0, r.stderr
    assert len(list((tmp_path / "s" / "cifs").glob("*.cif"))) == 3


def test_bad_init_is_one_line(sample_dataset, tmp_path):
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    for args, code, why in ((("--init", tmp_path / "none.pt"), 2, "no such checkpoint"),
                            (("--init", tmp_path / "junk.pt"), 1, "not a readable PyTorch checkpoint"),
                            (("--init", "nonesuch"), 2, "neither a checkpoint file nor a shipped model"),
                            (("--init", "default", "--preset", "paper"), 2, "takes no --preset"),
                            (("--init", "default", "--set", "model.latent_dim=8"), 2, "architecture comes from the initial model"),
                            (("--freeze-encoder",), 2, "needs --init")):
        r = run("train", *args, "--data", sample_dataset, "--out", tmp_path / "o", "--quiet")
        last = r.stderr.strip().splitlines()[-1]
        assert r.returncode == code and why in last, (args, r.returncode, r.stderr)
    assert not (tmp_path / "o").exists()
