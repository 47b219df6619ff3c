"""The literate source and the package agree; the repository is laid out as nbdev 3 expects."""
import shutil, subprocess, sys, filecmp
from pathlib import Path
from conftest import ROOT

def test_no_settings_ini_and_nbdev_config():
    assert not (ROOT / "settings.ini").exists()
    text = (ROOT / "pyproject.toml").read_text()
    assert "[tool.nbdev]" in text and 'allowed_cell_metadata_keys = ["tags"]' in text and 'tst_flags = "slow gpu"' in text
    assert (ROOT / "nbs" / "_quarto.yml").exists() and (ROOT / "nbs" / "index.ipynb").exists()

def test_nbdev_export_leaves_no_diff(tmp_path):
    "Exporting the notebooks into a copy of the repository gives the committed package, byte for byte."
    for name in ["nbs", "dis_csp", "pyproject.toml"]:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    shutil.rmtree(tmp_path / "dis_csp" / "__pycache__", ignore_errors=True)
    exe = Path(sys.executable).parent / "nbdev-export"
    subprocess.run([str(exe)], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    cmp = filecmp.dircmp(ROOT / "dis_csp", tmp_path / "dis_csp", ignore=["__pycache__"])
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only, (cmp.diff_files, cmp.left_only, cmp.right_only)

def test_nbdev_clean_leaves_no_diff(tmp_path):
    shutil.copytree(ROOT / "nbs", tmp_path / "nbs"); shutil.copy(ROOT / "pyproject.toml", tmp_path)
    exe = Path(sys.executable).parent / "nbdev-clean"
    subprocess.run([str(exe)], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    for nb in (ROOT / "nbs").rglob("*.ipynb"):
        assert nb.read_text() == (tmp_path / nb.relative_to(ROOT)).read_text(), nb


def _stages():
    "Each module's notebook stem (its place in the pipeline), from the notebooks' default_exp."
    import json, re
    out = {}
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        m = re.search(r"default_exp (\w+)", "".join(json.loads(nb.read_text())["cells"][0]["source"]))
        if m: out[m.group(1)] = nb.stem
    return out


def test_no_module_imports_a_later_stage():
    "A module imports only modules of earlier notebooks (functions' own imports included), so the pipeline reads in order."
    import re
    stages = _stages()
    later = {}
    for mod, stem in stages.items():
        text = (ROOT / "dis_csp" / f"{mod}.py").read_text()
        deps = {a or b for a, b in re.findall(r"from (?:dis_csp)?\.?(\w+) import|import dis_csp\.(\w+)", text)} & set(stages)
        if bad := sorted(d for d in deps if stages[d] > stem and d != mod): later[mod] = bad
    assert not later, later


def test_functions_are_short():
    "No function of the package is longer than 60 lines."
    import ast
    long = []
    for path in (ROOT / "dis_csp").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 60:
                long.append(f"{path.name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)")
    assert not long, long


def test_library_notebooks_show_their_results():
    "Every library notebook is committed with outputs (a reader sees results without running it), each small."
    import json
    bare, big = [], []
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        if not any(c.get("outputs") for c in cells if c["cell_type"] == "code"): bare.append(nb.name)
        if nb.stat().st_size > 400_000: big.append((nb.name, nb.stat().st_size))
    assert not bare, f"notebooks without outputs (python tools/save_notebook_outputs.py): {bare}"
    assert not big, big


def test_readme_is_made_from_the_index_notebook():
    import subprocess, sys
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "make_readme.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = (ROOT / "README.md").read_text()
    assert "session" not in text.lower(), "the README describes the current state; history goes to CHANGELOG.md"
