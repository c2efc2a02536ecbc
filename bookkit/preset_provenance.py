"""What of its chapter's ``presets.py`` one notebook run depends on.

Every notebook of a chapter imports the chapter's presets module, so hashing that file whole would make
any edit to one notebook's preset, or to a scale the run did not use, stale every notebook of the chapter.
Instead a run's freshness stamp counts:

- each :class:`~bookkit.scales.Presets` the notebook uses, **resolved** at the scales it reads: the run's
  scale when the notebook passes it to ``start_notebook`` or calls ``resolve`` with the run's scale
  (``SCALE`` or ``nb.scale``), a scale it names (``P.full``), every scale for any other use;
- the code (syntax tree) of every other top-level definition it reaches: the functions and constants it
  imports, what they refer to, and the dataclass of each resolved preset;
- every top-level statement that defines nothing (an ``assert``, a loop), since it may change any of them;
  bare strings (docstrings) are prose and do not count.

A presets name that another chapter module imports counts at every scale, and a notebook or module that
imports the presets module whole, or whose code does not parse, counts the file whole, as before.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from bookkit.provenance import (
    PACKAGE_DIR,
    chapter_package,
    code_fingerprint,
    import_base,
    imported_bookkit_files,
)
from bookkit.scales import SCALES, Presets

RUN_SCALE = "run scale"


def presets_path(chapter: str, package_dir: Path = PACKAGE_DIR) -> Path:
    return package_dir / chapter_package(chapter) / "presets.py"


def _presets_imports(tree: ast.AST, package: str, presets_module: str) -> dict[str, str] | None:
    """Names bound by importing from ``presets_module``: local name -> name in the presets module; None
    when the module is imported whole (or with ``*``), whose uses this analysis does not follow."""
    bound: dict[str, str] = {}
    parent_package, _, leaf = presets_module.rpartition(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == presets_module for a in node.names):
            return None
        if isinstance(node, ast.ImportFrom):
            base = import_base(node, package)
            if base == presets_module:
                bound.update({alias.asname or alias.name: alias.name for alias in node.names})
            elif base == parent_package and any(alias.name == leaf for alias in node.names):
                return None
    return None if "*" in bound else bound


def _runs_at_the_run_scale(node: ast.AST) -> bool:
    """``SCALE`` or ``<anything>.scale``: the notebook's parameter or ``nb.scale``."""
    return (isinstance(node, ast.Name) and node.id == "SCALE") or (
        isinstance(node, ast.Attribute) and node.attr == "scale"
    )


def _scales_read(tree: ast.AST, local: str) -> set[str]:
    """The scales at which notebook code reads the presets bound to ``local`` (see the module docstring)."""
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    scales: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Name) and node.id == local):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Call) and node in parent.args:
            called = parent.func
            name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
            if name == "start_notebook":
                scales.add(RUN_SCALE)
                continue
        if isinstance(parent, ast.Attribute) and parent.attr in SCALES:
            scales.add(parent.attr)
            continue
        call = parents.get(parent) if isinstance(parent, ast.Attribute) else None
        if (
            isinstance(parent, ast.Attribute)
            and parent.attr == "resolve"
            and isinstance(call, ast.Call)
            and call.args
            and _runs_at_the_run_scale(call.args[0])
        ):
            scales.add(RUN_SCALE)
            continue
        return set(SCALES)
    return scales


def _load_fresh(path: Path, package: str) -> ModuleType:
    """Execute ``path`` as a new module of ``package`` (never the cached one, which may predate an edit)."""
    name = f"{package}._presets_as_stamped"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    module.__package__ = package
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def _definitions(tree: ast.Module) -> tuple[dict[str, list[ast.stmt]], list[ast.stmt]]:
    """Top-level statements by the names they define, and those that define none. Imports are left out
    (the modules they load are hashed as files), and so are bare strings (the module's and its constants'
    docstrings), which are prose and change nothing a run computes."""
    defined: dict[str, list[ast.stmt]] = {}
    others: list[ast.stmt] = []
    for statement in tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [statement.name]
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        else:
            names = []
        if not names:
            others.append(statement)
        for name in names:
            defined.setdefault(name, []).append(statement)
    return defined, others


def _resolved_text(name: str, value: Presets[Any], scale: str) -> str:
    text = repr(getattr(value, scale))
    if " at 0x" in text:
        raise ValueError(
            f"preset {name}.{scale} shows a memory address in its repr ({text[:80]}...); give its fields "
            "values with a stable repr so that the freshness stamp can count them"
        )
    return text


def presets_fingerprint(notebook: Path, chapter: str, scale: str, package_dir: Path = PACKAGE_DIR) -> bytes:
    """What of the chapter's presets module a run of ``notebook`` at ``scale`` depends on (module docstring);
    empty when the chapter has none."""
    path = presets_path(chapter, package_dir)
    if not path.is_file():
        return b""
    package = f"bookkit.{chapter_package(chapter)}"
    presets_module = f"{package}.presets"
    import jupytext

    cells = [c.source for c in jupytext.read(notebook, fmt="md:myst").cells if c.cell_type == "code"]
    modules = imported_bookkit_files(notebook, package_dir)
    if modules is None:  # a code cell does not parse
        return code_fingerprint(path)
    code = ast.parse("\n".join(cells))
    bound = _presets_imports(code, "", presets_module)
    if bound is None:
        return code_fingerprint(path)
    wanted: dict[str, set[str]] = {}
    for local, name in bound.items():
        wanted.setdefault(name, set()).update(_scales_read(code, local))
    chapter_dir = package_dir / chapter_package(chapter)
    for module in modules:
        if module == path or not module.is_relative_to(chapter_dir):
            continue
        module_package = ".".join(("bookkit", *module.relative_to(package_dir).parent.parts))
        found = _presets_imports(
            ast.parse(module.read_text(encoding="utf-8")), module_package, presets_module
        )
        if found is None:
            return code_fingerprint(path)
        for name in found.values():
            wanted.setdefault(name, set()).update(SCALES)
    return _fingerprint(path, package, wanted, scale)


def _fingerprint(path: Path, package: str, wanted: dict[str, set[str]], scale: str) -> bytes:
    """Walk from the wanted names through the top-level definitions they refer to, then hash what was
    reached: presets resolved at the scales read (every scale for one a function refers to), the rest as
    syntax trees."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    defined, others = _definitions(tree)
    values = vars(_load_fresh(path, package))
    scales_of = {name: set(scales) for name, scales in wanted.items()}
    reached: set[str] = set()
    pending = sorted(wanted)
    while pending:
        name = pending.pop()
        if name in reached or name not in defined:
            continue
        reached.add(name)
        value = values.get(name)
        if isinstance(value, Presets):
            pending += [type(getattr(value, at)).__name__ for at in value.scales]
            continue
        for statement in defined[name]:
            for ref in {n.id for n in ast.walk(statement) if isinstance(n, ast.Name)} - {name}:
                if isinstance(values.get(ref), Presets):
                    scales_of.setdefault(ref, set()).update(SCALES)
                pending.append(ref)
    parts = [ast.dump(statement) for statement in others]
    for name in sorted(reached):
        value = values.get(name)
        if isinstance(value, Presets):
            read = {scale if at == RUN_SCALE else at for at in scales_of.get(name, SCALES)}
            parts += [
                f"{name}.{at} = {_resolved_text(name, value, at)}" for at in sorted(read & set(value.scales))
            ]
        else:
            parts += [ast.dump(statement) for statement in defined[name]]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest().encode()
