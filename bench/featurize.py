"""Benchmark: featurize vs pymatgen's CifParser + SpacegroupAnalyzer.get_symmetrized_structure, same process, one core.

Prints CIFs per second of both on the same entries, their ratio, how often they agree (space group and orbit
multiplicities), and the memory of a featurized dataset per 10,000 crystals.
With --build: a whole dataset build (worker pool with per-entry time and memory limits, content-keyed shards)
beside a plain multiprocessing.Pool.map of featurize over the same entries.
Usage: python bench/featurize.py [--n 1000] [--source data/open_inorganic_cifs.jsonl.gz] [--build] [--quick]
(--quick: 30 CIFs, both parts: what the tests run, to catch a broken benchmark)
"""
import argparse, collections, io, json, os, time, tracemalloc, warnings
import numpy as np

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--source", default=os.path.join(os.path.dirname(__file__), "..", "data", "open_inorganic_cifs.jsonl.gz"))
    ap.add_argument("--symprec", type=float, default=0.01)
    ap.add_argument("--build", action="store_true", help="only the dataset-build benchmark (pool with limits vs plain Pool.map)")
    ap.add_argument("--quick", action="store_true", help="30 CIFs, both parts (a smoke run)")
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    if a.quick: a.n = 30
    if a.build or a.quick: build_benchmark(a.source, a.n)
    if a.build: return
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from pymatgen.io.cif import CifParser
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer
    from dis_csp.crystals.data import iter_cifs
    from dis_csp.crystals.featurize import featurize, FeaturizeError, PAPER_FILTERS
    from dis_csp.crystals.representation import encode_many

    items = [(cid, text) for cid, text, meta in iter_cifs(a.source) if meta.get("pymatgen_ok", True)][: a.n]

    def baseline(text):
        s = CifParser.from_str(text, occupancy_tolerance=1.05).parse_structures(primitive=False)[0]
        sym = SpacegroupAnalyzer(s, symprec=a.symprec, angle_tolerance=-1).get_symmetrized_structure()
        return sym.spacegroup.int_number, shares([len(eq) for eq in sym.equivalent_sites])

    def ours(text, cid):
        x = featurize(text, id=cid, symprec=a.symprec)              # every crystal (no filter: the default)
        return x, (x.space_group, shares([s.multiplicity for s in x.sites]))

    from dis_csp.crystals.symmetry import space_group, normalizer_translations
    t = time.perf_counter()
    for n in range(1, 231): space_group(n); normalizer_translations(n)   # built once per process, then cached
    t_tables = time.perf_counter() - t
    for cid, text in items[:20]:  # warm-up of both paths: imports, lazy initialisation
        try: baseline(text); ours(text, cid)
        except Exception: pass

    t = time.perf_counter(); base = {}
    for cid, text in items:
        try: base[cid] = baseline(text)
        except Exception as e: base[cid] = ("error", type(e).__name__)
    t_base = time.perf_counter() - t

    t = time.perf_counter(); mine, crystals, reasons = {}, [], collections.Counter()
    for cid, text in items:
        try:
            x, mine[cid] = ours(text, cid); crystals.append(x)
        except FeaturizeError as e:
            mine[cid] = ("rejected", e.reason); reasons[e.reason] += 1
    t_ours = time.perf_counter() - t

    t = time.perf_counter(); n_kept = 0
    for cid, text in items:
        try: featurize(text, id=cid, symprec=a.symprec, **PAPER_FILTERS); n_kept += 1
        except FeaturizeError: pass
    t_filtered = time.perf_counter() - t

    both = [cid for cid in items_ids(items) if base[cid][0] not in ("error",) and mine[cid][0] != "rejected"]
    agree = sum(base[cid] == mine[cid] for cid in both)
    n = len(items)
    print(f"{n} CIFs from {os.path.basename(a.source)}, one process, symprec={a.symprec}, spglib's angle tolerance on both; "
          f"space-group tables built once beforehand ({t_tables:.1f} s)")
    print(f"{'path':<58}{'CIFs/s':>10}{'ms/CIF':>10}")
    print(f"{'pymatgen CifParser + SpacegroupAnalyzer.get_symmetrized':<58}{n / t_base:>10.1f}{1000 * t_base / n:>10.2f}")
    print(f"{'dis_csp.crystals.featurize (gemmi + spglib, no filters)':<58}{n / t_ours:>10.1f}{1000 * t_ours / n:>10.2f}")
    print(f"{f'dis_csp.crystals.featurize with the paper filters ({n_kept} kept)':<58}{n / t_filtered:>10.1f}{1000 * t_filtered / n:>10.2f}")
    print(f"ratio (featurize / baseline): {t_base / t_ours:.2f}x without filters, {t_base / t_filtered:.2f}x with them")
    print(f"identical space group and orbits (number, share of the cell's positions): {agree} of {len(both)} analysed by both "
          f"({agree / max(len(both), 1):.2%}); baseline errors {sum(b[0] == 'error' for b in base.values())}, "
          f"featurize rejections {dict(reasons)}")
    differ = [cid for cid in both if base[cid] != mine[cid]]
    if differ: print("differ:", ", ".join(f"{cid} (pymatgen {base[cid][0]}, ours {mine[cid][0]})" for cid in differ[:10]))

    kept = [x for x in crystals if len(x.sites) <= 9 and max(s.multiplicity for s in x.sites) <= 50]
    tracemalloc.start()
    A, c = encode_many(kept)
    _, peak = tracemalloc.get_traced_memory(); tracemalloc.stop()
    buf = io.BytesIO(); np.savez_compressed(buf, A=A, c=c)
    records = sum(len(x.to_json()) + 1 for x in kept)
    per10k = lambda b: b / len(kept) * 10_000 / 1e6
    print(f"dataset memory per 10,000 crystals: dense float32 tensors {per10k(A.nbytes + c.nbytes):.1f} MB in RAM "
          f"(encode peak {per10k(peak):.1f} MB), compressed dataset.npz {per10k(len(buf.getvalue())):.2f} MB, "
          f"records.jsonl {per10k(records):.2f} MB")

def _plain(item):
    "featurize of one (id, text) entry, as a plain Pool.map runs it: the crystal, or the reason it was rejected."
    from dis_csp.crystals.featurize import featurize, FeaturizeError, CifText
    try: return featurize(CifText(item[1]), id=item[0])
    except FeaturizeError as e: return e.reason

def build_benchmark(source, n: int, processes: int = 2):
    """A whole dataset build (workers with a time and memory limit per entry, content-keyed shards, output folder) beside a
    plain multiprocessing.Pool.map of featurize over the same entries, in the same process: what the safety costs."""
    import multiprocessing as mp, tempfile
    from pathlib import Path
    from dis_csp.crystals.data import iter_cifs
    from dis_csp.crystals.dataset import build_dataset, BuildOptions
    from itertools import islice
    items = [(cid, text) for cid, text, _ in islice(iter_cifs(source), n)]
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "src.jsonl"
        src.write_text("".join(json.dumps({"id": cid, "cif_text": text}) + "\n" for cid, text in items))
        options = BuildOptions(processes=processes)
        t = time.perf_counter(); build_dataset(src, Path(d) / "ds", options=options, progress=False)
        ours = time.perf_counter() - t
        t = time.perf_counter(); build_dataset(src, Path(d) / "ds", options=options, progress=False)
        again = time.perf_counter() - t
    t = time.perf_counter()
    with mp.get_context("fork").Pool(processes) as pool: pool.map(_plain, items, chunksize=8)
    plain = time.perf_counter() - t
    print(f"dataset build of {len(items)} CIFs on {processes} workers: {len(items) / ours:.0f} CIFs/s (a plain Pool.map of "
          f"featurize: {len(items) / plain:.0f}/s; ratio {plain / ours:.2f}); the same build again from its cache: {again:.1f} s")

def items_ids(items): return [cid for cid, _ in items]

def shares(multiplicities):
    "Orbits as shares of the cell's positions: the same whichever cell (primitive, conventional, super) was analysed."
    total = sum(multiplicities)
    return sorted(round(m / total, 6) for m in multiplicities)

if __name__ == "__main__":
    main()
