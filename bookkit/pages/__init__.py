"""The book's generated pages, written by ``python -m bookkit pages`` (and after every ``python -m bookkit
run``) from the runner's outputs in ``book/_generated`` and the committed records in ``book/records``; never
edited by hand. One module per page:

- :mod:`bookkit.pages.scorecard`: every claim of every chapter, ``book/scorecard.md``;
- :mod:`bookkit.pages.chapter_landing`: each chapter's landing page, ``book/chapters/<slug>.md``;
- :mod:`bookkit.pages.front_page`: the front page's generated summary, ``book/summary.md``;
- :mod:`bookkit.pages.status`, :mod:`bookkit.pages.full_scale`, :mod:`bookkit.pages.benchmarks`: how each
  notebook last ran, the recorded full-scale runs, the benchmarks.

Shared by them: :mod:`bookkit.pages.cells` (table cells, verdict badges, links) and
:mod:`bookkit.pages.claim_table` (the claims table of the scorecard and the landing pages);
:mod:`bookkit.pages.front_figures` extracts the front page's figures from the executed notebooks.
"""

from __future__ import annotations

from pathlib import Path

from bookkit.atomic_files import write_text_atomically
from bookkit.book_structure import CHAPTERS, LANDING_PAGES
from bookkit.layout import Layout
from bookkit.pages.benchmarks import benchmarks_markdown
from bookkit.pages.chapter_landing import chapter_notebooks, landing_page_markdown
from bookkit.pages.claim_table import claim_rows, has_recorded_runs
from bookkit.pages.front_figures import front_figure
from bookkit.pages.front_page import front_summary_markdown
from bookkit.pages.full_scale import full_scale_markdown
from bookkit.pages.scorecard import scorecard_markdown
from bookkit.pages.status import status_markdown
from bookkit.sweep import seed_pass_rates

__all__ = [
    "benchmarks_markdown",
    "front_figure",
    "front_summary_markdown",
    "full_scale_markdown",
    "landing_pages",
    "scorecard_markdown",
    "status_markdown",
    "write_pages",
]


def landing_pages(layout: Layout, landing_dir: Path) -> dict[Path, str]:
    """The landing page of each chapter that has notebooks, by its path in ``landing_dir``."""
    rows = claim_rows(layout, landing_dir)
    with_recorded = has_recorded_runs(layout)
    present = set(layout.chapters())
    return {
        landing_dir / f"{chapter.slug}.md": landing_page_markdown(
            chapter,
            [row for row in rows if row.chapter == chapter.slug],
            seed_pass_rates(chapter.slug, layout=layout),
            chapter_notebooks(layout, chapter, landing_dir),
            with_recorded=with_recorded,
        )
        for chapter in CHAPTERS
        if chapter.slug in present
    }


def write_pages(layout: Layout, book_dir: Path | None = None) -> list[Path]:
    """Write ``book/scorecard.md``, ``book/status.md``, ``book/benchmarks.md``, ``book/full-scale.md``,
    ``book/summary.md`` (the front page's summary) and the chapters' landing pages; returns their paths."""
    book_dir = book_dir or layout.repo_root / "book"
    landing_dir = book_dir / Path(LANDING_PAGES).name
    landing_dir.mkdir(parents=True, exist_ok=True)
    pages = {
        book_dir / "scorecard.md": scorecard_markdown(layout, book_dir),
        book_dir / "status.md": status_markdown(layout, book_dir),
        book_dir / "benchmarks.md": benchmarks_markdown(layout),
        book_dir / "full-scale.md": full_scale_markdown(layout),
        book_dir / "summary.md": front_summary_markdown(layout, book_dir),
        **landing_pages(layout, landing_dir),
    }
    for path, text in pages.items():
        write_text_atomically(path, text)
    return list(pages)
