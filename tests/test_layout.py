"""Every crystal a CIF describes is featurized, written to CIF, a template and an answer of `predict`; only where the
VAE is used (evaluate, the latent route, training) does the model's tensor layout count, and a crystal outside it is
named, skipped and counted there. Garnets (oxygen on 96h of Ia-3d) are the case in point."""
import json
from pathlib import Path
import pytest
from conftest import run, COLLECTION

GARNET = "amcsd_0000243"          # grossular Ca3Al2Si3O12: Ca 24c, Al 16a, Si 24d, O 96h
FOURTEEN = "cod_8104289"          # Li8P8Pb8O32 (LiPbPO4): 14 Wyckoff sites


def _cif(cid: str) -> str:
    from dis_csp.crystals.data import iter_cifs
    return next(t for i, t, _ in iter_cifs(COLLECTION) if i == cid)


def test_garnet_featurizes_and_round_trips_through_cif():
    from dis_csp.crystals.featurize import featurize, PAPER_FILTERS, FeaturizeError
    from dis_csp.crystals.reconstruct import to_cif
    x = featurize(_cif(GARNET), id=GARNET)
    assert x.space_group == 230
    assert sorted((s.label, tuple(s.occupancy)) for s in x.sites) == [("16a", ("Al",)), ("24c", ("Ca",)), ("24d", ("Si",)), ("96h", ("O",))]
    back = featurize(to_cif(x), id=GARNET)
    assert back.same_as(x, 1e-4) and "96h" in [s.label for s in back.sites]
    with pytest.raises(FeaturizeError) as e: featurize(_cif(GARNET), **PAPER_FILTERS)    # the paper's filter, asked for
    assert e.value.reason == "multiplicity_gt_50"


def test_garnets_are_templates_and_answer_a_substituted_garnet(tmp_path):
    from dis_csp.generation.templates import default_template_pool
    pool = default_template_pool()
    ids = {x.id for x in pool.crystals}
    assert GARNET in ids and FOURTEEN in ids
    assert sum(x.space_group == 230 for x in pool.crystals) >= 100            # the collection's Ia-3d crystals
    r = run("predict", "Ca3Cr2Ge3O12", "Mn3Al2Si3O12", "--routes", "templates", "--n", 5, "--out", tmp_path / "p", "--quiet")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(l) for l in (tmp_path / "p" / "predictions.jsonl").read_text().splitlines()]
    for formula in ("Ca3Cr2Ge3O12", "Mn3Al2Si3O12"):
        best = next(r for r in rows if r["formula"] == formula and r["rank"] == 1)
        assert best["space_group"] == 230 and best["composition_error"] < 1e-6, best
        assert sorted(s["multiplicity"] for s in best["crystal"]["sites"]) == [16, 24, 24, 96]
        assert (tmp_path / "p" / best["cif"]).read_text().count(" 96 h ") >= 1   # the CIF keeps the 96h site


def test_fourteen_sites_featurized_and_outside_the_layout(tmp_path):
    from dis_csp.crystals.featurize import featurize
    from dis_csp.crystals.representation import TensorLayout
    x = featurize(_cif(FOURTEEN), id=FOURTEEN)
    assert len(x.sites) == 14 and TensorLayout().misfit(x) == "14 sites > 9"
    cifs = tmp_path / "cifs"; cifs.mkdir()
    (cifs / f"{FOURTEEN}.cif").write_text(_cif(FOURTEEN))
    (cifs / f"{GARNET}.cif").write_text(_cif(GARNET))
    (cifs / "rock_salt.cif").write_text(_cif("amcsd_0000641"))
    r = run("evaluate", "--data", cifs, "--out", tmp_path / "m.json", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "m.json").read_text())
    assert m["n_structures"] == 1 and m["n_rejected"] == {"outside_layout": 2}
    assert f"{FOURTEEN} (14 sites > 9)" in r.stderr and f"{GARNET} (multiplicity 96 > 50)" in r.stderr
    assert "outside the model's layout (9 sites, multiplicity <= 50)" in r.stderr


def test_latent_route_names_a_composition_that_fits_only_outside_the_layout(tmp_path):
    r = run("predict", "Ca3Al2Si3O12", "NaCl", "--routes", "latent", "--n", 3, "--device", "cpu", "--out", tmp_path / "p", "--quiet")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(l) for l in (tmp_path / "p" / "predictions.jsonl").read_text().splitlines()]
    garnet = [r for r in rows if r["formula"] == "Ca3Al2Si3O12"]
    assert len(garnet) == 1 and garnet[0]["rank"] is None
    assert garnet[0]["problem"].startswith("outside_layout: Ca3Al2Si3O12: the structure it fits best")
    assert "(multiplicity 96 > 50)" in garnet[0]["problem"] and "--routes templates" in garnet[0]["problem"]
    assert any(r["formula"] == "NaCl" and r["rank"] == 1 for r in rows)          # the batch goes on
    assert json.loads((tmp_path / "p" / "metrics.json").read_text())["problems"] == {"outside_layout": 1}


def test_featurize_and_summary_count_the_layout(tmp_path):
    cifs = tmp_path / "cifs"; cifs.mkdir()
    for cid in (GARNET, FOURTEEN, "amcsd_0000641"): (cifs / f"{cid}.cif").write_text(_cif(cid))
    r = run("featurize", cifs, "--out", tmp_path / "ds", "--processes", 0, "--quiet")
    assert r.returncode == 0, r.stderr
    assert "3 kept" in r.stdout and "1 of the 3 kept fit the model layout (9 sites, multiplicity <= 50)" in r.stdout
    assert "1 multiplicity too large, 1 too many sites" in r.stdout
    s = run("summary", tmp_path / "ds")
    assert s.returncode == 0 and "1 of the 3 kept fit the model layout" in s.stdout, s.stderr
    f = run("summary", cifs, "--featurize", "--processes", 0, "--quiet")
    assert f.returncode == 0, f.stderr
    got = json.loads(f.stdout)["featurized"]
    assert (got["n_kept"], got["n_in_layout"], got["n_outside_layout"]) == (3, 1, {"multiplicity_too_large": 1, "too_many_sites": 1})
    p = run("featurize", cifs, "--out", tmp_path / "paper", "--processes", 0, "--quiet", "--paper-filters")
    assert p.returncode == 0 and "1 kept" in p.stdout and "multiplicity_gt_50" in p.stdout and "too_many_sites" in p.stdout


def test_the_default_layout_is_the_shipped_models():
    "featurize counts against TensorLayout(): it must be the layout of the shipped model."
    from dis_csp.crystals.representation import TensorLayout
    from dis_csp.model.pretrained import resolve_checkpoint
    from dis_csp.model.vae import read_checkpoint
    assert TensorLayout(**read_checkpoint(resolve_checkpoint("default"))["layout"]) == TensorLayout()


def test_hostile_cells_are_still_refused():
    "The size bounds stay: atoms in the cell (checked before expanding) and positions handed to spglib."
    from dis_csp.crystals.featurize import featurize, FeaturizeError
    head = ("data_big\n_cell_length_a 30\n_cell_length_b 30\n_cell_length_c 30\n_cell_angle_alpha 90\n_cell_angle_beta 90\n"
            "_cell_angle_gamma 90\n_symmetry_space_group_name_H-M 'F m -3 m'\n"
            "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n")
    many = head + "".join(f"O{k} O {0.011 * (k % 40) + 0.003:.4f} {0.013 * (k // 40) + 0.07:.4f} 0.1{k % 7}\n" for k in range(1200))
    with pytest.raises(FeaturizeError) as e: featurize(many, id="big")
    assert e.value.reason == "too_large" and "operations" in str(e.value)
    some = head + "".join(f"O{k} O {0.017 * k + 0.003:.4f} 0.0{k % 9 + 1} 0.1{k % 7 + 1}\n" for k in range(40))
    with pytest.raises(FeaturizeError) as e: featurize(some, id="some", max_cell_positions=1000)
    assert e.value.reason == "too_large" and "positions in the cell > 1000" in str(e.value)
