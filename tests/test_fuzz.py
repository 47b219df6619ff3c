"""Property-based fuzzing of the featurizer: real CIFs of the sample collection, mutated as a damaged file or a hostile
author would (lines deleted or repeated, tokens swapped, huge, negative or undefined numbers, loops broken, random
bytes, truncation). `featurize` must answer each within seconds with a crystal or a `FeaturizeError` whose reason is
one of the known ones, never anything else."""
import gzip, json, os, signal
from contextlib import contextmanager
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck
from dis_csp.crystals.featurize import featurize, FeaturizeError, REASONS
from dis_csp.crystals.crystal import WyckoffCrystal
from conftest import SAMPLE

with gzip.open(SAMPLE, "rt") as f: TEXTS = [json.loads(l)["cif_text"].encode() for l in f][:60]
NUMBERS = [b"1e308", b"-1e308", b"-5", b"0", b"nan", b"inf", b"1e-300", b"99999999999999999999", b"-0.5", b"?", b".",
           b"1/0", b"0.5(", b"3e"]
EXAMPLES = int(os.environ.get("DIS_CSP_FUZZ_EXAMPLES", "200"))


class TookTooLong(Exception): pass


@contextmanager
def time_limit(seconds: float):
    def stop(*_): raise TookTooLong(f"more than {seconds} s")
    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try: yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0); signal.signal(signal.SIGALRM, old)


def mutate(text: bytes, mutations) -> bytes:
    lines = text.split(b"\n")
    for kind, i, extra in mutations:
        if not lines: break
        i %= len(lines)
        if kind == "delete": del lines[i]
        elif kind == "duplicate": lines[i:i] = [lines[i]] * (1 + extra % 50)
        elif kind == "swap":
            j = extra % len(lines); lines[i], lines[j] = lines[j], lines[i]
        elif kind == "number":
            toks = lines[i].split()
            nums = [k for k, t in enumerate(toks) if t[:1].isdigit() or t[:1] in b"-."]
            if nums: toks[nums[extra % len(nums)]] = NUMBERS[extra % len(NUMBERS)]; lines[i] = b" ".join(toks)
        elif kind == "bytes": lines[i] = lines[i][: extra % 40] + bytes((extra * 37 + k) % 256 for k in range(1 + extra % 30))
        elif kind == "loop": lines = [l for l in lines if l.strip() != b"loop_"] if extra % 2 else lines[:i] + [b"loop_"] + lines[i:]
        elif kind == "truncate": lines = lines[: i + 1]
    return b"\n".join(lines)


mutation = st.tuples(st.sampled_from(["delete", "duplicate", "swap", "number", "bytes", "loop", "truncate"]),
                     st.integers(0, 10**6), st.integers(0, 10**6))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(record=st.integers(0, len(TEXTS) - 1), mutations=st.lists(mutation, min_size=1, max_size=5))
def test_mutated_cifs_give_a_crystal_or_a_reason(record, mutations):
    data = mutate(TEXTS[record], mutations)
    with time_limit(10):
        try: x = featurize(data, id="fuzz")
        except FeaturizeError as e:
            assert e.reason in REASONS and e.reason != "unhandled", (e.reason, str(e), mutations)
        else: assert isinstance(x, WyckoffCrystal) and x.sites


@pytest.mark.parametrize("data", [b"", b"data_", b"data_x\n", b"\x00" * 100, b"data_x\n_cell_length_a 1e400\n",
                                  b"data_x\nloop_\nloop_\nloop_\n", "data_é\n_cell_length_a 3\n".encode("utf-16"),
                                  b"data_x\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n_cell_angle_alpha 0\n"
                                  b"loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nNa 0 0 0\n"])
def test_degenerate_files(data):
    with time_limit(10):
        with pytest.raises(FeaturizeError) as e: featurize(data)
    assert e.value.reason in REASONS and e.value.reason != "unhandled"
