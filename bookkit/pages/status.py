"""``book/status.md``: how and when each notebook last ran, and whether its inputs changed since."""

from __future__ import annotations

from pathlib import Path

from bookkit.layout import Layout, last_attempt
from bookkit.pages.cells import GENERATED_NOTE, notebook_link, table_cell
from bookkit.runner import freshness, read_record


def status_markdown(layout: Layout, page_dir: Path) -> str:
    """The status page: per notebook, how and when it last ran, and whether its inputs changed since."""
    explanation = (
        "How each notebook in this book was last executed. *fresh*: the notebook source, the bookkit "
        "code it runs and requirements.txt are unchanged since that run; *stale*: something changed, "
        "rerun it with `python -m bookkit run`; *failed*: the last attempt failed and the page shows the "
        "previous good run (the failed notebook is kept beside it); *stopped* or *killed*: the last "
        "attempt was stopped by a signal or killed before it finished, and the page shows the previous "
        "good run."
    )
    header = (
        "| notebook | state | scale | seed | device | wall time (s) | kernel CPU time (s) | peak memory (MB) "
        "| finished (UTC) | torch | bookkit |"
    )
    lines = [
        "# Run status",
        "",
        GENERATED_NOTE,
        "",
        explanation,
        "",
        header,
        "|---|---|---|---:|---|---:|---:|---:|---|---|---|",
    ]
    total_wall = 0.0
    for source in layout.all_sources():
        record = read_record(layout.output(source, "record"))
        failed = last_attempt(layout, source)  # failed, stopped (by a signal), killed, or running now
        state = freshness(layout, source)
        if failed is not None:
            state = f"{failed['status']} ({table_cell(failed.get('error') or '')[:120]})"
        if record is None:
            lines.append(f"| {table_cell(source.name)} | {state} | | | | | | | | | |")
            continue
        total_wall += record.get("wall_s") or 0.0
        lines.append(
            f"| {notebook_link(layout, source, page_dir, source.name)} | {state} | {record['scale']} | "
            f"{record['seed']} | {table_cell(record.get('device_name') or record['device'])} | "
            f"{record['wall_s']:.1f} | {record.get('cpu_s') or ''} | {record.get('peak_rss_mb') or ''} | "
            f"{record['finished_at'].replace('+00:00', '')} | "
            f"{table_cell(record['torch'])} | {record['bookkit']} |"
        )
    lines += ["", f"Total notebook wall time: {total_wall:.0f} s."]
    return "\n".join(lines) + "\n"
