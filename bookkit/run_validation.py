"""Checks of a run's settings before any kernel starts: scale, seed, device, threads, timeout, jobs,
overrides.

A kernel takes tens of seconds to start, so everything that can be checked from the command line is checked
here, in the runner's process, with one-line errors that list the valid choices (the command exits with
code 2). Each notebook's presets are found statically: its ``start_notebook("<name>", PRESETS, ...)`` call
names a presets object imported from a module (``from bookkit.uoro.presets import EXACTNESS``), which the
runner imports the way the kernel will (with the chapter folder on the import path).

Overrides given for several notebooks: a key is applied to each selected notebook whose preset has that
field and left out for the others (their runs are the default ones); a key that no selected notebook has is
an error naming the keys each has. Values are converted and range-checked by
:meth:`bookkit.scales.Presets.resolve` against the preset of each notebook that takes them.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bookkit.layout import NotebookSource
from bookkit.scales import Presets, ScaleError, check_scale

MAX_SEED = 2**63 - 1


class RunnerError(ValueError):
    """A target that names no chapter or notebook, or invalid run settings."""


def check_run_options(*, seed: Any, device: str, threads: Any, timeout_s: Any, jobs: Any, scale: str) -> None:
    """Raise :class:`RunnerError` (or ``ScaleError``/``DeviceError``) for the first invalid option."""
    from bookkit.device import resolve_device

    check_scale(scale)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise RunnerError(f"--seed must be an integer from 0 to {MAX_SEED}, got {seed!r}")
    resolve_device(device)
    for name, value in (("--threads", threads), ("--jobs", jobs)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RunnerError(f"{name} must be an integer >= 1, got {value!r}")
    if timeout_s is not None and not (
        isinstance(timeout_s, (int, float)) and math.isfinite(timeout_s) and timeout_s > 0
    ):
        raise RunnerError(f"--timeout must be a positive number of seconds, got {timeout_s!r}")


def _code_cells(source: NotebookSource) -> Iterator[ast.Module]:
    import jupytext

    for cell in jupytext.read(source.path).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(
            line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        try:
            yield ast.parse(code)
        except SyntaxError:
            continue


def presets_reference(source: NotebookSource) -> tuple[str, str] | None:
    """``(module, name)`` of the presets the notebook passes to ``start_notebook``, or None if not static."""
    imported: dict[str, str] = {}
    for tree in _code_cells(source):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    imported[alias.asname or alias.name] = node.module
            if not (isinstance(node, ast.Call) and len(node.args) >= 2):
                continue
            function = node.func
            called = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
            if (
                called == "start_notebook"
                and isinstance(node.args[1], ast.Name)
                and node.args[1].id in imported
            ):
                return imported[node.args[1].id], node.args[1].id
    return None


def notebook_presets(source: NotebookSource) -> Presets[Any] | None:
    """The notebook's presets, imported as its kernel would import them; None if they are not found."""
    reference = presets_reference(source)
    if reference is None:
        return None
    module_name, name = reference
    folder = str(source.path.parent)
    sys.path.insert(0, folder)
    try:
        module = importlib.import_module(module_name)
    finally:
        sys.path.remove(folder)
    presets = getattr(module, name, None)
    return presets if isinstance(presets, Presets) else None


def overrides_by_notebook(
    sources: list[NotebookSource], scale: str, overrides: dict[str, str]
) -> dict[str, dict[str, str]]:
    """The overrides each notebook takes (see the module docstring), every value checked; raises
    :class:`RunnerError` for a key no selected notebook has or a notebook whose presets are not static."""
    if not overrides:
        return {source.name: {} for source in sources}
    fields: dict[str, tuple[str, ...]] = {}
    for source in sources:
        presets = notebook_presets(source)
        if presets is None:
            raise RunnerError(
                f"cannot check overrides for {source.name}: its start_notebook(...) call does not "
                "name presets imported from a module; run it without --override"
            )
        fields[source.name] = presets.fields
        taken = {key: value for key, value in overrides.items() if key in presets.fields}
        try:
            presets.resolve(scale, taken)
        except ScaleError as error:
            raise ScaleError(f"{source.name}: {error}") from None
    unused = sorted(key for key in overrides if not any(key in keys for keys in fields.values()))
    if unused:
        valid = "; ".join(f"{name}: {', '.join(keys)}" for name, keys in fields.items())
        raise RunnerError(
            f"override {', '.join(map(repr, unused))} is not a setting of any selected notebook; "
            f"valid keys are {valid}"
        )
    return {name: {k: v for k, v in overrides.items() if k in keys} for name, keys in fields.items()}


def settings_by_notebook(sources: list[NotebookSource], settings: Any, jobs: int = 1) -> dict[str, Any]:
    """Check every option and override, then give each notebook its ``RunSettings`` (the overrides it
    takes)."""
    check_run_options(
        seed=settings.seed,
        device=settings.device,
        threads=settings.threads,
        timeout_s=settings.timeout_s,
        jobs=jobs,
        scale=settings.scale,
    )
    taken = overrides_by_notebook(sources, settings.scale, dict(settings.overrides))
    return {
        name: dataclasses.replace(settings, overrides=tuple(sorted(keys.items())))
        for name, keys in taken.items()
    }


def check_writable(folder: Path) -> None:
    """Raise :class:`RunnerError` when ``folder`` (created if missing) cannot take a new file."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".bookkit-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise RunnerError(f"the output folder {folder} is not writable ({error.strerror or error})") from None
