"""Calibration of `probability`: collect labelled candidates on a split, fit on the validation split, report on the test split.

Queries are compositions of the shipped model's crystals of a split (a seeded subset), answered by `predict` with the
templates of the training split only (as bench/csp.py does); every candidate is labelled by the CSP matcher (matches the
crystal or not). Records stream into a JSON-lines file, so an interrupted collection resumes where it stopped.

  python bench/calibrate.py collect --split val --queries 300 [--routes templates] [--part 1/2] --out val.jsonl
  python bench/calibrate.py fit --fit val.jsonl [...] --test test.jsonl [...] [--threshold 0.3] [--write dis_csp/calibration.json]
  python bench/calibrate.py --quick     (the tiny demo run: 3 queries, the shipped calibration's report on them; what the tests run)

`fit` prints the expected calibration error (all candidates, and first answers only), @1, how often a first answer
of low confidence is right beside one of high confidence, and the reliability table of the test split.
"""
import argparse, json, time, warnings
from pathlib import Path


def collect(a):
    import numpy as np
    from dis_csp.crystals.dataset import collection_dataset
    from dis_csp.crystals.formula import Formula, crystal_fractions
    from dis_csp.generation.run import Run, tiny_demo_run
    from dis_csp.generation.templates import TemplatePool
    from dis_csp.generation.predict import PredictSettings, PredictError, predict
    from dis_csp.generation.benchmark import test_queries
    from dis_csp.generation.confidence import labelled_candidates
    from dis_csp.generation.matching import csp_matcher
    if a.energies: from dis_csp.physics.screen import screen_crystal
    run = Run.open(tiny_demo_run()) if getattr(a, "quick", False) else Run.open("default", collection_dataset())
    pool = TemplatePool.of(run.crystals("train"), "the training split")
    if a.split == "test": queries = test_queries(run, a.queries or None, a.seed, unseen_by_model=True)
    else:
        queries = run.crystals(a.split)
        if a.queries and a.queries < len(queries):
            queries = [queries[i] for i in sorted(np.random.default_rng(a.seed).permutation(len(queries))[:a.queries])]
    if a.part:
        i, k = (int(v) for v in a.part.split("/")); queries = queries[i - 1::k]
    out = Path(a.out)
    done = {json.loads(l)["query"] for l in out.read_text().splitlines()} if out.exists() else set()
    small = getattr(a, "quick", False)
    settings = PredictSettings(n=a.n, routes=a.routes, latent_starts=2 if small else 6, latent_steps=10 if small else 150, seed=a.seed)
    matcher, t0, asked = csp_matcher(), time.time(), 0
    print(f"{len(queries)} {a.split} compositions ({len(done)} done before); {len(pool.crystals)} templates; routes {a.routes}")
    with open(out, "a") as f:
        for x in queries:
            if x.id in done: continue
            try: found = predict(Formula(x.id, crystal_fractions(x)), run, pool, settings)
            except PredictError: found = []
            rows = labelled_candidates(x, found, matcher) or [{"query": x.id, "rank": None, "match": False}]
            for r, c in zip(rows[:a.energies], found):               # CHGNet on one ordered cell, a few relaxation steps
                try: e = screen_crystal(c.crystal, cells=1, seed=a.seed, relax_steps=3)
                except Exception as err: r["physics"] = {"problem": f"{type(err).__name__}: {err}"[:200]}; continue
                r["physics"] = {k: round(float(e[k]), 5) for k in ("below_baseline", "distance_from_minimum", "energy_per_atom")}
            f.write("".join(json.dumps(r) + "\n" for r in rows)); f.flush()
            asked += 1
            if asked % 10 == 0: print(f"{asked} queries, {(time.time() - t0) / asked:.2f} s each", flush=True)
    print(f"{asked} queries in {time.time() - t0:.0f} s")


def read(files):
    return [r for f in files for l in Path(f).read_text().splitlines() if (r := json.loads(l))["rank"] is not None]


def fit(a):
    from dis_csp.generation.confidence import fit_calibration, calibration_report
    from dis_csp.core import atomic_write_json
    cal = fit_calibration(read(a.fit), threshold=a.threshold, c=a.c)
    rep = calibration_report(cal, read(a.test)) if a.test else {}
    print(json.dumps({k: v for k, v in rep.items() if not k.startswith("reliability")}, indent=1))
    for name in ("reliability_first", "reliability"):
        print(f"\n{name}: bin, n, predicted, observed")
        for r in rep.get(name, []): print(f"  {r['low']:.1f}-{r['high']:.1f} {r['n']:>6} {r['predicted']:>8.3f} {r['observed']:>8.3f}")
    if a.write:
        d = cal.to_dict()
        names = lambda files: " ".join(Path(f).name for f in files or [])
        d["report"] = {**d["report"], "test": rep, "command": f"python bench/calibrate.py fit --fit {names(a.fit)} --test {names(a.test)}"}
        atomic_write_json(a.write, d)
        print(f"wrote {a.write}")


def quick(a):
    "The tiny demo run: collect 3 validation queries, report the shipped calibration on them (what the tests run)."
    import tempfile
    from dis_csp.generation.confidence import default_calibration, calibration_report
    with tempfile.TemporaryDirectory() as tmp:
        a.split, a.queries, a.n, a.routes, a.seed, a.part, a.energies, a.out = "val", 3, 5, "templates", 0, None, 0, f"{tmp}/q.jsonl"
        t0 = time.time()
        collect(a)
        rep = calibration_report(default_calibration(), read([a.out]))
    print(f"{rep['queries']} queries ({rep['candidates']} candidates), @1 {rep['match@1']}, ECE {rep['ece']}: "
          f"{rep['queries'] / (time.time() - t0):.2f} queries/s, matching included")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="the tiny demo run (a smoke run)")
    sub = ap.add_subparsers(dest="what")
    c = sub.add_parser("collect")
    c.add_argument("--split", choices=("val", "test"), default="val")
    c.add_argument("--queries", type=int, default=300)
    c.add_argument("--n", type=int, default=20)
    c.add_argument("--routes", default="templates")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--part")
    c.add_argument("--energies", type=int, default=0, help="CHGNet energies of the first K candidates (one ordered cell, 3 steps)")
    c.add_argument("--out", required=True)
    f = sub.add_parser("fit")
    f.add_argument("--fit", nargs="+", required=True)
    f.add_argument("--test", nargs="*")
    f.add_argument("--threshold", type=float, default=0.3)
    f.add_argument("--c", type=float, default=1.0)
    f.add_argument("--write")
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    if a.quick: return quick(a)
    if not a.what: ap.error("collect or fit (or --quick)")
    (collect if a.what == "collect" else fit)(a)


if __name__ == "__main__":
    main()
