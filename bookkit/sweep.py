"""Seed sweeps: each claim's verdict over many seeds, not only the seed a chapter was written with.

``python -m bookkit sweep [TARGETS] --seeds 0-9 [--scale ci] [--executor local|dask] [--scheduler ADDRESS]
[--jobs N] [--out PATH]`` runs every selected notebook once per seed through the runner
(:func:`bookkit.runner.execute_source`: atomic outputs, failed runs kept beside good ones, a run record each)
into ``book/_generated/sweeps/<scale>/seed-<n>/``, so the book's own outputs are never touched; a run whose
outputs are fresh for its seed is reused. It then writes one committed record (:func:`build_record`) with,
for every claim, its value and verdict per seed, the pass count, the mean with a 95% Student-t interval and
the margin to the threshold.

Pre-registration: seeds 0-4 calibrate (settings and thresholds are chosen by looking at them), seeds 5-9
validate (they tune nothing); every other seed is an extra check. The record says which seed played which
role.

Executors: ``local`` runs ``--jobs`` notebooks at a time from a thread pool (each notebook is its own process,
as in the runner); ``dask`` submits the runs to a Dask ``distributed`` cluster, a ``LocalCluster`` of
``--jobs``
workers or the existing one at ``--scheduler``. Ctrl-C stops every notebook process and its kernel.

The scorecard composes the records: each claim shows its pass rate from the newest sweep record containing it
(:func:`newest_sweep_claims`), and a chapter's Verdict section cites its rates with :func:`seed_pass_rates`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from bookkit.claims import describe_threshold, format_value
from bookkit.runner import (
    STOP_SIGNALS,
    Layout,
    NotebookSource,
    Outcome,
    RunSettings,
    StopRequest,
    compute_stamp,
    discover,
    execute_source,
    freshness,
    longest_first,
    plan_run,
    read_record,
    stopping_on_signals,
)
from bookkit.scales import check_scale
from bookkit.seed_statistics import INTERVAL, MARGIN, aggregate_claims

CALIBRATION_SEEDS = tuple(range(5))
"""Seeds that calibrate thresholds and settings."""
VALIDATION_SEEDS = tuple(range(5, 10))
"""Seeds that validate thresholds fixed on the calibration seeds; never used to tune anything."""
EXECUTORS = ("local", "dask")
RECORD_PREFIX = "sweep"


class SweepError(ValueError):
    """Invalid sweep settings: a malformed seed list, an unknown executor."""


def seed_role(seed: int) -> str:
    """``calibration`` (seeds 0-4), ``validation`` (5-9) or ``extra``."""
    if seed in CALIBRATION_SEEDS:
        return "calibration"
    return "validation" if seed in VALIDATION_SEEDS else "extra"


def parse_seeds(text: str) -> list[int]:
    """``0-9``, ``0,3,5`` or ``0-4,7`` -> the sorted distinct seeds; a malformed list is an error."""
    seeds: set[int] = set()
    for part in text.replace(" ", "").split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            raise SweepError(
                f"invalid seed list {text!r}: use ranges and numbers such as 0-9, 0,3,5 or 0-4,7"
            )
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) is not None else low
        if high < low:
            raise SweepError(f"invalid seed range {part!r} in {text!r}: the end is below the start")
        seeds.update(range(low, high + 1))
    return sorted(seeds)


def format_seeds(seeds: Iterable[int]) -> str:
    """The inverse of :func:`parse_seeds`: ``[0, 1, 2, 3, 7]`` -> ``0-3,7``."""
    ordered = sorted(set(seeds))
    parts: list[str] = []
    start = 0
    for index in range(1, len(ordered) + 1):
        if index == len(ordered) or ordered[index] != ordered[index - 1] + 1:
            low, high = ordered[start], ordered[index - 1]
            parts.append(str(low) if low == high else f"{low}-{high}")
            start = index
    return ",".join(parts)


def seed_layout(layout: Layout, scale: str, seed: int) -> Layout:
    """The runner layout of one seed: outputs under ``<generated>/sweeps/<scale>/seed-<n>/``."""
    return dataclasses.replace(layout, generated=layout.generated / "sweeps" / scale / f"seed-{seed}")


def _run_summary(
    layout: Layout, source: NotebookSource, seed: int, outcome: Outcome | None
) -> dict[str, Any]:
    """One (notebook, seed) run as the record keeps it: status (``ok``, ``failed``, ``stopped``, ``not run``),
    whether fresh outputs were reused (``outcome`` None, or another runner made them meanwhile), wall time,
    error and its claims (those of the failed run when it failed: the claims it computed before failing)."""
    reused = outcome is None or outcome.status == "skipped"
    status = "ok" if reused else outcome.status  # type: ignore[union-attr]
    ok = status == "ok"
    run = read_record(layout.output(source, "record" if ok else "failed_record")) or {}
    metrics = (
        read_record(layout.output(source, "metrics" if ok else "failed_metrics")) or {}
        if status in ("ok", "failed")
        else {}
    )
    return {
        "notebook": source.name,
        "seed": seed,
        "role": seed_role(seed),
        "status": status,
        "reused": reused,
        "wall_s": run.get("wall_s") or (outcome.wall_s if outcome else None),
        "error": run.get("error") or (outcome.error if outcome else None),
        "stamp": run.get("stamp"),
        "device_name": run.get("device_name"),
        "claims": metrics.get("claims", []),
    }


def execute_seed_run(
    layout: Layout, source: NotebookSource, settings: RunSettings, stop: StopRequest | None = None
) -> dict[str, Any]:
    """Run one notebook at one seed (``layout`` is already the seed's) and summarise it; the task each
    executor runs, a module-level function so Dask can send it to its workers. ``stop`` (local executor
    only) stops the run's worker and kernel when a signal comes."""
    outcome = execute_source(layout, source, settings, stop=stop)
    return _run_summary(layout, source, settings.seed, outcome)


@dataclasses.dataclass
class Progress:
    """Done/total, failures so far, elapsed time and the ETA (elapsed / done x remaining) of a sweep."""

    total: int
    log: Callable[[str], None] = print
    done: int = 0
    failures: int = 0
    start: float = dataclasses.field(default_factory=time.perf_counter)

    def update(self, run: dict[str, Any]) -> None:
        self.done += 1
        self.failures += run["status"] != "ok"
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        mark = "ok    " if run["status"] == "ok" else "FAILED"
        self.log(
            f"[{self.done}/{self.total}] {mark} {run['notebook']} seed {run['seed']} in "
            f"{run['wall_s'] or 0:.0f} s | {self.failures} failed so far | elapsed {_duration(elapsed)}, "
            f"ETA {_duration(eta)}"
        )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


Task = tuple[Layout, NotebookSource, RunSettings]


def lost_run(task: Task, error: BaseException) -> dict[str, Any]:
    """A run whose task raised instead of returning (a Dask worker that died, a bug): failed, no claims."""
    _, source, settings = task
    return {
        "notebook": source.name,
        "seed": settings.seed,
        "role": seed_role(settings.seed),
        "status": "failed",
        "reused": False,
        "wall_s": None,
        "error": f"{type(error).__name__}: {error}"[:2000],
        "stamp": None,
        "device_name": None,
        "claims": [],
    }


def stop_descendants(grace_s: float = 5.0) -> int:
    """Terminate every process this one started (Dask's local workers, the notebook workers they started and
    their kernels), then kill those still alive after ``grace_s``; returns how many there were."""
    import psutil

    processes = psutil.Process().children(recursive=True)
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.terminate()
    _, alive = psutil.wait_procs(processes, timeout=grace_s)
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    return len(processes)


@contextlib.contextmanager
def signals_as_interrupt(signums: Sequence[int]) -> Iterator[None]:
    """Within the block each of ``signums`` raises ``KeyboardInterrupt`` in the main thread, whatever its
    handler was before: a sweep started in the background by a shell inherits SIGINT *ignored*, and Ctrl-C
    or ``kill -INT`` must stop it all the same. Previous handlers come back on exit; off the main thread,
    where handlers cannot be installed, this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {signum: signal.signal(signum, interrupt) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_local(tasks: Sequence[Task], jobs: int, progress: Progress) -> list[dict[str, Any]]:
    """Run ``tasks`` ``jobs`` at a time in a thread pool (each notebook in its own process, as the runner
    does). SIGINT, SIGTERM or SIGHUP stop every running notebook and its kernel through the runner's
    :class:`~bookkit.runner.StopRequest`, start no new one, and raise ``KeyboardInterrupt``."""
    stop = StopRequest()
    runs: list[dict[str, Any]] = []
    with stopping_on_signals(stop), ThreadPoolExecutor(max_workers=jobs) as pool:
        submitted = {pool.submit(execute_seed_run, *task, stop): task for task in tasks}
        pending = set(submitted)
        try:
            while pending:
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    error = future.exception()
                    runs.append(lost_run(submitted[future], error) if error else future.result())
                    if not stop.requested:
                        progress.update(runs[-1])
        except BaseException:
            stop.stop(signal.SIGINT)  # an interrupt that came as an exception: stop the workers all the same
            raise
    if stop.requested:
        raise KeyboardInterrupt(f"stopped by {signal.Signals(stop.signal).name}")  # type: ignore[arg-type]
    return runs


DASK_CLOSE_TIMEOUT_S = 10
"""How long closing the Dask client and a local cluster may take: after an interrupt their workers are already
gone, and a busy machine must not keep the sweep waiting on the default timeouts."""


def run_dask(
    tasks: Sequence[Task], jobs: int, progress: Progress, scheduler: str | None = None
) -> list[dict[str, Any]]:
    """Submit ``tasks`` to a Dask cluster: the one at ``scheduler`` (its workers must see this repository at
    the same path, e.g. on a shared file system), or a ``LocalCluster`` of ``jobs`` single-threaded
    workers."""
    import logging

    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=jobs,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            memory_limit=0,
            silence_logs=logging.ERROR,
        )
    client = Client(cluster if cluster is not None else scheduler)
    submitted = {
        client.submit(
            execute_seed_run, *task, pure=False, key=f"{task[1].name}-seed-{task[2].seed}-{time.time_ns()}"
        ): task
        for task in tasks
    }
    futures = list(submitted)
    runs: list[dict[str, Any]] = []
    try:
        for future in as_completed(futures):
            error = future.exception() if future.status == "error" else None
            runs.append(lost_run(submitted[future], error) if error else future.result())
            progress.update(runs[-1])
    except BaseException:
        if cluster is not None:
            stop_descendants()  # the local workers, the notebooks they started and their kernels, at once
        else:
            client.cancel(futures)  # a shared cluster: its scheduler drops the notebooks not yet started
        raise
    finally:
        for closeable in (client, cluster):
            if closeable is not None:
                # a cluster whose workers were stopped may not close cleanly
                with contextlib.suppress(Exception):
                    closeable.close(timeout=DASK_CLOSE_TIMEOUT_S)
    return runs


def build_record(
    runs: Sequence[dict[str, Any]],
    *,
    settings: RunSettings,
    seeds: Sequence[int],
    targets: Sequence[str],
    executor: str,
    jobs: int,
    wall_s: float,
) -> dict[str, Any]:
    """The sweep record: settings, seed roles, each run's outcome (with the stamp of the inputs it ran) and
    :func:`aggregate_claims`."""
    from bookkit.provenance import versions

    notebooks: dict[str, list[dict[str, Any]]] = {}
    for run in sorted(runs, key=lambda r: (r["notebook"], r["seed"])):
        notebooks.setdefault(run["notebook"], []).append(
            {k: run[k] for k in ("seed", "role", "status", "reused", "wall_s", "error", "stamp")}
        )
    roles = {
        role: [s for s in sorted(seeds) if seed_role(s) == role]
        for role in ("calibration", "validation", "extra")
    }
    return {
        "kind": "seed sweep",
        "scale": settings.scale,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "targets": list(targets),
        "seeds": sorted(seeds),
        "roles": roles,
        "protocol": "seeds 0-4 calibrate thresholds and settings; seeds 5-9 validate them and tune nothing; "
        "other seeds are extra checks",
        "interval": INTERVAL,
        "margin": MARGIN,
        "executor": executor,
        "jobs": jobs,
        "wall_s": round(wall_s, 1),
        "settings": {
            "device": settings.device,
            "overrides": [list(kv) for kv in settings.overrides],
            "threads": settings.threads,
            "timeout_s": settings.timeout_s,
        },
        "devices": sorted({r["device_name"] for r in runs if r.get("device_name")}),
        **versions(),
        "notebooks": [{"notebook": name, "runs": entries} for name, entries in notebooks.items()],
        "claims": aggregate_claims(runs),
    }


def record_text(record: dict[str, Any]) -> str:
    """The record as JSON (one-space indent) with one line per seed of a claim and per run, so that a diff
    of two sweeps reads seed by seed."""
    held: list[list[Any]] = []

    def hold(items: list[Any]) -> str:
        held.append(items)
        return f"@held:{len(held) - 1}"

    shallow = {
        **record,
        "notebooks": [{**n, "runs": hold(n["runs"])} for n in record["notebooks"]],
        "claims": [{**c, "seeds": hold(c["seeds"])} for c in record["claims"]],
    }

    def expand(match: re.Match[str]) -> str:
        indent, key, items = match.group(1), match.group(2), held[int(match.group(3))]
        if not items:
            return f'{indent}"{key}": []'
        rows = ",\n".join(f"{indent} {json.dumps(item, ensure_ascii=False)}" for item in items)
        return f'{indent}"{key}": [\n{rows}\n{indent}]'

    text = json.dumps(shallow, indent=1, ensure_ascii=False)
    return re.sub(r'^( *)"(runs|seeds)": "@held:(\d+)"', expand, text, flags=re.MULTILINE) + "\n"


RECORD_NAME_LIMIT = 160
"""Longest record file name spelled out target by target; beyond it (file systems stop at 255 bytes, and
six notebooks of one chapter already pass that) several notebooks of a chapter are named by their numbers."""


def default_record_path(
    layout: Layout, scale: str, targets: Sequence[str], when: dt.date | None = None
) -> Path:
    """``book/records/sweep-<scale>-<date>[-<targets>].json``: the targets in the name keep sweeps of
    different chapters made the same day apart. When the name would pass :data:`RECORD_NAME_LIMIT`,
    notebooks are named by chapter and number (``ebm-backprop-01-02-04``)."""
    from bookkit.records import RECORDS_DIR

    day = (when or dt.datetime.now(dt.timezone.utc).date()).isoformat()
    names = [t.strip("/").removeprefix("chapters/") for t in targets]
    suffix = "".join(f"-{re.sub(r'[^A-Za-z0-9_-]+', '-', name)}" for name in names)
    if len(f"{RECORD_PREFIX}-{scale}-{day}{suffix}.json") > RECORD_NAME_LIMIT:
        numbers: dict[str, list[str]] = {}
        for name in names:
            chapter, _, notebook = name.partition("/")
            numbers.setdefault(chapter, []).extend([notebook.split("-")[0]] if notebook else [])
        suffix = "".join(f"-{'-'.join([chapter, *nn])}" for chapter, nn in numbers.items())
    return layout.repo_root / RECORDS_DIR / f"{RECORD_PREFIX}-{scale}-{day}{suffix}.json"


def run_sweep(
    layout: Layout,
    targets: Sequence[str],
    seeds: Sequence[int],
    settings: RunSettings,
    *,
    executor: str = "local",
    jobs: int = 1,
    scheduler: str | None = None,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run every (notebook, seed) that is not fresh (all with ``force``) and return the sweep record.

    While notebooks run, SIGINT, SIGTERM and SIGHUP stop every worker and kernel and raise
    ``KeyboardInterrupt``, whichever executor runs them and whatever handler the process inherited."""
    check_scale(settings.scale)
    if executor not in EXECUTORS:
        raise SweepError(f"unknown executor {executor!r}; valid executors are: {', '.join(EXECUTORS)}")
    if jobs < 1:
        raise SweepError(f"--jobs must be >= 1, got {jobs}")
    if scheduler is not None and executor != "dask":
        raise SweepError("--scheduler needs --executor dask")
    if not seeds:
        raise SweepError("no seeds to sweep")
    sources = longest_first(layout, discover(layout, targets))
    planned = plan_run(layout, sources, settings, jobs)  # every option checked before any kernel starts
    runs: list[dict[str, Any]] = []
    tasks: list[Task] = []
    for source in sources:
        for seed in seeds:
            seeded = dataclasses.replace(planned[source.name], seed=seed)
            here = seed_layout(layout, settings.scale, seed)
            if not force and freshness(here, source, seeded) == "fresh":
                runs.append(_run_summary(here, source, seed, None))
            else:
                tasks.append((here, source, seeded))
    log(
        f"sweep of {len(sources)} notebook(s) x {len(seeds)} seed(s) ({format_seeds(seeds)}) at scale "
        f"{settings.scale}: {len(runs)} fresh run(s) reused, "
        f"{len(tasks)} to run with the {executor} executor, "
        f"{jobs} job(s)" + (f" on {scheduler}" if scheduler else "")
    )
    start = time.perf_counter()
    progress = Progress(len(tasks), log)
    if tasks:
        with signals_as_interrupt(STOP_SIGNALS):  # the local executor installs its own handlers meanwhile
            runs += (
                run_local(tasks, jobs, progress)
                if executor == "local"
                else run_dask(tasks, jobs, progress, scheduler)
            )
    return build_record(
        runs,
        settings=settings,
        seeds=seeds,
        targets=targets,
        executor=executor,
        jobs=jobs,
        wall_s=time.perf_counter() - start,
    )


def sweep_summary(record: dict[str, Any]) -> str:
    """A fixed-width table of each asserted claim's pass rate, mean and worst margin."""
    claims = [c for c in record["claims"] if c["asserted"]]
    if not claims:
        return "no asserted claims in this sweep"
    width = max(len(c["id"]) for c in claims)
    lines = [f"{'claim':<{width}}  {'passes':>7}  {'mean':>10}  {'worst margin':>12}"]
    for c in claims:
        mark = "" if c["passes"] == c["runs"] else "  <- fails on some seeds"
        worst = "-" if c["margin_worst"] is None else f"{c['margin_worst']:+.3g}"
        mean = "-" if c["mean"] is None else format_value(c["mean"])
        lines.append(f"{c['id']:<{width}}  {c['rate']:>7}  {mean:>10}  {worst:>12}{mark}")
    for notebook in record["notebooks"]:
        lines += [
            f"FAILED {notebook['notebook']} seed {run['seed']}: {run['error']}"
            for run in notebook["runs"]
            if run["status"] != "ok"
        ]
    return "\n".join(lines)


def newest_sweep_claims(layout: Layout) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Per (scale, notebook, claim id), its entry in the newest sweep record that contains it, with the
    record's file, scale, run settings and the stamps of its notebook's runs added: records of different
    chapters made at different times compose."""
    from bookkit.records import load_records

    newest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for record in load_records(layout, RECORD_PREFIX):  # oldest first
        stamps = {
            entry["notebook"]: {run["seed"]: run.get("stamp") for run in entry["runs"]}
            for entry in record.get("notebooks", [])
        }
        for claim in record.get("claims", []):
            newest[(record["scale"], claim["notebook"], claim["id"])] = {
                **claim,
                "file": record["file"],
                "date": record["date"],
                "scale": record["scale"],
                "settings": record.get("settings"),
                "stamps": stamps.get(claim["notebook"], {}),
            }
    return newest


def sweep_is_stale(layout: Layout, source: NotebookSource, entry: dict[str, Any]) -> bool:
    """True when a run behind ``entry`` (from :func:`newest_sweep_claims`) was made with other inputs than
    the current ones: the notebook, its bookkit code or requirements.txt changed since the sweep."""
    if not entry.get("settings") or not entry.get("stamps"):
        return False
    settings = RunSettings(
        scale=entry["scale"],
        device=entry["settings"]["device"],
        overrides=tuple(tuple(kv) for kv in entry["settings"]["overrides"]),
    )
    return any(
        stamp != compute_stamp(layout, source, dataclasses.replace(settings, seed=int(seed)))
        for seed, stamp in entry["stamps"].items()
    )


def seed_rate_cell(entry: dict[str, Any] | None) -> str:
    """A claim's seed pass rate for a table cell: ``10/10``, ``**7/10**`` below all-pass, — without one."""
    if entry is None or not entry.get("asserted"):
        return "—"
    return entry["rate"] if entry["passes"] == entry["runs"] else f"**{entry['rate']}**"


@dataclasses.dataclass(repr=False)
class SeedPassRates:
    """The seed pass rates of one chapter's (or notebook's) claims, for its Verdict section: display it for a
    table, glue :meth:`summary` for a sentence."""

    target: str
    scale: str
    claims: list[dict[str, Any]]

    def summary(self) -> str:
        asserted = [c for c in self.claims if c["asserted"] and c.get("kind", "claim") == "claim"]
        if not asserted:
            return f"no seed sweep at the {self.scale} scale has been recorded for these claims yet"
        seeds = format_seeds({e["seed"] for c in asserted for e in c["seeds"]})
        every = [c for c in asserted if c["passes"] == c["runs"]]
        text = (
            f"{len(every)} of {len(asserted)} claims pass on every seed swept ({seeds}, {self.scale} scale)"
        )
        others = [f"{c['id']} on {c['rate']}" for c in asserted if c["passes"] != c["runs"]]
        return text + (f"; {', '.join(others)}" if others else "")

    def table(self) -> str:
        header = (
            "| claim | seeds passing | calibration (0-4) | validation (5-9) | mean [95% t-interval] "
            "| threshold | worst margin |"
        )
        lines = [header, "|---|---:|---:|---:|---|---|---:|"]
        for c in self.claims:
            if not c["asserted"]:
                continue
            interval = (
                ""
                if c["interval"] is None
                else (f" [{format_value(c['interval'][0])}, {format_value(c['interval'][1])}]")
            )
            mean = "—" if c["mean"] is None else format_value(c["mean"]) + interval
            worst = "—" if c["margin_worst"] is None else f"{c['margin_worst']:+.0%}"
            lines.append(
                f"| `{c['id']}` | {seed_rate_cell(c)} | {c['by_role'].get('calibration', '—')} | "
                f"{c['by_role'].get('validation', '—')} | {mean} | "
                f"{describe_threshold(c['op'], c['threshold'])} | {worst} |"
            )
        return "\n".join(lines)

    def glue(self, name: str) -> None:
        """Glue :meth:`summary` under ``name`` so the chapter text can cite it with ``{glue:text}`name```."""
        from bookkit.claims import _glue

        _glue(name, self.summary())

    def _repr_markdown_(self) -> str:
        return self.table() if len(self.table().splitlines()) > 2 else self.summary()

    def __repr__(self) -> str:
        return self.summary()


def seed_pass_rates(target: str, scale: str = "ci", layout: Layout | None = None) -> SeedPassRates:
    """The newest recorded seed pass rate of every claim of ``target`` (a chapter such as ``uoro`` or a
    notebook such as ``uoro/01-rtrl-bptt-truncation``) at ``scale``, in the notebooks' order."""
    newest = newest_sweep_claims(layout or Layout())
    chosen = [
        c
        for (s, notebook, _), c in newest.items()
        if s == scale and (notebook == target or notebook.split("/", 1)[0] == target)
    ]
    return SeedPassRates(target, scale, sorted(chosen, key=lambda c: c["notebook"]))
