"""``book/full-scale.md``: every recorded run at the papers' scale (``book/records/runs-*.json``), claim by
claim."""

from __future__ import annotations

import re

from bookkit.claims import describe_threshold, format_value
from bookkit.gpu_runs import full_scale_sections
from bookkit.layout import Layout
from bookkit.pages.cells import GENERATED_NOTE, claim_status, table_cell, verdict_text
from bookkit.records import load_records

CRITERION_CODE = re.compile(r"^[A-Z]{2,3}-\d+[a-z]?:\s*")
"""A criterion code such as ``SB-6:`` that older records' claim texts began with."""


def reader_text(claim_text: str) -> str:
    """A recorded claim's text without a leading criterion code (``"SB-6: worst KL"`` -> ``"worst KL"``):
    codes were working labels, not part of the claim; the record itself keeps its text as written."""
    return CRITERION_CODE.sub("", claim_text, count=1)


def full_scale_markdown(layout: Layout) -> str:
    """The full-scale page: every recorded run at paper scale (``book/records/runs-*.json``), claim by claim,
    including notebooks that failed or were stopped at the time budget with the claims they had computed."""
    explanation = (
        "The chapters above ran at the `ci` scale on a CPU. Their `full` (paper-size) presets need a GPU "
        "and far more time; whenever one is available the runs are recorded here, claim by claim. A "
        "notebook is *finished*, *failed* (a claim failed or a cell raised; the claims computed before "
        "are shown), *stopped* (the time budget ran out; the claims it had computed are shown) or *not "
        "run*. `python -m bookkit collect` writes these records."
    )
    lines = ["# Full-scale runs", "", GENERATED_NOTE, "", explanation, ""]
    lines += full_scale_sections(layout)
    records = load_records(layout, "runs")
    if not records:
        return "\n".join(lines + ["No full-scale run has been recorded yet."]) + "\n"
    for record in reversed(records):  # newest first
        entries = record["notebooks"]
        states = [e["state"] for e in entries]
        claims = [c for e in entries for c in e["claims"]]
        verdicts = [claim_status(c) for c in claims]
        lines += [
            f"## {record['file'].removesuffix('.json')}",
            "",
            f"Scale `{record['scale']}` on {', '.join(record['devices']) or 'no device'} with torch "
            f"{record['torch']}, recorded {record.get('date', 'on an unknown date')}; "
            + (f"time budget {record['budget_s']:.0f} s. " if record.get("budget_s") else "no time budget. ")
            + record.get("note", ""),
            "",
            "**Notebooks:** "
            + ", ".join(
                f"{states.count(s)} {s}" for s in ("finished", "failed", "stopped", "not run") if s in states
            )
            + f". **Claims computed:** {verdicts.count('PASS')} pass, {verdicts.count('FAIL')} fail, "
            f"{verdicts.count('INFO')} reported without a threshold.",
            "",
            "| notebook | state | wall (s) | claim | paper | ours | threshold | verdict |",
            "|---|---|---:|---|---|---:|---|---|",
        ]
        for entry in entries:
            wall = f"{entry['wall_s']:.0f}" if entry.get("wall_s") else ""
            state = entry["state"] + (f" ({table_cell(entry['error'])[:160]})" if entry.get("error") else "")
            if not entry["claims"]:
                lines.append(f"| {entry['notebook']} | {state} | {wall} | | | | | |")
            for index, claim in enumerate(entry["claims"]):
                paper = (
                    "—"
                    if claim["paper"] is None
                    else f"{format_value(claim['paper'])} ({claim['paper_tag']})"
                )
                threshold = (
                    "not asserted"
                    if claim["threshold"] is None
                    else describe_threshold(claim["op"], claim["threshold"])
                )
                first = index == 0
                lines.append(
                    f"| {entry['notebook'] if first else ''} | {state if first else ''} | "
                    f"{wall if first else ''} | {table_cell(reader_text(claim['text']))} (`{claim['id']}`) | "
                    f"{table_cell(paper)} | {table_cell(format_value(claim['measured']))} | "
                    f"{table_cell(threshold)} | {verdict_text(claim)} |"
                )
        lines.append("")
    return "\n".join(lines) + "\n"
