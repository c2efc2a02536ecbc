"""Which code makes a chapter's executed notebooks stale: the freshness stamp's source hash."""

from pathlib import Path

import pytest

from bookkit.provenance import OUTSIDE_THE_KERNEL, bookkit_source_hash


@pytest.fixture
def package(tmp_path: Path) -> Path:
    for name in ["claims.py", "training.py", *OUTSIDE_THE_KERNEL]:
        (tmp_path / name).write_text("x = 1\n")
    for folder in ["uoro", "prednet", "datasets"]:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "model.py").write_text("x = 1\n")
    return tmp_path


@pytest.mark.parametrize("edited, changes", [
    ("claims.py", True), ("training.py", True), ("uoro/model.py", True), ("datasets/model.py", True),
    ("prednet/model.py", False), ("sweep.py", False), ("pages.py", False), ("records.py", False),
])
def test_uoro_stamp_changes_only_with_code_its_kernel_runs(package: Path, edited: str, changes: bool) -> None:
    before = bookkit_source_hash("uoro", package)
    (package / edited).write_text("x = 2\n")
    assert (bookkit_source_hash("uoro", package) != before) is changes
