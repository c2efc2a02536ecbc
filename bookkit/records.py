"""Recorded runs: what a time-boxed run on another machine (a lent GPU) produced, kept in git.

The executed notebooks in ``book/_generated`` are build outputs and never committed. A run on a machine the
book is not built on (a GPU lent for a few minutes, a maintainer's workstation) is summarised instead into one
JSON record under ``book/records/``: per notebook, whether it finished, its wall time, and every claim it had
recorded by then, including those of a notebook stopped at the time budget (the kernel writes metrics after
every claim; a stopped run's are kept as its failed metrics, a killed run's stay in its scratch folder).
Benchmark tables from such a
machine are kept beside them. The generated pages render both with the device named.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from bookkit.atomic_files import write_json_atomically
from bookkit.layout import Layout, NotebookSource, last_attempt, read_record

RECORDS_DIR = "book/records"
"""Where recorded runs (``runs-*.json``) and benchmark tables (``bench-*.json``) are committed."""

CLAIM_FIELDS = (
    "id",
    "text",
    "measured",
    "op",
    "threshold",
    "paper",
    "paper_tag",
    "required",
    "passed",
    "kind",
)


def _claims(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    return [{field: claim.get(field) for field in CLAIM_FIELDS} for claim in metrics.get("claims", [])]


def _killed_run_claims(layout: Layout, source: NotebookSource) -> list[dict[str, Any]]:
    """The claims a killed attempt had computed: its scratch folder's metrics (the newest folder; the kill
    left it behind), or none."""
    for scratch in layout.scratches(source):
        return _claims(read_record(scratch.metrics) or {})
    return []


def notebook_entry(layout: Layout, source: NotebookSource, scale: str) -> dict[str, Any]:
    """One notebook's outcome at ``scale``: ``finished``, ``failed``, ``stopped`` (a signal or the time budget
    stopped it, or it was killed) or ``not run``. The last attempt speaks for the notebook when it is at
    ``scale``; a good run at ``scale`` before it is not reported as that attempt's outcome."""
    name = source.name
    attempt = last_attempt(layout, source)
    if attempt is not None and attempt.get("scale") == scale and attempt.get("status") != "running":
        if attempt["status"] == "killed":
            claims = _killed_run_claims(layout, source)
        else:
            claims = _claims(read_record(layout.output(source, "failed_metrics")) or {})
        state = "failed" if attempt["status"] == "failed" else "stopped"
        return {
            "notebook": name,
            "state": state,
            "wall_s": attempt.get("wall_s"),
            "error": attempt.get("error") if state == "failed" else None,
            "device_name": attempt.get("device_name"),
            "claims": claims,
        }
    record = read_record(layout.output(source, "record"))
    if record is not None and record.get("scale") == scale:
        metrics = read_record(layout.output(source, "metrics"))
        return {
            "notebook": name,
            "state": "finished",
            "wall_s": record.get("wall_s"),
            "error": None,
            "device_name": record.get("device_name"),
            "claims": _claims(metrics or {}),
        }
    return {
        "notebook": name,
        "state": "not run",
        "wall_s": None,
        "error": None,
        "device_name": None,
        "claims": [],
    }


def collect_runs(layout: Layout, scale: str, budget_s: float | None, note: str = "") -> dict[str, Any]:
    """Summarise every notebook's run at ``scale`` in ``layout.generated`` into one record."""
    from bookkit.provenance import versions

    entries = [notebook_entry(layout, s, scale) for s in layout.all_sources()]
    devices = sorted({e["device_name"] for e in entries if e["device_name"]})
    return {
        "scale": scale,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "budget_s": budget_s,
        "note": note,
        "devices": devices,
        **versions(),
        "notebooks": entries,
    }


def write_record(path: Path, payload: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomically(path, payload)
    return path


def load_records(layout: Layout, prefix: str) -> list[dict[str, Any]]:
    """The committed records named ``<prefix>-*.json``, oldest first (by their ``date``, then file name)."""
    folder = layout.repo_root / RECORDS_DIR
    records = []
    for path in sorted(folder.glob(f"{prefix}-*.json")):
        try:
            payload = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"record {path} is not valid JSON ({error}); restore it from git") from error
        records.append({**payload, "file": path.name})
    return sorted(records, key=lambda record: (record.get("date", ""), record["file"]))


def latest_entries(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per notebook, its entry in the newest record that ran it (``records`` oldest first), with that
    record's devices and file added; notebooks no record ran are left out."""
    latest: dict[str, dict[str, Any]] = {}
    for record in records:
        for entry in record["notebooks"]:
            if entry["state"] != "not run":
                latest[entry["notebook"]] = {**entry, "devices": record["devices"], "file": record["file"]}
    return latest
