"""Release a finished run as a shipped model: `dis_csp/models/<name>/` with the weights in half precision, the KDE over
the training latents (half precision), the Gaussian mixture (single precision) and the prior, the calibrated flag threshold, the run's record and a model
card with the test-split metrics of the shipped weights (and how far half precision moved each from single
precision). Refuses if everything together exceeds --max-mb. Replacing the shipped model is a deliberate step: do it
when the layout changes or the metrics improve, so the repository does not grow with every experiment.

Usage: python tools/release_model.py RUN [--name default] [--data DATASET] [--source data/open_inorganic_cifs.jsonl.gz]
       [--machine "..."] [--max-mb 10]
"""
import argparse, io, json, shutil, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _flat(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict): out.update(_flat(v, f"{prefix}{k}."))
        elif isinstance(v, (int, float)) and not isinstance(v, bool): out[prefix + k] = float(v)
    return out


def half_checkpoint(ck: dict) -> dict:
    "The checkpoint `ck` with its floating-point weights in half precision and no training state."
    import torch
    keep = {k: ck[k] for k in ("format", "dis_csp", "config", "layout", "scaler", "epoch", "val_loss", "dataset_sha256") if k in ck}
    keep["state_dict"] = {k: v.half() if v.is_floating_point() else v for k, v in ck["state_dict"].items()}
    keep["precision"] = "float16"
    return keep


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--name", default="default")
    ap.add_argument("--data", type=Path, help="the run's dataset folder (default: the one it records)")
    ap.add_argument("--source", type=Path, default=ROOT / "data" / "open_inorganic_cifs.jsonl.gz", help="the CIF collection it was featurized from")
    ap.add_argument("--machine", help="the machine it trained on (default: what the run records)")
    ap.add_argument("--max-mb", type=float, default=10.0)
    a = ap.parse_args(argv)
    import numpy as np, torch
    import dis_csp
    from dis_csp.core import file_sha256, atomic_write
    from dis_csp.model.vae import read_checkpoint, CHECKPOINT_FORMAT
    from dis_csp.crystals.dataset import load_dataset, dataset_fingerprint
    from dis_csp.model.evaluate import evaluate, run_split
    from dis_csp.generation.run import Run
    from dis_csp.generation.samplers import GaussianSampler, GMMSampler, KDESampler, samplers_bytes

    run, ckpt = a.run, a.run / "best.pt"
    ck = read_checkpoint(ckpt)
    record = json.loads((run / "train_config.json").read_text())
    data = Run.open(ckpt, a.data, need_data=True).data
    ds = load_dataset(data)
    split = json.loads((run / "split.json").read_text()) if (run / "split.json").exists() else run_split(ckpt, ds.ids)
    ds = ds.only(sum(split.values(), []))                           # the crystals of the run (inside its layout)
    if record.get("dataset_sha256") not in (None, dataset_fingerprint(ds)):
        raise SystemExit(f"{data}: not the dataset {run} was trained on")
    history = [r for r in (run / "history.csv").read_text().splitlines()[1:] if ",train," in r]
    minutes = sum(float(r.rsplit(",", 1)[1]) for r in history) / 60

    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / a.name; staged.mkdir()
        buf = io.BytesIO(); torch.save(half_checkpoint(ck), buf)
        atomic_write(staged / "best.pt", buf.getvalue())
        print(f"weights: {len(buf.getvalue()) / 1e6:.2f} MB in half precision")
        # the run's split (the crystals it was trained and tested on, whatever the featurizer keeps later) and its record
        atomic_write(staged / "split.json", json.dumps(split, separators=(",", ":")) + "\n")
        atomic_write(staged / "train_config.json", json.dumps({**record, "n_train": len(split["train"]),
                                                               "dataset": "out/dataset"}, indent=2) + "\n")
        shutil.copy(run / "history.csv", staged / "history.csv")          # the training curves (Fig. 7)
        shipped = Run.open(staged / "best.pt", data, need_data=True)
        latents, _ = shipped.latents("train")                       # the shipped weights' own latents
        kde = KDESampler().fit(latents)
        kde.points = kde.points.astype(np.float16)                  # the training latents, in half precision
        gmm = GMMSampler().fit(latents)
        gmm.means, gmm.covariances = gmm.means.astype(np.float32), gmm.covariances.astype(np.float32)
        sha = file_sha256(staged / "best.pt")
        samplers = {"gaussian": GaussianSampler().fit(latents), "gmm": gmm, "kde": kde}
        atomic_write(staged / "samplers.npz", samplers_bytes(samplers, sha, compress=True))
        print(f"samplers: GMM with {len(gmm.weights)} components; {(staged / 'samplers.npz').stat().st_size / 1e6:.2f} MB")
        threshold = shipped.flag_threshold                          # calibrated on the validation split (nothing stored yet)
        atomic_write(staged / "decoding.json", json.dumps({"flag_threshold": threshold, "checkpoint_sha256": sha,
                                                           "calibrated_on": "val"}, indent=2) + "\n")
        full = evaluate(ckpt, data)                   # single precision, the run as trained
        half = evaluate(staged / "best.pt", data)     # what ships
        changes = {k: abs(v - _flat(half)[k]) for k, v in _flat(full).items() if not k.startswith("n")}
        largest = max(changes.values())
        card = {"name": a.name, "dis_csp_version": dis_csp.__version__, "checkpoint_format": CHECKPOINT_FORMAT,
                "released": time.strftime("%Y-%m-%d"), "preset": record.get("preset"), "config": ck["config"],
                **({"fine_tuned_from": record["init"]} if "init" in record else {}),
                "data": {"source": str(a.source.relative_to(ROOT)) if a.source.is_relative_to(ROOT) else str(a.source),
                         "sha256": file_sha256(a.source), "dataset_sha256": dataset_fingerprint(ds), "n_crystals": len(ds),
                         "split": list(ck["run_config"].train.split), "split_seed": ck["run_config"].train.seed,
                         "n_train": len(split["train"]), "n_val": len(split["val"]), "n_test": len(split["test"])},
                "training": {"epochs": ck["run_config"].train.epochs, "best_epoch": ck["epoch"] + 1, "minutes": round(minutes, 1),
                             "machine": a.machine or record.get("machine", "not recorded")},
                "test_metrics": half,
                "half_precision": {"largest_metric_change": largest, "metric": max(changes, key=changes.get),
                                   "single_precision_metrics": full},
                "flag_threshold": threshold}
        atomic_write(staged / "card.json", json.dumps(card, indent=2) + "\n")
        total = sum(p.stat().st_size for p in staged.iterdir()) / 1e6
        print(f"half precision moved no metric by more than {largest:.4f} ({card['half_precision']['metric']}); "
              f"{total:.2f} MB in all")
        if total > a.max_mb: raise SystemExit(f"{total:.2f} MB is more than --max-mb {a.max_mb}: not released")
        if largest > 0.005: print("warning: half precision changed a metric by more than 0.005", file=sys.stderr)
        target = ROOT / "dis_csp" / "models" / a.name
        if target.exists(): shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, target)
    print(f"released {run} as {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
