"""Lint the code cells of the chapter notebooks with ruff.

Each ``chapters/<slug>/NN-topic.md`` is read with jupytext and its code cells are written into a temporary
script, every source line on the line it has in the ``.md`` file and every other line left blank, so that
ruff's line numbers are the notebook's; the markdown cells (prose, whose line breaks do not change the page)
are not linted. ruff checks the scripts with the repository's configuration, plus the ignores that suit a
notebook (below). Findings are printed with the chapter's path; the exit status is ruff's. Needs only
jupytext and ruff, not bookkit.

    python tests/lint_notebooks.py [--extend-ignore RULES] [chapters/uoro/01-rtrl-bptt-truncation.md ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

NOTEBOOK_IGNORES = (
    "E402",  # imports may follow the text that motivates them
    "B018",  # a cell ending in an expression displays its value
    "F811",  # a later cell may redefine a name on purpose, to show a variant
)
"""Rules that fire on sound notebook code; everything else (unused imports, ambiguous names, semicolons,
line length) is checked as in bookkit."""


def chapter_notebooks() -> list[Path]:
    """Every chapter notebook, ``chapters/<slug>/NN-topic.md``, in order."""
    return sorted((REPO / "chapters").glob("*/[0-9][0-9]-*.md"))


def code_lines(notebook: Path) -> list[str]:
    """The notebook's lines with everything outside its code cells' sources blanked: a script whose line
    ``i`` is the ``.md`` file's line ``i`` wherever that line is code."""
    import jupytext

    text = notebook.read_text(encoding="utf-8")
    lines = text.splitlines()
    script = [""] * len(lines)
    start = 0
    for cell in jupytext.reads(text, fmt="md:myst").cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        source = cell.source.splitlines()
        first = next(
            i for i in range(start, len(lines) - len(source) + 1) if lines[i : i + len(source)] == source
        )
        script[first : first + len(source)] = source
        start = first + len(source)
    return script


def export(notebooks: list[Path], folder: Path) -> dict[Path, Path]:
    """Each notebook's code (:func:`code_lines`) as a script under ``folder``; returns script -> notebook."""
    scripts = {}
    for notebook in notebooks:
        script = folder / notebook.parent.name / f"{notebook.stem}.py"
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text("\n".join(code_lines(notebook)) + "\n", encoding="utf-8")
        scripts[script] = notebook
    return scripts


def shown(notebook: Path) -> Path:
    """The notebook's path as a finding names it: relative to the repository when inside it."""
    return notebook.relative_to(REPO) if notebook.is_relative_to(REPO) else notebook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="chapter .md files (default: every chapter)")
    parser.add_argument("--extend-ignore", default="", help="more rules to ignore, comma-separated")
    args = parser.parse_args(argv)
    notebooks = [path.resolve() for path in args.notebooks] or chapter_notebooks()
    ignores = ",".join(filter(None, [*NOTEBOOK_IGNORES, *args.extend_ignore.split(",")]))
    with tempfile.TemporaryDirectory(prefix="lint-notebooks-") as scratch:
        scripts = export(notebooks, Path(scratch))
        result = subprocess.run(
            [
                str(BIN / "ruff"),
                "check",
                "--config",
                str(REPO / "pyproject.toml"),
                "--no-cache",
                "--output-format",
                "concise",
                "--extend-ignore",
                ignores,
                *map(str, scripts),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        report = result.stdout + result.stderr
        for script, notebook in scripts.items():
            report = report.replace(str(script), str(shown(notebook)))
    print(report, end="")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
