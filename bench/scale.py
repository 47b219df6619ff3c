"""Benchmark: the pipeline at ICSD scale (150,000 crystals) beside the open collection (8,925), as ratios.

For each of two collections, the open one (data/open_inorganic_cifs.jsonl.gz) and a synthetic one built from it by
`bench/synthetic.py` (a folder of CIF files, as an ICSD export is), every stage runs in a process of its own, which
reports its seconds and its peak memory (resident set; for featurize also that of the largest worker):
- featurize: `build_dataset` with 2 worker processes (CIFs/s; dataset size on disk);
- load: `load_dataset` (seconds; the tensors' bytes and the process's memory);
- epoch: one training epoch of the default preset on the CPU (`train`, validation and checkpoint included);
- samplers: latent means of every crystal with the shipped model, then the KDE (bandwidth by cross-validation) and
  the GMM (components by BIC) fitted on them;
- novelty: uniqueness and novelty of 500 crystals decoded from KDE draws against every crystal of the dataset
  (`uniqueness_novelty`, the indexed matcher).
Printed side by side with the ratio of the two and that ratio over the ratio of sizes: 1.0 grows linearly, above 1
faster than linearly. Featurized datasets are kept in --work and reused (their build's numbers are kept with them).
Usage: python bench/scale.py [--synthetic runs/scale/cifs] [--work runs/scale] [--stages featurize,load,epoch,samplers,novelty] [--quick]
(--quick: 60 open and 120 synthetic crystals in a temporary folder, every stage in this one process: what the tests run,
to catch a broken benchmark)
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path

STAGES = ("featurize", "load", "epoch", "samplers", "novelty")
ROOT = Path(__file__).resolve().parent.parent


def _peak_mb(who=resource.RUSAGE_SELF) -> float: return resource.getrusage(who).ru_maxrss / 1024


def _featurize(source, dataset, limit):
    from dis_csp.crystals.dataset import build_dataset, BuildOptions
    from dis_csp.crystals.data import iter_cifs
    if limit:                                  # the first `limit` entries, as a collection file of their own
        import gzip
        part = Path(dataset).with_suffix(".part.jsonl.gz")
        with gzip.open(part, "wt") as f:
            for k, (cid, text, _) in enumerate(iter_cifs(source)):
                if k == limit: break
                f.write(json.dumps({"id": cid, "cif_text": text}) + "\n")
        source = part
    t = time.perf_counter()
    s = build_dataset(source, dataset, options=BuildOptions(processes=2, resume=False), progress=False, force=True)
    seconds = time.perf_counter() - t
    disk = sum(p.stat().st_size for p in Path(dataset).rglob("*") if p.is_file())
    return {"n": s["n_kept"], "entries": s["n_entries"], "seconds": seconds, "per_second": s["n_entries"] / seconds,
            "disk_mb": disk / 2**20, "worker_peak_mb": _peak_mb(resource.RUSAGE_CHILDREN)}


def _load(dataset):
    from dis_csp.crystals.dataset import load_dataset
    before, t = _peak_mb(), time.perf_counter()
    ds = load_dataset(dataset)
    return {"n": len(ds), "seconds": time.perf_counter() - t, "tensors_mb": (ds.A.nbytes + ds.c.nbytes) / 2**20,
            "added_mb": _peak_mb() - before}


def _epoch(dataset, work):
    import torch
    from dis_csp.model.train import train, TrainRequest
    torch.set_num_threads(2)
    t = time.perf_counter()
    r = train(dataset, Path(work) / f"epoch_{Path(dataset).name}", TrainRequest("default", overrides={"train.epochs": 1},
              force=True, device="cpu"), progress=False, say=lambda *a, **k: None)
    seconds = time.perf_counter() - t
    return {"n": r["n_train"], "seconds": seconds, "seconds_per_10k": seconds * 1e4 / r["n_train"]}


def _latents(dataset):
    from dis_csp.crystals.dataset import load_dataset
    from dis_csp.generation.run import Run
    from dis_csp.model.evaluate import predict
    run, ds = Run.open("default"), load_dataset(dataset)
    return run, ds, predict(run.model, run.scaler, ds.A, ds.c)["latent"]


def _samplers(dataset):
    from dis_csp.generation.samplers import fit_samplers
    t = time.perf_counter()
    _, ds, z = _latents(dataset)
    out = {"n": len(ds), "encode_seconds": time.perf_counter() - t}
    for name in ("kde", "gmm"):
        t = time.perf_counter()
        s = fit_samplers(z, [name], progress=False)[name]
        out[f"{name}_seconds"] = time.perf_counter() - t
        out[f"{name}"] = s.describe()
    out["seconds"] = out["encode_seconds"] + out["kde_seconds"] + out["gmm_seconds"]
    return out


def _novelty(dataset, n):
    from dis_csp.generation.decoding import decode_latents
    from dis_csp.generation.metrics import uniqueness_novelty
    run, ds, _ = _latents(dataset)
    z = run.samplers(need=["kde"], progress=False)["kde"].sample(n, 0)
    made = [d.crystal for d in decode_latents(run.model, run.scaler, z, run.decode_settings()) if d.crystal is not None]
    t = time.perf_counter()
    unique, novel = uniqueness_novelty(made, ds.crystals)
    return {"n": len(ds), "seconds": time.perf_counter() - t, "generated": len(made),
            "per_second": len(made) / (time.perf_counter() - t), "novelty": sum(novel) / len(novel)}


def stage(name, source, dataset, work, limit, novelty_n=500):
    "One stage in this process: its numbers and the peak memory of the process."
    import warnings; warnings.filterwarnings("ignore")
    r = {"featurize": lambda: _featurize(source, dataset, limit), "load": lambda: _load(dataset),
         "epoch": lambda: _epoch(dataset, work), "samplers": lambda: _samplers(dataset), "novelty": lambda: _novelty(dataset, novelty_n)}[name]()
    return {**r, "peak_mb": _peak_mb()}


def measured(name, label, source, work, limit, quick=False):
    """A stage run in a fresh process (its own peak memory); a featurize already done is read back. `quick`: in this
    process (the peak memory then that of every stage so far), 40 crystals decoded for novelty."""
    dataset, keep = Path(work) / f"dataset_{label}", Path(work) / f"featurize_{label}.json"
    if name == "featurize" and keep.exists() and (dataset / "dataset.npz").exists(): return json.loads(keep.read_text())
    if quick: return stage(name, source, dataset, work, limit, novelty_n=40)
    cmd = [sys.executable, __file__, "--stage", name, "--source", str(source), "--dataset", str(dataset), "--work", str(work),
           "--limit", str(limit or 0)]
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "2"})
    if p.returncode != 0: raise SystemExit(f"stage {name} on {label} failed:\n{p.stderr[-3000:]}")
    r = json.loads(p.stdout.strip().splitlines()[-1])
    if name == "featurize": keep.write_text(json.dumps(r))
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--synthetic", default=str(ROOT / "runs" / "scale" / "cifs"), help="the synthetic collection (bench/synthetic.py)")
    ap.add_argument("--work", default=str(ROOT / "runs" / "scale"), help="folder for the featurized datasets and runs")
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--quick", action="store_true", help="60 open and 120 synthetic crystals (a smoke run)")
    ap.add_argument("--stage"); ap.add_argument("--source"); ap.add_argument("--dataset"); ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args()
    if a.stage:                                  # the child process of one stage
        print(json.dumps(stage(a.stage, a.source, a.dataset, a.work, a.limit))); return
    open_source, limits = ROOT / "data" / "open_inorganic_cifs.jsonl.gz", (None, None)
    if a.quick:
        a.work = tempfile.mkdtemp(prefix="dis-csp-scale-")
        subprocess.run([sys.executable, str(ROOT / "bench" / "synthetic.py"), f"{a.work}/cifs", "--n", "120", "--base", "40"],
                       check=True, capture_output=True)
        a.synthetic, limits = f"{a.work}/cifs", (60, None)
    Path(a.work).mkdir(parents=True, exist_ok=True)
    rows = {}
    for name in a.stages.split(","):
        small = measured(name, "open" if not a.quick else "open_quick", open_source, a.work, limits[0], a.quick)
        big = measured(name, "synthetic", a.synthetic, a.work, limits[1], a.quick)
        rows[name] = (small, big)
        size = big["n"] / small["n"] if small.get("n") and big.get("n") else float("nan")
        print(f"{name:<10} n {small.get('n')!s:>7} -> {big.get('n')!s:>7} ({size:5.1f}x)   "
              f"seconds {small['seconds']:9.1f} -> {big['seconds']:9.1f} ({big['seconds'] / small['seconds']:6.1f}x, "
              f"{big['seconds'] / small['seconds'] / size:4.2f} of linear)   peak MB {small['peak_mb']:7.0f} -> {big['peak_mb']:7.0f} "
              f"({big['peak_mb'] / small['peak_mb']:4.1f}x)", flush=True)
        for k in sorted(set(small) & set(big) - {"n", "seconds", "peak_mb", "record"}):
            print(f"{'':<10}   {k}: {small[k]} -> {big[k]}", flush=True)
    (Path(a.work) / "scale.json").write_text(json.dumps(rows, indent=1, default=str))
    print(f"(per second figures are /s; the numbers are in {a.work}/scale.json)")


if __name__ == "__main__":
    main()
