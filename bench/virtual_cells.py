"""Benchmark: virtual cells per second, dis-csp against a plain pymatgen path, in the same process.

1. generation alone: dis_csp.physics.supercells.make_cell vs the pymatgen way (make_supercell of the disordered
   Structure, then replace_species site by site with a shuffled list of species), same counts;
2. with CHGNet energies: static, and relaxed (--relax-steps), one process;
3. scaling from 1 to 2 local Dask workers (static energies);
4. choosing cells per mode (dis_csp.physics.orderings: random with exclusion, distinct, boltzmann, sqs, Ewald pre-screen), and
   the lowest-Ewald orderings against pymatgen's OrderDisorderedStructureTransformation (its own enumeration + Ewald
   ranking), on a 2x2x1 AgSbTe2 cell (12,870 orderings);
5. per potential (CHGNet, SevenNet-l3i5): static energies per second on the same cells, how alike they rank the
   cells (Spearman), and accuracy where the answer is known: relaxed lattice constants of simple crystals against
   experiment;
6. scaling over local Dask workers per mode and per potential: run_virtual_cells on each mode's plan with 1, 2, ...
   workers (--workers), static energies, worker start-up and model loading included.
Usage: python bench/virtual_cells.py [--n-gen 200] [--n-energy 40] [--n-relax 4] [--n-modes 40]
       [--only modes|potentials|scaling] [--workers 1,2] [--n-scale 400] [--quick]
(--quick: parts 1-4 on a handful of cells, one worker: what the tests run, to catch a broken benchmark)
"""
import argparse, time, tempfile, warnings
from pathlib import Path
import numpy as np

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-gen", type=int, default=200)
    ap.add_argument("--n-energy", type=int, default=40)
    ap.add_argument("--n-scale", type=int, default=400, help="cells for the 1 vs 2 worker comparison")
    ap.add_argument("--n-relax", type=int, default=4)
    ap.add_argument("--relax-steps", type=int, default=100)
    ap.add_argument("--n-modes", type=int, default=40, help="cells chosen per mode in part 4")
    ap.add_argument("--only", choices=["modes", "potentials", "scaling"], help="run part 4, 5 or 6 only")
    ap.add_argument("--workers", default="1,2", help="Dask worker counts for part 6 (default 1,2: this machine's cores)")
    ap.add_argument("--quick", action="store_true", help="parts 1-4 on a handful of cells (a smoke run)")
    a = ap.parse_args()
    if a.quick:
        a.n_gen, a.n_energy, a.n_relax, a.relax_steps, a.n_scale, a.n_modes = 5, 2, 1, 2, 2, 4
    if a.only == "modes": return modes(a.n_modes)
    if a.only == "potentials": return potentials(a.n_energy)
    if a.only == "scaling": return scaling(a.n_scale, [int(w) for w in a.workers.split(",")])
    warnings.filterwarnings("ignore")
    import torch
    from pymatgen.core import Structure, Lattice, Composition
    from dis_csp.physics.supercells import plan_supercell, make_cell, largest_remainder
    from dis_csp.physics.potentials import cell_properties, chgnet_model
    from dis_csp.physics.orderings import Ensemble
    from dis_csp.physics.virtual_cells import run_virtual_cells, CellCompute
    s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(6.078), [Composition("Ag0.5Sb0.5"), "Te"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    print(f"AgSbTe2, 2x2x2 supercells (64 atoms), torch threads {torch.get_num_threads()}")

    def pymatgen_cell(i):
        rng = np.random.default_rng(i)
        sup = s.copy(); sup.make_supercell([2, 2, 2])
        mixed = [j for j, site in enumerate(sup) if not site.is_ordered]
        counts = largest_remainder({"Ag": 0.5, "Sb": 0.5}, len(mixed))
        labels = rng.permutation(np.repeat(list(counts), list(counts.values())))
        for j, el in zip(mixed, labels): sup.replace(j, str(el))
        return sup

    t = time.perf_counter(); [pymatgen_cell(i) for i in range(a.n_gen)]; t_pmg = time.perf_counter() - t
    t = time.perf_counter(); plan = plan_supercell(s, (2, 2, 2)); t_plan = time.perf_counter() - t
    t = time.perf_counter(); [make_cell(plan, i) for i in range(a.n_gen)]; t_ours = time.perf_counter() - t
    print(f"{'generation only':<44}{'cells/s':>10}")
    print(f"{'  pymatgen make_supercell + replace':<44}{a.n_gen / t_pmg:>10.1f}")
    print(f"{'  dis_csp make_cell':<44}{a.n_gen / t_ours:>10.1f}   ratio {t_pmg / t_ours:.1f}x "
          f"(plus {1000 * t_plan:.0f} ms once to featurize and plan the supercell)")

    t = time.perf_counter(); chgnet_model(); t_load = time.perf_counter() - t
    cells = [make_cell(plan, i) for i in range(max(a.n_energy, a.n_relax))]
    t = time.perf_counter(); [cell_properties(c) for c in cells[: a.n_energy]]; t_static = time.perf_counter() - t
    t = time.perf_counter(); [cell_properties(c, relax=True, relax_steps=a.relax_steps) for c in cells[: a.n_relax]]; t_relax = time.perf_counter() - t
    print(f"CHGNet (loaded once in {t_load:.1f} s), one process:")
    print(f"{'  static energy':<44}{a.n_energy / t_static:>10.2f}   ({1000 * t_static / a.n_energy:.0f} ms/cell)")
    print(f"{f'  relaxed (<= {a.relax_steps} FIRE steps, fmax 0.1)':<44}{a.n_relax / t_relax:>10.3f}   ({t_relax / a.n_relax:.1f} s/cell)")

    with tempfile.TemporaryDirectory() as d:
        rates = {}
        for workers in ((1,) if a.quick else (1, 2)):
            t = time.perf_counter()
            run_virtual_cells(s, Path(d) / f"w{workers}", Ensemble((2, 2, 2), "paper", a.n_scale), CellCompute(workers=workers),
                              progress=False)
            rates[workers] = a.n_scale / (time.perf_counter() - t)
        print(f"run_virtual_cells, static energies, {a.n_scale} cells (worker start-up and model loading included; "
              f"1 worker = this process with {torch.get_num_threads()} torch threads, 2 workers = Dask processes with 1 thread each):")
        for w, r in rates.items(): print(f"  {w} worker{'s' if w > 1 else ' '}{'':<31}{r:>10.2f}   speed-up {r / rates[1]:.2f}x")
    if a.quick: modes(a.n_modes)

def modes(n: int, keep: int = 5):
    "Part 4: cells chosen per second per mode, and the Ewald pre-screen against pymatgen's ordering transformation."
    warnings.filterwarnings("ignore")
    from pymatgen.core import Structure, Lattice, Composition
    from pymatgen.transformations.standard_transformations import OrderDisorderedStructureTransformation
    from dis_csp.physics.orderings import plan_orderings, Ensemble
    s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(6.078), [Composition("Ag0.5Sb0.5"), "Te"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    print(f"choosing cells of AgSbTe2, 2x2x1 (32 atoms), {n} per mode (planning only; no potential):")
    print(f"{'  mode':<44}{'cells/s':>10}")
    for mode in ("paper", "random", "distinct", "boltzmann", "sqs"):
        paper = mode == "paper"
        t = time.perf_counter(); p = plan_orderings(s, Ensemble((2, 2, 1), mode, n, prescreen="ewald" if paper else None, keep=n if paper else None))
        dt = time.perf_counter() - t
        note = f"   ({len(p)} distinct of {p.info['orderings']:,} orderings, enumerated)" if mode == "distinct" else ""
        print(f"{'  ' + mode:<44}{len(p) / dt:>10.1f}{note}")
    t = time.perf_counter(); ours = plan_orderings(s, Ensemble((2, 2, 1), "distinct", prescreen="ewald", keep=keep)); t_ours = time.perf_counter() - t
    sup = s.copy(); sup.make_supercell([2, 2, 1]); sup.add_oxidation_state_by_element({"Ag": 1, "Sb": 3, "Te": -2})
    t = time.perf_counter()
    ranked = OrderDisorderedStructureTransformation().apply_transformation(sup, return_ranked_list=keep)
    t_pmg = time.perf_counter() - t
    print(f"the {keep} lowest-Ewald orderings of the 2x2x1 cell:")
    print(f"{'  pymatgen OrderDisorderedStructureTransformation':<52}{t_pmg:>8.2f} s   lowest {ranked[0]['energy']:.3f} eV")
    low = ours.info["prescreen"]["lowest"]
    print(f"{'  dis_csp distinct + prescreen ewald':<52}{t_ours:>8.2f} s   lowest {low:.3f} eV   ratio {t_pmg / t_ours:.1f}x "
          f"(and the degeneracy of each: {ours.weights.astype(int).tolist()})")

EXPERIMENT = {"NaCl": ("Fm-3m", 5.640, ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]),   # room-temperature lattice constants, Å
              "MgO": ("Fm-3m", 4.212, ["Mg", "O"], [[0, 0, 0], [0.5, 0.5, 0.5]]),
              "Si": ("Fd-3m", 5.431, ["Si"], [[0, 0, 0]]),
              "Cu": ("Fm-3m", 3.615, ["Cu"], [[0, 0, 0]]),
              "CsCl": ("Pm-3m", 4.123, ["Cs", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])}

def potentials(n: int):
    "Part 5: speed, agreement and lattice-constant accuracy of CHGNet and SevenNet-l3i5."
    warnings.filterwarnings("ignore")
    from scipy.stats import spearmanr
    from pymatgen.core import Structure, Lattice, Composition
    from pymatgen.io.ase import AseAtomsAdaptor
    from ase.optimize import FIRE
    from ase.filters import FrechetCellFilter
    from dis_csp.physics.supercells import plan_supercell, make_cell
    from dis_csp.physics.potentials import cell_properties, potential_calculator
    s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(6.078), [Composition("Ag0.5Sb0.5"), "Te"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    plan = plan_supercell(s, (2, 2, 2)); cells = [make_cell(plan, i) for i in range(n)]
    energies, rates = {}, {}
    for name in ("chgnet", "sevennet"):
        cell_properties(cells[0], potential=name)                       # load once
        t = time.perf_counter(); energies[name] = [cell_properties(c, potential=name)["energy_per_atom"] for c in cells]
        rates[name] = n / (time.perf_counter() - t)
    print(f"static energies of {n} AgSbTe2 2x2x2 cells (64 atoms), one process:")
    for name in rates: print(f"  {name:<42}{rates[name]:>10.2f} cells/s   spread of E/atom {1000 * np.std(energies[name]):.1f} meV")
    print(f"  SevenNet / CHGNet time ratio {rates['chgnet'] / rates['sevennet']:.1f}x; Spearman rank correlation of the cells' "
          f"energies {spearmanr(energies['chgnet'], energies['sevennet'])[0]:.2f}")
    print("relaxed lattice constant (FIRE, atoms and cell, fmax 0.01) against experiment, % error:")
    print(f"  {'crystal':<10}{'experiment':>11}" + "".join(f"{name:>12}" for name in ("chgnet", "sevennet")))
    for formula, (group, a0, species, coords) in EXPERIMENT.items():
        cells_ = []
        for name in ("chgnet", "sevennet"):
            atoms = AseAtomsAdaptor.get_atoms(Structure.from_spacegroup(group, Lattice.cubic(a0), species, coords))
            atoms.calc = potential_calculator(name)
            FIRE(FrechetCellFilter(atoms), logfile=None).run(fmax=0.01, steps=200)
            cells_.append(100 * (atoms.cell.lengths()[0] / a0 - 1))
        print(f"  {formula:<10}{a0:>11.3f}" + "".join(f"{e:>+11.2f}%" for e in cells_))

def scaling(n: int, workers: list[int], sevennet_share: int = 12):
    "Part 6: cells per second of run_virtual_cells per mode and potential as Dask workers are added."
    warnings.filterwarnings("ignore")
    from pymatgen.core import Structure, Lattice, Composition
    from dis_csp.physics.orderings import Ensemble
    from dis_csp.physics.virtual_cells import run_virtual_cells, CellCompute
    s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(6.078), [Composition("Ag0.5Sb0.5"), "Te"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    runs = [(mode, "chgnet", n) for mode in ("random", "distinct", "boltzmann", "sqs")] + [("random", "sevennet", max(2, n // sevennet_share))]
    print(f"run_virtual_cells on AgSbTe2 2x2x2 (64 atoms), static energies, cells per second (start-up included; "
          f"1 worker = this process, more = Dask processes with 1 thread each):")
    print(f"  {'mode':<11}{'potential':<11}{'cells':>6}" + "".join(f"{f'{w} worker(s)':>14}" for w in workers) + "   speed-up")
    with tempfile.TemporaryDirectory() as d:
        for mode, potential, cells in runs:
            rates = []
            for w in workers:
                t = time.perf_counter()
                s_ = run_virtual_cells(s, Path(d) / f"{mode}_{potential}_{w}", Ensemble((2, 2, 2), mode, cells),
                                       CellCompute(potential=potential, workers=w), progress=False)
                rates.append(s_["n_cells"] / (time.perf_counter() - t))
            print(f"  {mode:<11}{potential:<11}{s_['n_cells']:>6}" + "".join(f"{r:>14.2f}" for r in rates) +
                  f"   {rates[-1] / rates[0]:.2f}x")

if __name__ == "__main__":
    main()
