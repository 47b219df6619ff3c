"""Known crystals, settings and bad inputs for the featurizer, and the lossless round trips of the representation."""
import os, time, warnings
import numpy as np
import pytest, spglib
from pymatgen.core import Structure, Lattice, Composition
from pymatgen.io.cif import CifParser
from dis_csp.crystals.featurize import featurize, FeaturizeError, REASONS
from dis_csp.crystals.representation import encode, decode
from dis_csp.crystals.reconstruct import to_structure, to_cif
from dis_csp.crystals.compare import roundtrip_problem, disorder_matcher
from dis_csp.crystals.symmetry import operation_xyz
from dis_csp.crystals.data import iter_cifs
from conftest import SAMPLE

def make_cif(name, abc_angles, hall, atoms):
    "A CIF with the operations of spglib Hall setting `hall` and atoms (label, symbol, x, y, z, occ)."
    sym = spglib.get_symmetry_from_database(hall)
    ops = [operation_xyz(r, t) for r, t in zip(sym["rotations"], sym["translations"])]
    a, b, c, al, be, ga = abc_angles
    lines = [f"data_{name}", f"_cell_length_a {a}", f"_cell_length_b {b}", f"_cell_length_c {c}",
             f"_cell_angle_alpha {al}", f"_cell_angle_beta {be}", f"_cell_angle_gamma {ga}",
             "loop_", "_symmetry_equiv_pos_as_xyz", *[f"'{o}'" for o in ops],
             "loop_", "_atom_site_label", "_atom_site_type_symbol", "_atom_site_fract_x", "_atom_site_fract_y",
             "_atom_site_fract_z", "_atom_site_occupancy"]
    lines += [" ".join(str(v) for v in at) for at in atoms]
    return "\n".join(lines) + "\n"

def hall_of(symbol_full_or_short, choice=None):
    for h in range(1, 531):
        t = spglib.get_spacegroup_type(h)
        if symbol_full_or_short in (t.international, t.international_short) and (choice is None or t.choice == choice):
            return h
    raise KeyError(symbol_full_or_short)

def check_roundtrips(cif, x):
    assert roundtrip_problem(cif, x) is None
    assert decode(*encode(x), id=x.id).same_as(x, 1e-5)
    assert featurize(to_cif(x)).same_as(x, 1e-5)

# --- known crystals ---------------------------------------------------------------------------------------------

SPINEL_O1 = [("Mg1", "Mg", 0, 0, 0, 0.7), ("Al1", "Al", 0, 0, 0, 0.3),
             ("Al2", "Al", 0.625, 0.625, 0.625, 0.85), ("Mg2", "Mg", 0.625, 0.625, 0.625, 0.15),
             ("O1", "O", 0.387, 0.387, 0.387, 0.9), ("F1", "F", 0.387, 0.387, 0.387, 0.1)]

def test_disordered_spinel_origin_choice_1_and_2_agree():
    cif1 = make_cif("spinel_o1", (8.08, 8.08, 8.08, 90, 90, 90), hall_of("F d -3 m", "1"), SPINEL_O1)
    shifted = [(l, s, round(x - 0.125, 6), round(y - 0.125, 6), round(z - 0.125, 6), o) for l, s, x, y, z, o in SPINEL_O1]  # origin 2 = origin 1 - 1/8
    cif2 = make_cif("spinel_o2", (8.08, 8.08, 8.08, 90, 90, 90), hall_of("F d -3 m", "2"), shifted)
    x1, x2 = featurize(cif1), featurize(cif2)
    assert x1.space_group == 227 and [s.label for s in x1.sites] == ["8a", "16d", "32e"]
    assert all(s.disordered for s in x1.sites)
    np.testing.assert_allclose(x1.sites[0].xyz, (0.125, 0.125, 0.125), atol=1e-9)   # origin choice 2
    np.testing.assert_allclose(x1.sites[1].xyz, (0.5, 0.5, 0.5), atol=1e-9)
    assert x1.sites[0].occupancy == pytest.approx({"Mg": 0.7, "Al": 0.3})
    assert x1.sites[2].occupancy == pytest.approx({"O": 0.9, "F": 0.1})
    assert x1.same_as(x2, 1e-6)
    check_roundtrips(cif1, x1)

def test_vacancy_site():
    cif = make_cif("li_vac", (4.1, 4.1, 4.1, 90, 90, 90), hall_of("P m -3 m"),
                   [("Li1", "Li", 0, 0, 0, 0.75), ("Cl1", "Cl", 0.5, 0.5, 0.5, 1.0)])
    x = featurize(cif)
    assert (x.space_group, [s.label for s in x.sites]) == (221, ["1a", "1b"])
    assert x.sites[0].disordered and x.sites[0].vacancy == pytest.approx(0.25) and not x.sites[1].disordered
    A, c = encode(x)
    assert A[100, 0] == pytest.approx(0.25)   # the vacancy row
    check_roundtrips(cif, x)

def test_rock_salt_with_mixed_cations():
    s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.9), [Composition("Ag0.5Sb0.5"), "Te"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    x = featurize(s)
    assert (x.space_group, [s.label for s in x.sites]) == (225, ["4a", "4b"])
    assert x.sites[0].occupancy == pytest.approx({"Ag": 0.5, "Sb": 0.5}) and x.sites[0].disordered
    assert disorder_matcher().fit(s, to_structure(x))
    check_roundtrips(s.to(fmt="cif"), x)

def test_pbnm_perovskite_goes_to_standard_pnma():
    atoms = [("Ca1", "Ca", 0.9934, 0.0347, 0.25, 0.8), ("Sr1", "Sr", 0.9934, 0.0347, 0.25, 0.2),
             ("Ti1", "Ti", 0.5, 0.0, 0.0, 1.0), ("O1", "O", 0.0712, 0.4835, 0.25, 1.0),
             ("O2", "O", 0.7106, 0.2888, 0.0371, 1.0)]
    cif = make_cif("catio3_pbnm", (5.3796, 5.4423, 7.6401, 90, 90, 90), hall_of("P b n m"), atoms)
    x = featurize(cif)
    assert x.space_group == 62
    assert [s.label for s in x.sites] == ["4a", "4c", "4c", "8d"]   # Ti on 4a: the smallest equivalent description
    a, b, c = x.lattice[:3]
    assert b == pytest.approx(7.6401, abs=1e-6) and sorted([a, c]) == pytest.approx([5.3796, 5.4423], abs=1e-6)
    for s in x.sites:
        if s.letter == "c": assert s.xyz[1] == pytest.approx(0.25)   # (x, 1/4, z) of Pnma 4c
    assert [s.occupancy for s in x.sites if "Ca" in s.occupancy] == [pytest.approx({"Ca": 0.8, "Sr": 0.2})]
    check_roundtrips(cif, x)

def test_canonical_representative_is_on_the_first_triplet_and_wrapped():
    cif = make_cif("pnma", (5.0, 6.0, 7.0, 90, 90, 90), hall_of("P n m a"), [("Li1", "Li", -0.1, 0.75, 1.3, 1.0)])
    x = featurize(cif)
    (s,) = x.sites
    assert s.label == "4c" and s.xyz[1] == pytest.approx(0.25) and all(0 <= v < 1 for v in s.xyz)

def test_structure_and_cif_inputs_agree():
    text = next(t for cid, t, _ in iter_cifs(SAMPLE) if cid == "amcsd_0000018") if False else None
    s = Structure.from_spacegroup("R-3m", Lattice.hexagonal(2.88, 14.2), [Composition("Li0.9"), Composition("Ni0.8Co0.15Al0.05"), "O"],
                                  [[0, 0, 0.5], [0, 0, 0], [0, 0, 0.2578]])
    x = featurize(s)
    assert x.space_group == 166 and [s_.label for s_ in x.sites] == ["3a", "3b", "6c"]
    y = featurize(s.to(fmt="cif"))
    assert x.same_as(y, 1e-5)

def test_deuterium_counts_as_hydrogen_and_charge_states():
    base = [("O1", "O2-", 0, 0, 0, 1.0), ("D1", "D", 0.5, 0.5, 0.5, 1.0)]
    x = featurize(make_cif("d", (4, 4, 4, 90, 90, 90), hall_of("P m -3 m"), base))
    assert sorted(tuple(s.occupancy.items()) for s in x.sites) == [(("H", 1.0),), (("O", 1.0),)]
    mixed = [("Fe1", "Fe2+", 0, 0, 0, 0.5), ("Fe2", "Fe3+", 0, 0, 0, 0.5), ("O1", "O2-", 0.5, 0.5, 0.5, 1.0)]
    with pytest.raises(FeaturizeError) as e:
        featurize(make_cif("fe", (4, 4, 4, 90, 90, 90), hall_of("P m -3 m"), mixed))
    assert e.value.reason == "charge_state_disorder"

# --- filters ------------------------------------------------------------------------------------------------------

def test_filters_are_optional_parameters_off_by_default():
    s = Structure.from_spacegroup("Fd-3m", Lattice.cubic(8.08), [Composition("Mg0.75Al0.25"), "Al", "O"],
                                  [[0, 0, 0], [0.625, 0.625, 0.625], [0.387, 0.387, 0.387]])
    with pytest.raises(FeaturizeError) as e: featurize(s, max_sites=2)
    assert e.value.reason == "too_many_sites"
    with pytest.raises(FeaturizeError) as e: featurize(s, max_multiplicity=16)
    assert e.value.reason == "multiplicity_gt_50"
    with pytest.raises(FeaturizeError) as e: featurize(s, max_disordered_sites=0)
    assert e.value.reason == "too_many_disordered_sites"
    with pytest.raises(FeaturizeError) as e: featurize(s, max_species_per_site=1)
    assert e.value.reason == "too_many_species_on_site"
    assert featurize(s).space_group == 227
    from dis_csp.crystals.featurize import PAPER_FILTERS
    assert featurize(s, **PAPER_FILTERS).space_group == 227          # the paper's filters let a spinel through

# --- bad inputs ---------------------------------------------------------------------------------------------------

GOOD = make_cif("nacl", (5.64, 5.64, 5.64, 90, 90, 90), 523, [("Na1", "Na", 0, 0, 0, 1), ("Cl1", "Cl", 0.5, 0.5, 0.5, 1)])

BAD = {
    "empty": ("", "parse"),
    "not_a_cif": ("Just a note about NaCl, not a crystallographic file.", "parse"),
    "no_cell": ("data_x\nloop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nNa1 0 0 0\n", "parse"),
    "no_atoms": (GOOD.split("loop_\n_atom_site_label")[0], "no_atoms"),
    "occupancy_1.5": (GOOD.replace("Na1 Na 0 0 0 1", "Na1 Na 0 0 0 1.5"), "bad_occupancy"),
    "negative_occupancy": (GOOD.replace("Na1 Na 0 0 0 1", "Na1 Na 0 0 0 -0.5"), "bad_occupancy"),
    "nan_coordinates": (GOOD.replace("Na1 Na 0 0 0 1", "Na1 Na nan 0 0 1"), "bad_coordinates"),
    "nan_cell": (GOOD.replace("_cell_length_a 5.64", "_cell_length_a nan"), "bad_coordinates"),
    "unknown_element": (GOOD.replace("Na1 Na 0 0 0 1", "Qq1 Qq 0 0 0 1"), "unknown_element"),
    "z_above_100": (GOOD.replace("Na1 Na 0 0 0 1", "Lr1 Lr 0 0 0 1"), "z_gt_100"),
    "p1": (make_cif("p1", (3.1, 4.2, 5.3, 81, 97, 103), 1, [("Na1", "Na", 0, 0, 0, 1), ("Cl1", "Cl", 0.31, 0.47, 0.62, 1)]), "p1"),
    "broken_syntax": ("data_x\n_cell_length_a 'unterminated\n", "parse"),
}

@pytest.mark.parametrize("case", BAD)
def test_bad_input_has_its_reason(case):
    text, reason = BAD[case]
    t = time.time()
    with pytest.raises(FeaturizeError) as e:
        featurize(text, id=case)
    assert e.value.reason == reason and reason in REASONS
    assert str(e.value).startswith(f"{case}: {reason}: ")
    assert time.time() - t < 5

def test_fifty_megabytes_of_random_bytes_fail_fast():
    data = np.random.default_rng(0).integers(0, 256, 50 * 2**20, dtype=np.uint8).tobytes()
    t = time.time()
    with pytest.raises(FeaturizeError) as e: featurize(data, id="noise")
    assert e.value.reason == "parse" and time.time() - t < 5
    text = data.decode("latin-1").replace("\x00", " ")   # no NUL bytes: still not a CIF
    with pytest.raises(FeaturizeError) as e: featurize(text, id="noise")
    assert e.value.reason == "parse" and time.time() - t < 10

def test_missing_file_names_it(tmp_path):
    with pytest.raises(FeaturizeError, match=r"absent\.cif: parse: cannot read file"):
        featurize(tmp_path / "absent.cif")

# --- the 200-entry sample: 100 % round trip ----------------------------------------------------------------------

def test_sample_round_trips_completely():
    from dis_csp.crystals.representation import TensorLayout
    kept, encoded, misses = 0, 0, []
    for cid, text, meta in iter_cifs(SAMPLE):
        x = featurize(text, id=cid)                     # every entry of the sample, whatever its sites and multiplicities
        kept += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = roundtrip_problem(text, x)
        if p: misses.append((cid, p))
        if TensorLayout().misfit(x) is None:
            encoded += 1
            if not decode(*encode(x), id=cid).same_as(x, 1e-4): misses.append((cid, "tensor round trip"))
        if not featurize(to_cif(x), id=cid).same_as(x, 1e-4): misses.append((cid, "cif round trip"))
    assert kept == 200 and encoded >= 185 and misses == []
