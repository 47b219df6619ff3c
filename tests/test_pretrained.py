"""The shipped model: its card is what the package gives, its size is in budget, and it reproduces the card's metrics
on the test split of the embedded collection (within 0.005), the collection being the one the card names."""
import hashlib, json
import pytest
from conftest import ROOT, run


def test_shipped_files_and_size():
    from dis_csp.model.pretrained import MODELS_DIR, shipped_models
    assert shipped_models() == ["default"]
    files = {p.name: p.stat().st_size for p in (MODELS_DIR / "default").iterdir()}
    assert {"best.pt", "samplers.npz", "decoding.json", "card.json", "train_config.json", "history.csv", "split.json"} <= set(files)
    assert sum(p.stat().st_size for p in MODELS_DIR.rglob("*") if p.is_file()) <= 10_000_000


def test_card_names_the_data_here():
    from dis_csp.model.pretrained import model_card
    card = model_card()
    assert card["data"]["sha256"] == hashlib.sha256((ROOT / card["data"]["source"]).read_bytes()).hexdigest()
    assert card["half_precision"]["largest_metric_change"] <= 0.005
    assert card["data"]["n_train"] + card["data"]["n_val"] + card["data"]["n_test"] == card["data"]["n_crystals"]


def test_shipped_model_reproduces_its_card(full_dataset, tmp_path):
    from dis_csp.model.pretrained import model_card
    from dis_csp.crystals.dataset import load_dataset, dataset_fingerprint
    from dis_csp.model.pretrained import MODELS_DIR
    from dis_csp.generation.run import Run
    card = model_card()
    split = json.loads((MODELS_DIR / "default" / "split.json").read_text())        # the crystals it was trained and tested on
    assert [len(split[k]) for k in ("train", "val", "test")] == [card["data"][f"n_{k}"] for k in ("train", "val", "test")]
    ds = load_dataset(full_dataset)
    assert dataset_fingerprint(ds.only(sum(split.values(), []))) == card["data"]["dataset_sha256"], \
        "the featurizer now describes the model's crystals otherwise: release the model again (tools/release_model.py)"
    r = run("evaluate", "--data", full_dataset, "--out", tmp_path / "m.json")      # no --checkpoint: the shipped model
    assert r.returncode == 0, r.stderr
    got = json.loads((tmp_path / "m.json").read_text())
    want = card["test_metrics"]
    test = Run.open(data=full_dataset).split["test"]                 # its test split, and crystals it never saw, by hash
    inside = set(ds.ids)
    assert got["n_structures"] == sum(i in inside for i in test) >= want["n_structures"] == card["data"]["n_test"]
    assert got["n_rejected"]["outside_layout"] == sum(i not in inside for i in test) > 0
    assert "outside the model's layout (9 sites, multiplicity <= 50)" in r.stderr
    flat = lambda d, p="": {k2: v2 for k, v in d.items() for k2, v2 in (flat(v, f"{p}{k}.").items() if isinstance(v, dict)
                            else [(p + k, v)]) if isinstance(v2, float)}
    g, w = flat(got), flat(want)
    far = {k: (g[k], w[k]) for k in w if k in g and abs(g[k] - w[k]) > 0.005}
    assert not far, far


def test_sample_with_no_checkpoint_and_no_data(tmp_path):
    "What a user gets seconds after pip install: the shipped model, no dataset, valid CIFs."
    r = run("sample", "--n", "20", "--no-novelty", "--out", tmp_path / "s", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "s" / "metrics.json").read_text())
    assert m["n_decoded"] == 20 and len(list((tmp_path / "s" / "cifs").glob("*.cif"))) == 20
    assert "dis_csp/models/default/best.pt" in m["checkpoint"].replace("\\", "/")
