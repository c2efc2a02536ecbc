"""Fixtures for the data-layer tests: the book's cache, and a scratch cache that tests may damage."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bookkit.datasets.cache import FIX_COMMAND, DataError, data_dir, file_matches


@pytest.fixture
def real_cache() -> Path:
    """The cache the book uses (``make data`` fills it)."""
    return data_dir()


@pytest.fixture
def scratch_cache(real_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder that ``BOOKKIT_DATA_DIR`` points at for the test."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("BOOKKIT_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def copy_to_scratch(real_cache: Path, scratch_cache: Path) -> Callable[[str, str], Path]:
    """``copy_to_scratch(relative_path, sha256)`` copies a checked file of the real cache into the scratch
    one; a missing real cache fails the test with the loaders' own message (run ``make data``), never a
    skip."""

    def copy(relative: str, sha256: str) -> Path:
        source = real_cache / relative
        if not file_matches(source, sha256):
            raise DataError(f"{source} is missing or corrupt: run `{FIX_COMMAND}`")
        target = scratch_cache / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return target

    return copy
