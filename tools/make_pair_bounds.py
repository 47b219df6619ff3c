"""Learn the distance bounds per element pair (`dis_csp.crystals.contacts.PairBounds`) and the volumes per element
(`dis_csp.crystals.contacts.ElementVolumes`) from the training split of a featurized collection and write them as the
package's `dis_csp/pair_bounds.json` and `dis_csp/element_volumes.json` (or --out, --volumes-out). The split is the shipped model's, so
that its test crystals stay unseen; the share of those that pass is printed (at least 0.99 on the embedded collection).

Usage: python tools/make_pair_bounds.py DATASET [--checkpoint default] [--out dis_csp/pair_bounds.json]
                                              [--volumes-out dis_csp/element_volumes.json]
       (DATASET: `dis-csp featurize data/open_inorganic_cifs.jsonl.gz --out out/dataset` makes it; ./run.sh does)
"""
import argparse, sys
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--checkpoint", default="default", help="the run whose split to use (default: the shipped model)")
    ap.add_argument("--out", type=Path, default=ROOT / "dis_csp" / "pair_bounds.json")
    ap.add_argument("--volumes-out", type=Path, default=ROOT / "dis_csp" / "element_volumes.json")
    args = ap.parse_args(argv)
    from dis_csp.crystals.dataset import load_dataset
    from dis_csp.model.evaluate import recorded_split
    from dis_csp.model.pretrained import resolve_checkpoint
    from dis_csp.crystals.contacts import PairBounds, ElementVolumes, geometry_checks
    from dis_csp.core import atomic_write, file_sha256
    import json
    ds = load_dataset(args.dataset)
    checkpoint = resolve_checkpoint(args.checkpoint)
    split, by_id = recorded_split(checkpoint, ds.ids), dict(zip(ds.ids, ds.crystals))   # the crystals the model was made with
    train = [by_id[i] for i in split["train"] if i in by_id]
    source = json.loads((args.dataset / "summary.json").read_text())["source"]
    bounds = PairBounds.from_crystals(train, progress=True, source=f"training split ({len(train)} crystals) of {source}, "
                                      f"split of the model {args.checkpoint!r}; dataset.npz sha256 "
                                      f"{file_sha256(args.dataset / 'dataset.npz')[:16]}")
    volumes = ElementVolumes.from_crystals(train, source=bounds.source)
    passed = np.mean([geometry_checks(by_id[i], bounds, volumes)["valid_chemistry"] for i in split["test"] if i in by_id])
    atomic_write(args.out, bounds.to_json() + "\n")
    atomic_write(args.volumes_out, volumes.to_json() + "\n")
    print(f"{len(bounds.seen)} element pairs and {len(volumes.volumes)} element volumes (room floor {volumes.floor}) from "
          f"{len(train)} training crystals -> {args.out}, {args.volumes_out}; "
          f"test crystals that pass: {passed:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
