"""The literate source and the package agree; the repository is laid out as nbdev 3 expects; the package reads in
wings that follow the pipeline, each importing only the wings below it; notebooks, benchmarks and tools stay usable."""
import ast, json, re, shutil, subprocess, sys, filecmp
from pathlib import Path
import pytest
from conftest import ROOT

WINGS = ["core", "outputs", "crystals", "model", "physics", "generation", "present", "cli"]   # the pipeline, bottom up
LIBRARY_NOTEBOOKS = sorted(p for p in (ROOT / "nbs").rglob("*.ipynb")
                           if not {"paper", "tutorials"} & set(p.relative_to(ROOT / "nbs").parts) and p.name != "index.ipynb")
MODULES = sorted(p for p in (ROOT / "dis_csp").rglob("*.py") if not p.name.startswith("_"))


def _name(path: Path) -> str:
    "The dotted module name of a file of the package (without the `dis_csp.` prefix)."
    return ".".join(path.relative_to(ROOT / "dis_csp").with_suffix("").parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    "(module imported, names taken from it) for every import of a dis-csp module in `path` (functions' own included)."
    out, here = [], _name(path).split(".")
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:                                  # relative: resolve against the module's package
                base = here[:len(here) - node.level]
                mod = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("dis_csp."): mod = node.module[len("dis_csp."):]
            else: continue
            out.append((mod, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(a.name[len("dis_csp."):], []) for a in node.names if a.name.startswith("dis_csp.")]
    return out


def _stages() -> dict[str, str]:
    "Each module's notebook (its place in the pipeline, by path), from the notebooks' default_exp."
    out = {}
    for nb in LIBRARY_NOTEBOOKS:
        m = re.search(r"default_exp ([\w.]+)", "".join(json.loads(nb.read_text())["cells"][0]["source"]))
        if m: out[m.group(1)] = nb.relative_to(ROOT / "nbs").as_posix()
    return out


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
    for cache in (tmp_path / "dis_csp").rglob("__pycache__"): shutil.rmtree(cache)
    exe = Path(sys.executable).parent / "nbdev-export"
    subprocess.run([str(exe)], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    for left in [ROOT / "dis_csp", *[p for p in (ROOT / "dis_csp").iterdir() if p.is_dir() and p.name in WINGS]]:
        cmp = filecmp.dircmp(left, tmp_path / left.relative_to(ROOT), ignore=["__pycache__", "models"])
        assert not cmp.diff_files and not cmp.left_only and not cmp.right_only, (left.name, cmp.diff_files, cmp.left_only, cmp.right_only)


def test_nbdev_clean_leaves_no_diff(tmp_path):
    shutil.copytree(ROOT / "nbs", tmp_path / "nbs"); shutil.copy(ROOT / "pyproject.toml", tmp_path)
    exe = Path(sys.executable).parent / "nbdev-clean"
    subprocess.run([str(exe)], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    for nb in (ROOT / "nbs").rglob("*.ipynb"):
        assert nb.read_text() == (tmp_path / nb.relative_to(ROOT)).read_text(), nb


def test_every_module_lives_in_a_wing():
    "The package is its wings and the CLI: no module stands outside them."
    for path in MODULES:
        assert _name(path).split(".")[0] in WINGS, _name(path)


def test_a_wing_imports_only_the_wings_below_it():
    "crystals -> model -> physics -> generation -> present -> cli (core and outputs under all): imports never run upwards."
    wrong = []
    for path in MODULES:
        rank = WINGS.index(_name(path).split(".")[0])
        for mod, _ in _imports(path):
            if WINGS.index(mod.split(".")[0]) > rank: wrong.append(f"{_name(path)} imports {mod}")
    assert not wrong, wrong


def test_no_module_imports_a_later_stage():
    "Inside a wing too, a module imports only modules of earlier notebooks, so the pipeline reads in order."
    stages, later = _stages(), {}
    assert set(stages) == {_name(p) for p in MODULES}, set(stages) ^ {_name(p) for p in MODULES}
    for path in MODULES:
        mod = _name(path)
        bad = sorted({m for m, _ in _imports(path) if m in stages and stages[m] > stages[mod] and m != mod})
        if bad: later[mod] = bad
    assert not later, later


def test_no_module_imports_another_modules_private_name():
    "A name that starts with an underscore is its module's own: no other module imports it."
    crossing = [f"{_name(p)}: {mod}.{n}" for p in MODULES for mod, names in _imports(p) for n in names
                if n.startswith("_") and mod != _name(p)]
    assert not crossing, crossing


def _functions():
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)): yield path, node


def test_functions_are_short():
    "No function of the package is longer than 60 lines."
    long = [f"{_name(p)}:{f.name} ({f.end_lineno - f.lineno + 1} lines)" for p, f in _functions() if f.end_lineno - f.lineno + 1 > 60]
    assert not long, long


def test_no_function_takes_more_than_eight_parameters():
    "Settings travel as records (DecodeSettings, SampleRequest, Ensemble ...), not as a dozen loose arguments."
    many = []
    for p, f in _functions():
        a = f.args
        names = [x.arg for x in a.posonlyargs + a.args]
        n = len(names) + len(a.kwonlyargs) + bool(a.vararg) + bool(a.kwarg) - (names[:1] in (["self"], ["cls"]))
        if n > 8: many.append(f"{_name(p)}:{f.name} ({n})")
    assert not many, many


def test_library_notebooks_show_their_results():
    "Every library notebook is committed with outputs (a reader sees results without running it), each small."
    bare = [nb.name for nb in LIBRARY_NOTEBOOKS
            if not any(c.get("outputs") for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code")]
    big = [(nb.name, nb.stat().st_size) for nb in LIBRARY_NOTEBOOKS if nb.stat().st_size > 400_000]
    assert not bare, f"notebooks without outputs (python tools/save_notebook_outputs.py): {bare}"
    assert not big, big


MACHINE = re.compile(r"/work/|/home/\w|/root/|/tmp/tmp|/private/var/|C:\\\\Users|\.venv/lib|site-packages")
WARNING = re.compile(r"\w*Warning:|WARNING \||\[W \d|warnings\.warn\(|FutureWarning|DeprecationWarning")


def test_notebooks_hold_no_machine_paths_or_environment_warnings():
    "Saved outputs show results, not where a notebook ran or what the environment complained about."
    found = []
    for nb in sorted((ROOT / "nbs").rglob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            for out in cell.get("outputs", []):
                text = "".join(out.get("text", [])) + "".join("".join(v) for k, v in out.get("data", {}).items() if k.startswith("text/"))
                for rx, what in ((MACHINE, "machine path"), (WARNING, "warning")):
                    if m := rx.search(text): found.append(f"{nb.relative_to(ROOT)} ({cell.get('id')}): {what} {m.group(0)!r}")
    assert not found, found


def test_an_export_cell_holds_one_idea():
    "An exported cell is at most about 40 lines: one function or class and its helpers."
    long = []
    for nb in LIBRARY_NOTEBOOKS:
        for cell in json.loads(nb.read_text())["cells"]:
            src = "".join(cell["source"])
            if cell["cell_type"] == "code" and src.startswith("#| export") and src.count("\n") + 1 > 45:
                long.append(f"{nb.relative_to(ROOT / 'nbs')} {cell.get('id')} ({src.count(chr(10)) + 1} lines)")
    assert not long, long


def test_readme_is_made_from_the_index_notebook():
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "make_readme.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = (ROOT / "README.md").read_text()
    assert "session" not in text.lower(), "the README describes the current state; history goes to CHANGELOG.md"
    assert len(text.splitlines()) <= 150, f"the README is {len(text.splitlines())} lines: a user reads it in five minutes"


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "bench").glob("*.py")) +
                         sorted("tools/" + p.name for p in (ROOT / "tools").glob("*.py")))
def test_scripts_compile(script):
    path = ROOT / (script if "/" in script else f"bench/{script}")
    compile(path.read_text(), str(path), "exec")
