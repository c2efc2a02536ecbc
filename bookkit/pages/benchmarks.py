"""``book/benchmarks.md``: each chapter's hot kernels timed against a baseline, on the machine that built
the book and on the machines recorded in ``book/records/bench-*.json``."""

from __future__ import annotations

import json
from typing import Any

from bookkit.layout import Layout
from bookkit.pages.cells import GENERATED_NOTE, table_cell
from bookkit.records import RECORDS_DIR, load_records


def benchmark_table(payload: dict[str, Any]) -> list[str]:
    sizes = "quick sizes" if payload.get("quick") else "full sizes"
    lines = [
        f"Measured {payload['date']} on {payload['device']} with torch {payload['torch']} ({sizes}).",
        "",
        "| chapter | benchmark | subject | baseline | subject (ms) | baseline (ms) | ratio | note |",
        "|---|---|---|---|---:|---:|---:|---|",
    ]
    for row in payload["rows"]:
        lines.append(
            f"| {row['chapter']} | {table_cell(row['name'])} | {table_cell(row['subject'])} | "
            f"{table_cell(row['baseline'])} | "
            f"{row['subject_s'] * 1e3:.3g} | {row['baseline_s'] * 1e3:.3g} | "
            f"{row['subject_s'] / row['baseline_s']:.3g} | {table_cell(row.get('note', ''))} |"
        )
    for chapter, error in (payload.get("errors") or {}).items():
        lines.append(f"| {chapter} | *did not finish* | | | | | | {table_cell(error)} |")
    return lines


def benchmarks_markdown(layout: Layout) -> str:
    """The benchmark page: the table ``python -m bookkit bench`` saved on this build, then the tables recorded
    on other machines (``book/records/bench-*.json``), each with the device named."""
    results = layout.generated / "benchmarks.json"
    explanation = (
        "Each chapter's hot kernels timed against a baseline in the same process, alternating the two "
        "and taking medians; ratios are what to compare across machines, absolute times only with the "
        "device."
    )
    lines = [
        "# Benchmarks",
        "",
        GENERATED_NOTE,
        "",
        explanation,
        "",
        "## On the machine that built this book",
        "",
    ]
    if results.exists():
        lines += benchmark_table(json.loads(results.read_text()))
    else:
        lines.append("No benchmark has been run on this build: `python -m bookkit bench` runs them.")
    for record in load_records(layout, "bench"):
        lines += [
            "",
            f"## Recorded on {record['device']}",
            "",
            f"From `{RECORDS_DIR}/{record['file']}`. {record.get('note', '')}".strip(),
            "",
            *benchmark_table(record),
        ]
    return "\n".join(lines) + "\n"
