"""The Data page agrees with the pinned table and with what the loaders return."""

from __future__ import annotations

from bookkit.datasets.catalog import ARCHIVES, DATASETS
from bookkit.datasets.mnist import mnist
from bookkit.datasets.page import PAGE, TABLES_BEGIN, data_tables, page_with_tables
from bookkit.datasets.shakespeare import shakespeare
from bookkit.datasets.video import VIDEOS, video_frames


def test_committed_page_has_the_current_tables() -> None:
    text = PAGE.read_text()
    assert TABLES_BEGIN in text
    assert page_with_tables(text) == text, "book/data.md is stale: run `python -m bookkit.datasets page`"


def test_tables_list_every_pinned_archive_and_cached_file() -> None:
    tables = data_tables()
    for archive in ARCHIVES:
        assert archive.sha256 in tables and archive.requirement in tables
    for dataset in DATASETS.values():
        for cached in dataset.files:
            assert cached.sha256 in tables and cached.path in tables


def test_numbers_in_the_prose_are_the_loaders() -> None:
    text = " ".join(PAGE.read_text().split())
    digits = mnist()
    assert (
        f"{len(digits.train):,} training, {len(digits.validation):,} validation and {len(digits.test):,} "
        "test digits"
    ) in text
    modern, folio = shakespeare("modern"), shakespeare("folio")
    assert f"Modern spelling: {len(modern.text):,} characters, {len(modern.vocabulary)} distinct" in text
    assert f"First Folio: {len(folio.text):,} characters, {len(folio.vocabulary)} distinct" in text
    assert f"{sum(len(a.members) for a in ARCHIVES)} files read from the archives" in text
    assert f"{sum(len(video_frames(name)) for name in VIDEOS)} frames are few" in text
    for name in VIDEOS:
        frames = video_frames(name)
        assert f"| `{name}` | {len(frames)} |" in text
        assert f"{frames.shape[1]} × {frames.shape[2]}" in text
    assert len(VIDEOS["bikes"].shots) == 6 and "six shots" in text
