"""Independent check of generated and relaxed crystals: pymatgen reads the CIFs, pymatgen's own ordering
transformation (Ewald-ranked) turns a partially occupied crystal into one ordered cell, ASE's covalent radii give the
shortest contact and SevenNet-l3i5 (another universal potential, not the CHGNet dis-csp uses) gives the largest force.
No dis-csp code runs. Prints, for each folder, the share plausible (contact >= 0.6 x the radii sum, force <= 20 eV/Å)
and the median largest force, over the crystals both folders could order.

Usage: python tools/independent_check.py BEFORE_CIFS AFTER_CIFS [--n 100] [--seconds 20]
"""
import argparse, json, signal, sys, warnings
from pathlib import Path
import numpy as np


class _Timeout(Exception): pass


def ordered_cell(path: Path, seconds: int):
    "One ordered cell of the CIF at `path` (pymatgen only), or None with the reason."
    from pymatgen.core import Structure
    from pymatgen.transformations.standard_transformations import OrderDisorderedStructureTransformation
    s = Structure.from_file(path)
    if s.is_ordered: return s, None
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(_Timeout()))
    for scale in ([1, 1, 1], [2, 1, 1], [2, 2, 1], [2, 2, 2]):
        sup = s.copy(); sup.make_supercell(scale)
        if len(sup) > 200: break
        try:
            sup.add_oxidation_state_by_guess()
        except Exception:
            sup = s.copy(); sup.make_supercell(scale); sup.add_oxidation_state_by_element({el.symbol: 0 for el in sup.composition.elements})
        signal.alarm(seconds)
        try:
            out = OrderDisorderedStructureTransformation(no_oxi_states=True).apply_transformation(sup)
            signal.alarm(0); out.remove_oxidation_states(); return out, None
        except _Timeout: return None, "timeout"
        except Exception: signal.alarm(0); continue
    return None, "not_orderable"


def score(structure, calc) -> tuple[float, float]:
    "Largest force (eV/Å, SevenNet) and shortest distance over the sum of covalent radii (ASE)."
    from ase.data import covalent_radii
    from ase.neighborlist import neighbor_list
    from pymatgen.io.ase import AseAtomsAdaptor
    atoms = AseAtomsAdaptor.get_atoms(structure); atoms.calc = calc
    f = float(np.linalg.norm(atoms.get_forces(), axis=1).max())
    i, j, d = neighbor_list("ijd", atoms, 4.0)
    r = covalent_radii[atoms.numbers]
    return f, float((d / (r[i] + r[j])).min()) if len(d) else np.inf


def main():
    ap = argparse.ArgumentParser(); ap.add_argument("before"); ap.add_argument("after")
    ap.add_argument("--n", type=int, default=100); ap.add_argument("--seconds", type=int, default=20)
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    from sevenn.calculator import SevenNetCalculator
    calc = SevenNetCalculator(model="7net-l3i5", device="cpu")
    after = {p.name: p for p in Path(a.after).glob("*.cif")}
    names = sorted(n for n in (p.name for p in Path(a.before).glob("*.cif")) if n in after)[: a.n]
    rows, skipped = [], {}
    for name in names:
        cells = [ordered_cell(Path(folder) / name, a.seconds) for folder in (a.before, a.after)]
        if any(c is None for c, _ in cells):
            why = next(r for c, r in cells if c is None); skipped[why] = skipped.get(why, 0) + 1; continue
        try: rows.append([score(c, calc) for c, _ in cells])
        except ValueError as e:                  # SevenNet was not trained on an element of this crystal (Po, At, ...)
            why = "element_unknown_to_sevennet" if "atomic number" in str(e) else "potential_failed"
            skipped[why] = skipped.get(why, 0) + 1; continue
        print(name, [tuple(round(v, 3) for v in x) for x in rows[-1]], file=sys.stderr, flush=True)
    # made_by: marks the file as this project's output, so that dis-csp commands writing beside it accept the folder
    out = {"made_by": {"tool": "tools/independent_check.py", "before": str(a.before), "after": str(a.after)},
           "checked": len(rows), "skipped": skipped}
    for k, label in enumerate(("before", "after")):
        f = np.array([r[k][0] for r in rows]); c = np.array([r[k][1] for r in rows])
        out[label] = {"plausible": float(np.mean((c >= 0.6) & (f <= 20))) if len(rows) else None,
                      "median_max_force": float(np.median(f)) if len(rows) else None,
                      "median_contact_ratio": float(np.median(c)) if len(rows) else None}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
