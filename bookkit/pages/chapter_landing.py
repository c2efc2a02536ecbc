"""Each chapter's landing page, ``book/chapters/<slug>.md``: the chapter's root in the toc, so the sidebar
names the chapter by its paper. It is generated from the chapter's entry in :mod:`bookkit.book_structure`
(paper, authors, year, our summary, our substitutions) and from the run records (the chapter's slice of the
scorecard and its seed pass rates), so it cannot drift from either."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from bookkit.book_structure import Chapter
from bookkit.layout import Layout
from bookkit.pages.cells import GENERATED_NOTE
from bookkit.pages.claim_table import ClaimRow, claims_table, count_statuses, run_settings_sentence
from bookkit.sweep import SeedPassRates


def verdict_sentence(claims: Sequence[ClaimRow], checks: Sequence[ClaimRow], rates: SeedPassRates) -> str:
    """How well the chapter reproduces its paper, in two sentences: the verdicts of its executed notebooks,
    and its claims' pass rates over the seeds of the newest sweep records."""
    if claims or checks:
        counts = count_statuses(claims)
        text = (
            f"In the notebooks this book shows, **{counts['PASS']} claims pass and {counts['FAIL']} fail**; "
            f"{counts['INFO']} more are reported without a threshold at the scale they ran at"
        )
        text += "."
        if checks:
            check_counts = count_statuses(checks)
            text += (
                f" Implementation checks of our code (not counted as evidence): {check_counts['PASS']} pass, "
                f"{check_counts['FAIL']} fail"
                + (f", {check_counts['INFO']} not asserted at that scale" if check_counts["INFO"] else "")
                + "."
            )
    else:
        text = "No notebook of this chapter has been run for this build of the book."
    if not any(c["asserted"] and c.get("kind", "claim") == "claim" for c in rates.claims):
        return f"{text} No seed sweep of its claims has been recorded at the `{rates.scale}` scale yet."
    return f"{text} Over seeds, {rates.summary()}."


def landing_page_markdown(
    chapter: Chapter,
    rows: Sequence[ClaimRow],
    rates: SeedPassRates,
    notebooks: Sequence[tuple[str, str | None]],
    *,
    with_recorded: bool,
) -> str:
    """The landing page of ``chapter``: ``rows`` are its claims (implementation checks are only counted),
    ``rates`` its seed pass rates and ``notebooks`` its notebooks' titles in order, each with the document
    to link to (None when it has not been executed)."""
    claims = [row for row in rows if not row.is_check]
    checks = [row for row in rows if row.is_check]
    lines = [
        f"# {chapter.paper_title}",
        "",
        GENERATED_NOTE,
        "",
        f"**The paper:** {chapter.authors} ({chapter.year}), *{chapter.paper_title}* "
        f"{{cite:p}}`{chapter.citation}`. Its claim in one line: {chapter.claim}.",
        "",
        chapter.summary,
        "",
        "## What this chapter reproduces, and how well",
        "",
        verdict_sentence(claims, checks, rates),
        "",
    ]
    if claims:
        lines += [
            run_settings_sentence(claims) + " Click a claim to read all of it; the {doc}`../scorecard` "
            "explains the columns and lists the implementation checks.",
            "",
            *claims_table(claims, with_recorded=with_recorded),
            "",
        ]
    lines += ["## What we ran instead of the paper's setup", ""]
    lines += [f"- {text}" for text in chapter.substitutions]
    lines += ["", "## The notebooks", ""]
    for number, (title, document) in enumerate(notebooks, start=1):
        lines.append(f"{number}. {title}" if document is None else f"{number}. {{doc}}`{title} <{document}>`")
    return "\n".join(lines) + "\n"


def chapter_notebooks(layout: Layout, chapter: Chapter, page_dir: Path) -> list[tuple[str, str | None]]:
    """The chapter's notebooks in order: each title, with its executed notebook as a document relative to
    ``page_dir`` (None when it has not been executed)."""
    notebooks: list[tuple[str, str | None]] = []
    for source in [s for s in layout.all_sources() if s.chapter == chapter.slug]:
        executed = layout.output(source, "notebook")
        document = Path(os.path.relpath(executed.with_suffix(""), page_dir)).as_posix()
        notebooks.append((source.title(), document if executed.exists() else None))
    return notebooks
