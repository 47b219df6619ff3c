"""Distinct orderings: dis-csp's count (Burnside's lemma over the crystal's operations x the supercell's translations,
`dis_csp.physics.orderings.count_distinct`) against SHRY's (Polya counting; its own environment, .venv-shry/, made by
tools/env.sh because SHRY pins an old pymatgen and numpy) on crystals built here: a shared site, a vacancy, three
labels on one site, a tetragonal group, each in two supercells."""
import json, subprocess, warnings
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHRY_PYTHON = ROOT / ".venv-shry" / "bin" / "python"

CASES = {   # name: (space group, cubic or (a, c) lattice, species per site, coordinates, supercells)
    "AgSbTe2": ("Fm-3m", 6.078, ["Ag0.5Sb0.5", "Te"], [[0, 0, 0], [0.5, 0.5, 0.5]], [(2, 1, 1), (2, 2, 1)]),
    "Na0.5Cl": ("Fm-3m", 5.64, ["Na0.5", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]], [(2, 1, 1), (2, 2, 1)]),
    "(Li0.5Na0.25)Cl": ("Pm-3m", 4.0, ["Li0.5Na0.25", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]], [(2, 2, 1), (2, 2, 2)]),
    "(Ti0.5Sn0.5)O2": ("P4_2/mnm", (4.6, 2.96), ["Ti0.5Sn0.5", "O"], [[0, 0, 0], [0.305, 0.305, 0]], [(1, 1, 2), (2, 1, 2)]),
}


def _cifs(tmp_path, name, group, a, species, coords):
    "The crystal's symmetric CIF for dis-csp, and the same with each vacancy written as the dummy species X for SHRY."
    from pymatgen.core import Structure, Lattice, Composition, DummySpecies
    from pymatgen.io.cif import CifWriter
    lattice = Lattice.cubic(a) if isinstance(a, float) else Lattice.tetragonal(*a)
    s = Structure.from_spacegroup(group, lattice, [Composition(x) for x in species], coords)
    full = Structure(s.lattice, [{**dict(site.species.items()), **({DummySpecies("X"): 1 - sum(site.species.values())}
                                  if sum(site.species.values()) < 1 - 1e-9 else {})} for site in s], s.frac_coords)
    paths = tmp_path / f"{len(list(tmp_path.iterdir()))}.cif", tmp_path / f"{len(list(tmp_path.iterdir()))}_x.cif"
    CifWriter(s, symprec=0.01).write_file(paths[0]); CifWriter(full, symprec=0.01).write_file(paths[1])
    return paths


def test_distinct_orderings_agree_with_shry(tmp_path):
    from dis_csp.crystals.featurize import featurize, CifText
    from dis_csp.physics.supercells import plan_supercell
    from dis_csp.physics.orderings import supercell_permutations, count_distinct, count_orderings
    assert SHRY_PYTHON.exists(), "SHRY's environment is missing: source tools/env.sh (./test.sh does) to make .venv-shry/"
    ours, args = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (group, a, species, coords, supercells) in CASES.items():
            cif, cif_x = _cifs(tmp_path, name, group, a, species, coords)
            x = featurize(CifText(cif.read_text()), id=name)
            for sc in supercells:
                plan = plan_supercell(x, sc)
                ours.append((name, sc, count_distinct(supercell_permutations(x, plan, sc), plan), count_orderings(plan)))
                args += [str(cif_x), *map(str, sc)]
    r = subprocess.run([str(SHRY_PYTHON), str(ROOT / "tools" / "shry_count.py"), *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    shry = json.loads(r.stdout.strip().splitlines()[-1])
    assert [c for _, _, c, _ in ours] == shry, list(zip(ours, shry))
    assert all(1 < c < total for _, _, c, total in ours)          # every case has symmetry to remove, none is trivial
