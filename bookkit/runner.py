"""The runner: execute chapter notebooks headlessly, skip fresh ones, never lose a good result.

``python -m bookkit run [CHAPTER_OR_NOTEBOOK ...] [--scale ci] [--jobs N] [--force]``

For each ``chapters/<slug>/NN-topic.md`` it writes ``book/_generated/<slug>/NN-topic.ipynb`` (executed),
``NN-topic.metrics.json`` (claims) and ``NN-topic.run.json`` (the run record: stamp, wall time, peak memory,
versions); :mod:`bookkit.layout` lists every file. The stamp hashes the notebook source, the bookkit code the
chapter runs, requirements.txt and the run settings; an output whose record carries the current stamp is
fresh and skipped.

Outputs are replaced only after a successful run. A run that fails, is stopped or is killed leaves
``NN-topic.failed.json`` (and the notebook and claims it got to) beside the last good outputs and is named
in the summary; the exit code is 1, or 128 + the signal's number when a signal stopped the run.

Stopping: ``SIGINT``, ``SIGTERM`` or ``SIGHUP`` to the runner stop every running notebook (the worker
process and its kernel), start no new one, record each stopped notebook as ``stopped`` and print the
summary. A worker dies with the runner even when the runner is killed outright (``SIGKILL``), and a kernel
dies with its worker (:mod:`bookkit.execution`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bookkit import environment
from bookkit.atomic_files import write_json_atomically
from bookkit.layout import (
    NOTEBOOK_GLOB,
    Layout,
    NotebookLock,
    NotebookSource,
    Scratch,
    attempt_is_live,
    last_attempt,
    read_record,
)
from bookkit.preset_provenance import presets_fingerprint
from bookkit.provenance import code_fingerprint, notebook_source_hash, versions
from bookkit.run_validation import RunnerError, settings_by_notebook

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "NOTEBOOK_GLOB",
    "Layout",
    "NotebookSource",
    "Outcome",
    "RunSettings",
    "RunnerError",
    "StopRequest",
    "attempt_is_live",
    "compute_stamp",
    "discover",
    "execute_source",
    "freshness",
    "last_attempt",
    "longest_first",
    "plan_run",
    "read_record",
    "run_notebooks",
    "stopping_on_signals",
    "summary_table",
]

DEFAULT_TIMEOUT_S = {"smoke": 300.0, "ci": 600.0, "gpu": 1800.0, "full": 6 * 3600.0}
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
WORKER_GRACE_S = 10.0
"""How long a worker has to stop its kernel after ``SIGTERM`` before it is killed."""


@dataclasses.dataclass(frozen=True)
class RunSettings:
    scale: str = "ci"
    seed: int = 0
    device: str = "auto"
    overrides: tuple[tuple[str, str], ...] = ()
    threads: int = 1
    timeout_s: float | None = None

    def parameters(self) -> dict[str, Any]:
        return {
            "SCALE": self.scale,
            "SEED": self.seed,
            "DEVICE": self.device,
            "OVERRIDES": dict(self.overrides),
        }

    def stamp_fields(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "seed": self.seed,
            "device": self.device,
            "overrides": list(self.overrides),
        }

    @property
    def cell_timeout_s(self) -> float:
        return self.timeout_s or DEFAULT_TIMEOUT_S[self.scale]


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
            raise RunnerError(
                f"unknown chapter or notebook {target!r}; chapters are: {valid}; "
                f"notebooks are: {', '.join(s.name for s in everything)}"
            )
        chosen += [m for m in matches if m not in chosen]
    return chosen


def compute_stamp(layout: Layout, source: NotebookSource, settings: RunSettings) -> str:
    """SHA-256 of the notebook source (its :func:`~bookkit.provenance.code_fingerprint`: layout and comments
    do not count), the bookkit code it runs (:func:`~bookkit.provenance.notebook_source_hash`: the core and
    the modules of its chapter's package that it imports), what of its chapter's presets it reads at the run's
    scale (:func:`~bookkit.preset_provenance.presets_fingerprint`), requirements.txt and the settings."""
    digest = hashlib.sha256()
    digest.update(code_fingerprint(source.path))
    digest.update(notebook_source_hash(source.path, source.chapter, layout.package_dir).encode())
    digest.update(presets_fingerprint(source.path, source.chapter, settings.scale, layout.package_dir))
    requirements = layout.repo_root / "requirements.txt"
    digest.update(requirements.read_bytes() if requirements.exists() else b"")
    digest.update(json.dumps(settings.stamp_fields(), sort_keys=True).encode())
    return digest.hexdigest()


def freshness(layout: Layout, source: NotebookSource, settings: RunSettings | None = None) -> str:
    """``fresh``, ``stale`` (inputs changed since the run), or ``missing``; with no settings, those of
    the last run are used, so the answer is about the code alone."""
    record = read_record(layout.output(source, "record"))
    if record is None or not layout.output(source, "notebook").exists():
        return "missing"
    if settings is None:
        settings = RunSettings(
            scale=record["scale"],
            seed=record["seed"],
            device=record["device"],
            overrides=tuple(tuple(kv) for kv in record.get("overrides", [])),
        )
    return "fresh" if record.get("stamp") == compute_stamp(layout, source, settings) else "stale"


@dataclasses.dataclass
class Outcome:
    source: NotebookSource
    status: str  # ok, failed, stopped, skipped, not run
    wall_s: float = 0.0
    peak_rss_mb: float | None = None
    error: str | None = None
    kept: Path | None = None


class StopRequest:
    """A request to stop, set by a signal: running workers are told to stop and no notebook starts."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self._workers: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()

    @property
    def requested(self) -> bool:
        return self.signal is not None

    def stop(self, signum: int) -> None:
        """Remember the signal and send ``SIGTERM`` to every running worker's process group."""
        self.signal = signum
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            _signal_group(worker, signal.SIGTERM)

    @contextlib.contextmanager
    def tracking(self, worker: subprocess.Popen[bytes]) -> Iterator[None]:
        with self._lock:
            self._workers.add(worker)
        try:
            yield
        finally:
            with self._lock:
                self._workers.discard(worker)


def _signal_group(worker: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(worker.pid, signum)  # the worker leads its own process group


@contextlib.contextmanager
def stopping_on_signals(stop: StopRequest) -> Iterator[StopRequest]:
    """While inside, SIGINT, SIGTERM and SIGHUP call ``stop.stop`` instead of ending the process (the previous
    handlers come back on exit). Only the main thread can install handlers; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {
        signum: signal.signal(signum, lambda signum, _frame: stop.stop(signum)) for signum in STOP_SIGNALS
    }
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _worker_environment(layout: Layout, settings: RunSettings, metrics: Path) -> dict[str, str]:
    threads = str(settings.threads)
    return {
        **os.environ,
        environment.HEADLESS.name: "1",
        environment.THREADS.name: threads,
        environment.GENERATED.name: str(layout.generated),
        environment.METRICS_PATH.name: str(metrics),
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _run_worker(layout: Layout, settings: RunSettings, scratch: Scratch, stop: StopRequest) -> dict[str, Any]:
    """Start the worker, wait for it (killing its group at the overall timeout or after a stop), return its
    result, or a failed/stopped result when it left none."""
    overall_timeout = settings.cell_timeout_s * 2 + 60
    deadline = time.monotonic() + overall_timeout
    with open(scratch.log, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "bookkit.execution", str(scratch.request)],
            env=_worker_environment(layout, settings, scratch.metrics),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    timed_out, stopped_at = False, None
    with stop.tracking(worker):
        if stop.requested:  # a signal came between the check before starting and the tracking
            _signal_group(worker, signal.SIGTERM)
        while True:
            try:
                returncode = worker.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                pass
            if stop.requested:
                stopped_at = stopped_at or time.monotonic()
                if time.monotonic() - stopped_at > WORKER_GRACE_S:
                    _signal_group(worker, signal.SIGKILL)
            elif time.monotonic() > deadline:
                timed_out = True
                _signal_group(worker, signal.SIGTERM)
                stop_deadline = time.monotonic() + WORKER_GRACE_S
                while worker.poll() is None and time.monotonic() < stop_deadline:
                    time.sleep(0.2)
                if worker.poll() is None:
                    _signal_group(worker, signal.SIGKILL)
    if stop.requested and not (scratch.result.exists() and read_record(scratch.result)):
        name = signal.Signals(stop.signal).name if stop.signal else "a signal"
        return {"status": "stopped", "error": f"stopped by {name}; the last good outputs are kept"}
    if timed_out:
        return {"status": "failed", "error": f"timed out after {overall_timeout:.0f} s"}
    return read_record(scratch.result) or {
        "status": "failed",
        "error": f"worker exited with code {returncode} and no result (see its log)",
    }


def _acquire(
    lock: NotebookLock, source: NotebookSource, stop: StopRequest, record: Path, log: Callable[[str], None]
) -> str:
    """Take the notebook's lock: ``taken`` at once, ``waited`` after another runner released it, or
    ``stopped`` when a stop came first."""
    announced = False
    while not stop.requested:
        if lock.try_acquire():
            return "waited" if announced else "taken"
        if not announced:
            holder = read_record(record) or {}
            log(
                f"waiting: {source.name} is being run by process {holder.get('runner_pid', '?')} "
                f"(started {holder.get('started_at', '?')})"
            )
            announced = True
        time.sleep(1.0)
    return "stopped"


def execute_source(
    layout: Layout,
    source: NotebookSource,
    settings: RunSettings,
    *,
    stop: StopRequest | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> Outcome:
    """Run one notebook in a worker process and move its outputs into place (atomically, success only).

    Holds the notebook's lock meanwhile (a second runner waits; when the first leaves fresh outputs for the
    same settings, the second takes them). A full disk or a read-only folder gives a failed outcome naming
    the error, never an exception, and no scratch folder is left behind.
    """
    stop = stop or StopRequest()
    waited_since = _now()
    lock = NotebookLock(layout, source)
    try:
        taken = _acquire(lock, source, stop, layout.output(source, "failed_record"), log)
        if taken == "stopped":
            return Outcome(source, "not run", error="stopped before it started")
        try:
            record = read_record(layout.output(source, "record")) or {}
            if (
                taken == "waited"
                and record.get("finished_at", "") >= waited_since
                and freshness(layout, source, settings) == "fresh"
            ):
                return Outcome(source, "skipped", error="run by another runner meanwhile")
            return _execute_locked(layout, source, settings, stop)
        finally:
            lock.release()
    except OSError as error:
        return Outcome(source, "failed", error=_io_error(error))


def _io_error(error: OSError) -> str:
    where = f" ({error.filename})" if error.filename else ""
    return f"could not write the outputs: {error.strerror or error}{where}"


def _execute_locked(
    layout: Layout, source: NotebookSource, settings: RunSettings, stop: StopRequest
) -> Outcome:
    stamp = compute_stamp(layout, source, settings)
    base = {
        "notebook": source.name,
        "title": source.title(),
        "stamp": stamp,
        **settings.stamp_fields(),
        "runner_pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": _now(),
        **versions(),
    }
    write_json_atomically(
        layout.output(source, "failed_record"),
        {
            **base,
            "status": "running",
            "error": (
                "the run did not finish: it was killed, or the machine stopped, before it could record why"
            ),
        },
    )
    for kind in ("failed_notebook", "failed_metrics"):  # they belong to the attempt this one replaces
        layout.output(source, kind).unlink(missing_ok=True)
    for leftover in layout.scratches(source):  # killed attempts' folders: no live runner holds this notebook
        leftover.remove()
    start = time.perf_counter()
    scratch = layout.new_scratch(source)
    try:
        scratch.write_request(source, settings.parameters(), settings.cell_timeout_s, os.getpid())
        result = _run_worker(layout, settings, scratch, stop)
        wall = time.perf_counter() - start
        metrics = read_record(scratch.metrics) or {}
        claims = metrics.get("claims", [])
        record = {
            **base,
            "status": result["status"],
            "device_name": metrics.get("device_name"),
            "wall_s": round(wall, 1),
            "cpu_s": result.get("cpu_s"),
            "peak_rss_mb": result.get("peak_rss_mb"),
            "error": result.get("error"),
            "finished_at": _now(),
            "claims": len(claims),
            "claims_failed": sum(1 for c in claims if c.get("passed") is False),
        }
        outcome = Outcome(source, result["status"], wall, result.get("peak_rss_mb"), result.get("error"))
        try:
            _file_outputs(layout, source, scratch, record, outcome)
        except OSError as error:
            outcome.status, outcome.kept = "failed", None
            outcome.error = f"{outcome.error or 'the run finished'}; then {_io_error(error)}"
            _record_failure(layout, source, {**record, "status": "failed", "error": outcome.error})
        return outcome
    except OSError as error:
        _record_failure(layout, source, {**base, "status": "failed", "error": _io_error(error)})
        raise
    finally:
        scratch.remove()


def _record_failure(layout: Layout, source: NotebookSource, record: dict[str, Any]) -> None:
    """Try to replace the ``running`` record with what went wrong; a disk too full even for that leaves it
    (and readers then report the attempt as killed)."""
    with contextlib.suppress(OSError):
        write_json_atomically(layout.output(source, "failed_record"), record)


def _file_outputs(
    layout: Layout, source: NotebookSource, scratch: Scratch, record: dict[str, Any], outcome: Outcome
) -> None:
    """Move an attempt's files into place. Every new file is written in the scratch folder first and then
    renamed (which needs no space), so a full disk stops this before anything was replaced."""
    write_json_atomically(scratch.folder / "record.json", record)
    if scratch.log.exists() and scratch.log.stat().st_size:  # an empty log says less than the last one
        os.replace(scratch.log, layout.output(source, "log"))
    if record["status"] == "ok":
        os.replace(scratch.output_notebook, layout.output(source, "notebook"))
        os.replace(scratch.metrics, layout.output(source, "metrics"))
        os.replace(scratch.folder / "record.json", layout.output(source, "record"))
        layout.output(source, "failed_record").unlink(missing_ok=True)
        return
    if scratch.metrics.exists():  # the claims it did compute, for the record of what failed
        os.replace(scratch.metrics, layout.output(source, "failed_metrics"))
    if scratch.output_notebook.exists():
        os.replace(scratch.output_notebook, layout.output(source, "failed_notebook"))
        outcome.kept = layout.output(source, "failed_notebook")
    os.replace(scratch.folder / "record.json", layout.output(source, "failed_record"))


def longest_first(layout: Layout, sources: list[NotebookSource]) -> list[NotebookSource]:
    """``sources`` ordered by their last recorded wall time, longest first, never-run ones before all (the
    longest-processing-time rule: with several jobs, a long notebook started last would finish alone)."""

    def last_wall(source: NotebookSource) -> float:
        runs = [read_record(layout.output(source, kind)) for kind in ("record", "failed_record")]
        walls = [run["wall_s"] for run in runs if run and run.get("wall_s")]
        return max(walls) if walls else math.inf

    return sorted(sources, key=last_wall, reverse=True)  # stable: ties keep the book's order


def plan_run(
    layout: Layout, sources: list[NotebookSource], settings: RunSettings, jobs: int = 1
) -> dict[str, RunSettings]:
    """Check every option and override before any kernel starts (see :mod:`bookkit.run_validation`) and
    return each notebook's settings; raises ``RunnerError``, ``ScaleError`` or ``DeviceError``."""
    from bookkit.run_validation import check_writable

    planned = settings_by_notebook(sources, settings, jobs)
    check_writable(layout.generated)
    return planned


def run_notebooks(
    layout: Layout,
    sources: list[NotebookSource],
    settings: RunSettings,
    *,
    jobs: int = 1,
    force: bool = False,
    log: Callable[[str], None] = print,
    stop: StopRequest | None = None,
) -> list[Outcome]:
    """Execute ``sources`` (``jobs`` at a time), skipping fresh ones unless ``force``; returns outcomes.

    Everything is checked first (:func:`plan_run`); a signal stops the run (see the module docstring) and
    ``stop.signal`` then names it."""
    planned = plan_run(layout, sources, settings, jobs)
    stop = stop or StopRequest()
    pending = longest_first(
        layout, [s for s in sources if force or freshness(layout, s, planned[s.name]) != "fresh"]
    )
    outcomes = {s.name: Outcome(s, "skipped") for s in sources if s not in pending}
    for name in outcomes:
        log(f"fresh, skipped: {name}")
    total, done, start = len(pending), 0, time.perf_counter()
    counter = threading.Lock()

    def run_one(source: NotebookSource) -> Outcome:
        nonlocal done
        if stop.requested:
            return Outcome(source, "not run", error="stopped before it started")
        log(f"start  {source.name} (scale {settings.scale})")
        outcome = execute_source(layout, source, planned[source.name], stop=stop, log=log)
        with counter:
            done += 1
            mark = {"ok": "ok    ", "skipped": "skipped"}.get(outcome.status, outcome.status.upper())
            log(
                f"[{done}/{total}] {mark} {source.name} in {outcome.wall_s:.1f} s "
                f"(elapsed {time.perf_counter() - start:.0f} s)"
            )
        return outcome

    with stopping_on_signals(stop), ThreadPoolExecutor(max_workers=jobs) as pool:
        for outcome in pool.map(run_one, pending):
            outcomes[outcome.source.name] = outcome
    return [outcomes[s.name] for s in sources]


def summary_table(outcomes: list[Outcome]) -> str:
    width = max([len(o.source.name) for o in outcomes] + [8])
    lines = [f"{'notebook':<{width}}  {'status':<7}  {'wall s':>7}  {'peak MB':>8}"]
    for o in outcomes:
        peak = f"{o.peak_rss_mb:.0f}" if o.peak_rss_mb else "-"
        wall = f"{o.wall_s:.1f}" if o.status not in ("skipped", "not run") else "-"
        lines.append(f"{o.source.name:<{width}}  {o.status:<7}  {wall:>7}  {peak:>8}")
    for o in outcomes:
        if o.status in ("failed", "stopped"):
            lines.append(f"{o.status.upper()} {o.source.name}: {o.error}")
            if o.kept:
                lines.append(f"       executed notebook kept for reading: {o.kept}")
    return "\n".join(lines)
