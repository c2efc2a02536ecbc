"""nbval reference notebooks: each chapter notebook executed at ``smoke`` scale, committed under
``tests/notebooks/references/<chapter>/<NN-topic>.ipynb`` with text outputs kept and images stripped.

nbval (``--nbval-lax``) re-executes them and compares the cells tagged ``nbval-check-output``: the cell
that calls ``nb.finish()``, whose summary lists every claim's status and value (timing values elided).
``tests/notebooks/test_references.py`` fails when a reference's code no longer matches its chapter source
and names ``make references`` as the fix.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat

from bookkit.atomic_files import replacing
from bookkit.runner import Layout, NotebookSource, RunSettings, discover, run_notebooks, summary_table

CHECK_TAG = "nbval-check-output"
KEPT_MIME_TYPES = ("text/plain",)


def reference_path(layout: Layout, source: NotebookSource) -> Path:
    return layout.repo_root / "tests" / "notebooks" / "references" / source.chapter / f"{source.stem}.ipynb"


def code_cells(notebook: nbformat.NotebookNode) -> list[str]:
    """The code of a notebook's cells, without papermill's injected-parameters cell."""
    return [
        cell.source.strip()
        for cell in notebook.cells
        if cell.cell_type == "code" and "injected-parameters" not in cell.metadata.get("tags", [])
    ]


def source_code_cells(source: NotebookSource) -> list[str]:
    return code_cells(jupytext.read(source.path))


def is_finish_cell(code: str) -> bool:
    return any(line.strip().endswith(".finish()") for line in code.splitlines())


def strip_for_reference(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep text outputs only, drop execution counts' timing metadata, tag the finish cell for nbval."""
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if output.output_type == "stream":
                if output.name == "stdout":
                    kept.append(output)
            elif output.output_type in ("execute_result", "display_data"):
                data = {k: v for k, v in output.get("data", {}).items() if k in KEPT_MIME_TYPES}
                if data and not data.get("text/plain", "").startswith("<Figure"):
                    output.data = data
                    output.metadata = {}
                    kept.append(output)
            else:
                kept.append(output)
        cell.outputs = kept
        tags = [t for t in cell.metadata.get("tags", []) if t != CHECK_TAG]
        if is_finish_cell(cell.source):
            tags.append(CHECK_TAG)
        cell.metadata["tags"] = tags
    notebook.metadata.pop("papermill", None)
    notebook.metadata.pop("widgets", None)
    return notebook


def regenerate_references(targets: list[str], jobs: int = 2, layout: Layout | None = None) -> int:
    """Execute the selected chapter notebooks at smoke scale and write their reference notebooks."""
    layout = layout or Layout()
    sources = discover(layout, targets)
    with tempfile.TemporaryDirectory(prefix="bookkit-references-") as scratch:
        smoke = Layout(repo_root=layout.repo_root, generated=Path(scratch), package_dir=layout.package_dir)
        outcomes = run_notebooks(
            smoke, sources, RunSettings(scale="smoke", device="cpu"), jobs=jobs, force=True
        )
        print(summary_table(outcomes))
        for outcome in outcomes:
            if outcome.status != "ok":
                continue
            executed = nbformat.read(smoke.output(outcome.source, "notebook"), as_version=4)
            destination = reference_path(layout, outcome.source)
            with replacing(destination) as temporary:
                nbformat.write(strip_for_reference(executed), temporary)
            print(f"wrote {destination.relative_to(layout.repo_root)}")
    return 1 if any(o.status != "ok" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(regenerate_references(sys.argv[1:]))
