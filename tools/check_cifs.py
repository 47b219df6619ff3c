"""Parse every CIF of a `dis-csp sample` output with pymatgen and compare its space group with the one it declares.

Usage: python tools/check_cifs.py out/samples/kde [--symprec 0.01]
"""
import argparse, collections, json, warnings
from pathlib import Path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("samples", help="a folder written by `dis-csp sample` (samples.jsonl + cifs/)")
    ap.add_argument("--symprec", type=float, default=0.01)
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    from pymatgen.io.cif import CifParser
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer
    folder = Path(a.samples)
    counts, bad = collections.Counter(), []
    for line in (folder / "samples.jsonl").read_text().splitlines():
        r = json.loads(line)
        if not r["crystal"]: continue
        try:
            s = CifParser(folder / "cifs" / f"{r['id']}.cif").parse_structures(primitive=False)[0]
            found = SpacegroupAnalyzer(s, symprec=a.symprec).get_space_group_number()
        except Exception as e:
            counts["parse_error"] += 1; bad.append((r["id"], type(e).__name__)); continue
        declared = r["crystal"]["space_group"]
        key = "declared" if found == declared else ("higher" if found > declared else "other")
        counts[key] += 1
        if key != "declared": bad.append((r["id"], declared, found))
    print(json.dumps({"symprec": a.symprec, **counts}), bad[:10])


if __name__ == "__main__":
    main()
