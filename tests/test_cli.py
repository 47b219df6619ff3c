"""The console script as a user runs it."""
import json, subprocess, sys, shutil
from pathlib import Path
import dis_csp
from conftest import SAMPLE

def run(*args):
    exe = shutil.which("dis-csp") or str(Path(sys.executable).parent / "dis-csp")
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=300)

def test_help_and_version():
    r = run("--help")
    assert r.returncode == 0 and "usage: dis-csp" in r.stdout and "summary" in r.stdout
    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"dis-csp {dis_csp.__version__}"

def test_summary_command():
    r = run("summary", str(SAMPLE))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["n_cifs"] == 200

def test_bad_source_is_one_clear_line():
    r = run("summary", "/no/such/collection.jsonl.gz")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "/no/such/collection.jsonl.gz: no such file or folder" in r.stderr
