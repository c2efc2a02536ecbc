"""``book/scorecard.md``: every claim of every chapter on one page, chapter by chapter, with the
implementation checks listed apart and not counted as evidence."""

from __future__ import annotations

from pathlib import Path

from bookkit.book_structure import PAPERS
from bookkit.layout import Layout
from bookkit.pages.cells import GENERATED_NOTE
from bookkit.pages.claim_table import (
    ClaimRow,
    claim_rows,
    claims_table,
    count_statuses,
    has_recorded_runs,
    run_settings_sentence,
)

EXPLANATION = (
    "Every claim every chapter makes, as computed in the executed notebooks that this book shows: the "
    "paper's value (and where it comes from), ours, the threshold it must meet at the scale it ran at, and "
    "the verdict. Click a claim to read all of it. INFO claims are reported without a threshold at that "
    "scale; *stale* beside a verdict means the code changed since the run. The *seeds* column is the claim's "
    "pass rate over the seeds of the newest seed sweep that ran it (`python -m bookkit sweep`; seeds 0-4 "
    "calibrated the thresholds, seeds 5-9 validated them), in bold when some seed fails, *stale* when the "
    "code changed since that sweep; — where no sweep ran it. Implementation checks (identities and "
    "invariants of our code, which hold unless the code is wrong) are listed last and not counted as "
    "evidence."
)
RECORDED_EXPLANATION = (
    " The *full scale* column is the same claim in the newest recorded full-scale run of its notebook (the "
    "{doc}`full-scale` page names the device); — where no recorded run reached it."
)


def headline(claims: list[ClaimRow], checks: list[ClaimRow]) -> str:
    """The scorecard's first line: the verdicts counted, how many swept claims pass on every seed, and the
    implementation checks counted apart."""
    counts = count_statuses(claims)
    text = f"**{counts['PASS']} pass, {counts['FAIL']} fail, {counts['INFO']} reported without a threshold.**"
    swept = [row.sweep for row in claims if row.sweep is not None and row.sweep["asserted"]]
    if swept:
        every = sum(s["passes"] == s["runs"] for s in swept)
        text += f" Over seeds, {every} of {len(swept)} swept claims pass on every seed."
    if checks:
        check_counts = count_statuses(checks)
        text += (
            f" Implementation checks: {check_counts['PASS']} pass, {check_counts['FAIL']} fail"
            + (f", {check_counts['INFO']} not asserted" if check_counts["INFO"] else "")
            + " (not counted as evidence)."
        )
    return text


def scorecard_markdown(layout: Layout, page_dir: Path) -> str:
    """The scorecard: per chapter (named by its paper), the scale and device its notebooks ran at and the
    table of its claims; then the implementation checks of every chapter."""
    rows = claim_rows(layout, page_dir, check_label=True)
    claims = [row for row in rows if not row.is_check]
    checks = [row for row in rows if row.is_check]
    with_recorded = has_recorded_runs(layout)
    lines = [
        "# Scorecard",
        "",
        GENERATED_NOTE,
        "",
        EXPLANATION + (RECORDED_EXPLANATION if with_recorded else ""),
        "",
        headline(claims, checks),
        "",
    ]
    if not rows:
        lines.append("No chapter has been run yet: `make book` runs them.")
    present = {row.chapter for row in claims}
    for chapter in [c for c in PAPERS if c in present] + sorted(present - set(PAPERS)):
        chapter_rows = [row for row in claims if row.chapter == chapter]
        lines += [f"## {PAPERS.get(chapter, chapter)}", "", run_settings_sentence(chapter_rows), ""]
        lines += [*claims_table(chapter_rows, with_recorded=with_recorded), ""]
    if checks:
        lines += ["## Implementation checks", "", *claims_table(checks, with_recorded=with_recorded), ""]
    return "\n".join(lines) + "\n"
