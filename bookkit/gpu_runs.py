"""Where each notebook stands on a GPU: its newest recorded GPU run, that run's verdicts, and whether it has
ever completed on one, from the committed run records (``book/records/runs-*.json``).

A notebook *completed* on a GPU when a recorded GPU run of it ran to its end: it finished, or it failed only
because a claim did not hold (every claim was computed). A run stopped at a time budget, or failed by an
error, did not complete. The front page says how many have; the Full-scale page lists every notebook.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import Any

from bookkit.claims import describe_threshold
from bookkit.gpu_plan import plan_from_record, plan_table
from bookkit.layout import Layout
from bookkit.records import RECORDS_DIR, load_records


@dataclasses.dataclass(frozen=True)
class GpuRun:
    """One notebook's newest GPU run (``file`` is None when no record ran it on a GPU)."""

    notebook: str
    file: str | None = None
    scale: str | None = None
    state: str | None = None
    wall_s: float | None = None
    passed: int = 0
    failed: int = 0
    reported: int = 0
    failed_claims: tuple[str, ...] = ()
    completed_in: str | None = None
    """The newest record in which the notebook completed on a GPU, or None if it never has."""


def on_gpu(entry: Mapping[str, Any]) -> bool:
    """Whether a record's entry ran on a GPU: its device names CUDA (an entry that failed before choosing a
    device, such as an import error, names none and does not count)."""
    return entry.get("state") != "not run" and "cuda" in (entry.get("device_name") or "")


def completed(entry: Mapping[str, Any]) -> bool:
    """Ran to its end: finished, or failed at its claims after computing all of them."""
    return entry["state"] == "finished" or (
        entry["state"] == "failed" and (entry.get("error") or "").startswith("ClaimsFailed")
    )


def _verdict(claim: Mapping[str, Any]) -> str:
    if claim.get("passed") is None:
        return "INFO"
    return "PASS" if claim["passed"] else "FAIL"


def gpu_runs(notebooks: Iterable[str], records: list[dict[str, Any]]) -> list[GpuRun]:
    """Per notebook, its newest GPU run in ``records`` (oldest first, as :func:`load_records` gives them)."""
    newest: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    completions: dict[str, str] = {}
    for record in records:
        for entry in record["notebooks"]:
            if not on_gpu(entry):
                continue
            newest[entry["notebook"]] = (entry, record)
            if completed(entry):
                completions[entry["notebook"]] = record["file"]
    runs = []
    for name in notebooks:
        if name not in newest:
            runs.append(GpuRun(name))
            continue
        entry, record = newest[name]
        claims = [c for c in entry["claims"] if c.get("kind") != "check"]
        verdicts = [_verdict(c) for c in claims]
        runs.append(
            GpuRun(
                notebook=name,
                file=record["file"],
                scale=record.get("scale"),
                state=entry["state"],
                wall_s=entry.get("wall_s"),
                passed=verdicts.count("PASS"),
                failed=verdicts.count("FAIL"),
                reported=verdicts.count("INFO"),
                failed_claims=tuple(
                    f"{c['id']} ({c['measured']} vs {describe_threshold(c['op'], c['threshold'])})"
                    for c, v in zip(claims, verdicts)
                    if v == "FAIL"
                ),
                completed_in=completions.get(name),
            )
        )
    return runs


def book_gpu_runs(layout: Layout | None = None) -> list[GpuRun]:
    """:func:`gpu_runs` of every notebook of the book over its committed records."""
    layout = layout or Layout()
    return gpu_runs([s.name for s in layout.all_sources()], load_records(layout, "runs"))


def never_completed(runs: list[GpuRun]) -> list[str]:
    return [run.notebook for run in runs if run.completed_in is None]


def front_page_sentence(runs: list[GpuRun]) -> str:
    """One sentence for the front page: how many notebooks completed on a GPU and which never did."""
    done = len(runs) - len(never_completed(runs))
    failing = sum(run.failed for run in runs)
    passing = sum(run.passed for run in runs)
    sentence = (
        f"On a GPU, {done} of {len(runs)} notebooks have completed in a recorded run; their newest GPU runs "
        f"computed {passing} passing and {failing} failing claims (see {{doc}}`full-scale`)."
    )
    missing = never_completed(runs)
    if missing:
        sentence += " Never completed on a GPU: " + ", ".join(f"`{name}`" for name in missing) + "."
    return sentence


def full_scale_table(runs: list[GpuRun]) -> str:
    """The Full-scale page's table: every notebook's newest GPU run, its verdicts, and its completion."""
    lines = [
        "| notebook | newest GPU run | scale | state | wall (s) | pass | fail | info | completed on a GPU |",
        "|---|---|---|---|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        if run.file is None:
            lines.append(f"| {run.notebook} | none | | | | | | | **never** |")
            continue
        wall = f"{run.wall_s:.0f}" if run.wall_s else ""
        where = run.completed_in.removesuffix(".json") if run.completed_in else "**never**"
        lines.append(
            f"| {run.notebook} | {run.file.removesuffix('.json')} | {run.scale} | {run.state} | {wall} | "
            f"{run.passed} | {run.failed} | {run.reported} | {where} |"
        )
    return "\n".join(lines) + "\n"


def full_scale_sections(layout: Layout | None = None) -> list[str]:
    """The Full-scale page's opening sections: every notebook's newest GPU run (and the notebooks that never
    completed on one), then the ``gpu`` scale's predicted wall times from the newest committed plan
    (``book/records/gpu-plan-*.json``)."""
    layout = layout or Layout()
    runs = book_gpu_runs(layout)
    lines = [
        "## Each notebook on a GPU",
        "",
        front_page_sentence(runs).replace(" (see {doc}`full-scale`)", ""),
        "",
        full_scale_table(runs),
    ]
    plans = sorted((layout.repo_root / RECORDS_DIR).glob("gpu-plan-*.json"))
    if plans:
        predictions, sharing = plan_from_record(json.loads(plans[-1].read_text()))
        lines += [
            "## Predicted wall times at the `gpu` scale",
            "",
            f"From `{plans[-1].name}` (`python -m bookkit.gpu_plan`): the measured H200 rates of "
            "`bench-2026-11-27-h200` and the wall times of the recorded full-scale run. *compute vs ci* is "
            "the preset's work over its `ci` preset's; *= full* marks a `gpu` preset of the paper's size.",
            "",
            plan_table(predictions, sharing),
            "",
        ]
    return lines
