import gzip, json, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "open_inorganic_cifs_sample200.jsonl.gz"
COLLECTION = ROOT / "data" / "open_inorganic_cifs.jsonl.gz"

@pytest.fixture(scope="session")
def sample_records():
    "The 200-entry sample as a list of JSON records."
    with gzip.open(SAMPLE, "rt") as f:
        return [json.loads(l) for l in f]

EXE = str(Path(sys.executable).parent / "dis-csp")

def run(*args, **kw):
    "Run the dis-csp console script; the CompletedProcess."
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=900, **kw)

def featurized(source, tmp_path_factory, name: str):
    "`source` featurized into a fresh folder (two worker processes)."
    d = tmp_path_factory.mktemp(name) / "dataset"
    r = run("featurize", source, "--out", d, "--quiet", "--processes", "2")
    assert r.returncode == 0, r.stderr
    return d

@pytest.fixture(scope="session")
def sample_dataset(tmp_path_factory):
    "The 200-entry sample, featurized."
    return featurized(SAMPLE, tmp_path_factory, "ds")

@pytest.fixture(scope="session")
def tiny_run(sample_dataset, tmp_path_factory):
    "A run of the tiny preset (3 epochs) on the sample."
    out = tmp_path_factory.mktemp("run") / "run"
    r = run("train", "--data", sample_dataset, "--out", out, "--preset", "tiny", "--quiet")
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="session")
def full_dataset(tmp_path_factory):
    "The embedded collection, featurized (what the shipped model was trained and is tested on)."
    return featurized(COLLECTION, tmp_path_factory, "full")
