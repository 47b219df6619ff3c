"""Run with SHRY's own Python (.venv-shry/bin/python): the number of symmetry-distinct orderings SHRY counts for each
(CIF, supercell). The CIFs must give every partly occupied site's vacancy as the dummy species X (SHRY needs full sites).

Usage: .venv-shry/bin/python tools/shry_count.py CIF NA NB NC [CIF NA NB NC ...]   # one JSON list of counts on stdout
"""
import json, sys, warnings


def main(args: list[str]) -> int:
    warnings.filterwarnings("ignore")
    from shry import LabeledStructure, Substitutor
    if not args or len(args) % 4: print(__doc__, file=sys.stderr); return 2
    counts = []
    for k in range(0, len(args), 4):
        s = LabeledStructure.from_file(args[k])
        s *= [int(v) for v in args[k + 1:k + 4]]
        counts.append(int(Substitutor(s).count()))
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
