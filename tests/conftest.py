import gzip, json, shutil, subprocess, sys
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

def shared_copy(made: Path, tmp_path_factory, name: str) -> Path:
    "A private copy of a folder from the shared cache (tests may write into theirs)."
    return Path(shutil.copytree(made, tmp_path_factory.mktemp(name) / made.name))


@pytest.fixture(scope="session")
def sample_dataset(tmp_path_factory):
    "The 200-entry sample, featurized (the shared demo run's dataset)."
    from dis_csp.generation.run import tiny_demo_run
    return shared_copy(tiny_demo_run().parent / "dataset", tmp_path_factory, "ds")


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    "A run of the tiny preset (3 epochs) on the sample: a copy of the shared demo run (`dis-csp train` has its own tests)."
    from dis_csp.generation.run import tiny_demo_run
    return shared_copy(tiny_demo_run(), tmp_path_factory, "run")


@pytest.fixture(scope="session")
def full_dataset():
    "The embedded collection, featurized (what the shipped model was trained and is tested on): made once per version of the code, read only."
    from dis_csp.crystals.dataset import collection_dataset
    return collection_dataset(COLLECTION, progress=False)
