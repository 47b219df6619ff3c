"""Every command, used as a careless or a hostile user would: nothing outside --out is written, nothing of the user's is
lost, every bad request ends in one line (exit 2 for a request to change, 1 for unusable content) within bounded time
and memory. Each test names the case of the reliability issue it covers."""
import gzip, hashlib, json, os, random, resource, signal, stat, subprocess, sys, time, uuid
from pathlib import Path
import pytest
from conftest import SAMPLE, EXE

MEMORY_GB = 3        # address-space cap of every command run here: a runaway allocation fails instead of swapping


def cli(*args, cwd=None, timeout=300, memory_gb=MEMORY_GB, env=None):
    "Run `dis-csp ARGS` with memory capped, umask 022 and a time limit; the CompletedProcess."
    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (memory_gb << 30, memory_gb << 30))
        os.umask(0o022)
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          preexec_fn=limits, env={**os.environ, **(env or {})})


def one_line_error(r, status: int, *needles):
    "The command failed with `status` and exactly one error line, holding every needle, and no traceback."
    assert r.returncode == status, (r.returncode, r.stdout[-500:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr, r.stderr
    errors = [l for l in r.stderr.splitlines() if ": error: " in l or l.startswith("usage:")]
    assert len([l for l in errors if ": error: " in l]) == 1, r.stderr
    line = next(l for l in r.stderr.splitlines() if ": error: " in l)
    for n in needles: assert n in line, (n, line)
    return line


def tree(root: Path) -> dict:
    "Every file under `root` with the SHA-256 of its content (to compare a folder before and after a command)."
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def sample_records(n=None):
    with gzip.open(SAMPLE, "rt") as f: recs = [json.loads(l) for l in f]
    return recs[:n] if n else recs


def write_collection(path: Path, records):
    with gzip.open(path, "wt") as f:
        for r in records: f.write(json.dumps(r) + "\n")
    return path


# 1. Path escape ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    "A tiny run on the sample whose ids are path tricks (../, absolute, empty, very long, control characters)."
    d = tmp_path_factory.mktemp("hostile")
    token = uuid.uuid4().hex[:8]
    tricks = ["../../escape_{i}", f"/tmp/dis_csp_abs_{token}_{{i}}", "a/../../b_{i}", "x\n{i}", "..{i}/..", "{i}" + "y" * 300,
              "CON{i}", " {i} "]
    recs = sample_records()
    for i, r in enumerate(recs): r["id"] = tricks[i % len(tricks)].format(i=i)
    src = write_collection(d / "hostile.jsonl.gz", recs)
    assert cli("featurize", src, "--out", d / "ds", "--quiet", "--processes", "2").returncode == 0
    r = cli("train", "--data", d / "ds", "--out", d / "run", "--preset", "tiny", "--quiet", timeout=600)
    assert r.returncode == 0, r.stderr
    return d, token


def test_ids_never_lead_outside_out(hostile_run, tmp_path):
    d, token = hostile_run
    work = tmp_path / "work"; (work / "out").mkdir(parents=True)
    before = tree(tmp_path)
    r = cli("sample", "--checkpoint", d / "run" / "best.pt", "--sampler", "test", "--n", "1000", "--no-novelty",
            "--out", work / "out" / "deep", "--quiet", cwd=work / "out")
    assert r.returncode == 0, r.stderr
    after = tree(tmp_path)
    new = sorted(set(after) - set(before))
    assert new and all(p.startswith("work/out/deep/") for p in new), new
    assert not list(Path("/tmp").glob(f"dis_csp_abs_{token}_*"))
    cifs = sorted((work / "out" / "deep" / "cifs").iterdir())
    recs = [json.loads(l) for l in (work / "out" / "deep" / "samples.jsonl").read_text().splitlines()]
    assert len(cifs) == len(recs) == len({r["cif"] for r in recs})           # one file per crystal, none shared
    assert {r["cif"] for r in recs} == {f"cifs/{p.name}" for p in cifs}
    assert any(r["id"].startswith("../../escape_") for r in recs)              # the ids themselves are kept in the records


# 2. Deleting user files ---------------------------------------------------------------------------------------------

def test_featurize_into_the_input_folder_touches_nothing(tmp_path):
    cifs = tmp_path / "my_cifs"; (cifs / "shards").mkdir(parents=True)
    for r in sample_records(3): (cifs / f"{r['id']}.cif").write_text(r["cif_text"])
    (cifs / "shards" / "my_notes.txt").write_text("the user's own shards folder")
    before = tree(cifs)
    for force in ([], ["--force"]):
        one_line_error(cli("featurize", cifs, "--out", cifs, "--quiet", *force), 2, "shards: exists and was written by something other")
    assert tree(cifs) == before
    plain = tmp_path / "plain"; plain.mkdir()
    for r in sample_records(3): (plain / f"{r['id']}.cif").write_text(r["cif_text"])
    before = tree(plain)
    one_line_error(cli("featurize", plain, "--out", plain, "--quiet"), 2, "holds files dis-csp did not write", "--force")
    assert tree(plain) == before
    assert cli("featurize", plain, "--out", plain, "--quiet", "--force").returncode == 0      # beside them, on request
    after = tree(plain)
    assert {k: v for k, v in after.items() if k in before} == before and "dataset.npz" in after


def test_failed_featurize_leaves_a_good_build_as_it_was(sample_dataset, tmp_path):
    good = tmp_path / "good_ds"
    subprocess.run(["cp", "-a", str(sample_dataset), str(good)], check=True)
    before = tree(good)
    one_line_error(cli("featurize", tmp_path / "nonexistent", "--out", good, "--quiet"), 2, "nonexistent: no such file or folder")
    bad = tmp_path / "bad.jsonl.gz"; bad.write_bytes(b"\x1f\x8b garbage")
    one_line_error(cli("featurize", bad, "--out", good, "--quiet"), 1, "bad.jsonl.gz: corrupt or truncated gzip")
    assert tree(good) == before


def test_out_pointing_at_a_file(tmp_path):
    f = tmp_path / "precious.txt"; f.write_text("keep me")
    one_line_error(cli("featurize", SAMPLE, "--out", f, "--quiet"), 2, "precious.txt: is a file, not a folder")
    assert f.read_text() == "keep me"


# 3. Clobbering a finished run -------------------------------------------------------------------------------------

def test_train_never_overwrites_a_run(tiny_run, sample_dataset):
    before = tree(tiny_run)
    one_line_error(cli("train", "--data", sample_dataset, "--out", tiny_run, "--preset", "tiny", "--quiet"), 2,
                   "holds a run (3 of 3 epochs)", "--resume")
    assert tree(tiny_run) == before


# 4. Resume that tells the truth -----------------------------------------------------------------------------------

def test_train_resume_applies_safe_overrides_and_refuses_the_rest(sample_dataset, tmp_path):
    run = tmp_path / "run"
    assert cli("train", "--data", sample_dataset, "--out", run, "--preset", "tiny", "--epochs", "2", "--quiet").returncode == 0
    r = cli("train", "--data", sample_dataset, "--out", run, "--resume", "--epochs", "3", "--lr", "0.001", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "epochs 2 -> 3" in r.stderr and "trained 3 of 3 epochs" in r.stdout
    assert len((run / "history.csv").read_text().splitlines()) == 1 + 2 * 3
    before = tree(run)
    one_line_error(cli("train", "--data", sample_dataset, "--out", run, "--resume", "--epochs", "2", "--quiet"), 2, "already trained 3 epochs")
    one_line_error(cli("train", "--data", sample_dataset, "--out", run, "--resume", "--batch-size", "8", "--quiet"), 2, "batch_size cannot change")
    one_line_error(cli("train", "--data", sample_dataset, "--out", run, "--resume", "--set", "model.latent_dim=32", "--quiet"), 2, "model.latent_dim cannot change")
    other = tmp_path / "other_ds"
    recs = sample_records(120)
    assert cli("featurize", write_collection(tmp_path / "other.jsonl.gz", recs), "--out", other, "--quiet").returncode == 0
    one_line_error(cli("train", "--data", other, "--out", run, "--resume", "--quiet"), 2, "was trained on other data")
    assert tree(run) == before


def test_main_job_says_when_the_preset_changed(tiny_run, sample_dataset, tmp_path):
    run = tmp_path / "run"
    subprocess.run(["cp", "-a", str(tiny_run), str(run)], check=True)
    cfg = json.loads((run / "train_config.json").read_text()); cfg["preset"] = "default"   # a run of an older default
    (run / "train_config.json").write_text(json.dumps(cfg))
    r = cli("train", "--data", sample_dataset, "--out", run, "--resume", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "made with preset 'default' as it was then" in r.stderr and "epochs 3 (today 400)" in r.stderr


def test_featurize_resume_is_keyed_on_content(tmp_path):
    recs = sample_records(8)
    folder = tmp_path / "cifs"; folder.mkdir()
    for r in recs[:5]: (folder / f"{r['id']}.cif").write_text(r["cif_text"])
    assert cli("featurize", folder, "--out", tmp_path / "ds", "--quiet").returncode == 0
    (folder / f"{recs[1]['id']}.cif").unlink()                                  # one removed, three added
    for r in recs[5:]: (folder / f"{r['id']}.cif").write_text(r["cif_text"])
    assert cli("featurize", folder, "--out", tmp_path / "ds", "--quiet").returncode == 0
    assert cli("featurize", folder, "--out", tmp_path / "fresh", "--quiet").returncode == 0
    resumed, fresh = tmp_path / "ds", tmp_path / "fresh"
    for name in ("dataset.npz", "records.jsonl", "rejected.csv"):
        assert (resumed / name).read_bytes() == (fresh / name).read_bytes(), name
    ids = [json.loads(l)["id"] for l in (resumed / "records.jsonl").read_text().splitlines()]
    assert len(ids) == len(set(ids)) and recs[1]["id"] not in ids


def test_duplicate_ids_are_reported_not_kept(tmp_path):
    recs = sample_records(6)
    recs[4]["id"] = recs[2]["id"]
    r = cli("featurize", write_collection(tmp_path / "dups.jsonl.gz", recs), "--out", tmp_path / "ds", "--quiet")
    assert r.returncode == 0 and "load_duplicate_id" in r.stdout
    ids = [json.loads(l)["id"] for l in (tmp_path / "ds" / "records.jsonl").read_text().splitlines()]
    assert len(ids) == len(set(ids))





def test_virtual_cells_folders_belong_to_one_crystal(tmp_path):
    a = tmp_path / "a.cif"; a.write_text(agsbte2(ag=0.5, sb=0.5))
    b = tmp_path / "b.cif"; b.write_text(agsbte2(ag=0.75, sb=0.25))
    out = tmp_path / "vc"
    assert cli("virtual-cells", a, "--n", "6", "--no-energy", "--supercell", "1", "1", "1", "--out", out, "--quiet").returncode == 0
    six = (out / "properties.csv").read_text()
    one_line_error(cli("virtual-cells", b, "--n", "6", "--no-energy", "--supercell", "1", "1", "1", "--out", out, "--quiet"),
                   2, "holds virtual cells of another crystal")
    r = cli("virtual-cells", a, "--n", "2", "--no-energy", "--supercell", "1", "1", "1", "--out", out, "--quiet")
    assert r.returncode == 0 and json.loads((out / "summary.json").read_text())["n_cells"] == 2
    assert (out / "properties.csv").read_text() == six                   # a smaller --n deletes nothing computed


# 5. Unbounded work -----------------------------------------------------------------------------------------------

ROCK = """data_x
_cell_length_a {a}
_cell_length_b {a}
_cell_length_c {a}
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
{symmetry}
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
{atoms}"""


def agsbte2(ag: float, sb: float) -> str:
    "CIF of rock salt AgSbTe2 with Ag and Sb sharing 4a in the given fractions."
    return ROCK.format(a=6.078, symmetry="_symmetry_space_group_name_H-M 'F m -3 m'",
                       atoms=f"Ag1 Ag 0 0 0 {ag}\nSb1 Sb 0 0 0 {sb}\nTe1 Te 0.5 0.5 0.5 1\n")


@pytest.mark.parametrize("case", ["8000_operations", "8000_repeated_operations", "10000_coincident_atoms", "192_ops_x_3000_atoms"])
def test_crafted_cifs_are_answered_in_bounded_time_and_memory(tmp_path, case):
    atoms = "Na1 Na 0 0 0 1\nCl1 Cl 0.5 0.5 0.5 1\n"
    symmetry = "_symmetry_space_group_name_H-M 'F m -3 m'"
    if case == "8000_operations":
        symmetry = "loop_\n_symmetry_equiv_pos_as_xyz\n" + "".join(f"'x+{k // 576}/24,y+{k // 24 % 24}/24,z+{k % 24}/24'\n" for k in range(8000))
    elif case == "8000_repeated_operations":
        symmetry = "loop_\n_symmetry_equiv_pos_as_xyz\n" + "'x,y,z'\n'-x,-y,-z'\n" * 4000
    elif case == "10000_coincident_atoms":
        symmetry = ""; atoms = "".join(f"Na{k} Na 0.1 0.2 0.3 0.0001\n" for k in range(10_000)) + "Cl1 Cl 0.6 0.7 0.8 1\n"
    else:
        atoms = "".join(f"Na{k} Na {random.Random(k).random():.5f} {random.Random(k + 1).random():.5f} 0.1 1\n" for k in range(3000))
    cif = tmp_path / f"{case}.cif"; cif.write_text(ROCK.format(a=5.4, symmetry=symmetry, atoms=atoms))
    assert cif.stat().st_size > 50_000 or case == "8000_repeated_operations"
    t0 = time.time()
    r = cli("featurize", cif, "--out", tmp_path / "ds", "--quiet", "--processes", "1", timeout=120)
    assert r.returncode == 0, r.stderr
    assert time.time() - t0 < 60
    summary = json.loads((tmp_path / "ds" / "summary.json").read_text())
    expected = {"8000_operations": {"symmetry": 1}, "8000_repeated_operations": {}, "10000_coincident_atoms": {},
                "192_ops_x_3000_atoms": {"too_large": 1}}[case]
    assert summary["n_rejected"] == expected, summary


def test_featurize_per_entry_time_limit(tmp_path):
    r = cli("featurize", SAMPLE, "--out", tmp_path / "ds", "--quiet", "--processes", "2", "--timeout", "0.0001", timeout=300)
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "ds" / "summary.json").read_text())
    assert s["n_rejected"].get("timeout", 0) > 150                       # every entry stopped, the build still finished


def test_featurize_survives_a_killed_worker(tmp_path):
    import psutil
    p = subprocess.Popen([EXE, "featurize", str(SAMPLE), "--out", str(tmp_path / "ds"), "--quiet", "--processes", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent, killed = psutil.Process(p.pid), False
    for _ in range(400):
        workers = [c for c in parent.children(recursive=True) if c.is_running()]
        if len(workers) >= 2:
            time.sleep(0.2); workers[0].send_signal(signal.SIGKILL); killed = True; break
        time.sleep(0.05)
    out, err = p.communicate(timeout=300)
    assert killed and p.returncode == 0, err
    s = json.loads((tmp_path / "ds" / "summary.json").read_text())
    assert s["n_entries"] == 200 and s["n_kept"] + sum(s["n_rejected"].values()) == 200, s
    crashed = s["n_rejected"].get("crashed", 0)
    # the killed worker's entry counts as crashed, or, killed between entries, the pool broke and the rest went on
    assert crashed == 1 or (crashed == 0 and "go to a new pool" in err), (s, err)
    clean = cli("featurize", SAMPLE, "--out", tmp_path / "clean", "--quiet", "--processes", "2", timeout=300)
    assert clean.returncode == 0, clean.stderr
    assert s["n_kept"] + crashed >= json.loads((tmp_path / "clean" / "summary.json").read_text())["n_kept"]  # no good entry lost


@pytest.mark.parametrize("args, needle", [
    (["--supercell", "60", "60", "60"], "more than 5,000"),
    (["--n", "1000000000"], "--allow-large"),
    (["--supercell", "0", "1", "1"], "must be at least 1"),
    (["--temperature", "-5"], "must be at least 0"),
    (["--mode", "boltzmann", "--dielectric", "0.5"], "must be at least 1.0"),
])
def test_virtual_cells_bounds(tmp_path, args, needle):
    a = tmp_path / "a.cif"; a.write_text(agsbte2(ag=0.5, sb=0.5))
    t0 = time.time()
    one_line_error(cli("virtual-cells", a, "--no-energy", "--out", tmp_path / "vc", "--quiet", *args), 2, needle)
    assert time.time() - t0 < 60


def test_sample_count_is_bounded(tiny_run, tmp_path):
    one_line_error(cli("sample", "--checkpoint", tiny_run / "best.pt", "--n", "100000000000", "--out", tmp_path / "s"), 2, "--allow-large")
    assert not (tmp_path / "s").exists()


# 6. Messages instead of tracebacks, and no silent acceptance ----------------------------------------------------

@pytest.mark.parametrize("args, status, needle", [
    (["train", "--data", "{ds}", "--out", "{tmp}/r", "--lr", "-1"], 2, "argument --lr: -1 must be above 0"),
    (["train", "--data", "{ds}", "--out", "{tmp}/r", "--weight", "kl=abc"], 2, "--weight 'kl=abc'"),
    (["train", "--data", "{ds}", "--out", "{tmp}/r", "--epochs", "0"], 2, "argument --epochs"),
    (["condition", "--checkpoint", "{run}/best.pt", "--elements", "Li,Li", "--out", "{tmp}/c"], 2, "element Li listed twice"),
    (["condition", "--checkpoint", "{run}/best.pt", "--out", "{tmp}/c"], 2, "no condition given"),
    (["sample", "--checkpoint", "{run}/best.pt", "--sampler", "test", "--n", "0", "--out", "{tmp}/s"], 2, "argument --n"),
    (["sample", "--checkpoint", "{run}/best.pt", "--sampler", "test", "--n", "-1", "--out", "{tmp}/s"], 2, "argument --n"),
    (["sample", "--checkpoint", "{tmp}/nothing.pt", "--out", "{tmp}/s"], 2, "nothing.pt: no such checkpoint"),
    (["evaluate", "--checkpoint", "{run}/best.pt", "--data", "{tmp}/nowhere"], 2, "nowhere: no such file or folder"),
    (["figures", "--run", "{run}", "--out", "{tmp}/f", "--set", "table3.n_samples=many"], 2, "expected int"),
    (["sample", "--checkpoint", "{run}/best.pt", "--seed", "-5", "--out", "{tmp}/s"], 2, "argument --seed"),
    (["train", "--data", "{tmp}/nowhere", "--out", "{tmp}/r"], 2, "nowhere: no dataset.npz here"),
    (["virtual-cells", "{tmp}/missing.cif", "--out", "{tmp}/v"], 2, "missing.cif: no such file"),
    (["evaluate", "--checkpoint", "{run}/best.pt", "--data", "{ds}", "--out", "{tmp}/precious.json"], 2, "not overwritten"),
    (["sample", "--checkpoint", "{run}/best.pt", "--out", "{tmp}"], 2, "holds files dis-csp did not write"),
])
def test_bad_requests_are_one_line(tiny_run, sample_dataset, tmp_path, args, status, needle):
    args = [a.format(ds=sample_dataset, run=tiny_run, tmp=tmp_path) for a in args]
    (tmp_path / "precious.json").write_text('{"mine": 1}')
    one_line_error(cli(*args), status, needle)
    assert (tmp_path / "precious.json").read_text() == '{"mine": 1}' 


def test_corrupt_dataset_and_forged_samplers(tiny_run, sample_dataset, tmp_path):
    ds = tmp_path / "ds"; subprocess.run(["cp", "-a", str(sample_dataset), str(ds)], check=True)
    (ds / "dataset.npz").write_bytes(b"PK\x03\x04 not really a zip")
    one_line_error(cli("train", "--data", ds, "--out", tmp_path / "r", "--quiet"), 1, "ds: not a readable dataset (BadZipFile")
    run = tmp_path / "run"; subprocess.run(["cp", "-a", str(tiny_run), str(run)], check=True)
    import numpy as np
    arrays = dict(np.load(run / "samplers.npz")); del arrays["kde/points"]
    with open(run / "samplers.npz", "wb") as f: np.savez(f, **arrays)
    r = cli("sample", "--checkpoint", run / "best.pt", "--n", "3", "--no-novelty", "--data", sample_dataset, "--out", tmp_path / "s", "--quiet")
    assert r.returncode == 0, r.stderr                                 # the damaged file is named, then refitted
    assert "samplers.npz: its kde sampler is damaged" in r.stderr and "Traceback" not in r.stderr
    (run / "best.pt").write_bytes(b"\x80\x02 forged pickle")
    one_line_error(cli("sample", "--checkpoint", run / "best.pt", "--n", "3", "--out", tmp_path / "s2"), 1, "best.pt: not a readable PyTorch checkpoint")


def test_ordered_crystal_and_cif_named_txt(tmp_path):
    nacl = tmp_path / "nacl.cif"; nacl.write_text(agsbte2(ag=1.0, sb=0.0).replace("Sb1 Sb 0 0 0 0.0\n", ""))
    one_line_error(cli("virtual-cells", nacl, "--no-energy", "--out", tmp_path / "vc", "--quiet"), 2, "is ordered")
    txt = tmp_path / "agsbte2.txt"; txt.write_text(agsbte2(ag=0.5, sb=0.5))
    r = cli("summary", txt)
    assert r.returncode == 0 and "warning: " in r.stderr and "does not end in .cif" in r.stderr
    folder = tmp_path / "folder"; folder.mkdir(); (folder / "agsbte2.txt").write_text(txt.read_text())
    r = cli("featurize", folder, "--out", tmp_path / "ds", "--quiet")
    assert r.returncode == 0 and "load_not_cif_name" in r.stdout
    assert "rename it to .cif" in (tmp_path / "ds" / "rejected.csv").read_text()


def test_a_pipe_among_the_cifs_is_reported_not_read(tmp_path):
    folder = tmp_path / "cifs"; folder.mkdir()
    (folder / "good.cif").write_text(agsbte2(ag=0.5, sb=0.5)); os.mkfifo(folder / "pipe.cif")
    r = cli("summary", folder, timeout=60)
    assert r.returncode == 0 and json.loads(r.stdout)["skipped"] == {"unreadable": 1}


def test_cif_text_is_never_read_as_a_file_name(tmp_path):
    (tmp_path / "data_trap.cif").write_text(agsbte2(ag=0.5, sb=0.5))       # a real CIF beside the collection
    src = write_collection(tmp_path / "c.jsonl.gz", [{"id": "trap", "cif_text": "data_trap.cif"}] + sample_records(2))
    r = cli("featurize", src, "--out", tmp_path / "ds", "--quiet", cwd=tmp_path)
    assert r.returncode == 0
    rejected = (tmp_path / "ds" / "rejected.csv").read_text()
    assert "trap,parse" in rejected


# 7. Permissions -------------------------------------------------------------------------------------------------

def test_outputs_get_the_umask_permissions(tmp_path):
    assert cli("featurize", SAMPLE, "--out", tmp_path / "ds", "--quiet").returncode == 0
    for p in (tmp_path / "ds").rglob("*"):
        if p.is_file(): assert stat.S_IMODE(p.stat().st_mode) == 0o644, (p, oct(p.stat().st_mode))
