"""``book/summary.md``, the generated part of the front page (``book/intro.md`` includes it): where the book
stands, then one figure per paper. This is the one place where the front page's generated content is
assembled."""

from __future__ import annotations

import os
from pathlib import Path

from bookkit.book_structure import PAPERS
from bookkit.gpu_runs import book_gpu_runs, front_page_sentence
from bookkit.layout import Layout
from bookkit.pages.cells import GENERATED_NOTE, claim_status
from bookkit.pages.claim_table import executed_metrics
from bookkit.pages.front_figures import front_figure
from bookkit.records import latest_entries, load_records


def front_summary_markdown(layout: Layout, page_dir: Path) -> str:
    """``book/summary.md``, included by the front page: how many claims pass at the scale the book ran at,
    how far the recorded full-scale runs got, and one figure per paper linking to its chapter."""
    counts = {"PASS": 0, "FAIL": 0, "INFO": 0}
    notebooks = 0
    scales_seen: set[str] = set()
    for _, metrics in executed_metrics(layout):
        notebooks += 1
        scales_seen.add(metrics.get("scale", "?"))
        for claim in metrics.get("claims", []):
            if claim.get("kind") != "check":  # implementation checks are not evidence
                counts[claim_status(claim)] += 1
    scales = ", ".join(f"`{s}`" for s in sorted(scales_seen)) or "no"
    lines = [GENERATED_NOTE, ""]
    if notebooks:
        lines.append(
            f"**Where the book stands:** in the {notebooks} notebook{'s' if notebooks != 1 else ''} shown "
            f"here (scale {scales}), "
            f"**{counts['PASS']} claims pass and {counts['FAIL']} fail**; {counts['INFO']} more are "
            "reported without a threshold at that scale. The {doc}`scorecard` lists them all."
        )
    else:
        lines.append("No chapter has been run yet: `make book` runs them.")
    latest = latest_entries(load_records(layout, "runs"))
    if latest:
        devices = sorted({device for entry in latest.values() for device in entry["devices"]})
        finished = sum(entry["state"] == "finished" for entry in latest.values())
        verdicts = [claim_status(c) for entry in latest.values() for c in entry["claims"]]
        lines[-1] += (
            f" At the paper's scale, the recorded runs ({', '.join(devices)}) "
            f"finished {finished} of {len(layout.all_sources())} notebooks and computed "
            f"{verdicts.count('PASS')} passing and {verdicts.count('FAIL')} failing claims: see "
            "{doc}`full-scale`."
        )
    lines += ["", front_page_sentence(book_gpu_runs(layout))]
    lines.append("")
    for chapter, paper in PAPERS.items():
        found = front_figure(layout, chapter)
        if found is None:
            continue
        source, image = found
        target = os.path.relpath(layout.output(source, "notebook").with_suffix(""), page_dir)
        lines += [
            f"```{{figure}} {Path(os.path.relpath(image, page_dir)).as_posix()}",
            ":width: 100%",
            "",
            f"{paper}: from {{doc}}`{source.title()} <{Path(target).as_posix()}>`.",
            "```",
            "",
        ]
    return "\n".join(lines) + "\n"
