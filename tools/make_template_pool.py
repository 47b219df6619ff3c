"""Write the template pool that ships with the package (`dis_csp/template_pool.jsonl.gz`): every crystal of a
featurized collection (default: the embedded open collection, featurized into a temporary folder), those outside a
model's tensor layout included (templates have no layout: garnets, argyrodites, large cells), one JSON record
per line, sorted by id, gzip without a timestamp so that the same crystals give the same bytes.

Usage: python tools/make_template_pool.py [DATASET] [--out dis_csp/template_pool.jsonl.gz]
"""
import argparse, gzip, io, json, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dataset", nargs="?", help="a `dis-csp featurize` folder (default: featurize the embedded collection)")
    p.add_argument("--out", default=str(ROOT / "dis_csp" / "template_pool.jsonl.gz"))
    args = p.parse_args(argv)
    from dis_csp.core import default_collection, atomic_write
    from dis_csp.crystals.dataset import load_dataset, build_dataset, BuildOptions
    dataset = args.dataset
    if dataset is None:
        dataset = Path(tempfile.mkdtemp()) / "dataset"
        build_dataset(default_collection(), dataset, options=BuildOptions(processes=2))
    crystals = sorted(load_dataset(dataset).all_crystals, key=lambda x: x.id)   # those outside a model's layout too
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as f:
        for x in crystals: f.write((json.dumps(x.to_dict(), separators=(",", ":")) + "\n").encode())
    atomic_write(args.out, buf.getvalue())
    print(f"wrote {len(crystals)} crystals to {args.out} ({len(buf.getvalue()) / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
