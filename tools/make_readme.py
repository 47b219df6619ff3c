"""Write README.md from nbs/index.ipynb, the one source of both (nbdev's `nbdev-readme` needs Quarto, which cannot be
installed offline). Markdown cells are copied; code cells (unless `#| hide`) become ```python blocks (unless
`#| echo: false`) followed by their text output, and Markdown they display is copied as it is. `--check` exits 1 when README.md is not what the notebook gives (tests/test_repo.py runs it).

Usage: python tools/make_readme.py [--check]
"""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _outputs(cell) -> tuple[str, str]:
    "(plain text, Markdown) of a code cell's outputs: streams and values as text, Markdown displays as they are."
    import re
    text, markdown = [], []
    for o in cell.get("outputs", []):
        data = o.get("data", {})
        if o.get("output_type") == "stream": text.append("".join(o.get("text", "")))
        elif "text/markdown" in data: markdown.append("".join(data["text/markdown"]).rstrip("\n"))
        elif o.get("output_type") in ("execute_result", "display_data") and "text/plain" in data:
            text.append("".join(data["text/plain"]) + "\n")
    return re.sub(r"\x1b\[[0-9;]*m", "", "".join(text)).rstrip("\n"), "\n\n".join(markdown)


def render(notebook: Path = ROOT / "nbs" / "index.ipynb") -> str:
    "The README text of the index notebook."
    out = []
    for cell in json.loads(notebook.read_text())["cells"]:
        src = "".join(cell["source"]).rstrip("\n")
        if cell["cell_type"] == "markdown": out.append(src)
        elif cell["cell_type"] == "code" and not src.startswith("#| hide"):
            lines = [l for l in src.splitlines() if not l.startswith("#|")]
            if "#| echo: false" not in src: out.append("```python\n" + "\n".join(lines) + "\n```")
            text, markdown = _outputs(cell)
            if text: out.append("```\n" + text + "\n```")
            if markdown: out.append(markdown)
    return "\n\n".join(out) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text, readme = render(), ROOT / "README.md"
    if "--check" in argv:
        if readme.read_text() != text:
            print("README.md is not what nbs/index.ipynb gives: run `python tools/make_readme.py`", file=sys.stderr)
            return 1
        return 0
    readme.write_text(text)
    print(f"wrote {readme} from nbs/index.ipynb")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
