"""Command line: ``python -m bookkit run|pages|toc|list|references|bench|collect|sweep``."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from bookkit import environment
from bookkit.scales import SCALES, ScaleError, parse_overrides

PARAMETERS_HELP = """notebook parameters (papermill injects them into each notebook's `parameters` cell):
  SCALE      smoke (seconds, nbval references) | ci (default, CPU, < 2 min a notebook) |
             gpu (>= 10x ci, the whole book in 10 min on one H200) | full (paper size, one GPU, hours)
  SEED       seed for python, numpy and torch; CPU runs are bit-identical for a seed
  DEVICE     auto | cpu | cuda | cuda:N ("cuda" without a GPU is an error, never a silent fall-back)
  OVERRIDES  dict of preset fields to change, e.g. --override num_steps=200: applied to each selected
             notebook whose preset has the field; a key none has, or a value out of range, is an error"""


def _run(arguments: argparse.Namespace) -> int:
    from bookkit.pages import write_pages
    from bookkit.runner import (
        Layout,
        RunSettings,
        StopRequest,
        discover,
        plan_run,
        run_notebooks,
        summary_table,
    )

    overrides: dict[str, str] = {}
    for text in arguments.override:
        overrides.update(parse_overrides(text))
    settings = RunSettings(
        scale=arguments.scale,
        seed=arguments.seed,
        device=arguments.device,
        overrides=tuple(sorted(overrides.items())),
        threads=arguments.threads,
        timeout_s=arguments.timeout,
    )
    layout = Layout()
    sources = discover(layout, arguments.targets)
    if not sources:
        print("no chapter notebooks found under chapters/", file=sys.stderr)
        return 2
    planned = plan_run(layout, sources, settings, arguments.jobs)  # every check before any kernel starts
    for key in sorted(overrides):
        without = [name for name, taken in planned.items() if key not in dict(taken.overrides)]
        if without:
            print(f"override {key}: not a setting of {', '.join(without)}, which run with their defaults")
    print(
        f"running {len(sources)} notebook(s) at scale {settings.scale} with {arguments.jobs} job(s), "
        f"{settings.threads} torch thread(s) each"
    )
    stop = StopRequest()
    outcomes = run_notebooks(layout, sources, settings, jobs=arguments.jobs, force=arguments.force, stop=stop)
    print(summary_table(outcomes))
    if stop.signal is not None:
        print(
            f"stopped by {signal.Signals(stop.signal).name}: the notebooks that were running are recorded as "
            "stopped, the last good outputs are kept",
            file=sys.stderr,
        )
        return 128 + stop.signal
    if not arguments.no_pages:
        try:
            for page in write_pages(layout):
                print(f"wrote {page.relative_to(layout.repo_root)}")
        except OSError as error:
            print(f"error: could not write the pages: {error}", file=sys.stderr)
            return 1
    return 1 if any(o.status in ("failed", "stopped") for o in outcomes) else 0


def _pages(arguments: argparse.Namespace) -> int:
    from bookkit.pages import write_pages
    from bookkit.runner import Layout

    for page in write_pages(Layout()):
        print(f"wrote {page}")
    return 0


def _toc(arguments: argparse.Namespace) -> int:
    from bookkit.book_structure import write_structure
    from bookkit.layout import Layout

    layout = Layout()
    changed = write_structure(layout)
    for path in changed:
        print(f"wrote {path.relative_to(layout.repo_root)}")
    if not changed:
        print("_toc.yml and the chapter tables of README.md and book/intro.md are up to date")
    return 0


def _list(arguments: argparse.Namespace) -> int:
    from bookkit.runner import Layout, freshness, last_attempt

    layout = Layout()
    for source in layout.all_sources():
        attempt = last_attempt(layout, source)
        last = "" if attempt is None else f" (last attempt {attempt['status']}: {attempt.get('error') or ''})"
        print(f"{source.name:<45} {freshness(layout, source):<8} {source.title()}{last}")
    return 0


def _references(arguments: argparse.Namespace) -> int:
    from bookkit.references import regenerate_references

    return regenerate_references(arguments.targets, jobs=arguments.jobs)


def _bench(arguments: argparse.Namespace) -> int:
    from bookkit.bench import run_benchmarks

    return run_benchmarks(arguments.chapters, quick=not arguments.full, device=arguments.device)


def _collect(arguments: argparse.Namespace) -> int:
    from bookkit.records import collect_runs, write_record
    from bookkit.runner import Layout

    record = collect_runs(Layout(), arguments.scale, arguments.budget, arguments.note)
    path = write_record(arguments.out, record)
    states = [entry["state"] for entry in record["notebooks"]]
    print(f"wrote {path}: " + ", ".join(f"{states.count(s)} {s}" for s in sorted(set(states))))
    return 0


def _sweep(arguments: argparse.Namespace) -> int:
    from bookkit.atomic_files import write_text_atomically
    from bookkit.runner import Layout, RunnerError, RunSettings
    from bookkit.sweep import (
        SweepError,
        default_record_path,
        parse_seeds,
        record_text,
        run_sweep,
        sweep_summary,
    )

    layout = Layout()
    settings = RunSettings(
        scale=arguments.scale, device=arguments.device, threads=arguments.threads, timeout_s=arguments.timeout
    )
    try:
        record = run_sweep(
            layout,
            arguments.targets,
            parse_seeds(arguments.seeds),
            settings,
            executor=arguments.executor,
            jobs=arguments.jobs,
            scheduler=arguments.scheduler,
            force=arguments.force,
        )
    except (RunnerError, SweepError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "sweep interrupted: every notebook process was stopped; no record written (finished runs are "
            "reused by the next sweep)",
            file=sys.stderr,
        )
        return 130
    path = arguments.out or default_record_path(layout, arguments.scale, arguments.targets)
    write_text_atomically(path, record_text(record))
    print(sweep_summary(record))
    print(f"wrote {path} ({record['wall_s']:.0f} s)")
    return 1 if any(run["status"] != "ok" for entry in record["notebooks"] for run in entry["runs"]) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bookkit", description="Run and check the book's chapters."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        help="execute chapter notebooks with papermill (skips fresh ones)",
        description="Execute chapter notebooks headlessly with papermill into book/_generated, "
        "then regenerate book/scorecard.md and book/status.md.",
        epilog=f"{PARAMETERS_HELP}\n\nenvironment variables:\n{environment.documentation()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "targets",
        nargs="*",
        help="chapters (uoro) or notebooks (uoro/01-rtrl-bptt-truncation, or the .md path); default: all",
    )
    run.add_argument(
        "--scale", default="ci", choices=SCALES, help=f"preset size, one of {', '.join(SCALES)} (default: ci)"
    )
    run.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    run.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (default: auto)")
    run.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE[,KEY=VALUE]",
        help="change preset fields of the selected notebooks",
    )
    run.add_argument("--jobs", type=int, default=1, help="notebooks run in parallel (default: 1)")
    run.add_argument("--threads", type=int, default=1, help="torch threads per notebook (default: 1)")
    run.add_argument("--timeout", type=float, default=None, help="seconds per cell (default: by scale)")
    run.add_argument("--force", action="store_true", help="rerun even fresh notebooks")
    run.add_argument(
        "--no-pages", action="store_true", help="do not regenerate the scorecard and status pages"
    )
    run.set_defaults(handler=_run)

    pages = commands.add_parser("pages", help="regenerate book/scorecard.md and book/status.md")
    pages.set_defaults(handler=_pages)

    toc = commands.add_parser(
        "toc",
        help="regenerate _toc.yml and the chapter tables of README.md and "
        "book/intro.md from the chapters and bookkit/book_structure.py",
    )
    toc.set_defaults(handler=_toc)

    listing = commands.add_parser("list", help="list chapter notebooks and whether their outputs are fresh")
    listing.set_defaults(handler=_list)

    references = commands.add_parser(
        "references", help="regenerate the nbval reference notebooks (smoke scale)"
    )
    references.add_argument("targets", nargs="*", help="chapters or notebooks (default: all)")
    references.add_argument("--jobs", type=int, default=2)
    references.set_defaults(handler=_references)

    bench = commands.add_parser("bench", help="benchmark each chapter's hot kernels against a baseline")
    bench.add_argument("chapters", nargs="*", help="chapters (default: all)")
    bench.add_argument("--full", action="store_true", help="larger sizes and more repeats")
    bench.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    bench.set_defaults(handler=_bench)

    collect = commands.add_parser(
        "collect",
        help="summarise the runs at one scale (finished, failed, stopped at a budget) into one JSON record",
        description="Summarise every notebook's run at --scale in book/_generated into a JSON record for "
        "book/records/ (see bookkit.records): claims of finished runs and of runs stopped early.",
    )
    collect.add_argument("--scale", default="full", choices=SCALES, help="scale of the runs (default: full)")
    collect.add_argument(
        "--budget", type=float, default=None, help="the wall-clock budget the runs had, seconds"
    )
    collect.add_argument("--note", default="", help="one line on how the runs were made")
    collect.add_argument("--out", type=Path, required=True, help="the record to write")
    collect.set_defaults(handler=_collect)

    sweep = commands.add_parser(
        "sweep",
        help="run notebooks once per seed and record each claim's pass rate over the seeds",
        description="Run each selected notebook once per seed "
        "(outputs in book/_generated/sweeps/<scale>/seed-<n>/, "
        "fresh runs reused) and write book/records/sweep-<scale>-<date>[-<targets>].json: per claim, "
        "its value and verdict per seed, the pass count, the mean with a 95% t-interval and the margin "
        "to the threshold. Seeds 0-4 calibrate, 5-9 validate, others are extra.",
    )
    sweep.add_argument("targets", nargs="*", help="chapters or notebooks (default: all)")
    sweep.add_argument("--seeds", default="0-9", help="seeds: 0-9, 0,3,5 or 0-4,7 (default: 0-9)")
    sweep.add_argument("--scale", default="ci", choices=SCALES, help="preset size (default: ci)")
    sweep.add_argument(
        "--executor",
        default="local",
        choices=("local", "dask"),
        help="local: a pool of --jobs notebook processes (default); dask: a Dask distributed cluster",
    )
    sweep.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --executor dask: an existing scheduler (tcp://host:8786) instead of a LocalCluster",
    )
    sweep.add_argument(
        "--jobs", type=int, default=2, help="notebooks at once, or LocalCluster workers (default: 2)"
    )
    sweep.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (default: auto)")
    sweep.add_argument("--threads", type=int, default=1, help="torch threads per notebook (default: 1)")
    sweep.add_argument("--timeout", type=float, default=None, help="seconds per cell (default: by scale)")
    sweep.add_argument("--force", action="store_true", help="rerun even runs that are fresh for their seed")
    sweep.add_argument(
        "--out", type=Path, default=None, help="the record to write (default: book/records/...)"
    )
    sweep.set_defaults(handler=_sweep)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    from bookkit.device import DeviceError
    from bookkit.run_validation import RunnerError

    try:
        return arguments.handler(arguments)
    except (ScaleError, RunnerError, DeviceError) as error:  # invalid arguments: one line, exit code 2
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
