"""Training-loop helpers: progress, checkpoints with resume, load-or-train, and non-finite detection.

Checkpoints are written atomically (temporary file, then rename) and read with
``torch.load(weights_only=True)``, so a checkpoint holds tensors, numbers, strings, lists and dicts only.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from bookkit.device import is_headless
from bookkit.provenance import bookkit_source_hash, generated_dir

ItemT = TypeVar("ItemT")


class NonFiniteError(FloatingPointError):
    """A loss or parameter became NaN or infinite; the message names the step."""


class CheckpointError(RuntimeError):
    """A checkpoint file exists but cannot be read."""


def progress(iterable: Iterable[ItemT], desc: str, total: int | None = None,
             reports: int = 5) -> Iterator[ItemT]:
    """A tqdm bar in a live session; headless, ``reports`` plain lines (so logs stay short)."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    if not is_headless():
        from tqdm.auto import tqdm
        yield from tqdm(iterable, desc=desc, total=total)
        return
    start = time.perf_counter()
    marks = {max(1, round(total * k / reports)) for k in range(1, reports + 1)} if total else set()
    count = 0
    for count, item in enumerate(iterable, start=1):
        yield item
        if count in marks:
            print(f"{desc}: {count}/{total} ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)


def check_finite(value: float | torch.Tensor, *, step: int, what: str = "loss") -> None:
    """Raise :class:`NonFiniteError` naming ``what`` and ``step`` if ``value`` has a NaN or inf."""
    if isinstance(value, torch.Tensor):
        finite = bool(torch.isfinite(value).all())
        shown = value.detach().flatten()[:4].tolist()
    else:
        finite = math.isfinite(value)
        shown = value
    if not finite:
        raise NonFiniteError(f"{what} became non-finite ({shown}) at step {step}; stopping the run "
                             "(lower the learning rate or check the inputs)")


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """``torch.save`` to a temporary file beside ``path``, then rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        torch.save(state, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True``; a corrupt file raises :class:`CheckpointError`."""
    path = Path(path)
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as error:  # torch raises several types for truncated or foreign files
        raise CheckpointError(
            f"checkpoint {path} is corrupt or unreadable ({type(error).__name__}: {error}). "
            f"It was left in place; delete it to start that run from scratch."
        ) from error
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path} holds a {type(state).__name__}, expected a dict")
    return state


def artifact_path(chapter: str, name: str, scale: str, seed: int, suffix: str = ".pt") -> Path:
    """Where a trained model shared between notebooks lives; the bookkit hash in the name retrains after
    any code change, so a stale model is never reused."""
    return generated_dir() / "artifacts" / chapter / f"{name}-{scale}-seed{seed}-{bookkit_source_hash(chapter)[:10]}{suffix}"


@contextlib.contextmanager
def preserved_global_rng() -> Iterator[None]:
    """Restore python's, numpy's and torch's global generator states on exit."""
    python_state, numpy_state, torch_state = random.getstate(), np.random.get_state(), torch.get_rng_state()
    cuda_states = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        torch.set_rng_state(torch_state)
        if cuda_states is not None:
            torch.cuda.set_rng_state_all(cuda_states)


def load_or_train(path: str | Path, train: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Return the state saved at ``path``, or call ``train()``, save its state atomically and return it.

    Training runs with the global generators' states preserved, so everything the notebook draws afterwards
    is the same whether the model was trained here or loaded (a notebook's output does not depend on
    which of its chapter's notebooks ran first). Notebooks running in parallel that ask for the same ``path``
    train it once: the first holds a lock while training, the others wait for it and load.
    """
    path = Path(path)
    if path.exists():
        return load_checkpoint(path)
    with exclusive_lock(path.with_name(f".{path.name}.lock")):
        if path.exists():  # another notebook trained it while this one waited
            return load_checkpoint(path)
        with preserved_global_rng():
            state = train()
        save_checkpoint(path, state)
    return state


@contextlib.contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_path`` (created if missing): notebooks that share a trained model
    and run in parallel train it once, the others wait and then load it. The lock goes with the process."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Checkpointer:
    """Periodic checkpoints of a long loop, and resume from the last one.

    ::

        checkpointer = Checkpointer(path, every=100)
        start, state = checkpointer.resume()          # (0, None) on a fresh run
        for step in range(start, num_steps):
            ...
            checkpointer.maybe_save(step + 1, lambda: {"model": model.state_dict(), ...})
    """

    def __init__(self, path: str | Path, every: int) -> None:
        if every < 1:
            raise ValueError(f"checkpoint interval must be >= 1, got {every}")
        self.path = Path(path)
        self.every = every

    def resume(self) -> tuple[int, dict[str, Any] | None]:
        """``(steps_done, state)`` from the last checkpoint, or ``(0, None)`` when there is none."""
        if not self.path.exists():
            return 0, None
        state = load_checkpoint(self.path)
        if "step" not in state:
            raise CheckpointError(f"checkpoint {self.path} has no 'step' entry; it was not written by Checkpointer")
        return int(state["step"]), state

    def maybe_save(self, steps_done: int, make_state: Callable[[], dict[str, Any]], force: bool = False) -> bool:
        """Save ``make_state()`` with ``step=steps_done`` every ``every`` steps (or when ``force``)."""
        if not force and steps_done % self.every:
            return False
        save_checkpoint(self.path, {**make_state(), "step": steps_done})
        return True
