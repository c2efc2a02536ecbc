"""The claims table of the scorecard and of each chapter's landing page: one row per claim of an executed
notebook, built from the runner's outputs and the committed records (:func:`claim_rows`), rendered as a
Markdown table narrow enough for a laptop screen (:func:`claims_table`).

A row shows the notebook's number, the claim's opening words (the full text and the claim's id one click
away, in a ``<details>``), the paper's value, ours, the threshold, the verdict as a badge, the seed pass rate
of the newest sweep record containing the claim and, when full-scale runs are recorded, the same claim there.
The scale and device, the same for most notebooks of a chapter, are said once above the table
(:func:`run_settings_sentence`).
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from bookkit.claims import describe_threshold, format_value
from bookkit.layout import Layout, NotebookSource
from bookkit.pages.cells import claim_status, notebook_link, small, table_cell, verdict_badge
from bookkit.records import latest_entries, load_records
from bookkit.runner import freshness
from bookkit.sweep import newest_sweep_claims, seed_rate_cell, sweep_is_stale

TABLE_CLASS = "claim-table"
"""The class of the container around each claims table, styled by ``book/_static/book.css``."""
SUMMARY_CHARS = 60
"""How much of a claim's text the table shows before the click that opens the rest."""


@dataclasses.dataclass(frozen=True)
class ClaimRow:
    """One claim as the tables show it.

    ``claim`` is the claim as the kernel recorded it (``.metrics.json``); ``link`` the Markdown link to its
    executed notebook (or the notebook's number alone); ``stale`` says the notebook's inputs changed since it
    ran; ``sweep`` is the claim's entry in the newest sweep record containing it (``stale`` too when the
    inputs changed since that sweep); ``recorded`` is the same claim in the newest recorded full-scale run.
    """

    chapter: str
    notebook: str
    link: str
    claim: Mapping[str, Any]
    device: str
    stale: bool = False
    sweep: Mapping[str, Any] | None = None
    sweep_stale: bool = False
    recorded: Mapping[str, Any] | None = None

    @property
    def is_check(self) -> bool:
        """An implementation check (an identity of our code), not evidence about the paper."""
        return self.claim.get("kind") == "check"


def executed_metrics(layout: Layout) -> Iterator[tuple[NotebookSource, dict[str, Any]]]:
    """Each executed notebook with the metrics of its last good run, in the book's order."""
    for source in layout.all_sources():
        metrics_path = layout.output(source, "metrics")
        if metrics_path.exists():
            yield source, json.loads(metrics_path.read_text())


def has_recorded_runs(layout: Layout) -> bool:
    """Whether any full-scale run is recorded (``book/records/runs-*.json``): the tables then show it."""
    return bool(load_records(layout, "runs"))


def claim_rows(layout: Layout, page_dir: Path, *, check_label: bool = False) -> list[ClaimRow]:
    """Every claim of every executed notebook, in the book's order, linked from a page in ``page_dir``.
    Implementation checks are labelled with their chapter too (``uoro 01``) when ``check_label``, for a table
    that gathers the checks of every chapter."""
    recorded = {
        c["id"]: c for e in latest_entries(load_records(layout, "runs")).values() for c in e["claims"]
    }
    sweeps = newest_sweep_claims(layout)
    stale_sweeps: dict[tuple[str, str], bool] = {}
    rows = []
    for source, metrics in executed_metrics(layout):
        stale = freshness(layout, source) == "stale"
        number = source.stem.split("-", 1)[0]
        for claim in metrics.get("claims", []):
            label = f"{source.chapter} {number}" if check_label and claim.get("kind") == "check" else number
            sweep = sweeps.get((claim["scale"], source.name, claim["id"]))
            if sweep is not None and (source.name, sweep["file"]) not in stale_sweeps:
                stale_sweeps[(source.name, sweep["file"])] = sweep_is_stale(layout, source, sweep)
            rows.append(
                ClaimRow(
                    chapter=source.chapter,
                    notebook=source.name,
                    link=notebook_link(layout, source, page_dir, label),
                    claim=claim,
                    device=metrics.get("device_name", claim["device"]),
                    stale=stale,
                    sweep=sweep,
                    sweep_stale=sweep is not None and stale_sweeps[(source.name, sweep["file"])],
                    recorded=recorded.get(claim["id"]),
                )
            )
    return rows


def claim_text_cell(claim: Mapping[str, Any]) -> str:
    """The claim's opening words; a click shows its full text and its id."""
    text = str(claim["text"])
    opening = textwrap.shorten(text, SUMMARY_CHARS, placeholder=" …")
    return f"<details><summary>{table_cell(opening)}</summary>{table_cell(text)} (`{claim['id']}`)</details>"


def paper_cell(claim: Mapping[str, Any]) -> str:
    """The paper's value with where it comes from in small print, — when the paper gives none."""
    if claim["paper"] is None:
        return "—"
    return f"{table_cell(format_value(claim['paper']))} {small(table_cell('(' + claim['paper_tag'] + ')'))}"


def threshold_cell(claim: Mapping[str, Any]) -> str:
    """The threshold at the scale the claim ran at, — when it is not asserted there."""
    if claim["threshold"] is None:
        return "—"
    return table_cell(describe_threshold(claim["op"], claim["threshold"]))


def recorded_cell(claim: Mapping[str, Any] | None) -> str:
    """The claim in a recorded full-scale run: value, threshold in small print, verdict badge."""
    if claim is None:
        return "—"
    threshold = "" if claim["threshold"] is None else " " + small(threshold_cell(claim).join("()"))
    return f"{table_cell(format_value(claim['measured']))}{threshold} {verdict_badge(claim)}"


def claims_table(rows: Sequence[ClaimRow], *, with_recorded: bool) -> list[str]:
    """The Markdown table of ``rows``, with a column for the recorded full-scale runs if ``with_recorded``,
    in a container of class ``claim-table`` (``book/_static/book.css`` keeps it within the page)."""
    header = "| nb | claim | paper | ours | threshold | verdict | seeds |"
    rule = "|---|---|---|---:|---|---|---:|"
    if with_recorded:
        header, rule = header + " full scale |", rule + "---|"
    lines = [header, rule]
    for row in rows:
        verdict = verdict_badge(row.claim) + (" " + small("stale") if row.stale else "")
        seeds = seed_rate_cell(dict(row.sweep) if row.sweep is not None else None)
        if row.sweep_stale and seeds != "—":
            seeds += " " + small("stale")
        cells = [
            row.link,
            claim_text_cell(row.claim),
            paper_cell(row.claim),
            table_cell(format_value(row.claim["measured"])),
            threshold_cell(row.claim),
            verdict,
            seeds,
        ]
        if with_recorded:
            cells.append(recorded_cell(row.recorded))
        lines.append("| " + " | ".join(cells) + " |")
    return [f":::{{container}} {TABLE_CLASS}", *lines, ":::"]


def run_settings_sentence(rows: Sequence[ClaimRow]) -> str:
    """The scales and devices the rows' notebooks ran at, in one sentence: ``Ran at scale `ci` on cpu (...).``
    or, when they differ, which notebooks ran how."""
    settings: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        numbers = settings.setdefault((row.claim["scale"], row.device), [])
        number = row.notebook.rsplit("/", 1)[-1].split("-", 1)[0]
        if number not in numbers:
            numbers.append(number)
    if not settings:
        return ""
    if len(settings) == 1:
        ((scale, device),) = settings
        return f"Ran at scale `{scale}` on {device}."
    parts = [
        f"{', '.join(numbers)} at `{scale}` on {device}" for (scale, device), numbers in settings.items()
    ]
    return "Notebooks " + "; ".join(parts) + "."


def count_statuses(rows: Sequence[ClaimRow]) -> dict[str, int]:
    """How many rows pass, fail and are reported without a threshold."""
    counts = {"PASS": 0, "FAIL": 0, "INFO": 0}
    for row in rows:
        counts[claim_status(row.claim)] += 1
    return counts
