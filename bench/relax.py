"""Benchmark: symmetry-constrained relaxation (dis_csp.physics.relax) per ensemble size, against relaxing one ordered
realization freely with CHGNet's own optimizer (FIRE on atoms and cell, the way ordered generators relax), in the
same process, on the same crystals.

Usage: python bench/relax.py [SAMPLES_DIR] [--n 4] [--ensembles 1 2 4] [--quick]
(SAMPLES_DIR: a `dis-csp sample` output folder; default: 8 KDE samples of the shipped model made here. --quick: one
crystal, ensemble 1, 5 steps: what the tests run, to catch a broken benchmark.)
"""
import argparse, tempfile, time, warnings
from pathlib import Path
import numpy as np


def main():
    ap = argparse.ArgumentParser(); ap.add_argument("samples", nargs="?")
    ap.add_argument("--n", type=int, default=4); ap.add_argument("--ensembles", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--quick", action="store_true", help="one crystal, ensemble 1, 5 steps (a smoke run)")
    a = ap.parse_args()
    if a.quick: a.n, a.ensembles = 1, [1]
    steps_max = 5 if a.quick else 200
    warnings.filterwarnings("ignore")
    import torch
    from chgnet.model import StructOptimizer
    from dis_csp.crystals.sources import read_crystals
    from dis_csp.physics.relax import relax_crystal, realize, RelaxError, RelaxSettings
    from dis_csp.physics.potentials import chgnet_model
    source = a.samples
    if source is None:
        from dis_csp.generation.run import Run
        from dis_csp.generation.sample import sample_run, SampleRequest
        source = Path(tempfile.mkdtemp()) / "kde"
        sample_run(Run.open(), source, SampleRequest(n=8, novelty=False), progress=False)
    crystals = [x for x in read_crystals(source)[0] if x.is_disordered][: a.n]
    print(f"{len(crystals)} disordered crystals of {source}, torch threads {torch.get_num_threads()}")
    chgnet_model()
    t = time.perf_counter(); steps = []
    for x in crystals:
        cell = realize(x, 0).structure(x)
        r = StructOptimizer(model=chgnet_model()).relax(cell, fmax=0.05, steps=steps_max, verbose=False)
        steps.append(len(r["trajectory"].energies))
    t_free = time.perf_counter() - t
    print(f"{'  CHGNet FIRE, one free realization (atoms + cell)':<56}{60 * len(crystals) / t_free:>8.2f} crystals/min"
          f"   ({np.mean(steps):.0f} steps; symmetry and occupancies not kept)")
    for k in a.ensembles:
        t = time.perf_counter(); calls = []
        for x in crystals:
            try: calls.append(relax_crystal(x, RelaxSettings(ensemble=k, steps=min(60, steps_max))).evaluations)
            except RelaxError: pass
        dt = time.perf_counter() - t
        print(f"{f'  dis_csp relax_crystal, ensemble {k}':<56}{60 * len(crystals) / dt:>8.2f} crystals/min"
              f"   ({np.mean(calls):.0f} evaluations x {k} realizations; ratio to free {t_free / dt:.2f}x)")


if __name__ == "__main__":
    main()
