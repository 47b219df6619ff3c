"""The console script as a user runs it."""
import json, re, subprocess, sys, shutil
from pathlib import Path
import dis_csp
from conftest import ROOT, SAMPLE

def run(*args):
    exe = shutil.which("dis-csp") or str(Path(sys.executable).parent / "dis-csp")
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=300)

def test_help_and_version():
    r = run("--help")
    assert r.returncode == 0 and "usage: dis-csp" in r.stdout and "summary" in r.stdout
    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"dis-csp {dis_csp.__version__}"
    newest = re.search(r"^## (\d+\.\d+\.\d+)", (ROOT / "CHANGELOG.md").read_text(), re.M).group(1)
    assert dis_csp.__version__ == newest, "the version is the newest release of CHANGELOG.md"

def test_summary_command():
    r = run("summary", str(SAMPLE))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["n_cifs"] == 200

def test_bad_source_is_one_clear_line():
    r = run("summary", "/no/such/collection.jsonl.gz")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "/no/such/collection.jsonl.gz: no such file or folder" in r.stderr


def test_relax_command(tmp_path):
    from dis_csp.crystals.crystal import WyckoffCrystal, WyckoffSite
    from dis_csp.crystals.reconstruct import to_cif
    r = run("relax", str(tmp_path / "none"), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "no such file or folder" in r.stderr and "Traceback" not in r.stderr
    r = run("relax", str(tmp_path), "--out", str(tmp_path / "o"), "--ensemble", "0")
    assert r.returncode == 2 and "--ensemble" in r.stderr
    (tmp_path / "cifs").mkdir()
    aln = WyckoffCrystal(186, (3.2, 3.2, 5.0, 90.0, 90.0, 120.0), [WyckoffSite("b", 2, (1 / 3, 2 / 3, 0), {"Al": 1.0}, False),
                                                                   WyckoffSite("b", 2, (1 / 3, 2 / 3, 0.36), {"N": 1.0}, False)], id="AlN")
    (tmp_path / "cifs" / "AlN.cif").write_text(to_cif(aln))
    r = run("relax", str(tmp_path / "cifs"), "--out", str(tmp_path / "o"), "--ensemble", "1", "--steps", "10", "--no-score", "--quiet")
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["n"] == 1 and s["symmetry_kept"] == 1.0 and s["median_energy_drop"] > 0
    from pymatgen.core import Structure                      # read back and checked outside dis-csp's code
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer
    st = Structure.from_file(tmp_path / "o" / "cifs" / "AlN.cif")
    assert SpacegroupAnalyzer(st, symprec=1e-3).get_space_group_number() == 186 and st.composition.reduced_formula == "AlN"


def test_screen_command(tmp_path):
    "dis-csp screen: crystals ranked by their cells' relaxation drop; a misplaced crystal after the real one; bad options refused."
    from dis_csp.crystals.crystal import WyckoffCrystal, WyckoffSite
    from dis_csp.crystals.reconstruct import to_cif
    (tmp_path / "cifs").mkdir()
    sites = lambda z: [WyckoffSite("b", 2, (1 / 3, 2 / 3, 0), {"Al": 0.5, "Ga": 0.5}, True), WyckoffSite("b", 2, (1 / 3, 2 / 3, z), {"N": 1.0}, False)]
    for name, z in (("AlGaN", 0.38), ("AlGaN_misplaced", 0.26)):      # N 0.6 Å off its place in the second
        (tmp_path / "cifs" / f"{name}.cif").write_text(to_cif(WyckoffCrystal(186, (3.2, 3.2, 5.1, 90.0, 90.0, 120.0), sites(z), id=name)))
    r = run("screen", str(tmp_path / "cifs"), "--cells", "2", "--out", str(tmp_path / "o"), "--quiet")
    assert r.returncode == 0, r.stderr
    lines = (tmp_path / "o" / "screen.csv").read_text().splitlines()
    assert lines[1].startswith("AlGaN,") and lines[2].startswith("AlGaN_misplaced,")
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["screened"] == 2 and (tmp_path / "o" / "screen.html").exists()
    r = run("screen", str(tmp_path / "cifs"), "--cells", "0", "--out", str(tmp_path / "o2"))
    assert r.returncode == 2 and "--cells" in r.stderr and "Traceback" not in r.stderr
