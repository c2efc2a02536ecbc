"""Static checks of every chapter source, cheap enough to run before any notebook executes."""

import re

import jupytext
import pytest

from bookkit.runner import Layout

LAYOUT = Layout()
SOURCES = LAYOUT.all_sources()
PARAMETERS_CELL = """\
SCALE = "ci"  # smoke (seconds) | ci (CPU minutes, default) | gpu (one GPU, minutes) | full (paper size)
SEED = 0  # seed for python, numpy and torch; CPU runs are bit-identical for a seed
DEVICE = "auto"  # auto | cpu | cuda | cuda:N (cuda without a GPU is an error)
OVERRIDES = {}  # preset fields to change, e.g. {"num_steps": 200}; unknown keys are an error"""


def code_cells(source):
    return [c for c in jupytext.read(source.path).cells if c.cell_type == "code"]


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_first_code_cell_is_the_standard_parameters_cell(source):
    first = code_cells(source)[0]
    assert first.metadata.get("tags") == ["parameters"], (
        f"{source.name}: first code cell must be tagged parameters"
    )
    assert first.source.strip() == PARAMETERS_CELL, (
        f"{source.name}: the parameters cell must read:\n{PARAMETERS_CELL}"
    )


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_notebook_starts_under_its_own_name_states_claims_and_finishes(source):
    code = "\n".join(c.source for c in code_cells(source))
    assert re.search(rf'start_notebook\(\s*"{re.escape(source.name)}"', code), (
        f"{source.name}: start_notebook must be given its own name"
    )
    assert re.search(r"\.claim\(", code), f"{source.name}: states no claim"
    assert code_cells(source)[-1].source.strip() == "nb.finish()", (
        f"{source.name}: the last code cell must be nb.finish()"
    )
    notebook = jupytext.read(source.path)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    titles = [
        line
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("# ")
    ]
    assert len(titles) == 1, f"{source.name}: needs exactly one '# ' title, found {titles}"


@pytest.mark.parametrize("chapter", LAYOUT.chapters())
def test_each_chapter_offers_an_interactive_explorer(chapter):
    sources = [s for s in SOURCES if s.chapter == chapter]
    assert any("explore(" in s.path.read_text() for s in sources), (
        f"{chapter}: no bookkit.explore(...) widget"
    )


def test_papermill_help_lists_each_parameter_with_its_meaning(tmp_path):
    import subprocess
    import sys

    if not SOURCES:
        pytest.skip("no chapter notebooks yet")
    notebook = tmp_path / "chapter.ipynb"
    jupytext.write(jupytext.read(SOURCES[0].path), notebook)
    papermill = [sys.executable, "-m", "papermill", "--help-notebook", str(notebook)]
    shown = subprocess.run(papermill, capture_output=True, text=True, check=True).stdout
    for line in PARAMETERS_CELL.splitlines():
        name, meaning = line.split("=", 1)[0].strip(), line.split("#", 1)[1].strip()
        assert name in shown and meaning[:40] in shown, (
            f"papermill --help-notebook does not explain {name}:\n{shown}"
        )
