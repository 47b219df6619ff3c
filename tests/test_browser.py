"""The tutorial in a real JupyterLab, driven by Playwright in headless Chromium: run all cells, operate the
conditioning panel (an impossible element first, then a real request), and check that candidates appear and a
structure view renders. Screenshots go to $DIS_CSP_ARTIFACTS (default test-artifacts/)."""
import json, os, shutil, socket, subprocess, sys, time, uuid, urllib.request
from pathlib import Path
import pytest
from conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("DIS_CSP_ARTIFACTS", ROOT / "test-artifacts"))
if not CHROMIUM and not os.environ.get("CI"):
    pytest.skip("no Chromium here (CI installs it: apt-get install chromium)", allow_module_level=True)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tiny_run, tmp_path_factory):
    "JupyterLab serving a copy of the tutorial whose run_dir points at the tiny run."
    root = tmp_path_factory.mktemp("lab")
    nb = json.loads((ROOT / "nbs" / "tutorials" / "explore.ipynb").read_text())
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = [f"run_dir = {str(tiny_run)!r}\n", "steps = 40\n", "n_test = 30\n"]
    (root / "explore.ipynb").write_text(json.dumps(nb))
    config = root / ".config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"buildCheck": False, "disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    port, token = _free_port(), uuid.uuid4().hex
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "CT_JUPYTER_EMBED_PORT": "0"}
    log = open(root / "lab.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}",
                             "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
                             "--LabApp.expose_app_in_browser=True"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2); break
        except Exception: time.sleep(0.5)
    else:
        proc.kill(); pytest.fail("JupyterLab did not start:\n" + (root / "lab.log").read_text()[-2000:])
    yield base, token
    proc.terminate()
    try: proc.wait(20)
    except subprocess.TimeoutExpired: proc.kill()


def test_tutorial_panel_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright
    base, token = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"): old.unlink()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        try:
            page.goto(f"{base}/lab/workspaces/{uuid.uuid4().hex}/tree/explore.ipynb?token={token}")
            page.wait_for_function("window.jupyterapp !== undefined", timeout=120_000)
            page.wait_for_selector(".jp-Notebook", timeout=120_000)
            page.wait_for_function("""() => { const s = document.querySelector('.jp-Notebook-ExecutionIndicator');
                                               return !s || s.getAttribute('data-status') === 'idle'; }""", timeout=120_000)
            page.wait_for_timeout(2000)
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            # every code cell executed: no "[ ]" / "[*]" prompts left
            page.wait_for_function("""() => { const ps = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                                              return ps.length > 0 && ps.every(p => /\\[\\d+\\]/.test(p.textContent)); }""",
                                   timeout=300_000)
            panel = page.locator(".dis-csp-panel")
            panel.wait_for(timeout=60_000)
            page.locator(".dis-csp-viewer .js-plotly-plot").first.wait_for(timeout=60_000)   # the first viewer
            panel.scroll_into_view_if_needed()
            # impossible input: a message in the panel, no traceback
            elements = panel.locator("input[placeholder='e.g. Li,P,O']")
            elements.fill("Li,Qq"); elements.press("Tab")
            panel.locator(".dis-csp-generate").click()
            page.wait_for_function("""() => document.querySelector('.dis-csp-panel .dis-csp-message')
                                              .textContent.includes('unknown element')""", timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "panel_error.png"), full_page=False)
            # a real request: Pnma, {Li, P, O}, one disordered site
            elements.fill("Li,P,O"); elements.press("Tab")
            panel.locator("select").first.select_option(label="62 Pnma")
            panel.locator("select").nth(1).select_option(label="1")
            panel.locator(".dis-csp-generate").click()
            page.wait_for_selector(".dis-csp-panel .dis-csp-results table", timeout=180_000)
            page.wait_for_function("""() => document.querySelector('.dis-csp-panel .dis-csp-message')
                                              .textContent.includes('candidates meet every condition')""", timeout=60_000)
            rows = panel.locator(".dis-csp-results tbody tr").count()
            assert rows == 8, rows
            page.locator(".dis-csp-panel .dis-csp-viewer .js-plotly-plot").first.wait_for(timeout=60_000)
            assert panel.locator(".dis-csp-viewer a.dis-csp-cif").count() == 1
            formulas = panel.locator(".dis-csp-results tbody tr td:nth-child(2)").all_inner_texts()
            title = panel.locator(".dis-csp-viewer").first.inner_text().split("\n")[0]
            assert any(title.startswith(f.strip()) for f in formulas), (title, formulas)   # the viewer shows a candidate
            panel.locator(".dis-csp-results").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "panel_results.png"), full_page=False)
            panel.locator(".dis-csp-viewer").first.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "panel_structure.png"), full_page=False)
            # crystal-toolkit: the toggle swaps the plotly picture for crystal-toolkit's viewer (a Dash app in the kernel)
            viewer = panel.locator(".dis-csp-viewer").first
            viewer.locator("button", has_text="crystal-toolkit").click()
            frame = viewer.locator(".dis-csp-picture iframe")
            frame.wait_for(timeout=90_000)
            inner = frame.content_frame
            inner.locator("canvas").first.wait_for(timeout=90_000)      # its three.js scene
            page.wait_for_timeout(3000)
            viewer.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "panel_crystal_toolkit.png"), full_page=False)
            # the predict panel: a bad formula gives a message; a doped layered oxide gives ranked candidates
            pp = page.locator(".dis-csp-predict-panel")
            pp.scroll_into_view_if_needed()
            formula = pp.locator("input[placeholder='e.g. LiCo0.97Ni0.03O2']")
            formula.fill("Li2Xx"); formula.press("Tab")
            pp.locator(".dis-csp-predict").click()
            page.wait_for_function("""() => document.querySelector('.dis-csp-predict-panel .dis-csp-message')
                                              .textContent.includes('unknown element')""", timeout=30_000)
            formula.fill("LiCo0.97Ni0.03O2"); formula.press("Tab")
            pp.locator(".dis-csp-predict").click()
            page.wait_for_function("""() => document.querySelector('.dis-csp-predict-panel .dis-csp-message')
                                              .textContent.includes('candidates for LiCo0.97Ni0.03O2')""", timeout=180_000)
            assert pp.locator(".dis-csp-results tbody tr").count() == 5
            assert "probability" in pp.locator(".dis-csp-results thead").text_content()     # each candidate's chance
            assert pp.locator("a.dis-csp-cif").count() >= 1                 # the chosen candidate's CIF download
            pp.locator(".dis-csp-results").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "predict_panel.png"), full_page=False)
            # the series panel: a zero step gives a message; Na1-xKxCl over three points gives a table and a plot
            sp = page.locator(".dis-csp-series-panel")
            sp.scroll_into_view_if_needed()
            template, x = sp.locator("input[placeholder='e.g. LiCo{1-x}Ni{x}O2']"), sp.locator("input[placeholder='START:STOP:STEP']")
            template.fill("Na{1-x}K{x}Cl"); template.press("Tab")
            x.fill("0:1:0"); x.press("Tab")
            sp.locator(".dis-csp-series-run").click()
            page.wait_for_function("""() => document.querySelector('.dis-csp-series-panel .dis-csp-message')
                                              .textContent.includes('step is zero')""", timeout=30_000)
            x.fill("0:1:0.5"); x.press("Tab")
            sp.locator(".dis-csp-series-run").click()
            page.wait_for_function("""() => document.querySelector('.dis-csp-series-panel .dis-csp-message')
                                              .textContent.includes('3 compositions')""", timeout=180_000)
            assert sp.locator(".dis-csp-results tbody tr").count() == 3
            sp.locator(".dis-csp-series-plot .js-plotly-plot").first.wait_for(timeout=60_000)
            assert "Vegard" in sp.locator(".dis-csp-series-plot").inner_text()
            sp.locator(".dis-csp-series-plot").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "series_panel.png"), full_page=False)
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
            assert not any("Traceback" in e for e in errors), errors
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
