"""Virtual cells: exact compositions, reproducibility, resumable streamed runs, Dask workers, CLI."""
import json, subprocess, sys, warnings
from pathlib import Path
import numpy as np
import pytest
from pymatgen.core import Structure, Lattice, Composition
from dis_csp.physics.supercells import plan_supercell, make_cell, virtual_cells, largest_remainder
from dis_csp.physics.orderings import Ensemble
from dis_csp.physics.virtual_cells import run_virtual_cells, CellCompute
from dis_csp.physics.statistics import boltzmann_average
from dis_csp.physics.potentials import cell_properties

AGSBTE2 = Structure.from_spacegroup("Fm-3m", Lattice.cubic(6.078), [Composition("Ag0.5Sb0.5"), "Te"], [[0, 0, 0], [0.5, 0.5, 0.5]])
SPINEL = Structure.from_spacegroup("Fd-3m", Lattice.cubic(8.08), [Composition("Mg0.7Al0.3"), Composition("Mg0.15Al0.85"), "O"],
                                   [[0, 0, 0], [0.625, 0.625, 0.625], [0.387, 0.387, 0.387]])
VACANCY = Structure.from_spacegroup("Pm-3m", Lattice.cubic(4.1), [Composition("Li0.7"), "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
THREE = Structure.from_spacegroup("Pm-3m", Lattice.cubic(4.0), [Composition("Li0.5Na0.3K0.1"), "Br"], [[0, 0, 0], [0.5, 0.5, 0.5]])

def expected_composition(structure, supercell):
    "Per element, the largest-remainder counts of every orbit of the supercell."
    from dis_csp.crystals.featurize import featurize
    x = featurize(structure, max_sites=99, max_multiplicity=999)
    total = {}
    for s in x.sites:
        n = s.multiplicity * int(np.prod(supercell))
        fr = dict(s.occupancy); fr[""] = max(0.0, 1 - sum(fr.values()))
        for el, k in largest_remainder(fr, n).items():
            if el and k: total[el] = total.get(el, 0) + k
    return total

@pytest.mark.parametrize("structure", [AGSBTE2, SPINEL, VACANCY, THREE], ids=["AgSbTe2", "spinel", "vacancy", "three_species"])
@pytest.mark.parametrize("supercell", [(1, 1, 1), (2, 2, 2), (3, 2, 1), (3, 3, 3)])
def test_every_cell_has_the_exact_composition(structure, supercell):
    want = expected_composition(structure, supercell)
    cells = virtual_cells(structure, supercell, n=5, seed=7)
    for cell in cells:
        assert cell.is_ordered
        assert {el.symbol: int(round(v)) for el, v in cell.composition.items()} == want

def test_compositions_are_the_occupancies_when_they_divide():
    cell = virtual_cells(VACANCY, (10, 1, 1), n=1)[0]    # 10 Li sites at 0.7 -> 7 Li, 3 vacancies
    assert cell.composition["Li"] == 7 and cell.composition["Cl"] == 10

def test_same_seed_same_cells_other_seed_other_cells():
    a = virtual_cells(SPINEL, (1, 1, 1), n=6, seed=1)
    b = virtual_cells(SPINEL, (1, 1, 1), n=6, seed=1)
    c = virtual_cells(SPINEL, (1, 1, 1), n=6, seed=2)
    assert all(x == y for x, y in zip(a, b)) and any(x != y for x, y in zip(a, c))
    plan = plan_supercell(SPINEL, (1, 1, 1), seed=1)
    assert make_cell(plan, 4) == a[4]                    # any cell on its own, e.g. in another worker

def test_rounding_error_is_reported():
    plan = plan_supercell(THREE, (3, 3, 2))
    err = plan.rounding_error[0]
    assert err["Na"] == pytest.approx(5 / 18 - 0.3) and err["K"] == pytest.approx(2 / 18 - 0.1)

def test_bad_supercell_is_refused():
    with pytest.raises(Exception, match="supercell must be three positive integers"):
        plan_supercell(AGSBTE2, (2, 0, 2))

def test_boltzmann_average_is_stable():
    assert boltzmann_average([1.0, 2.0], [-5000.0, -4999.0], 300) == pytest.approx(1.0)
    assert boltzmann_average([1.0, 2.0], [0.0, 0.0], 1.0) == pytest.approx(1.5)

def test_missing_model_is_skipped_with_a_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "chgnet.model", None)   # `from chgnet.model import CHGNet` now fails
    monkeypatch.setattr("dis_csp.physics.potentials._MODELS", {})
    with pytest.warns(UserWarning, match="CHGNet is not available"):
        props = cell_properties(make_cell(plan_supercell(AGSBTE2, (1, 1, 1)), 0))
    assert "density" in props and "energy" not in props

def test_interrupted_run_ends_with_the_same_csv(tmp_path):
    four = Ensemble((2, 2, 2), "paper", n=4)
    straight = run_virtual_cells(AGSBTE2, tmp_path / "a", four, progress=False)
    assert "energy_per_atom" in straight["properties"]
    full = (tmp_path / "a" / "properties.csv").read_text()
    b = tmp_path / "b"
    run_virtual_cells(AGSBTE2, b, four, progress=False)
    # simulate an interruption: keep the header, two finished cells and half a line
    lines = full.splitlines(keepends=True)
    (b / "properties.csv").write_text(lines[0] + lines[2] + lines[3] + lines[4][:10])
    run_virtual_cells(AGSBTE2, b, four, progress=False)
    assert (b / "properties.csv").read_text() == full

def test_local_dask_cluster_gives_the_same_results(tmp_path):
    run_virtual_cells(AGSBTE2, tmp_path / "one", Ensemble((2, 2, 2), n=4), progress=False)
    run_virtual_cells(AGSBTE2, tmp_path / "dask", Ensemble((2, 2, 2), n=4), CellCompute(workers=2), progress=False)
    assert (tmp_path / "one" / "properties.csv").read_text() == (tmp_path / "dask" / "properties.csv").read_text()

def test_cli_virtual_cells(tmp_path):
    cif = tmp_path / "agsbte2.cif"; cif.write_text(AGSBTE2.to(fmt="cif"))
    exe = str(Path(sys.executable).parent / "dis-csp")
    r = subprocess.run([exe, "virtual-cells", str(cif), "--supercell", "1", "1", "1", "--n", "3", "--no-energy", "--quiet",
                        "--out", str(tmp_path / "vc")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    for name in ("properties.csv", "cells.extxyz", "summary.json", "distributions.html"):
        assert (tmp_path / "vc" / name).exists(), name
    bad = tmp_path / "bad.cif"; bad.write_text("no crystal here")
    r = subprocess.run([exe, "virtual-cells", str(bad), "--out", str(tmp_path / "vc2")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "bad.cif: parse" in r.stderr and "Traceback" not in r.stderr


def _cli(*args):
    exe = str(Path(sys.executable).parent / "dis-csp")
    return subprocess.run([exe, "virtual-cells", *map(str, args), "--quiet"], capture_output=True, text=True, timeout=600)

def _shortest_over_radii(path) -> list[float]:
    "Per cell of an extxyz file: its shortest distance over the sum of covalent radii (ASE's table; no dis-csp code)."
    from ase.io import read
    from ase.data import covalent_radii
    from ase.neighborlist import neighbor_list
    out = []
    for atoms in read(path, index=":"):
        i, j, d = neighbor_list("ijd", atoms, 3.5)
        r = covalent_radii[atoms.numbers]
        out.append(float((d / (r[i] + r[j])).min()) if len(d) else np.inf)
    return out

def test_modes_from_the_command_line(tmp_path):
    "--mode: split positions never filled together (checked with ASE), distinct orderings with degeneracies, Ewald pre-screen, stop rule."
    from dis_csp.crystals.data import iter_cifs
    split = tmp_path / "na_split.cif"        # Na on two 4e split positions 0.24 Å apart, each partly occupied
    split.write_text(next(t for cid, t, _ in iter_cifs("data/open_inorganic_cifs.jsonl.gz") if cid == "amcsd_0012345"))
    r = _cli(split, "--supercell", 1, 1, 2, "--n", 12, "--no-energy", "--out", tmp_path / "random")
    assert r.returncode == 0, r.stderr
    assert min(_shortest_over_radii(tmp_path / "random" / "cells.extxyz")) >= 0.5
    r = _cli(split, "--supercell", 1, 1, 2, "--n", 12, "--no-energy", "--mode", "paper", "--out", tmp_path / "paper")
    assert r.returncode == 0, r.stderr
    assert sum(x < 0.3 for x in _shortest_over_radii(tmp_path / "paper" / "cells.extxyz")) >= 4   # the paper's filling: impossible contacts
    cif = tmp_path / "agsbte2.cif"; cif.write_text(AGSBTE2.to(fmt="cif"))
    r = _cli(cif, "--supercell", 2, 1, 1, "--mode", "distinct", "--no-energy", "--out", tmp_path / "distinct")
    assert r.returncode == 0, r.stderr
    info = json.loads(next(l for l in r.stdout.splitlines() if l.startswith("cells:"))[6:])
    assert (info["orderings"], info["distinct_orderings"], info["exhaustive"]) == (70, 8, True)
    weights = np.loadtxt(tmp_path / "distinct" / "properties.csv", delimiter=",", skiprows=1, usecols=1)
    assert weights.sum() == 70 and len(weights) == 8
    r = _cli(cif, "--supercell", 2, 2, 1, "--n", 10, "--prescreen", "ewald", "--keep", 3, "--no-energy", "--out", tmp_path / "pre")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "pre" / "summary.json").read_text())["prescreen"]["kept"] == 3
    ewald = {}
    for eps in (1, 1000):                     # boltzmann mode: strong screening leaves the cells nearly random
        r = _cli(cif, "--supercell", 2, 2, 1, "--n", 10, "--mode", "boltzmann", "--dielectric", eps, "--no-energy", "--out", tmp_path / f"b{eps}")
        assert r.returncode == 0, r.stderr
        ewald[eps] = json.loads(next(l for l in r.stdout.splitlines() if l.startswith("cells:"))[6:])["ewald_energy_mean"]
    assert ewald[1000] > ewald[1] + 5, ewald
    for args, needle in ((["--keep", 3], "only with a prescreen"), (["--until-se", 0.01, "--no-energy"], "needs energies"),
                         (["--mode", "clever"], "invalid choice")):
        r = _cli(cif, *args, "--out", tmp_path / "bad")
        assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    r = _cli(cif, "--supercell", 2, 1, 1, "--n", 60, "--until-se", 0.02, "--out", tmp_path / "se")
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "se" / "summary.json").read_text())
    assert 10 <= s["n_cells"] < 60 and s["convergence"]["converged"] and s["convergence"]["standard_error"][-1] <= 0.02
    assert (tmp_path / "se" / "convergence.html").exists()


def test_sevennet_potential(tmp_path):
    "--potential sevennet: the energies SevenNet's own ASE calculator gives for the same cells; resuming with another potential is refused."
    from sevenn.calculator import SevenNetCalculator
    from pymatgen.io.ase import AseAtomsAdaptor
    s = run_virtual_cells(AGSBTE2, tmp_path / "s", Ensemble((1, 1, 1), "paper", n=2), CellCompute(potential="sevennet"), progress=False)
    assert s["potential"] == "sevennet"
    rows = np.genfromtxt(tmp_path / "s" / "properties.csv", delimiter=",", names=True)
    atoms = AseAtomsAdaptor.get_atoms(make_cell(plan_supercell(AGSBTE2, (1, 1, 1)), 0))
    atoms.calc = SevenNetCalculator(model="7net-l3i5", device="cpu")
    assert abs(rows["energy"][0] - atoms.get_potential_energy()) < 1e-4
    assert -5 < rows["energy_per_atom"][0] < -2
    with pytest.raises(Exception, match="other settings"):
        run_virtual_cells(AGSBTE2, tmp_path / "s", Ensemble((1, 1, 1), "paper", n=2), progress=False)
    r = _cli(tmp_path / "none.cif", "--potential", "mace", "--out", tmp_path / "m")
    assert r.returncode == 2 and "invalid choice" in r.stderr
