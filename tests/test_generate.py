"""Generation end to end on a tiny run: samplers saved with the run, `dis-csp sample` in both modes and every sampler,
CIFs that parse back to their declared space group, conditioned generation, and bad input."""
import json, shutil, warnings
from pathlib import Path
import numpy as np
import pytest
from conftest import run

METRIC_KEYS = {"generation_error", "sma", "validity_paper", "validity_disorder_aware", "validity_chemistry", "charge_neutral", "uniqueness",
               "novelty", "wasserstein", "space_group_histogram", "n_samples", "n_decoded", "discarded"}


@pytest.fixture(scope="module")
def kde_samples(tiny_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("kde")
    r = run("sample", "--checkpoint", tiny_run / "best.pt", "--sampler", "kde", "--n", 40, "--seed", 3, "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    return out


def test_sample_writes_everything(kde_samples, tiny_run):
    m = json.loads((kde_samples / "metrics.json").read_text())
    assert METRIC_KEYS <= set(m)
    assert m["n_samples"] == 40 and m["generation_error"] == 0.0 and m["sma"] == 1.0
    assert set(m["wasserstein"]) == {"density", "n_elements", "n_disordered_sites"}
    recs = [json.loads(l) for l in (kde_samples / "samples.jsonl").read_text().splitlines()]
    assert len(recs) == 40 and all(len(r["latent"]) == 256 for r in recs)
    assert len(list((kde_samples / "cifs").glob("*.cif"))) == 40
    assert (tiny_run / "samplers.npz").exists() and (tiny_run / "decoding.json").exists()


def test_cifs_parse_to_declared_space_group(kde_samples):
    from pymatgen.io.cif import CifParser
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer
    recs = [json.loads(l) for l in (kde_samples / "samples.jsonl").read_text().splitlines()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r in recs:
            s = CifParser(kde_samples / "cifs" / f"{r['id']}.cif").parse_structures(primitive=False)[0]
            assert SpacegroupAnalyzer(s, symprec=1e-3).get_space_group_number() == r["crystal"]["space_group"], r["id"]
            n_points = sum(site["multiplicity"] for site in r["crystal"]["sites"])
            assert len(s) == n_points


def test_same_seed_same_samples(kde_samples, tiny_run, tmp_path):
    r = run("sample", "--checkpoint", tiny_run / "best.pt", "--sampler", "kde", "--n", 40, "--seed", 3, "--out", tmp_path,
            "--quiet", "--no-novelty")
    assert r.returncode == 0, r.stderr
    a = [json.loads(l)["crystal"] for l in (kde_samples / "samples.jsonl").read_text().splitlines()]
    b = [json.loads(l)["crystal"] for l in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert a == b


@pytest.mark.parametrize("sampler", ["gmm", "gaussian", "test"])
def test_other_samplers_and_raw_mode(sampler, tiny_run, tmp_path):
    for mode in ("constrained", "raw"):
        out = tmp_path / mode
        r = run("sample", "--checkpoint", tiny_run / "best.pt", "--sampler", sampler, "--n", 20, "--mode", mode,
                "--out", out, "--quiet", "--no-novelty")
        assert r.returncode == 0, r.stderr
        m = json.loads((out / "metrics.json").read_text())
        assert m["n_samples"] == 20
        if mode == "constrained": assert m["generation_error"] == 0.0 and m["n_decoded"] == 20
        else:
            assert m["generation_error"] == pytest.approx(1 - m["n_decoded"] / 20)
            assert m["n_decoded"] == len(list((out / "cifs").glob("*.cif")))
            assert sum(m["discarded"].values()) == 20 - m["n_decoded"]


def test_sample_bad_input(tiny_run, tmp_path):
    r = run("sample", "--checkpoint", tmp_path / "none.pt", "--out", tmp_path / "o")
    assert r.returncode == 2 and "no such checkpoint" in r.stderr
    r = run("sample", "--checkpoint", tiny_run / "best.pt", "--n", 0, "--out", tmp_path / "o")
    assert r.returncode == 2 and "argument --n: 0 must be at least 1" in r.stderr
    import torch
    if not torch.cuda.is_available():                        # a device this machine lacks: one line, nothing written
        r = run("sample", "--checkpoint", tiny_run / "best.pt", "--device", "cuda", "--out", tmp_path / "o")
        assert r.returncode == 2 and "PyTorch sees no CUDA device" in r.stderr.strip().splitlines()[-1] and not (tmp_path / "o").exists()
    copy = tmp_path / "run"
    shutil.copytree(tiny_run, copy)
    (copy / "samplers.npz").write_bytes(b"garbage")          # a corrupt sampler file is refitted, not trusted
    r = run("sample", "--checkpoint", copy / "best.pt", "--n", 5, "--out", tmp_path / "o2", "--quiet", "--no-novelty")
    assert r.returncode == 0, r.stderr
    (copy / "train_config.json").unlink()
    (copy / "samplers.npz").unlink()
    r = run("sample", "--checkpoint", copy / "best.pt", "--n", 5, "--out", tmp_path / "o3")
    assert r.returncode == 2 and "pass --data" in r.stderr


def test_condition_command(tiny_run, tmp_path):
    r = run("condition", "--checkpoint", tiny_run / "best.pt", "--spacegroup", 62, "--elements", "Li,P,O",
            "--disordered-sites", 1, "--occupancy", "Li:0.5", "--n", 4, "--steps", 20, "--out", tmp_path, "--quiet")
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert set(m["per_condition"]) == {"space_group", "elements", "disordered_sites", "occupancy"}
    recs = [json.loads(l) for l in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert m["success_rate"] == pytest.approx(np.mean([r["checks"]["success"] for r in recs]))
    for args, msg in ((["--elements", "Li,Qq"], "unknown element 'Qq'"), (["--occupancy", "Li:2"], "not in (0, 1]"),
                      (["--elements", "Li,O", "--site-element", "Fe"], "not in the element set"),
                      (["--disordered-sites", "12"], "0..9"), (["--disordered-sites", "-1"], "must be at least 0")):
        r = run("condition", "--checkpoint", tiny_run / "best.pt", *args, "--out", tmp_path / "x")
        assert r.returncode == 2 and msg in r.stderr, (args, r.stderr)


def test_commensurate_occupancies_from_the_command_line(tmp_path):
    "--commensurate 2x2x2: every site's count in the supercell is whole; a bad supercell is a usage error, nothing made."
    r = run("sample", "--n", 12, "--commensurate", "2x2x2", "--out", tmp_path / "c", "--quiet", "--no-novelty")
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "c" / "metrics.json").read_text())
    rounding = m["repairs"]["commensurate"]
    assert m["commensurate"] == rounding["supercell"] == [2, 2, 2] and 0 <= rounding["max_change"] < 1 / 8
    for line in (tmp_path / "c" / "samples.jsonl").read_text().splitlines():
        rec = json.loads(line)
        for site in (rec["crystal"] or {"sites": []})["sites"]:
            counts = [v * site["multiplicity"] * 8 for v in site["occupancy"].values()]
            assert np.allclose(counts, np.round(counts), atol=1e-9), site
    r = run("sample", "--n", 12, "--commensurate", "2x0x2", "--out", tmp_path / "d", "--quiet")
    assert r.returncode == 2 and "NxNxN" in r.stderr and not (tmp_path / "d").exists()


def test_relief_from_the_command_line(tmp_path):
    """--relief: the same samples keep their space groups, letters and occupancies, and their shortest contacts, read
    back from the CIFs by pymatgen and measured against ASE's covalent radii, are longer than with --relief 0."""
    from ase.data import covalent_radii, atomic_numbers
    from pymatgen.io.cif import CifParser
    runs = {}
    for relief in ("0", "0.9"):
        out = tmp_path / relief
        r = run("sample", "--n", 30, "--relief", relief, "--out", out, "--quiet", "--no-novelty")
        assert r.returncode == 0, r.stderr
        runs[relief] = {json.loads(l)["id"]: json.loads(l) for l in (out / "samples.jsonl").read_text().splitlines()}
    plain, eased = runs["0"], runs["0.9"]
    assert sorted(plain) == sorted(eased)
    def shortest(folder, rec):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = CifParser(folder / rec["cif"]).parse_structures(primitive=False)[0]
        radius = lambda site: max(covalent_radii[atomic_numbers[el.symbol]] for el in site.species)
        occupied = lambda site: sum(site.species.values())
        d = s.distance_matrix
        return min((d[i, j] / (radius(s[i]) + radius(s[j])) for i in range(len(s)) for j in range(i + 1, len(s))
                    if occupied(s[i]) + occupied(s[j]) > 1 + 1e-6), default=np.inf)
    ratios = []
    for cid, a in plain.items():
        b = eased[cid]
        if a["crystal"] is None: continue
        assert b["crystal"]["space_group"] == a["crystal"]["space_group"]
        assert [(x["letter"], x["occupancy"]) for x in b["crystal"]["sites"]] == [(x["letter"], x["occupancy"]) for x in a["crystal"]["sites"]]
        ratios.append((shortest(tmp_path / "0", a), shortest(tmp_path / "0.9", b)))
    before, after = np.array(ratios).T
    assert (after >= before - 0.02).mean() >= 0.9 and np.median(after) > np.median(before), (np.median(before), np.median(after))
    for bad in ("-0.1", "1.5", "nan"):
        r = run("sample", "--n", 2, "--relief", bad, "--out", tmp_path / "bad")
        assert r.returncode == 2 and "--relief" in r.stderr and not (tmp_path / "bad").exists(), r.stderr


def test_charge_balance_from_the_command_line(tmp_path):
    "--charge-balance: every kept crystal is neutral by SMACT's states (the balancing used pymatgen's); the rest counted."
    from dis_csp.crystals.crystal import WyckoffCrystal
    from dis_csp.crystals.chemistry import charge_neutral
    r = run("sample", "--n", 30, "--charge-balance", "--out", tmp_path / "b", "--quiet", "--no-novelty")
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "b" / "metrics.json").read_text())
    recs = [json.loads(l) for l in (tmp_path / "b" / "samples.jsonl").read_text().splitlines()]
    kept = [WyckoffCrystal.from_dict(r["crystal"]) for r in recs if r["crystal"]]
    assert all(charge_neutral(x.composition) for x in kept)
    balance = m["repairs"]["charge_balance"]
    assert m["charge_balance"] is True and balance["unbalanced"] == m["discarded"].get("charge_unbalanced", 0) == \
        sum(r["discarded"] == "charge_unbalanced" for r in recs)
    assert 0 <= balance["max_change"] <= 0.25 and m["charge_neutral"] == 1.0


def test_framework_novelty_is_at_most_novelty(full_dataset, tmp_path):
    "--framework-novelty: a crystal new only by its species is not framework-novel, so the share cannot exceed novelty."
    r = run("sample", "--n", 15, "--data", full_dataset, "--framework-novelty", "--out", tmp_path / "f", "--quiet")
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "f" / "metrics.json").read_text())
    recs = [json.loads(l)["checks"] for l in (tmp_path / "f" / "samples.jsonl").read_text().splitlines()]
    assert 0 <= m["novelty_framework"] <= m["novelty"] and m["matcher_errors"]["framework"] == 0
    assert all(c["novel"] or not c["novel_framework"] for c in recs if c)


def test_sample_relax_from_the_command_line(tmp_path):
    "--relax N: the first N samples relaxed into relaxed/ with group, letters and occupancies kept; new samples drop it."
    from pymatgen.core import Structure
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer
    from dis_csp.crystals.crystal import WyckoffCrystal
    r = run("sample", "--n", 6, "--relax", 1, "--relax-steps", 3, "--out", tmp_path / "r", "--quiet", "--no-novelty")
    assert r.returncode == 0, r.stderr
    assert "relaxation (CHGNet)" in r.stdout
    s = json.loads((tmp_path / "r" / "relaxed" / "summary.json").read_text())
    assert s["n"] == 1 and s["plausibility_after"]["n"] == 1
    first = next(WyckoffCrystal.from_dict(json.loads(l)["crystal"]) for l in (tmp_path / "r" / "samples.jsonl").read_text().splitlines()
                 if json.loads(l)["crystal"])
    relaxed = WyckoffCrystal.from_dict(json.loads((tmp_path / "r" / "relaxed" / "relaxed.jsonl").read_text().splitlines()[0])["crystal"])
    assert relaxed.space_group == first.space_group and [(t.letter, t.occupancy) for t in relaxed.sites] == \
        [(t.letter, t.occupancy) for t in first.sites]
    cif = next((tmp_path / "r" / "relaxed" / "cifs").glob("*.cif"))    # read back outside dis-csp's code
    assert SpacegroupAnalyzer(Structure.from_file(cif), symprec=1e-2).get_space_group_number() == first.space_group
    r = run("sample", "--n", 5, "--out", tmp_path / "r", "--quiet", "--no-novelty")       # other samples: their relaxation goes
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "r" / "relaxed").exists()


def test_condition_relax_from_the_command_line(tmp_path):
    "condition --relax 1: the first candidate relaxed into relaxed/, its group and occupancies kept."
    from dis_csp.crystals.crystal import WyckoffCrystal
    r = run("condition", "--spacegroup", 225, "--elements", "Cu,Au", "--disordered-sites", 1, "--n", 2, "--steps", 30,
            "--relax", 1, "--relax-steps", 3, "--out", tmp_path / "c", "--quiet")
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "c" / "relaxed" / "summary.json").read_text())
    assert s["n"] == 1 and s["symmetry_kept"] in (1.0, None)
    first = WyckoffCrystal.from_dict(next(json.loads(l)["crystal"] for l in (tmp_path / "c" / "samples.jsonl").read_text().splitlines()))
    rec = json.loads((tmp_path / "c" / "relaxed" / "relaxed.jsonl").read_text().splitlines()[0])
    if rec["crystal"]:
        relaxed = WyckoffCrystal.from_dict(rec["crystal"])
        assert relaxed.space_group == first.space_group and [t.occupancy for t in relaxed.sites] == [t.occupancy for t in first.sites]
    else: assert rec["row"]["problem"].startswith("not_relaxed")
