"""Every paper notebook through papermill on a tiny run (`dis-csp figures`), and the index that links them."""
import json, shutil
from pathlib import Path
import pytest
from conftest import run

QUICK = ["table3.n_samples=10", "table3.novelty=false", "table3.n_plausibility=1", "table3.n_relax=1", "table3.relax_steps=3", "table3.physics_samplers=kde", "fig4.n_max=40", "fig5.n_samples=20", "fig12.n=3",
         "fig12.steps=20", "fig11.n_cells_2=4", "fig11.n_cells_3=2", "fig11.n_relaxed=1", "fig11.relax_steps=5", "fig11.n_cells_modes=3",
         "csp.n_queries=2", "csp.n=5", "csp.latent_starts=2", "csp.latent_steps=10", "csp.naive_draws=50"]


@pytest.fixture(scope="module")
def figures(tiny_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    args = [a for s in QUICK for a in ("--set", s)]
    r = run("figures", "--run", tiny_run, "--out", out, *args, "--quiet")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return out, r.stdout


def test_every_notebook_ran(figures):
    from dis_csp.present.figures import PAPER_NOTEBOOKS
    out, stdout = figures
    for nb in PAPER_NOTEBOOKS:
        assert (out / "notebooks" / nb.notebook).exists(), nb.notebook
        executed = json.loads((out / "notebooks" / nb.notebook).read_text())
        errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, (nb.notebook, errors)
        assert any((out / nb.name).glob("*.html")) or any((out / nb.name).glob("*.md")), nb.name


def test_tables_and_figures_written(figures):
    out, _ = figures
    t3 = (out / "table3" / "table3.csv").read_text().splitlines()
    assert len(t3) == 11 and "SMA (paper)" in t3[0]                # header + 3 samplers and the test set x 2 modes
    assert "constrained, --charge-balance" in t3[9]                 # + the KDE samples charge balanced
    assert "plausible (CHGNet)" in t3[0] and t3[-1].startswith("real test crystals")   # + the real test crystals' plausibility
    assert "plausible after relaxation" in t3[0]                     # the first constrained KDE crystal relaxed
    assert len((out / "tables_1_2" / "tables_1_2.csv").read_text().splitlines()) == 18
    for f in ("fig4/fig4_latent_space.html", "fig5/fig5_gallery.html", "fig12/fig12_conditioned.html",
              "fig12/fig12_success.csv", "fig11/fig11_modes.html", "fig7/fig7_training_curves.html", "fig2/fig2_data_distribution.html",
              "csp/csp_benchmark.csv", "csp/csp_benchmark.html"):
        assert (out / f).exists(), f
    if shutil.which("chromium"):                                    # kaleido renders PNGs with Chromium
        assert (out / "fig4" / "fig4_latent_space.png").stat().st_size > 10_000


def test_index_links_everything(figures):
    out, _ = figures
    page = (out / "index.html").read_text()
    for title in ("Fig. 2", "Fig. 4", "Fig. 5", "Fig. 7", "Tables 1-2", "Table 3", "Fig. 11", "Fig. 12", "Ablations", "CSP benchmark"):
        assert title in page, title
    for href in ("table3/table3.csv", "fig5/fig5_gallery.html", "notebooks/fig12_conditioned.ipynb"):
        assert f"href='{href}'" in page, href
    assert "[failed]" not in page


def test_figures_bad_input(tiny_run, tmp_path):
    r = run("figures", "--run", tmp_path, "--out", tmp_path / "o")
    assert r.returncode == 2 and "no best.pt" in r.stderr
    r = run("figures", "--run", tiny_run, "--out", tmp_path / "o", "--only", "fig99")
    assert r.returncode == 2 and "unknown figure" in r.stderr
    r = run("figures", "--run", tiny_run, "--out", tmp_path / "o", "--set", "table3")
    assert r.returncode == 2 and "FIGURE.PARAM=VALUE" in r.stderr
