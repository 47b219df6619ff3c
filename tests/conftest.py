import gzip, json
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
