"""The CIF loader on all three source kinds and on each kind of bad input."""
import collections, gzip, hashlib, json, os
from pathlib import Path
import pytest
from dis_csp.crystals.data import iter_cifs, LoadReport, DataSourceError, summarize_source
from conftest import SAMPLE, COLLECTION, ROOT

CHECKSUMS = {  # also listed in data/README.md
    "open_inorganic_cifs.jsonl.gz": "2c91b71111187c96135a975d1cc6aea2e4025f94575d6f04406dda8d260a0f87",
    "open_inorganic_cifs_sample200.jsonl.gz": "071125c96869978af77debe2c82727df05fc875703cc0e1bcd2d3a884417830d",
}

@pytest.mark.parametrize("name", CHECKSUMS)
def test_embedded_data_checksums(name):
    path = ROOT / "data" / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == CHECKSUMS[name]
    assert CHECKSUMS[name] in (ROOT / "data" / "README.md").read_text()

def test_collection_counts():
    rep = LoadReport()
    ids = [cid for cid, _, _ in iter_cifs(COLLECTION, report=rep)]
    assert len(ids) == 8925 == rep.n_yielded and len(set(ids)) == 8925
    assert sum(rep.skipped.values()) == 0

def test_jsonl_metadata_and_text(sample_records):
    got = list(iter_cifs(SAMPLE))
    assert [g[0] for g in got] == [r["id"] for r in sample_records]
    cid, text, meta = got[3]
    assert text == sample_records[3]["cif_text"]
    assert meta["formula"] == sample_records[3]["formula"] and "cif_text" not in meta

def test_folder_recursive_and_single_file(tmp_path, sample_records):
    for i, r in enumerate(sample_records[:5]):
        sub = tmp_path / f"batch{i % 2}"
        sub.mkdir(exist_ok=True)
        (sub / f"{r['id']}.cif").write_text(r["cif_text"])
    rep = LoadReport()
    got = list(iter_cifs(tmp_path, report=rep))
    assert len(got) == 5 and rep.n_yielded == 5 and not rep.skipped
    assert {g[0] for g in got} == {f"batch{i % 2}/{r['id']}" for i, r in enumerate(sample_records[:5])}
    one = tmp_path / "batch0" / f"{sample_records[0]['id']}.cif"
    (cid, text, meta), = iter_cifs(one)
    assert cid == sample_records[0]["id"] and text == sample_records[0]["cif_text"] and meta["path"] == str(one)

def test_folder_reports_bad_files_and_keeps_good_ones(tmp_path, sample_records):
    (tmp_path / "good.cif").write_text(sample_records[0]["cif_text"])
    (tmp_path / "text.cif").write_text("this is not a crystallographic information file")
    (tmp_path / "random.cif").write_bytes(os.urandom(4096))
    (tmp_path / "empty.cif").write_bytes(b"")
    (tmp_path / "dangling.cif").symlink_to(tmp_path / "nowhere.cif")
    rep = LoadReport()
    got = list(iter_cifs(tmp_path, report=rep))
    assert [g[0] for g in got] == ["good"]
    assert rep.skipped == collections.Counter(not_cif=3, unreadable=1)
    assert {Path(w).name for w, _, _ in rep.details} == {"text.cif", "random.cif", "empty.cif", "dangling.cif"}
    assert "4 skipped" in str(rep) and "unreadable" in str(rep)

def test_missing_path_names_it(tmp_path):
    with pytest.raises(DataSourceError, match=r"nothing-here: no such file or folder"):
        list(iter_cifs(tmp_path / "nothing-here"))

@pytest.mark.parametrize("payload", [b"\x1f\x8b\x08\x00garbage-after-header", b"plain bytes, not gzip at all"])
def test_corrupt_gzip_names_the_file(tmp_path, payload):
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(payload)
    with pytest.raises(DataSourceError, match=r"bad\.jsonl\.gz: corrupt or truncated gzip"):
        list(iter_cifs(bad))

def test_truncated_gzip_yields_good_records_then_raises(tmp_path):
    data = SAMPLE.read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    got = []
    with pytest.raises(DataSourceError, match="cut.jsonl.gz: corrupt or truncated"):
        for item in iter_cifs(cut): got.append(item)
    assert 0 < len(got) < 200

def test_bad_lines_inside_a_collection_are_counted(tmp_path, sample_records):
    path = tmp_path / "mixed.jsonl.gz"
    with gzip.open(path, "wt") as f:
        f.write(json.dumps(sample_records[0]) + "\n")
        f.write("{not json\n")
        f.write(json.dumps({"id": "x"}) + "\n")
        f.write(json.dumps({"id": "y", "cif_text": "hello"}) + "\n")
        f.write(json.dumps(sample_records[1]) + "\n")
    rep = LoadReport()
    assert [g[0] for g in iter_cifs(path, report=rep)] == [sample_records[0]["id"], sample_records[1]["id"]]
    assert rep.skipped == collections.Counter(bad_record=2, not_cif=1)

def test_single_bad_files_raise_naming_them(tmp_path):
    txt = tmp_path / "notes.cif"; txt.write_text("hello")
    with pytest.raises(DataSourceError, match=r"notes\.cif: not a CIF"): list(iter_cifs(txt))
    rnd = tmp_path / "noise.cif"; rnd.write_bytes(os.urandom(1 << 20))
    with pytest.raises(DataSourceError, match=r"noise\.cif: not a CIF"): list(iter_cifs(rnd))
    link = tmp_path / "dangling.cif"; link.symlink_to(tmp_path / "gone.cif")
    with pytest.raises(DataSourceError, match=r"dangling\.cif: cannot be read"): list(iter_cifs(link))
    folder_as_file = tmp_path / "dir.cif"; folder_as_file.mkdir()
    assert list(iter_cifs(folder_as_file)) == []  # an (empty) folder, read as a folder

def test_summary_of_embedded_collection():
    s = summarize_source(COLLECTION)
    assert s["n_cifs"] == 8925 and s["by_database"] == {"COD": 614, "AMCSD": 8311}
    assert s["n_flagged_disordered"] == 2692 and s["skipped"] == {}
