"""Command line: ``python -m bookkit run|pages|toc|list|references|bench|collect``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bookkit.scales import SCALES, ScaleError, parse_overrides

PARAMETERS_HELP = """notebook parameters (papermill injects them into each notebook's `parameters` cell):
  SCALE      smoke (seconds, nbval references) | ci (default, CPU, < 2 min a notebook) | full (paper size, one GPU)
  SEED       seed for python, numpy and torch; CPU runs are bit-identical for a seed
  DEVICE     auto | cpu | cuda | cuda:N ("cuda" without a GPU is an error, never a silent fall-back)
  OVERRIDES  dict of preset fields to change, e.g. --override num_steps=200 (unknown keys are an error
             that lists the valid ones)"""


def _run(arguments: argparse.Namespace) -> int:
    from bookkit.pages import write_pages
    from bookkit.runner import Layout, RunnerError, RunSettings, discover, run_notebooks, summary_table

    overrides: dict[str, str] = {}
    for text in arguments.override:
        overrides.update(parse_overrides(text))
    settings = RunSettings(scale=arguments.scale, seed=arguments.seed, device=arguments.device,
                           overrides=tuple(sorted(overrides.items())), threads=arguments.threads,
                           timeout_s=arguments.timeout)
    layout = Layout()
    try:
        sources = discover(layout, arguments.targets)
    except RunnerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not sources:
        print("no chapter notebooks found under chapters/", file=sys.stderr)
        return 2
    print(f"running {len(sources)} notebook(s) at scale {settings.scale} with {arguments.jobs} job(s), "
          f"{settings.threads} torch thread(s) each")
    outcomes = run_notebooks(layout, sources, settings, jobs=arguments.jobs, force=arguments.force)
    print(summary_table(outcomes))
    if not arguments.no_pages:
        for page in write_pages(layout):
            print(f"wrote {page.relative_to(layout.repo_root)}")
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def _pages(arguments: argparse.Namespace) -> int:
    from bookkit.pages import write_pages
    from bookkit.runner import Layout

    for page in write_pages(Layout()):
        print(f"wrote {page}")
    return 0


def _toc(arguments: argparse.Namespace) -> int:
    from bookkit.pages import toc_yaml
    from bookkit.runner import Layout

    layout = Layout()
    (layout.repo_root / "_toc.yml").write_text(toc_yaml(layout))
    print(f"wrote {layout.repo_root / '_toc.yml'}")
    return 0


def _list(arguments: argparse.Namespace) -> int:
    from bookkit.runner import Layout, freshness

    layout = Layout()
    for source in layout.all_sources():
        print(f"{source.name:<45} {freshness(layout, source):<8} {source.title()}")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bookkit", description="Run and check the book's chapters.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="execute chapter notebooks with papermill (skips fresh ones)",
                              description="Execute chapter notebooks headlessly with papermill into book/_generated, "
                                          "then regenerate book/scorecard.md and book/status.md.",
                              epilog=PARAMETERS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("targets", nargs="*", help="chapters (uoro) or notebooks (uoro/01-rtrl-bptt-truncation, "
                                                "or the .md path); default: all")
    run.add_argument("--scale", default="ci", choices=SCALES, help="preset size (default: ci)")
    run.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    run.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (default: auto)")
    run.add_argument("--override", action="append", default=[], metavar="KEY=VALUE[,KEY=VALUE]",
                     help="change preset fields of the selected notebooks")
    run.add_argument("--jobs", type=int, default=1, help="notebooks run in parallel (default: 1)")
    run.add_argument("--threads", type=int, default=1, help="torch threads per notebook (default: 1)")
    run.add_argument("--timeout", type=float, default=None, help="seconds per cell (default: by scale)")
    run.add_argument("--force", action="store_true", help="rerun even fresh notebooks")
    run.add_argument("--no-pages", action="store_true", help="do not regenerate the scorecard and status pages")
    run.set_defaults(handler=_run)

    pages = commands.add_parser("pages", help="regenerate book/scorecard.md and book/status.md")
    pages.set_defaults(handler=_pages)

    toc = commands.add_parser("toc", help="regenerate _toc.yml from the chapter notebooks")
    toc.set_defaults(handler=_toc)

    listing = commands.add_parser("list", help="list chapter notebooks and whether their outputs are fresh")
    listing.set_defaults(handler=_list)

    references = commands.add_parser("references", help="regenerate the nbval reference notebooks (smoke scale)")
    references.add_argument("targets", nargs="*", help="chapters or notebooks (default: all)")
    references.add_argument("--jobs", type=int, default=2)
    references.set_defaults(handler=_references)

    bench = commands.add_parser("bench", help="benchmark each chapter's hot kernels against a baseline")
    bench.add_argument("chapters", nargs="*", help="chapters (default: all)")
    bench.add_argument("--full", action="store_true", help="larger sizes and more repeats")
    bench.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    bench.set_defaults(handler=_bench)

    collect = commands.add_parser(
        "collect", help="summarise the runs at one scale (finished, failed, stopped at a budget) into one JSON record",
        description="Summarise every notebook's run at --scale in book/_generated into a JSON record for "
                    "book/records/ (see bookkit.records): claims of finished runs and of runs stopped early.")
    collect.add_argument("--scale", default="full", choices=SCALES, help="scale of the runs (default: full)")
    collect.add_argument("--budget", type=float, default=None, help="the wall-clock budget the runs had, seconds")
    collect.add_argument("--note", default="", help="one line on how the runs were made")
    collect.add_argument("--out", type=Path, required=True, help="the record to write")
    collect.set_defaults(handler=_collect)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        return arguments.handler(arguments)
    except ScaleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
