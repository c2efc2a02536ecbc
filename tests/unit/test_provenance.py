"""Which code makes a chapter's executed notebooks stale: the freshness stamp's source hash."""

from pathlib import Path

import pytest

from bookkit.provenance import OUTSIDE_THE_KERNEL, bookkit_source_hash, code_fingerprint


@pytest.fixture
def package(tmp_path: Path) -> Path:
    for name in ["claims.py", "training.py", *OUTSIDE_THE_KERNEL]:
        (tmp_path / name).write_text("x = 1\n")
    for folder in ["uoro", "prednet", "datasets"]:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "model.py").write_text("x = 1\n")
    return tmp_path


@pytest.mark.parametrize(
    ("edited", "changes"),
    [
        ("claims.py", True),
        ("training.py", True),
        ("uoro/model.py", True),
        ("datasets/model.py", True),
        ("prednet/model.py", False),
        ("sweep.py", False),
        ("pages.py", False),
        ("records.py", False),
    ],
)
def test_uoro_stamp_changes_only_with_code_its_kernel_runs(package: Path, edited: str, changes: bool) -> None:
    before = bookkit_source_hash("uoro", package)
    (package / edited).write_text("x = 2\n")
    assert (bookkit_source_hash("uoro", package) != before) is changes


@pytest.mark.parametrize(
    ("new_text", "changes"),
    [
        ("x = (\n    1\n)  # the same statement, laid out and commented\n", False),
        ("x = 2\n", True),
        ('"""A docstring is part of the code."""\nx = 1\n', True),
    ],
)
def test_stamp_ignores_layout_and_comments_of_python_code(
    package: Path, new_text: str, changes: bool
) -> None:
    before = bookkit_source_hash("uoro", package)
    (package / "uoro" / "model.py").write_text(new_text)
    assert (bookkit_source_hash("uoro", package) != before) is changes


NOTEBOOK = """---
jupytext:
  text_representation:
    format_name: myst
---

# A chapter

```{code-cell} ipython3
y = f(1,2)
```
"""


@pytest.mark.parametrize(
    ("old", "new", "changes"),
    [
        ("y = f(1,2)", "y = f(1, 2)  # formatted", False),
        ("y = f(1,2)", "y = f(1, 3)", True),
        ("# A chapter", "# A chapter, retitled", True),
    ],
)
def test_notebook_fingerprint_keeps_prose_and_code_but_not_layout(
    tmp_path: Path, old: str, new: str, changes: bool
) -> None:
    path = tmp_path / "01-topic.md"
    path.write_text(NOTEBOOK)
    before = code_fingerprint(path)
    path.write_text(NOTEBOOK.replace(old, new))
    assert (code_fingerprint(path) != before) is changes
