"""Where things live and what produced them: repository paths, versions and source hashes."""

from __future__ import annotations

import ast
import hashlib
import platform
from pathlib import Path

import torch

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
"""bookkit is installed in editable mode from the repository, so the repository is the package's parent."""


def generated_dir() -> Path:
    """Executed notebooks, metrics and run records: ``book/_generated`` (``BOOKKIT_GENERATED`` overrides)."""
    from bookkit import environment

    return Path(environment.get(environment.GENERATED) or REPO_ROOT / "book" / "_generated")


def code_fingerprint(path: Path) -> bytes:
    """What a source file means rather than how it is laid out: for a ``.py`` file the dump of its syntax
    tree (``ast.dump``), so that reformatting and comments change nothing while any change to code or
    docstrings does; for a chapter notebook (``.md``) its markdown cells verbatim (they are the rendered
    page) and its code cells as syntax trees (a cell with IPython magics, which ``ast`` cannot parse, stays
    verbatim). Any other file, or one that does not parse, counts byte for byte."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        return _syntax_tree(text).encode()
    if path.suffix == ".md":
        import jupytext

        notebook = jupytext.reads(text, fmt="md:myst")
        parts = [
            f"{cell.cell_type}\0{_syntax_tree(cell.source) if cell.cell_type == 'code' else cell.source}"
            for cell in notebook.cells
        ]
        return "\0\0".join(parts).encode()
    return path.read_bytes()


def _syntax_tree(source: str) -> str:
    try:
        return ast.dump(ast.parse(source))
    except SyntaxError:
        return source


def hash_files(paths: list[Path], root: Path) -> str:
    """SHA-256 over the relative names and :func:`code_fingerprint` of ``paths`` (sorted), so renames count
    as changes and reformatting does not."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(code_fingerprint(path))
        digest.update(b"\0")
    return digest.hexdigest()


def chapter_package(chapter: str) -> str:
    """The bookkit subpackage of a chapter slug: ``learning-to-learn`` -> ``learning_to_learn``."""
    return chapter.replace("-", "_")


OUTSIDE_THE_KERNEL = frozenset(
    {
        "__main__.py",
        "sweep.py",
        "seed_statistics.py",
        "pages.py",
        "records.py",
        "bench.py",
        "book_structure.py",
    }
)
"""Top-level modules that only the command line runs (sweeps, page rendering, records, benchmarks): no
notebook imports them, so editing them changes no claim and makes no executed notebook stale."""

SHARED_SUBPACKAGES = ("datasets",)
"""Subpackages any chapter may read from (the real-data loaders): part of every chapter's code."""


def bookkit_source_files(chapter: str | None = None, package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """The ``.py`` files a chapter's notebooks run: bookkit's top-level modules (less those in
    :data:`OUTSIDE_THE_KERNEL`), the shared subpackages and the chapter's own subpackage (every subpackage
    when ``chapter`` is None)."""
    files = [p for p in package_dir.glob("*.py") if p.name not in OUTSIDE_THE_KERNEL]
    subpackages = (
        [package_dir / name for name in (chapter_package(chapter), *SHARED_SUBPACKAGES)]
        if chapter
        else [p for p in package_dir.iterdir() if p.is_dir() and p.name != "__pycache__"]
    )
    for folder in subpackages:
        files += [p for p in folder.rglob("*.py") if "__pycache__" not in p.parts]
    return files


def bookkit_source_hash(chapter: str | None = None, package_dir: Path = PACKAGE_DIR) -> str:
    """Hash of the bookkit code a chapter depends on: any edit there makes its executed notebooks and
    cached models stale, while edits to another chapter's subpackage do not."""
    return hash_files(bookkit_source_files(chapter, package_dir), package_dir)


def bookkit_version() -> str:
    from bookkit import __version__

    return __version__


def versions() -> dict[str, str]:
    return {"torch": torch.__version__, "bookkit": bookkit_version(), "python": platform.python_version()}


def describe_device(device: torch.device) -> str:
    """``cpu (x86_64, 1 thread)`` or ``cuda:0 (NVIDIA H100 80GB HBM3)``: the hardware, in words."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    threads = torch.get_num_threads()
    return f"cpu ({platform.machine()}, {threads} thread{'s' if threads > 1 else ''})"
