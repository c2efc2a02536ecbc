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
        "gpu_plan.py",
        "gpu_runs.py",
    }
)
"""Top-level modules that the command line runs (sweeps, page rendering, records, benchmarks, the GPU run's
plan and its pages): editing them changes no claim and makes no executed notebook stale. Notebooks import
only ``sweep.seed_pass_rates`` (with ``seed_statistics``), which quotes the newest committed sweep record in
a Verdict; a unit test checks that their imports load no other of these modules."""

SHARED_SUBPACKAGES = ("datasets",)
"""Subpackages any chapter may read from (the real-data loaders): part of every chapter's code."""


def imported_modules(tree: ast.AST, package: str) -> set[str]:
    """Dotted names a syntax tree imports, relative imports resolved against ``package`` (the package the
    code runs in: ``bookkit.uoro`` for ``bookkit/uoro/model.py`` and for ``bookkit/uoro/__init__.py``).
    ``from a import b`` yields both ``a`` and ``a.b``, since ``b`` may be a submodule; names that are not
    modules are dropped later, when no file is found for them."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = import_base(node, package)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def import_base(node: ast.ImportFrom, package: str) -> str:
    """The module ``from <module> import ...`` reads, relative imports resolved against ``package``."""
    base = node.module or ""
    if node.level:  # one dot is ``package`` itself, each further dot one package up
        anchor = package.rsplit(".", node.level - 1)[0]
        base = f"{anchor}.{base}" if base else anchor
    return base


def module_file(name: str, package_dir: Path = PACKAGE_DIR) -> Path | None:
    """The file of a ``bookkit`` module (``bookkit.uoro.model`` -> ``<package_dir>/uoro/model.py``, a package
    -> its ``__init__.py``), or None for a module outside bookkit or a name that is not a module."""
    parts = name.split(".")
    if parts[0] != "bookkit":
        return None
    stem = package_dir.joinpath(*parts[1:])
    for candidate in (stem.with_suffix(".py") if len(parts) > 1 else None, stem / "__init__.py"):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def imported_bookkit_files(notebook: Path, package_dir: Path = PACKAGE_DIR) -> list[Path] | None:
    """Every bookkit file a chapter notebook's kernel imports: the modules its code cells import, the
    packages above them (importing ``bookkit.uoro.model`` runs ``bookkit/uoro/__init__.py`` first) and,
    transitively, what those import. None when a code cell does not parse (IPython magics), so that the
    caller falls back to the whole chapter package."""
    import jupytext

    cells = [c.source for c in jupytext.read(notebook, fmt="md:myst").cells if c.cell_type == "code"]
    pending: set[str] = set()
    for source in cells:
        try:
            pending |= imported_modules(ast.parse(source), "")
        except SyntaxError:
            return None
    seen: dict[str, Path] = {}
    while pending:
        name = pending.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            module = ".".join(parts[:depth])
            path = module_file(module, package_dir)
            if path is None or module in seen:
                continue
            seen[module] = path
            package = module if path.name == "__init__.py" else module.rpartition(".")[0]
            pending |= imported_modules(ast.parse(path.read_text(encoding="utf-8")), package)
    return sorted(set(seen.values()))


def notebook_source_files(notebook: Path, chapter: str, package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """The ``.py`` files one notebook of ``chapter`` runs: bookkit's core (as in
    :func:`bookkit_source_files`, less the chapter package) and, of its chapter's package, only the modules
    its kernel imports (:func:`imported_bookkit_files`), so that adding or editing a module for another
    notebook of the same chapter does not make this one stale. The chapter's ``presets.py`` is left out: what
    of it a run depends on is counted by :func:`bookkit.preset_provenance.presets_fingerprint`. The whole
    chapter package counts when the imports cannot be read."""
    chapter_dir = package_dir / chapter_package(chapter)
    everything = bookkit_source_files(chapter, package_dir)
    imported = imported_bookkit_files(notebook, package_dir)
    if imported is None:
        return everything
    core = [p for p in everything if not p.is_relative_to(chapter_dir)]
    presets = chapter_dir / "presets.py"
    return core + [p for p in imported if p.is_relative_to(chapter_dir) and p != presets]


def notebook_source_hash(notebook: Path, chapter: str, package_dir: Path = PACKAGE_DIR) -> str:
    """Hash of :func:`notebook_source_files`: the bookkit code behind one notebook's freshness stamp."""
    return hash_files(notebook_source_files(notebook, chapter, package_dir), package_dir)


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
