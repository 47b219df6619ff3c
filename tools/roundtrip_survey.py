"""Round trip of the representation over a whole CIF source, in parallel.

For every kept entry: to_structure(featurize(cif)) vs pymatgen's parse (space group, composition, disorder-aware fit),
decode(encode(x)) == x, and featurize(to_cif(x)) == x. Prints rates and writes every miss to a CSV.
Usage: python tools/roundtrip_survey.py SOURCE [--out misses.csv] [--processes N]
"""
import argparse, collections, csv, multiprocessing as mp, sys, time, warnings

def check(item):
    warnings.filterwarnings("ignore")
    from dis_csp.crystals.featurize import featurize, FeaturizeError
    from dis_csp.crystals.representation import encode, decode
    from dis_csp.crystals.reconstruct import to_cif
    from dis_csp.crystals.compare import roundtrip_problem
    cid, text = item
    try: x = featurize(text, id=cid)
    except FeaturizeError as e: return cid, "rejected:" + e.reason, ""
    except Exception as e: return cid, "crash", f"featurize {type(e).__name__}: {e}"
    out = []
    try:
        p = roundtrip_problem(text, x)
        if p: out.append(("structure", p))
        if not decode(*encode(x), id=x.id).same_as(x, 1e-4): out.append(("tensor", "decode(encode(x)) != x"))
        y = featurize(to_cif(x), id=cid)
        if not y.same_as(x, 1e-4): out.append(("cif", f"featurize(to_cif(x)) != x: {y.to_dict()['sites']} vs {x.to_dict()['sites']}"[:400]))
    except Exception as e:
        out.append(("crash", f"{type(e).__name__}: {e}"))
    if not out: return cid, "ok", ""
    return cid, out[0][0], "; ".join(m for _, m in out)

def main():
    ap = argparse.ArgumentParser(); ap.add_argument("source"); ap.add_argument("--out", default="roundtrip_misses.csv")
    ap.add_argument("--processes", type=int, default=mp.cpu_count())
    a = ap.parse_args()
    from dis_csp.crystals.data import iter_cifs
    items = [(cid, text) for cid, text, _ in iter_cifs(a.source)]
    t = time.time(); counts = collections.Counter(); misses = []
    with mp.Pool(a.processes) as pool:
        for cid, status, msg in pool.imap_unordered(check, items, chunksize=8):
            counts[status] += 1
            if status not in ("ok",) and not status.startswith("rejected"): misses.append((cid, status, msg))
    kept = sum(v for k, v in counts.items() if not k.startswith("rejected"))
    print(f"{len(items)} entries, {kept} kept, {counts['ok']} round-trip exactly ({counts['ok'] / max(kept, 1):.4%}) "
          f"in {time.time() - t:.0f} s")
    for k, v in sorted(counts.items()): print(f"  {k:<40}{v:>6}")
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f); w.writerow(["id", "kind", "message"]); w.writerows(sorted(misses))
    return 0 if counts["ok"] == kept else 1

if __name__ == "__main__": sys.exit(main())
