"""The committed nbval reference notebooks match the chapter sources they were generated from.

nbval itself (``pytest --nbval-lax tests/notebooks``) re-executes each reference at smoke scale and compares
the outputs of the cells tagged ``nbval-check-output`` (every notebook's claim summary).
"""

import nbformat
import pytest

from bookkit.references import CHECK_TAG, code_cells, reference_path, source_code_cells
from bookkit.runner import Layout

LAYOUT = Layout()
SOURCES = LAYOUT.all_sources()
FIX = "regenerate with `make references CHAPTERS={chapter}` (or `python -m bookkit references {name}`)"


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_reference_matches_chapter_source(source):
    path = reference_path(LAYOUT, source)
    assert path.exists(), (
        f"no reference notebook for {source.name}: {FIX.format(chapter=source.chapter, name=source.name)}"
    )
    reference = nbformat.read(path, as_version=4)
    assert code_cells(reference) == source_code_cells(source), (
        f"{path.relative_to(LAYOUT.repo_root)} is out of date with "
        f"{source.path.relative_to(LAYOUT.repo_root)}: "
        + FIX.format(chapter=source.chapter, name=source.name)
    )


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_reference_ran_at_smoke_scale_and_checks_its_claims(source):
    reference = nbformat.read(reference_path(LAYOUT, source), as_version=4)
    injected = [c for c in reference.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and 'SCALE = "smoke"' in injected[0].source
    checked = [c for c in reference.cells if CHECK_TAG in c.metadata.get("tags", [])]
    assert checked, f"{source.name}: no cell calls nb.finish(), so nbval compares nothing"
    assert not any(
        o.get("output_type") == "error" for c in reference.cells if c.cell_type == "code" for o in c.outputs
    )


def test_every_reference_has_a_chapter_source():
    root = LAYOUT.repo_root / "tests" / "notebooks" / "references"
    expected = {reference_path(LAYOUT, s) for s in SOURCES}
    orphans = sorted(str(p.relative_to(root)) for p in root.rglob("*.ipynb") if p not in expected)
    assert not orphans, f"reference notebooks without a chapter source (delete them): {orphans}"
