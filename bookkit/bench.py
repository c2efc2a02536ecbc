"""``python -m bookkit bench``: every chapter's hot-kernel benchmarks, one table of ratios.

Each chapter's ``bookkit/<package>/benchmarks.py`` defines ``benchmarks(quick: bool) -> Iterable[Comparison]``
(a generator where rows are slow, so that each is saved as soon as it is measured).
The rows are printed, saved to ``book/_generated/benchmarks.json`` with the device named, and rendered on
the book's benchmark page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import os
import sys
from collections.abc import Iterable

from bookkit.atomic_files import write_json_atomically
from bookkit.benchmarking import Comparison
from bookkit.book_structure import PAPERS
from bookkit.device import configure_threads, resolve_device
from bookkit.layout import Layout
from bookkit.pages import write_pages
from bookkit.provenance import chapter_package, describe_device, versions


def chapter_benchmarks(chapter: str, quick: bool, device: str) -> Iterable[Comparison]:
    module = importlib.import_module(f"bookkit.{chapter_package(chapter)}.benchmarks")
    try:
        return module.benchmarks(quick=quick, device=device)
    except TypeError:  # a chapter whose benchmarks are CPU-only takes no device argument
        return module.benchmarks(quick=quick)


def format_table(rows: list[Comparison]) -> str:
    lines = [f"{'chapter':<18} {'benchmark':<34} {'subject / baseline':<52} {'ratio':>8}"]
    for row in rows:
        pair = f"{row.subject} / {row.baseline}"
        lines.append(f"{row.chapter:<18} {row.name[:34]:<34} {pair[:52]:<52} {row.ratio:>8.3g}")
    return "\n".join(lines)


def run_benchmarks(chapters: list[str], quick: bool = True, device: str = "auto") -> int:
    layout = Layout()
    available = [
        c for c in layout.chapters() if (layout.package_dir / chapter_package(c) / "benchmarks.py").exists()
    ]
    unknown = sorted(set(chapters) - set(available))
    if unknown:
        print(
            f"error: no benchmarks for {unknown}; chapters with benchmarks: {', '.join(available)}",
            file=sys.stderr,
        )
        return 2
    os.environ.setdefault("BOOKKIT_HEADLESS", "1")  # progress bars of the timed loops stay quiet
    torch_device = resolve_device(device)
    configure_threads(1 if torch_device.type == "cpu" else None)
    rows: list[Comparison] = []
    errors: dict[str, str] = {}

    def save(rows: list[Comparison], errors: dict[str, str]) -> None:
        payload = {
            "date": dt.date.today().isoformat(),
            "device": describe_device(torch_device),
            **versions(),
            "quick": quick,
            "rows": [dataclasses.asdict(r) for r in rows],
            "errors": errors,
        }
        write_json_atomically(layout.generated / "benchmarks.json", payload)

    for chapter in [c for c in PAPERS if c in (chapters or available)]:
        print(f"benchmarking {chapter} ...", flush=True)
        try:
            for row in chapter_benchmarks(chapter, quick, str(torch_device)):
                rows.append(row)
                save(rows, errors)  # after each row: a run stopped at a time limit keeps what it measured
        except Exception as error:
            errors[chapter] = f"{type(error).__name__}: {error}"[:500]
            print(f"error: {chapter} benchmarks failed: {errors[chapter]}", file=sys.stderr)
            save(rows, errors)
    print(format_table(rows))
    write_pages(layout)
    return 1 if errors else 0
