"""`dis-csp predict` as a user runs it: hand-built queries, bad input, the output folder, and matches checked with
pymatgen alone (CIFs read back by pymatgen's parser, its StructureMatcher with a comparator written here)."""
import json
from pathlib import Path
import pytest
from conftest import run


def _rows(out: Path) -> list[dict]:
    return [json.loads(l) for l in (out / "predictions.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def predicted(tmp_path_factory):
    out = tmp_path_factory.mktemp("predict") / "p"
    r = run("predict", "NaCl", "Li0.5Na0.5Cl", "LiCo0.97Ni0.03O2", "--n", 5, "--device", "cpu", "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    return out, r.stdout


def _structure(out: Path, row: dict):
    "The candidate's CIF as pymatgen reads it (no dis-csp code)."
    from pymatgen.io.cif import CifParser
    return CifParser(str(out / row["cif"]), occupancy_tolerance=1.05).parse_structures(primitive=False)[0]


def _pymatgen_matcher():
    "StructureMatcher(stol=0.5, ltol=0.3, angle_tol=10) with sites equal when same elements, occupancies within 0.1."
    from pymatgen.analysis.structure_matcher import StructureMatcher, AbstractComparator

    class SameOccupancies(AbstractComparator):
        def are_equal(self, a, b):
            return {str(e) for e in a.elements} == {str(e) for e in b.elements} and all(abs(a[e] - b[e]) <= 0.1 for e in a.elements)
        def get_hash(self, composition): return frozenset(str(e) for e in composition.elements)
    return StructureMatcher(stol=0.5, ltol=0.3, angle_tol=10, comparator=SameOccupancies())


def test_rock_salt_first(predicted):
    from pymatgen.core import Lattice, Structure
    out, _ = predicted
    rows = [r for r in _rows(out) if r["formula"] == "NaCl"]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1)) and rows[0]["space_group"] == 225
    rock_salt = Structure.from_spacegroup(225, Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert _pymatgen_matcher().fit(rock_salt, _structure(out, rows[0]))


def test_mixed_cation_shares_one_site(predicted):
    from pymatgen.core import Lattice, Structure
    out, _ = predicted
    best = next(r for r in _rows(out) if r["formula"] == "Li0.5Na0.5Cl" and r["rank"] == 1)
    assert best["space_group"] == 225 and best["composition_error"] < 1e-6
    shared = [s["occupancy"] for s in best["crystal"]["sites"] if s["disordered"]]
    assert shared == [{"Li": 0.5, "Na": 0.5}] or shared == [{"Na": 0.5, "Li": 0.5}]
    truth = Structure.from_spacegroup(225, Lattice.cubic(5.4), [{"Li": 0.5, "Na": 0.5}, "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert _pymatgen_matcher().fit(truth, _structure(out, best))


def test_dopant_is_a_partial_occupancy_of_the_host_site(predicted):
    from pymatgen.core import Lattice, Structure
    out, _ = predicted
    best = next(r for r in _rows(out) if r["formula"] == "LiCo0.97Ni0.03O2" and r["rank"] == 1)
    assert best["space_group"] == 166                                          # the layered host kept
    co = [s for s in best["crystal"]["sites"] if "Co" in s["occupancy"]]
    assert len(co) == 1 and co[0]["occupancy"] == {"Co": 0.97, "Ni": 0.03}     # Ni on the Co site, no new site
    layered = Structure.from_spacegroup(166, Lattice.hexagonal(2.82, 14.05), ["Li", {"Co": 0.97, "Ni": 0.03}, "O"],
                                        [[0, 0, 0], [0, 0, 0.5], [0, 0, 0.26]])
    assert _pymatgen_matcher().fit(layered, _structure(out, best))


def test_outputs_as_described(predicted):
    out, stdout = predicted
    rows = _rows(out)
    for r in rows:
        assert {"id", "formula", "rank", "cif", "space_group", "composition_error", "score", "score_parts", "source"} <= set(r)
        assert (out / r["cif"]).is_file() and r["composition_error"] < 1e-6
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_queries"] == 3 and metrics["answered"] == 3 and "answered" in stdout
    page = (out / "index.html").read_text()
    assert "LiCo0.97Ni0.03O2" in page and "Plotly.newPlot" in page


def test_probability_and_confidence(predicted):
    "Every candidate carries its chance of being the structure; rock salt is a likely first answer for NaCl."
    out, stdout = predicted
    rows = _rows(out)
    assert all(0.0 <= r["probability"] <= 1.0 and r["confidence"] in ("high", "low") for r in rows)
    nacl = [r for r in rows if r["formula"] == "NaCl"]
    assert nacl[0]["probability"] > max(r["probability"] for r in nacl[1:]) and nacl[0]["confidence"] == "high"
    assert nacl[0]["confidence_reason"] is None and '"low_confidence": 0' in stdout


def test_low_confidence_says_why(tmp_path):
    "A composition no known structure type fits is answered, flagged low with the reason; no candidate at all is low too."
    r = run("predict", "Pu3Tc2At", "NaCl", "--spacegroup", 225, "--routes", "templates", "--n", 3, "--out", tmp_path / "o", "--quiet")
    assert r.returncode == 0, r.stderr
    rows = {}
    for x in _rows(tmp_path / "o"): rows.setdefault(x["formula"], x)
    odd = rows["Pu3Tc2At"]
    assert odd["confidence"] == "low" and odd["probability"] < 0.3, odd
    assert odd["confidence_reason"].startswith(("no known structure type fits", "no_candidate")), odd["confidence_reason"]
    assert rows["NaCl"]["confidence"] == "high"
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert metrics["low_confidence"] + metrics["problems"].get("no_candidate", 0) == 1
    assert "low confidence" in (tmp_path / "o" / "index.html").read_text()


def test_candidates_are_distinct(predicted):
    out, _ = predicted
    m = _pymatgen_matcher()
    rows = [r for r in _rows(out) if r["formula"] == "LiCo0.97Ni0.03O2"]
    structures = [_structure(out, r) for r in rows]
    for i in range(len(structures)):
        for j in range(i + 1, len(structures)):
            if len(structures[i]) == len(structures[j]): assert not m.fit(structures[i], structures[j]), (i, j)


def test_bad_queries_are_problems_and_the_rest_continues(tmp_path):
    (tmp_path / "q.csv").write_text("id,formula\ngood,KBr\nxx,Li2Xx\nzero,Li0O\nneg,Li-1O\nparen,(LiO\nbig,LiNaKRbCsMgCaSrBaO\n")
    r = run("predict", "--formulas", tmp_path / "q.csv", "--routes", "templates", "--n", 2, "--max-atoms", 8,
            "--out", tmp_path / "o", "--quiet")
    assert r.returncode == 0, r.stderr
    rows = {}
    for x in _rows(tmp_path / "o"): rows.setdefault(x["id"], x)                # each query's first row
    assert rows["good"]["rank"] == 1 and rows["good"]["space_group"] == 225
    for qid, why in (("xx", "unknown element 'Xx'"), ("zero", "not positive"), ("neg", "not positive"), ("paren", "unbalanced"),
                     ("big", "more than 8 atoms")):
        assert rows[qid]["rank"] is None and why in rows[qid]["problem"], (qid, rows[qid]["problem"])
    assert json.loads((tmp_path / "o" / "metrics.json").read_text())["problems"] == {"bad_formula": 4, "too_many_atoms": 1}


def test_bad_files_and_options_are_one_line(tmp_path):
    (tmp_path / "empty.txt").write_text("\n")
    (tmp_path / "dup.csv").write_text("id,formula\na,NaCl\na,KCl\n")
    (tmp_path / "cols.csv").write_text("name,formula\na,NaCl\n")
    for args, why in (((), "no query"), (("--formulas", tmp_path / "empty.txt"), "no query"),
                      (("--formulas", tmp_path / "dup.csv"), "duplicate id 'a'"), (("--formulas", tmp_path / "cols.csv"), "id,formula"),
                      (("--formulas", tmp_path / "none.csv"), "cannot read"), (("NaCl", "--routes", "magic"), "routes must be"),
                      (("NaCl", "--n", "0"), "must be at least 1"), (("NaCl", "--device", "tpu"), "not a device PyTorch knows")):
        r = run("predict", *args, "--out", tmp_path / "o")
        last = r.stderr.strip().splitlines()[-1]                               # argparse's usage lines, then one error line
        assert r.returncode == 2 and last.startswith("dis-csp predict: error:") and why in last, (args, r.stderr)
    assert not (tmp_path / "o").exists()                                       # refused before anything is made


def test_output_folder_policy_and_resume(tmp_path):
    (tmp_path / "mine").mkdir(); (tmp_path / "mine" / "notes.txt").write_text("mine")
    r = run("predict", "NaCl", "--routes", "templates", "--out", tmp_path / "mine", "--quiet")
    assert r.returncode == 2 and (tmp_path / "mine" / "notes.txt").read_text() == "mine"
    r = run("predict", "NaCl", "KCl", "--routes", "templates", "--n", 3, "--out", tmp_path / "o", "--quiet")
    assert r.returncode == 0, r.stderr
    stamp = (tmp_path / "o" / "done" / "NaCl.json").stat().st_mtime_ns
    r = run("predict", "NaCl", "KCl", "--routes", "templates", "--n", 3, "--out", tmp_path / "o", "--quiet")
    assert r.returncode == 0 and (tmp_path / "o" / "done" / "NaCl.json").stat().st_mtime_ns == stamp   # resumed
