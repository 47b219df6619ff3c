"""Benchmark: generated structures per second, latent sample -> checked crystal -> CIF file, on one core.

dis-csp path: KDE latent samples -> decoder (one batch) -> constrained decoding with the geometry repair ->
distance / validity checks -> to_cif -> atomic write (and the same without the relief of short contacts and without
the whole geometry step, for their cost). Baseline in the same process, on the same decoded crystals: the pymatgen route the
paper's code takes after decoding (Structure.from_spacegroup with the Wyckoff representatives, the 0.5 Å distance
check on the full cell, CifWriter with symmetry finding). The authors report 2.7 structures/s (0.37 s each).
Usage: python bench/generate.py [--checkpoint default] [--n 1000] [--n-baseline 200] [--quick]
(--quick: 20 samples, 10 for the baseline: what the tests run, to catch a broken benchmark)
"""
import argparse, tempfile, time, warnings
from pathlib import Path
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default="default", help="a run's best.pt or a shipped model's name (default: the shipped model)")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--n-baseline", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="20 samples (a smoke run)")
    a = ap.parse_args()
    if a.quick: a.n, a.n_baseline = 20, 10
    warnings.filterwarnings("ignore")
    import torch
    torch.set_num_threads(1)
    from pymatgen.core import Structure, Lattice
    from pymatgen.io.cif import CifWriter
    from dis_csp.core import atomic_write
    from dis_csp.generation.run import Run
    from dis_csp.generation.decoding import decode_latents
    from dis_csp.generation.metrics import distance_checks
    from dis_csp.crystals.contacts import geometry_checks
    from dis_csp.crystals.reconstruct import to_cif
    from dis_csp.crystals.symmetry import space_group

    run = Run.open(a.checkpoint)
    kde = run.samplers(need=["kde"])["kde"]
    out = Path(tempfile.mkdtemp())
    print(f"model {run.name}; one core (torch threads {torch.get_num_threads()})")

    z = kde.sample(a.n, seed=0)

    def cold():
        "Empty the per-point caches, so that a pass does not reuse what an earlier pass over the same latents computed"
        from dis_csp.crystals import symmetry, contacts, reconstruct
        for f in (symmetry._standard_orbit_operations, symmetry._standard_orbit, contacts._free_projector, reconstruct._lattice):
            f.cache_clear()

    def ours(geometry: bool, relief: float = 0.9):
        "(seconds decoding, seconds in all, valid and kept crystals) of the dis-csp path, caches empty at the start"
        cold()
        t0 = time.perf_counter()
        decoded = decode_latents(run.model, run.scaler, z, run.decode_settings(geometry=geometry, relief=relief))
        t_decode = time.perf_counter() - t0
        n_valid = 0
        for d in decoded:
            if d.crystal is None: continue
            n_valid += distance_checks(d.crystal)["valid_disorder_aware"] and geometry_checks(d.crystal)["valid_chemistry"]
            atomic_write(out / f"{d.crystal.id}.cif", to_cif(d.crystal))
        return t_decode, time.perf_counter() - t0, n_valid, decoded

    t_plain, t_plain_all, n_plain_valid, _ = ours(geometry=False)
    _, t_unrelieved, n_unrelieved_valid, _ = ours(geometry=True, relief=0)
    t_decode, t_ours, n_valid, decoded = ours(geometry=True)
    crystals = [d.crystal for d in decoded if d.crystal is not None][: a.n_baseline]
    t0 = time.perf_counter()
    failed = 0
    for x in crystals:
        try:
            species = [dict(s.occupancy) for s in x.sites]
            s = Structure.from_spacegroup(x.space_group, Lattice.from_parameters(*x.lattice), species,
                                          [s.xyz for s in x.sites], tol=1e-4)
            d = s.distance_matrix
            np.fill_diagonal(d, np.inf)
            _ = bool((d < 0.5).any())
            (out / f"pmg_{x.id}.cif").write_text(str(CifWriter(s, symprec=0.01)))
        except Exception:
            failed += 1                    # e.g. spglib: "too close distance between atoms"
    t_pmg = time.perf_counter() - t0

    ours, pmg = a.n / t_ours, len(crystals) / t_pmg
    print(f"{'path':<58}{'structures/s':>14}")
    print(f"{'dis-csp: decode (batch), geometry repair included':<58}{a.n / t_decode:>14.1f}")
    print(f"{'dis-csp: decode -> checks -> CIF file (default)':<58}{a.n / t_ours:>14.1f}")
    print(f"{'  of which valid (disorder- and chemistry-aware)':<58}{n_valid / t_ours:>14.1f}  ({n_valid}/{a.n})")
    print(f"{'dis-csp without relief of short contacts (--relief 0)':<58}{a.n / t_unrelieved:>14.1f}  "
          f"({n_unrelieved_valid}/{a.n} valid)")
    print(f"{'dis-csp without the geometry step (--no-geometry)':<58}{a.n / t_plain_all:>14.1f}  "
          f"({n_plain_valid}/{a.n} valid)")
    print(f"{'pymatgen: from_spacegroup -> distances -> CifWriter(symprec)':<58}{pmg:>14.1f}  ({failed}/{len(crystals)} raised)")
    print(f"{'authors (paper, Appendix)':<58}{2.7:>14.1f}")
    print(f"ratio dis-csp / pymatgen path: {ours / pmg:.1f}x; dis-csp / authors: {ours / 2.7:.0f}x")


if __name__ == "__main__":
    main()
