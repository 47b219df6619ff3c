"""Benchmark: crystal structure prediction of the test split's compositions, the way the field measures CSP.

Queries are the compositions of a seeded subset of the shipped model's test split (default 300 of 1,702: all of
them take about three hours on 2 cores), then every test crystal the model never saw (outside its layout, such as
garnets, or kept by the featurizer since it was trained; split by a hash of the id); templates come from the
training split only (those outside the layout included), the latent route is the shipped model's. A query is matched @k when pymatgen's StructureMatcher(stol=0.5, ltol=0.3, angle_tol=10) with a
disorder-aware site comparison (same elements, each occupancy within 0.1) finds the crystal among its first k
candidates. Printed per ingredient (templates, latent, together as `dis-csp predict` ranks them) beside the naive
baseline run in the same process (decoded KDE draws holding the query's elements, moved to its composition), as
ratios; and per group (ordered / disordered crystals, compositions seen / unseen in training). Seconds per query.
Usage: python bench/csp.py [--queries 300] [--n 20] [--latent-starts 6] [--latent-steps 150] [--out csp.json] [--quick]
(--quick: the tiny demo run, 3 queries, 5 candidates: what the tests run, to catch a broken benchmark)

Leave a family out: python bench/csp.py --family NAME|all [--queries 20] [--given 5] [--out lfo.json] [--quick]
For each structure family (`dis_csp.generation.families`: garnets, argyrodites, nasicon, lgps, perovskites, spinels,
layered-rock-salts, olivines), seeded members of the shipped template pool are asked with the family absent from the
templates, with 5 members given back (as `predict --templates`), and present (less the query itself); templates route.
"""
import argparse, json, time, warnings
from pathlib import Path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=300, help="test compositions (a seeded subset; 0: all)")
    ap.add_argument("--n", type=int, default=20, help="candidates per query")
    ap.add_argument("--latent-starts", type=int, default=6)
    ap.add_argument("--latent-steps", type=int, default=150)
    ap.add_argument("--naive-draws", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="write every query's ranks and the table as JSON here")
    ap.add_argument("--quick", action="store_true", help="the tiny demo run, 3 queries (a smoke run)")
    ap.add_argument("--part", help="I/K: only the I-th of K interleaved parts of the queries (run K parts side by side, then --merge)")
    ap.add_argument("--merge", nargs="+", help="print the table of the --out files of the parts, and write it to --out")
    ap.add_argument("--own-test-only", action="store_true", help="only the model's own test crystals (not those outside its "
                    "layout or kept by the featurizer since it was trained)")
    ap.add_argument("--family", help="leave a structure family out (a name of dis_csp.generation.families.FAMILIES, or all)")
    ap.add_argument("--given", type=int, default=5, help="with --family: members given back in the 'given' setting")
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    if a.family: return families(a)
    if a.merge: return merged(a)
    from dis_csp.crystals.dataset import collection_dataset
    from dis_csp.generation.run import Run, tiny_demo_run
    from dis_csp.generation.templates import TemplatePool
    from dis_csp.generation.benchmark import Benchmark, benchmark, test_queries

    if a.quick:
        run, a.queries, a.n, a.latent_starts, a.latent_steps, a.naive_draws = Run.open(tiny_demo_run()), 3, 5, 2, 10, 50
        a.own_test_only = True
    else:
        run = Run.open("default", collection_dataset())
    pool = TemplatePool.of(run.crystals("train"), "the training split")
    queries = test_queries(run, a.queries or None, a.seed, unseen_by_model=not a.own_test_only)
    if a.part:
        i, k = (int(v) for v in a.part.split("/"))
        queries = queries[i - 1::k]
    bench = Benchmark(a.n, a.latent_starts, a.latent_steps, a.naive_draws, a.seed)
    print(f"model {run.name}; {len(queries)} test compositions of {len(run.split['test'])}; {len(pool.crystals)} templates (training split)")
    t0 = time.time()
    rows = benchmark(run, queries, pool, bench)
    table = print_table(rows, a.n)
    print(f"\n{len(rows) / (time.time() - t0):.3f} queries/s in all (matching included)")
    if a.out: Path(a.out).write_text(json.dumps({"settings": vars(a), "table": table, "queries": rows}, indent=1))


def merged(a):
    "The table of the parts' rows together."
    rows = [r for f in a.merge for r in json.loads(Path(f).read_text())["queries"]]
    table = print_table(rows, a.n)
    if a.out: Path(a.out).write_text(json.dumps({"settings": vars(a), "table": table, "queries": rows}, indent=1))


def print_table(rows, n):
    "Print the benchmark table of `rows` (ratios to the naive baseline) and return it."
    from dis_csp.generation.benchmark import report
    ks = sorted({1, 5, n})
    table = report(rows, ks=ks)
    naive = {r["queries"]: r for r in table if r["ingredient"] == "naive"}
    k = f"match@{n}"
    print(f"\n{'ingredient':<10} {'queries':<15} {'n':>4} " + " ".join(f"{'@' + str(j):>6}" for j in ks) + f" {'RMS':>6} {'s/query':>8}  ratio @{n} to naive")
    for r in table:
        base = naive[r["queries"]][k]
        ratio = f"{r[k] / base:.1f}x" if base else "(naive 0)"
        rms = r["mean RMS"] if r["mean RMS"] is not None else float("nan")
        print(f"{r['ingredient']:<10} {r['queries']:<15} {r['n']:>4} " + " ".join(f"{r[f'match@{j}']:>6.3f}" for j in ks) +
              f" {rms:>6.3f} {r['seconds per query']:>8.2f}  {ratio}")
    return table


def families(a):
    "The leave-family-out benchmark (templates route) on the shipped pool."
    from dis_csp.generation.templates import default_template_pool
    from dis_csp.generation.families import FAMILIES, leave_family_out, family_table
    names = list(FAMILIES) if a.family == "all" else [a.family]
    if unknown := [n for n in names if n not in FAMILIES]: raise SystemExit(f"unknown family {unknown[0]!r}: one of {', '.join(FAMILIES)} or all")
    crystals = default_template_pool().crystals
    queries = 2 if a.quick else (a.queries or None)
    t0, rows, empty = time.time(), [], []
    for name in names:
        got = leave_family_out(FAMILIES[name], crystals, queries, a.n, a.given, a.seed)
        if not got: empty.append(name); print(f"{name}: no member in the pool ({FAMILIES[name].definition})")
        rows += got
    table = family_table(rows, ks=sorted({1, 5, a.n}))
    print(f"\n{'family':<20} {'setting':<8} {'n':>4} " + " ".join(f"{'@' + str(k):>6}" for k in sorted({1, 5, a.n})) + f" {'s/query':>8}")
    for r in table:
        print(f"{r['family']:<20} {r['setting']:<8} {r['n']:>4} " + " ".join(f"{r[f'match@{k}']:>6.3f}" for k in sorted({1, 5, a.n}))
              + f" {r['seconds per query']:>8.2f}")
    print(f"\n{len(rows)} members asked in {time.time() - t0:.0f} s")
    if a.out:
        definitions = {n: FAMILIES[n].definition for n in names}
        Path(a.out).write_text(json.dumps({"settings": vars(a), "definitions": definitions, "empty": empty, "table": table,
                                           "queries": rows}, indent=1))


if __name__ == "__main__":
    main()
