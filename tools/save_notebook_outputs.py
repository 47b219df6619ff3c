"""Execute the library notebooks and keep their outputs, small: `nbdev-test --save` runs them and writes the outputs
back; then every plotly figure becomes a static PNG (a few tens of kB instead of megabytes of JSON), every PNG is
reduced to a 128-colour palette (plots lose nothing visible; a quarter of the size), long text outputs are cut,
plotly's script loader, widget views (no widget state is saved), erased progress bars and the environment's
warnings are dropped, paths of the machine that ran them become relative (`<tmp>`, `~`, `<site-packages>`), and
`nbdev-clean` normalizes the files. The result is what a reader sees on GitHub or in JupyterLab without
running anything.

Usage: python tools/save_notebook_outputs.py [--shrink-only] [NOTEBOOK ...]
(default: every library notebook: nbs/**/*.ipynb but paper/ and tutorials/, which papermill and the browser test run)
"""
import base64, json, os, re, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_TEXT = 6_000          # characters of one text output kept
MAX_NOTEBOOK = 400_000    # bytes a notebook may have with its outputs


def _png(figure_json: dict, width: int = 900) -> str:
    "A plotly figure (its JSON) as a base64 PNG."
    import plotly.io as pio
    fig = pio.from_json(json.dumps(figure_json))
    height = fig.layout.height or 450
    return base64.b64encode(fig.to_image(format="png", width=min(width, fig.layout.width or width), height=height, scale=1)).decode()


def _palette(png_b64: str, colors: int = 128) -> str:
    "A PNG (base64) with its colours reduced to a palette, when that makes it smaller."
    import io
    from PIL import Image
    raw = base64.b64decode(png_b64)
    buf = io.BytesIO()
    Image.open(io.BytesIO(raw)).convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(buf, "PNG", optimize=True)
    return base64.b64encode(buf.getvalue()).decode() if len(buf.getvalue()) < len(raw) else png_b64


WARNING_LINE = re.compile(r"\w*Warning:|WARNING \||\[W \d|warnings\.warn\(")
PATHS = [(re.compile(r"\S*/site-packages/"), "<site-packages>/"), (re.compile(r"\S*/\.venv/lib/\S*?/"), "<venv>/"),
         (re.compile(re.escape(tempfile.gettempdir()) + r"/tmp[\w-]+"), "<tmp>")]


def tidy(text: str) -> str:
    "An output's text without the machine that made it: the checkout's path, temporary folders, the home folder."
    text = text.replace(str(ROOT) + "/", "").replace(str(ROOT), ".")
    for rx, to in PATHS: text = rx.sub(to, text)
    return text.replace(str(Path.home()) + "/", "~/")


def _without_warnings(text: str) -> str:
    "A stream's text without warnings (and the source line Python prints under each)."
    lines, kept, skip = text.splitlines(keepends=True), [], False
    for line in lines:
        if WARNING_LINE.search(line): skip = True; continue
        if skip and line.startswith("  "): continue
        skip = False; kept.append(line)
    return "".join(kept)


def _worth_keeping(out: dict) -> bool:
    "False for outputs a reader gains nothing from: plotly's script loader, progress-bar erasures."
    import re
    if out.get("output_type") == "stream": return bool(re.sub(r"\x1b\[[0-9;]*[A-Za-z]|\s", "", "".join(out.get("text", []))))
    html = "".join(out.get("data", {}).get("text/html", []))
    return not ("window.PlotlyConfig" in html and set(out["data"]) <= {"text/html", "text/plain"})


def shrink(nb_path: Path) -> int:
    "Plotly outputs of a notebook as PNGs, long text cut; the new size in bytes."
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream": out["text"] = [tidy(_without_warnings("".join(out["text"])))]
            for key in ("text/plain", "text/html", "text/markdown"):
                if key in out.get("data", {}): out["data"][key] = [tidy("".join(out["data"][key]))]
        cell["outputs"] = [o for o in cell.get("outputs", []) if _worth_keeping(o)]
        for out in cell["outputs"]:
            out.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)   # no widget state is saved
            data = out.get("data", {})
            if "application/vnd.plotly.v1+json" in data:
                out["data"] = data = {"image/png": _png(data["application/vnd.plotly.v1+json"]), "text/plain": ["<plotly figure>"]}
            if "image/png" in data: data["image/png"] = _palette("".join(data["image/png"]))
            for key in ("text/plain", "text/html"):
                text = "".join(data.get(key, []))
                if len(text) > MAX_TEXT: data[key] = [text[:MAX_TEXT] + "\n... (cut)"]
            if out.get("output_type") == "stream" and len("".join(out.get("text", []))) > MAX_TEXT:
                out["text"] = ["".join(out["text"])[:MAX_TEXT] + "\n... (cut)"]
    text = json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    nb_path.write_text(text)
    return len(text.encode())


def library_notebooks() -> list[Path]:
    "nbs/**/*.ipynb but nbs/paper, nbs/tutorials and hidden or private folders."
    return sorted(p for p in (ROOT / "nbs").rglob("*.ipynb") if not any(part in ("paper", "tutorials") or part[0] in "._"
                                                                       for part in p.relative_to(ROOT / "nbs").parts[:-1]))


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    shrink_only = "--shrink-only" in args               # only make the committed outputs small, without running anything
    paths = [Path(a).resolve() for a in args if a != "--shrink-only"] or library_notebooks()
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    for path in paths:
        r = subprocess.run([str(bin_dir / "nbdev-test"), "--save", str(path)], cwd=ROOT, capture_output=True, text=True, env=env) \
            if not shrink_only else subprocess.CompletedProcess([], 0)
        if r.returncode != 0:
            print(f"{path.name}: failed\n{r.stdout[-2000:]}{r.stderr[-2000:]}", file=sys.stderr); return 1
        size = shrink(path)
        print(f"{path.name}: {size / 1e3:.0f} kB")
        if size > MAX_NOTEBOOK: print(f"{path.name}: more than {MAX_NOTEBOOK / 1e3:.0f} kB with its outputs", file=sys.stderr)
    subprocess.run([str(bin_dir / "nbdev-clean")], cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
