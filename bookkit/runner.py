"""The runner: execute chapter notebooks headlessly, skip fresh ones, never lose a good result.

``python -m bookkit run [CHAPTER_OR_NOTEBOOK ...] [--scale ci] [--jobs N] [--force]``

For each ``chapters/<slug>/NN-topic.md`` it writes ``book/_generated/<slug>/NN-topic.ipynb`` (executed),
``NN-topic.metrics.json`` (claims) and ``NN-topic.run.json`` (the run record: stamp, wall time, peak memory,
versions). The stamp hashes the notebook source, the bookkit code the chapter runs, requirements.txt and
the run settings; an output whose record carries the current stamp is fresh and skipped.

Outputs are replaced only after a successful run. A failed run leaves ``NN-topic.failed.ipynb`` and
``NN-topic.failed.json`` beside the last good outputs and is named in the summary; the exit code is 1.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bookkit.claims import write_json_atomically
from bookkit.provenance import PACKAGE_DIR, REPO_ROOT, bookkit_source_hash, generated_dir, versions
from bookkit.scales import check_scale

NOTEBOOK_GLOB = "[0-9][0-9]-*.md"
DEFAULT_TIMEOUT_S = {"smoke": 300.0, "ci": 600.0, "full": 6 * 3600.0}


class RunnerError(ValueError):
    """A target that names no chapter or notebook, or invalid run settings."""


@dataclasses.dataclass(frozen=True)
class NotebookSource:
    """One chapter notebook source, ``chapters/<chapter>/<stem>.md``."""

    chapter: str
    stem: str
    path: Path

    @property
    def name(self) -> str:
        return f"{self.chapter}/{self.stem}"

    def title(self) -> str:
        for line in self.path.read_text().splitlines():
            if line.startswith("# "):
                return line[2:].strip()
        return self.stem


@dataclasses.dataclass(frozen=True)
class RunSettings:
    scale: str = "ci"
    seed: int = 0
    device: str = "auto"
    overrides: tuple[tuple[str, str], ...] = ()
    threads: int = 1
    timeout_s: float | None = None

    def parameters(self) -> dict[str, Any]:
        return {"SCALE": self.scale, "SEED": self.seed, "DEVICE": self.device, "OVERRIDES": dict(self.overrides)}

    def stamp_fields(self) -> dict[str, Any]:
        return {"scale": self.scale, "seed": self.seed, "device": self.device, "overrides": list(self.overrides)}


@dataclasses.dataclass(frozen=True)
class Layout:
    """Where sources, outputs and hashed inputs are; tests point it at a scratch tree."""

    repo_root: Path = REPO_ROOT
    generated: Path = dataclasses.field(default_factory=generated_dir)
    package_dir: Path = PACKAGE_DIR

    @property
    def chapters_dir(self) -> Path:
        return self.repo_root / "chapters"

    def output(self, source: NotebookSource, kind: str) -> Path:
        """``kind``: notebook, metrics, record, failed_notebook, failed_record, failed_metrics, log."""
        suffix = {"notebook": ".ipynb", "metrics": ".metrics.json", "record": ".run.json",
                  "failed_notebook": ".failed.ipynb", "failed_record": ".failed.json",
                  "failed_metrics": ".failed.metrics.json", "log": ".log"}[kind]
        return self.generated / source.chapter / f"{source.stem}{suffix}"

    def chapters(self) -> list[str]:
        if not self.chapters_dir.is_dir():
            return []
        return sorted(p.name for p in self.chapters_dir.iterdir() if p.is_dir() and any(p.glob(NOTEBOOK_GLOB)))

    def all_sources(self) -> list[NotebookSource]:
        return [NotebookSource(chapter, path.stem, path) for chapter in self.chapters()
                for path in sorted((self.chapters_dir / chapter).glob(NOTEBOOK_GLOB))]


def discover(layout: Layout, targets: Iterable[str] = ()) -> list[NotebookSource]:
    """Resolve targets to sources: a chapter (``uoro``), a notebook (``uoro/01-rtrl-bptt-truncation``) or its
    path (``chapters/uoro/01-rtrl-bptt-truncation.md``)."""
    everything = layout.all_sources()
    targets = list(targets)
    if not targets:
        return everything
    chosen: list[NotebookSource] = []
    for target in targets:
        text = target.strip().rstrip("/")
        text = text.removeprefix("chapters/")
        text = text.removesuffix(".md").removesuffix(".ipynb")
        matches = [s for s in everything if s.chapter == text or s.name == text]
        if not matches:
            valid = ", ".join(layout.chapters()) or "(none yet)"
            raise RunnerError(f"unknown chapter or notebook {target!r}; chapters are: {valid}; "
                              f"notebooks are: {', '.join(s.name for s in everything)}")
        chosen += [m for m in matches if m not in chosen]
    return chosen


def compute_stamp(layout: Layout, source: NotebookSource, settings: RunSettings) -> str:
    """SHA-256 of the notebook source, the chapter's bookkit code, requirements.txt and the settings."""
    digest = hashlib.sha256()
    digest.update(source.path.read_bytes())
    digest.update(bookkit_source_hash(source.chapter, layout.package_dir).encode())
    requirements = layout.repo_root / "requirements.txt"
    digest.update(requirements.read_bytes() if requirements.exists() else b"")
    digest.update(json.dumps(settings.stamp_fields(), sort_keys=True).encode())
    return digest.hexdigest()


def read_record(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def freshness(layout: Layout, source: NotebookSource, settings: RunSettings | None = None) -> str:
    """``fresh``, ``stale`` (inputs changed since the run), or ``missing``; with no settings, those of
    the last run are used, so the answer is about the code alone."""
    record = read_record(layout.output(source, "record"))
    if record is None or not layout.output(source, "notebook").exists():
        return "missing"
    if settings is None:
        settings = RunSettings(scale=record["scale"], seed=record["seed"], device=record["device"],
                               overrides=tuple(tuple(kv) for kv in record.get("overrides", [])))
    return "fresh" if record.get("stamp") == compute_stamp(layout, source, settings) else "stale"


@dataclasses.dataclass
class Outcome:
    source: NotebookSource
    status: str  # ok, failed, skipped
    wall_s: float = 0.0
    peak_rss_mb: float | None = None
    error: str | None = None
    kept: Path | None = None


def _worker_environment(layout: Layout, settings: RunSettings, metrics: Path) -> dict[str, str]:
    environment = dict(os.environ)
    threads = str(settings.threads)
    environment.update({"BOOKKIT_HEADLESS": "1", "BOOKKIT_THREADS": threads, "OMP_NUM_THREADS": threads,
                        "BOOKKIT_GENERATED": str(layout.generated),
                        "MKL_NUM_THREADS": threads, "BOOKKIT_METRICS_PATH": str(metrics),
                        "PYDEVD_DISABLE_FILE_VALIDATION": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"})
    return environment


def execute_source(layout: Layout, source: NotebookSource, settings: RunSettings) -> Outcome:
    """Run one notebook in a worker process and move its outputs into place (atomically, success only)."""
    destination = layout.output(source, "notebook").parent
    destination.mkdir(parents=True, exist_ok=True)
    stamp = compute_stamp(layout, source, settings)
    scratch = Path(tempfile.mkdtemp(prefix=f".run-{source.stem}-", dir=destination))
    request = {"source": str(source.path), "input_notebook": str(scratch / "input.ipynb"),
               "output_notebook": str(scratch / "output.ipynb"), "metrics": str(scratch / "metrics.json"),
               "result": str(scratch / "result.json"), "parameters": settings.parameters(),
               "cell_timeout": settings.timeout_s or DEFAULT_TIMEOUT_S[settings.scale]}
    (scratch / "request.json").write_text(json.dumps(request))
    overall_timeout = (settings.timeout_s or DEFAULT_TIMEOUT_S[settings.scale]) * 2 + 60
    start = time.perf_counter()
    try:
        with open(scratch / "worker.log", "w") as log:
            completed = subprocess.run([sys.executable, "-m", "bookkit.execution", str(scratch / "request.json")],
                                       env=_worker_environment(layout, settings, scratch / "metrics.json"),
                                       stdout=log, stderr=subprocess.STDOUT, timeout=overall_timeout, check=False)
        result = read_record(scratch / "result.json") or {
            "status": "failed", "error": f"worker exited with code {completed.returncode} and no result "
                                         f"(see {layout.output(source, 'log')})"}
    except subprocess.TimeoutExpired:
        result = {"status": "failed", "error": f"timed out after {overall_timeout:.0f} s"}
    wall = time.perf_counter() - start
    metrics = read_record(scratch / "metrics.json") or {}
    record = {"notebook": source.name, "title": source.title(), "stamp": stamp, "status": result["status"],
              **settings.stamp_fields(), "device_name": metrics.get("device_name"), "wall_s": round(wall, 1),
              "cpu_s": result.get("cpu_s"),
              "peak_rss_mb": result.get("peak_rss_mb"), "error": result.get("error"),
              "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), **versions(),
              "claims": len(metrics.get("claims", [])),
              "claims_failed": sum(1 for c in metrics.get("claims", []) if c.get("passed") is False)}
    shutil.copyfile(scratch / "worker.log", layout.output(source, "log"))
    outcome = Outcome(source, result["status"], wall, result.get("peak_rss_mb"), result.get("error"))
    if result["status"] == "ok":
        os.replace(scratch / "output.ipynb", layout.output(source, "notebook"))
        os.replace(scratch / "metrics.json", layout.output(source, "metrics"))
        write_json_atomically(layout.output(source, "record"), record)
        layout.output(source, "failed_notebook").unlink(missing_ok=True)
        layout.output(source, "failed_record").unlink(missing_ok=True)
        layout.output(source, "failed_metrics").unlink(missing_ok=True)
    else:
        if (scratch / "metrics.json").exists():  # the claims it did compute, for the record of what failed
            os.replace(scratch / "metrics.json", layout.output(source, "failed_metrics"))
        if (scratch / "output.ipynb").exists():
            os.replace(scratch / "output.ipynb", layout.output(source, "failed_notebook"))
            outcome.kept = layout.output(source, "failed_notebook")
        write_json_atomically(layout.output(source, "failed_record"), record)
    shutil.rmtree(scratch, ignore_errors=True)
    return outcome


def longest_first(layout: Layout, sources: list[NotebookSource]) -> list[NotebookSource]:
    """``sources`` ordered by their last recorded wall time, longest first, never-run ones before all (the
    longest-processing-time rule: with several jobs, a long notebook started last would finish alone)."""
    def last_wall(source: NotebookSource) -> float:
        runs = [read_record(layout.output(source, kind)) for kind in ("record", "failed_record")]
        walls = [run["wall_s"] for run in runs if run and run.get("wall_s")]
        return max(walls) if walls else math.inf
    return sorted(sources, key=last_wall, reverse=True)  # stable: ties keep the book's order


def run_notebooks(layout: Layout, sources: list[NotebookSource], settings: RunSettings, *, jobs: int = 1,
                  force: bool = False, log: Callable[[str], None] = print) -> list[Outcome]:
    """Execute ``sources`` (``jobs`` at a time), skipping fresh ones unless ``force``; returns outcomes."""
    check_scale(settings.scale)
    if jobs < 1:
        raise RunnerError(f"--jobs must be >= 1, got {jobs}")
    pending = longest_first(layout, [s for s in sources if force or freshness(layout, s, settings) != "fresh"])
    outcomes = {s.name: Outcome(s, "skipped") for s in sources if s not in pending}
    for name in outcomes:
        log(f"fresh, skipped: {name}")
    total, done, start = len(pending), 0, time.perf_counter()

    def run_one(source: NotebookSource) -> Outcome:
        nonlocal done
        log(f"start  {source.name} (scale {settings.scale})")
        outcome = execute_source(layout, source, settings)
        done += 1
        mark = "ok    " if outcome.status == "ok" else "FAILED"
        log(f"[{done}/{total}] {mark} {source.name} in {outcome.wall_s:.1f} s "
            f"(elapsed {time.perf_counter() - start:.0f} s)")
        return outcome

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for outcome in pool.map(run_one, pending):
            outcomes[outcome.source.name] = outcome
    return [outcomes[s.name] for s in sources]


def summary_table(outcomes: list[Outcome]) -> str:
    width = max([len(o.source.name) for o in outcomes] + [8])
    lines = [f"{'notebook':<{width}}  {'status':<7}  {'wall s':>7}  {'peak MB':>8}"]
    for o in outcomes:
        peak = f"{o.peak_rss_mb:.0f}" if o.peak_rss_mb else "-"
        wall = f"{o.wall_s:.1f}" if o.status != "skipped" else "-"
        lines.append(f"{o.source.name:<{width}}  {o.status:<7}  {wall:>7}  {peak:>8}")
    failed = [o for o in outcomes if o.status == "failed"]
    for o in failed:
        lines.append(f"FAILED {o.source.name}: {o.error}")
        if o.kept:
            lines.append(f"       executed notebook kept for reading: {o.kept}")
    return "\n".join(lines)
