"""Benchmark: leave a family out, then adapt to it. How much of the gap between a model that never saw a family and
one trained on everything does fine-tuning on a few hundred of its crystals recover, and in how many minutes?

The family (default: crystals with Li, Na or K on a partially occupied site) is split with a seed: `held` (half of
the family members in the shipped model's test split: no variant ever trains on them) and `tune` (every other
member). Variants, each evaluated on `held` (occupancy MAE on disordered sites, space-group and Wyckoff-letter
accuracy, SMA):
  (a) base      the default preset trained on the collection without the family (`--epochs`, default 200)
  (b) tuned     (a) fine-tuned on `tune` (`dis-csp train --init`, the fine-tuning schedule)
  (c) scratch   the default preset trained on `tune` only (`--scratch-epochs`)
  (d) shipped   the shipped model (trained on 70 % of everything, the family's training members included)
Printed side by side with the minutes each took and the share of the (a)-(d) gap that (b) recovers. Every step is
kept: outputs in --out (default runs/finetune); run it again to continue where it stopped.
Usage: python bench/finetune.py [--epochs 200] [--scratch-epochs 400] [--out runs/finetune] [--quick]
(--quick: the 200-entry sample, the tiny preset, 2 epochs each, the demo run as (d): what the tests run)
"""
import argparse, gzip, json, time
from pathlib import Path

ALKALI = ("Li", "Na", "K")


def in_family(x) -> bool:
    "An alkali atom (Li, Na, K) on a partially occupied or shared site."
    return any(s.disordered and any(e in ALKALI for e in s.occupancy) for s in x.sites)


def write_collection(source: Path, ids: set, path: Path) -> int:
    "A .jsonl.gz collection of the entries of `source` whose ids are in `ids`; how many."
    from dis_csp.crystals.data import iter_cifs
    n = 0
    with gzip.open(path, "wt") as f:
        for cid, text, meta in iter_cifs(source):
            if cid in ids: f.write(json.dumps({"id": cid, "cif_text": text}) + "\n"); n += 1
    return n


def minutes_of(make) -> float:
    "Minutes `make()` takes."
    t = time.time(); make()
    return (time.time() - t) / 60


def step(out: Path, name: str, make) -> float:
    "Run `make()` once (its minutes remembered in out/minutes.json); the minutes it took."
    record = out / "minutes.json"
    done = json.loads(record.read_text()) if record.exists() else {}
    if name not in done:
        done[name] = round(make(), 2); record.write_text(json.dumps(done, indent=1))
    return done[name]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=200, help="epochs of the base model (a)")
    ap.add_argument("--scratch-epochs", type=int, default=400, help="epochs of the model trained on the family only (c)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/finetune")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    import numpy as np
    from dis_csp.core import default_collection
    from dis_csp.crystals.dataset import load_dataset, collection_dataset
    from dis_csp.crystals.dataset import build_dataset, BuildOptions
    from dis_csp.model.train import train, TrainRequest
    from dis_csp.generation.run import Run, tiny_demo_run
    out = Path(a.out if not a.quick else "finetune_quick"); out.mkdir(parents=True, exist_ok=True)
    if a.quick:
        source, shipped, preset, a.epochs, a.scratch_epochs = default_collection(sample=True), Run.open(tiny_demo_run()), "tiny", 2, 2
        family = lambda x: x.is_disordered                                  # the sample holds few alkali families
    else:
        source, shipped, preset, family = default_collection(), Run.open("default", collection_dataset()), "default", in_family
    crystals = load_dataset(shipped.need_data("the study")).crystals
    members = sorted(x.id for x in crystals if family(x))
    test_members = [i for i in members if i in set(shipped.split["test"])]
    rng = np.random.default_rng(a.seed)
    held = set(rng.permutation(test_members)[: max(1, len(test_members) // 2)].tolist())
    tune = set(members) - held
    rest = {x.id for x in crystals} - set(members)
    print(f"family: {len(members)} crystals ({len(held)} held out, {len(tune)} to tune on); the collection without it: {len(rest)}")
    sets = {name: out / f"{name}_dataset" for name in ("rest", "tune", "held")}
    def featurized(name, ids):
        write_collection(source, ids, out / f"{name}.jsonl.gz")
        build_dataset(out / f"{name}.jsonl.gz", sets[name], options=BuildOptions(processes=2), progress=not a.quick)
    for name, ids in (("rest", rest), ("tune", tune), ("held", held)):
        step(out, f"featurize {name}", lambda: minutes_of(lambda: featurized(name, ids)))
    runs = {"base": out / "base", "tuned": out / "tuned", "scratch": out / "scratch"}
    def trained(data, run, request):
        return minutes_of(lambda: train(data, run, request, progress=not a.quick, say=lambda m: None))
    minutes = {"base": step(out, "train base", lambda: trained(sets["rest"], runs["base"], TrainRequest(preset, overrides={"train.epochs": a.epochs}))),
               "tuned": step(out, "fine-tune", lambda: trained(sets["tune"], runs["tuned"], TrainRequest(
                   init=str(runs["base"]), overrides={"train.epochs": 2} if a.quick else {}))),
               "scratch": step(out, "train scratch", lambda: trained(sets["tune"], runs["scratch"],
                                                                    TrainRequest(preset, overrides={"train.epochs": a.scratch_epochs}))),
               "shipped": None}
    from dis_csp.model.evaluate import evaluate
    rows = {}
    for name, ck in (("base", runs["base"]), ("tuned", runs["tuned"]), ("scratch", runs["scratch"]), ("shipped", shipped.path)):
        m = evaluate(ck, sets["held"], split="all")
        rows[name] = {"occupancy MAE": m["disordered_sites"]["occupancy_mae"], "space group": m["space_group_accuracy"],
                      "letters": m["disordered_sites"]["letter_accuracy"], "SMA": m["sma"]}
    n_train = {"base": len(rest), "tuned": len(tune), "scratch": len(tune), "shipped": len(crystals)}   # datasets (70 % trains)
    print(f"\n{'variant':<9}{'dataset':>11}{'minutes':>9}{'occ. MAE':>10}{'space group':>13}{'letters':>9}{'SMA':>7}")
    for name, r in rows.items():
        mins = f"{minutes[name]:.1f}" if minutes[name] is not None else "shipped"
        print(f"{name:<9}{n_train[name]:>11}{mins:>9}{r['occupancy MAE']:>10.4f}{r['space group']:>13.3f}{r['letters']:>9.3f}{r['SMA']:>7.3f}")
    gap = rows["base"]["occupancy MAE"] - rows["shipped"]["occupancy MAE"]
    won = rows["base"]["occupancy MAE"] - rows["tuned"]["occupancy MAE"]
    print(f"\noccupancy MAE of (b) / (a): {rows['tuned']['occupancy MAE'] / rows['base']['occupancy MAE']:.2f}x; "
          + (f"fine-tuning recovers {won / gap:.2f} of the gap between (a) and (d)" if gap > 0 else f"(a) is not worse than (d) here (gap {gap:+.4f})"))
    (out / "result.json").write_text(json.dumps({"rows": rows, "minutes": minutes, "n_train": n_train, "held": sorted(held)}, indent=1))


if __name__ == "__main__":
    main()
