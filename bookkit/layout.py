"""Where the book's files are: chapter sources, the runner's outputs and records, and its scratch folders.

For each source ``chapters/<chapter>/<NN-topic>.md`` the runner writes, in ``<generated>/<chapter>/``:

- ``NN-topic.ipynb``, ``NN-topic.metrics.json``, ``NN-topic.run.json``: the last good run (notebook, claims,
  run record); replaced only by another good run;
- ``NN-topic.failed.json`` (the record of the last attempt that did not succeed), with
  ``NN-topic.failed.ipynb`` and ``NN-topic.failed.metrics.json`` when it got that far. These three always
  describe one attempt: a new attempt removes the old ones before it starts, and writes ``failed.json`` with
  status ``running`` so that an attempt killed outright (``SIGKILL``, a machine that stops) is still on
  record. Its ``status`` is ``failed``, ``stopped`` (a signal stopped it; the runner cleaned up) or
  ``running``: in progress while :func:`attempt_is_live` (its lock is held), else killed;
- ``NN-topic.log``: the worker's log of the last attempt;
- ``.NN-topic.lock``: held (``flock``) by the runner process that is running the notebook, so two runners
  never run one notebook at once and a reader can tell a live attempt from a killed one;
- ``.run-NN-topic-*/``: the scratch folder of an attempt (:class:`Scratch`), removed when it ends. A folder
  left behind belongs to a killed attempt; it holds the claims computed before the kill, and the next
  attempt at that notebook removes it.
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import json
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

from bookkit.atomic_files import write_json_atomically
from bookkit.provenance import PACKAGE_DIR, REPO_ROOT, generated_dir

NOTEBOOK_GLOB = "[0-9][0-9]-*.md"

OUTPUT_SUFFIXES: dict[str, str] = {
    "notebook": ".ipynb",
    "metrics": ".metrics.json",
    "record": ".run.json",
    "failed_notebook": ".failed.ipynb",
    "failed_record": ".failed.json",
    "failed_metrics": ".failed.metrics.json",
    "log": ".log",
}
"""The outputs of one notebook, by kind (see the module docstring)."""

SCRATCH_PREFIX = ".run-"


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
class Scratch:
    """An attempt's scratch folder and the files the runner and its worker exchange there.

    The runner writes ``request.json`` (:meth:`write_request`); the worker writes ``input.ipynb``,
    ``output.ipynb`` (papermill saves it after every cell), ``result.json`` and ``worker.log``; the kernel
    writes ``metrics.json`` after every claim.
    """

    folder: Path

    @property
    def request(self) -> Path:
        return self.folder / "request.json"

    @property
    def input_notebook(self) -> Path:
        return self.folder / "input.ipynb"

    @property
    def output_notebook(self) -> Path:
        return self.folder / "output.ipynb"

    @property
    def metrics(self) -> Path:
        return self.folder / "metrics.json"

    @property
    def result(self) -> Path:
        return self.folder / "result.json"

    @property
    def log(self) -> Path:
        return self.folder / "worker.log"

    def write_request(
        self, source: NotebookSource, parameters: dict[str, Any], cell_timeout: float, runner_pid: int
    ) -> None:
        write_json_atomically(
            self.request,
            {
                "source": str(source.path),
                "input_notebook": str(self.input_notebook),
                "output_notebook": str(self.output_notebook),
                "metrics": str(self.metrics),
                "result": str(self.result),
                "parameters": parameters,
                "cell_timeout": cell_timeout,
                "runner_pid": runner_pid,
            },
        )

    def read_request(self) -> dict[str, Any] | None:
        return read_record(self.request)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


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
        """``kind``: one of :data:`OUTPUT_SUFFIXES`."""
        if kind not in OUTPUT_SUFFIXES:
            raise ValueError(f"unknown output kind {kind!r}; valid kinds are: {', '.join(OUTPUT_SUFFIXES)}")
        return self.generated / source.chapter / f"{source.stem}{OUTPUT_SUFFIXES[kind]}"

    def lock(self, source: NotebookSource) -> Path:
        return self.generated / source.chapter / f".{source.stem}.lock"

    def new_scratch(self, source: NotebookSource) -> Scratch:
        folder = self.generated / source.chapter
        folder.mkdir(parents=True, exist_ok=True)
        return Scratch(Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{source.stem}-", dir=folder)))

    def scratches(self, source: NotebookSource) -> list[Scratch]:
        """The notebook's scratch folders, newest first."""
        folders = [
            p
            for p in (self.generated / source.chapter).glob(f"{SCRATCH_PREFIX}{source.stem}-*")
            if p.is_dir()
        ]
        return [Scratch(p) for p in sorted(folders, key=lambda p: p.stat().st_mtime, reverse=True)]

    def chapters(self) -> list[str]:
        if not self.chapters_dir.is_dir():
            return []
        return sorted(
            p.name for p in self.chapters_dir.iterdir() if p.is_dir() and any(p.glob(NOTEBOOK_GLOB))
        )

    def all_sources(self) -> list[NotebookSource]:
        return [
            NotebookSource(chapter, path.stem, path)
            for chapter in self.chapters()
            for path in sorted((self.chapters_dir / chapter).glob(NOTEBOOK_GLOB))
        ]


def read_record(path: Path) -> dict[str, Any] | None:
    """A JSON record, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


class NotebookLock:
    """The notebook's ``flock``: held by the runner process that runs it, released when that process ends,
    however it ends."""

    def __init__(self, layout: Layout, source: NotebookSource) -> None:
        self.path = layout.lock(source)
        self._handle: IO[str] | None = None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False when another open file (any process) holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            handle.close()
            if error.errno in (errno.EAGAIN, errno.EACCES):
                return False
            raise
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def attempt_is_live(layout: Layout, source: NotebookSource) -> bool:
    """True while some process holds the notebook's lock (a runner is running it)."""
    if not layout.lock(source).exists():
        return False
    lock = NotebookLock(layout, source)
    try:
        if not lock.try_acquire():
            return True
    except OSError:  # an unreadable lock file: nobody can be running there
        return False
    lock.release()
    return False


def last_attempt(layout: Layout, source: NotebookSource) -> dict[str, Any] | None:
    """The record of the last attempt that did not succeed, with ``status`` ``running`` turned into
    ``killed`` when no runner holds the notebook any more; None when the last attempt succeeded."""
    record = read_record(layout.output(source, "failed_record"))
    if record is not None and record.get("status") == "running":
        if attempt_is_live(layout, source):
            record = {
                **record,
                "error": f"running since {record.get('started_at')} "
                f"(runner process {record.get('runner_pid')})",
            }
        else:
            record = {**record, "status": "killed"}
    return record
