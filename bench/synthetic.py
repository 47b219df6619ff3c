"""Build a synthetic collection at ICSD scale from the open one, as a folder of CIF files (what an ICSD export is).

Each variant of an open crystal (in Wyckoff form, `dis_csp/template_pool.jsonl.gz`: the 8,925 featurized crystals)
takes three seeded changes: element substitution within a group of the periodic table (each element, with
probability --substitute, becomes its neighbour one period up or down, the same one on every site), the lattice
scaled by the element volumes of the new composition times a random factor (isotropic, so the cell keeps its
symmetry), and occupancy changes (on each disordered site the shares move by up to --occupancy-shift, and an ordered
site is given a vacancy of up to 10 % with probability --vacancy). The first variant of every crystal is the crystal
itself. Written as `OUT/NNN/ID.cif` (1,000 per folder), atomically; an interrupted build resumes where it stopped.
Prints crystals written per second. Benchmarks at scale (`bench/scale.py`) featurize and train on it.
Usage: python bench/synthetic.py OUT [--n 150000] [--seed 0] [--quick]
(--quick: 200 crystals, 4 of each of 50, into a temporary folder: what the tests run, to catch a broken benchmark)
"""
import argparse, os, tempfile, time
from dataclasses import replace
from pathlib import Path
import numpy as np


def group_neighbours(max_z: int) -> dict:
    "Element -> its neighbours one period up and down in the same group (lanthanides and actinides: the next Z)."
    from pymatgen.core import Element
    by_group, out = {}, {}
    for z in range(1, max_z + 1):
        e = Element.from_Z(z)
        if e.is_lanthanoid or e.is_actinoid: continue
        by_group.setdefault(e.group, []).append(e.symbol)
    for members in by_group.values():
        for i, s in enumerate(members): out[s] = [m for m in members[max(0, i - 1): i + 2] if m != s]
    for z in range(57, min(max_z, 103) + 1):              # f-block: neighbours in Z within its own series
        e = Element.from_Z(z)
        out[e.symbol] = [Element.from_Z(y).symbol for y in (z - 1, z + 1) if 57 <= y <= max_z and
                         (Element.from_Z(y).is_lanthanoid == e.is_lanthanoid)]
    return out


def variant(x, k: int, rng, neighbours: dict, volumes, substitute: float, shift: float, vacancy: float):
    "The k-th variant of crystal `x` (k = 0: `x` itself)."
    from dis_csp.crystals.crystal import WyckoffSite
    if k == 0: return x
    swap = {e: rng.choice(neighbours[e]) for e in sorted(x.composition) if neighbours.get(e) and rng.random() < substitute}
    sites = []
    for s in x.sites:
        occ = {}
        for e, v in s.occupancy.items(): occ[swap.get(e, e)] = occ.get(swap.get(e, e), 0.0) + v
        if len(occ) > 1:                                      # move shares between two of the site's elements
            a, b = rng.choice(sorted(occ), 2, replace=False)
            d = float(np.clip(rng.uniform(-shift, shift), -occ[a] + 0.01, occ[b] - 0.01))
            occ[a] += d; occ[b] -= d
        elif rng.random() < vacancy:
            e = next(iter(occ)); occ[e] = round(occ[e] * (1 - rng.uniform(0.02, 0.1)), 4)
        occ = {e: round(v, 4) for e, v in occ.items() if v > 1e-4}
        sites.append(WyckoffSite(s.letter, s.multiplicity, s.xyz, occ, len(occ) > 1 or sum(occ.values()) < 0.995))
    y = replace(x, sites=sites, id=f"{x.id}_v{k}", provenance={})
    def volume(c): return sum(n * volumes.volume(e) for e, n in c.composition.items())
    f = (volume(y) / volume(x)) ** (1 / 3) * rng.uniform(0.97, 1.03)
    return replace(y, lattice=tuple(v * f if i < 3 else v for i, v in enumerate(x.lattice)))


def build(out: Path, n: int, seed: int = 0, substitute: float = 0.3, shift: float = 0.1, vacancy: float = 0.05,
          base_n: int | None = None, progress: bool = True) -> dict:
    "Write `n` synthetic CIFs into `out` (resumable); counts of written, kept from before and refused variants."
    from tqdm.auto import tqdm
    from dis_csp.crystals.reconstruct import to_cif
    from dis_csp.crystals.contacts import default_element_volumes
    from dis_csp.crystals.formula import MAX_Z
    from dis_csp.generation.templates import default_template_pool
    base = default_template_pool().crystals[:base_n]
    neighbours, volumes = group_neighbours(MAX_Z), default_element_volumes()
    counts = {"written": 0, "kept": 0, "refused": 0}
    t0 = time.perf_counter()
    for i in tqdm(range(n), desc="synthetic", unit="cif", disable=not progress):
        x, k = base[i % len(base)], i // len(base)
        path = out / f"{i // 1000:03d}" / f"{x.id}_v{k}.cif"
        if path.is_file(): counts["kept"] += 1; continue
        rng = np.random.default_rng([seed, i])
        try: text = to_cif(variant(x, k, rng, neighbours, volumes, substitute, shift, vacancy))
        except Exception: counts["refused"] += 1; continue   # a variant the group's sites refuse: counted, not written
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text); os.replace(tmp, path)
        counts["written"] += 1
    counts["seconds"] = round(time.perf_counter() - t0, 1)
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", help="folder to write the CIFs into")
    ap.add_argument("--n", type=int, default=150_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--substitute", type=float, default=0.3, help="probability that an element becomes a group neighbour")
    ap.add_argument("--occupancy-shift", type=float, default=0.1, help="largest share moved on a disordered site")
    ap.add_argument("--vacancy", type=float, default=0.05, help="probability that an ordered site gets a vacancy")
    ap.add_argument("--base", type=int, help="vary only the first BASE open crystals")
    ap.add_argument("--quick", action="store_true", help="200 crystals into a temporary folder (a smoke run)")
    a = ap.parse_args()
    import warnings; warnings.filterwarnings("ignore")
    if a.quick:
        a.n, a.base, a.out = 200, 50, tempfile.mkdtemp(prefix="dis-csp-synthetic-")
    if not a.out: ap.error("give the folder to write into")
    c = build(Path(a.out), a.n, a.seed, a.substitute, a.occupancy_shift, a.vacancy, a.base)
    rate = c["written"] / c["seconds"] if c["seconds"] else 0.0
    print(f"{a.out}: {c['written']} written, {c['kept']} there from before, {c['refused']} refused, "
          f"in {c['seconds']} s ({rate:.0f} CIFs/s)")


if __name__ == "__main__":
    main()
