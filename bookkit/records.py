"""Recorded runs: what a time-boxed run on another machine (a lent GPU) produced, kept in git.

The executed notebooks in ``book/_generated`` are build outputs and never committed. A run on a machine the
book is not built on (a GPU lent for a few minutes, a maintainer's workstation) is summarised instead into one
JSON record under ``book/records/``: per notebook, whether it finished, its wall time, and every claim it had
recorded by then, including those of a notebook stopped at the time budget (the runner writes metrics after
every claim, so a stopped run leaves its partial metrics in its scratch folder). Benchmark tables from such a
machine are kept beside them. The generated pages render both with the device named.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from bookkit.claims import write_json_atomically
from bookkit.runner import Layout, NotebookSource, read_record

RECORDS_DIR = "book/records"
"""Where recorded runs (``runs-*.json``) and benchmark tables (``bench-*.json``) are committed."""

CLAIM_FIELDS = ("id", "text", "measured", "op", "threshold", "paper", "paper_tag", "required", "passed")


def _claims(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    return [{field: claim.get(field) for field in CLAIM_FIELDS} for claim in metrics.get("claims", [])]


def _stopped_run(layout: Layout, source: NotebookSource, scale: str) -> dict[str, Any] | None:
    """The newest scratch folder ``.run-<stem>-*`` of a run at ``scale`` that never finished: its metrics
    (empty when it was stopped before its first claim), or None when there is no such folder."""
    folders = sorted((layout.generated / source.chapter).glob(f".run-{source.stem}-*"),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for folder in folders:
        request = read_record(folder / "request.json")
        if request is not None and request["parameters"]["SCALE"] == scale:
            return read_record(folder / "metrics.json") or {}
    return None


def notebook_entry(layout: Layout, source: NotebookSource, scale: str) -> dict[str, Any]:
    """One notebook's outcome at ``scale``: ``finished``, ``failed``, ``stopped`` (budget ran out) or ``not run``."""
    name = source.name
    record = read_record(layout.output(source, "record"))
    failed = read_record(layout.output(source, "failed_record"))
    for state, run in (("finished", record), ("failed", failed)):
        if run is not None and run.get("scale") == scale:
            metrics = read_record(layout.output(source, "metrics" if state == "finished" else "failed_metrics"))
            return {"notebook": name, "state": state, "wall_s": run.get("wall_s"), "error": run.get("error"),
                    "device_name": run.get("device_name"), "claims": _claims(metrics or {})}
    partial = _stopped_run(layout, source, scale)
    if partial is not None:
        return {"notebook": name, "state": "stopped", "wall_s": None, "error": None,
                "device_name": partial.get("device_name"), "claims": _claims(partial)}
    return {"notebook": name, "state": "not run", "wall_s": None, "error": None, "device_name": None, "claims": []}


def collect_runs(layout: Layout, scale: str, budget_s: float | None, note: str = "") -> dict[str, Any]:
    """Summarise every notebook's run at ``scale`` in ``layout.generated`` into one record."""
    from bookkit.provenance import versions

    entries = [notebook_entry(layout, s, scale) for s in layout.all_sources()]
    devices = sorted({e["device_name"] for e in entries if e["device_name"]})
    return {"scale": scale, "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "budget_s": budget_s, "note": note, "devices": devices, **versions(), "notebooks": entries}


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
