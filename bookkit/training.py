"""Training-loop helpers: progress, checkpoints with resume, load-or-train, and non-finite detection.

Checkpoints are written atomically (temporary file, then rename) and read with
``torch.load(weights_only=True)``, so a checkpoint holds tensors, numbers, strings, lists and dicts only.

A trained model shared between notebooks is cached under a name that says what made it
(:func:`artifact_path`: chapter, scale, seed, the settings a run overrode, and the bookkit code), so a run
with different settings never loads, or overwrites, the model of another. A cached model that cannot be
read is reported once and trained again. A long loop inside :func:`load_or_train` asks for
:func:`resumable_checkpointer`: it checkpoints as it goes, and a run killed midway resumes from the last
checkpoint, saying so, with the result it would have had without the interruption.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import hashlib
import json
import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from bookkit.atomic_files import replacing
from bookkit.device import is_headless
from bookkit.provenance import bookkit_source_hash, generated_dir

ItemT = TypeVar("ItemT")


class NonFiniteError(FloatingPointError):
    """A loss or parameter became NaN or infinite; the message names the step."""


class CheckpointError(RuntimeError):
    """A checkpoint file exists but cannot be read."""


def progress(
    iterable: Iterable[ItemT], desc: str, total: int | None = None, reports: int = 5
) -> Iterator[ItemT]:
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
            print(
                f"{desc}: {count}/{total} ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True
            )


def check_finite(value: float | torch.Tensor, *, step: int, what: str = "loss") -> None:
    """Raise :class:`NonFiniteError` naming ``what`` and ``step`` if ``value`` has a NaN or inf."""
    if isinstance(value, torch.Tensor):
        finite = bool(torch.isfinite(value).all())
        shown: object = value.detach().flatten()[:4].tolist()
    else:
        finite = math.isfinite(value)
        shown = value
    if not finite:
        raise NonFiniteError(
            f"{what} became non-finite ({shown}) at step {step}; stopping the run "
            "(lower the learning rate or check the inputs)"
        )


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """``torch.save`` to a temporary file beside ``path``, then rename: a crash never leaves half a file."""
    with replacing(path) as temporary:
        torch.save(state, temporary)


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


def settings_key(settings: Mapping[str, Any]) -> str:
    """A short hash of changed settings (name -> value, order-free): ``""`` when there are none."""
    if not settings:
        return ""
    text = json.dumps({name: repr(value) for name, value in sorted(settings.items())}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def artifact_path(
    chapter: str,
    name: str,
    scale: str,
    seed: int,
    suffix: str = ".pt",
    settings: Mapping[str, Any] | None = None,
) -> Path:
    """Where a trained model shared between notebooks lives. The name says what made it: ``settings`` are
    the preset fields a run changed (``--override``), so such a run trains its own model instead of loading
    the default one; the bookkit hash retrains after any code change, so a stale model is never reused."""
    changed = settings_key(settings or {})
    tag = f"-settings{changed}" if changed else ""
    code = bookkit_source_hash(chapter)[:10]
    return generated_dir() / "artifacts" / chapter / f"{name}-{scale}-seed{seed}{tag}-{code}{suffix}"


def capture_global_rng() -> dict[str, Any]:
    """Python's, numpy's, torch's (and CUDA's) global generator states, as a checkpoint can hold them."""
    version, python_state, gauss = random.getstate()
    kind, keys, position, has_gauss, cached = np.random.get_state()  # noqa: NPY002 (the global state)
    return {
        "python": [version, list(python_state), gauss],
        "numpy": [kind, torch.from_numpy(np.asarray(keys).astype(np.int64)), position, has_gauss, cached],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def restore_global_rng(states: dict[str, Any]) -> None:
    version, python_state, gauss = states["python"]
    random.setstate((version, tuple(python_state), gauss))
    kind, keys, position, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached))  # noqa: NPY002
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


@contextlib.contextmanager
def preserved_global_rng() -> Iterator[None]:
    """Restore python's, numpy's and torch's global generator states on exit."""
    states = capture_global_rng()
    try:
        yield
    finally:
        restore_global_rng(states)


_TRAINING = contextvars.ContextVar[list[Any] | None]("bookkit_training", default=None)
"""While :func:`load_or_train` trains: ``[artifact path, number of checkpointers handed out]``."""


def load_or_train(path: str | Path, train: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Return the state saved at ``path``, or call ``train()``, save its state atomically and return it.

    Training runs with the global generators' states preserved, so everything the notebook draws afterwards
    is the same whether the model was trained here or loaded (a notebook's output does not depend on
    which of its chapter's notebooks ran first). Notebooks running in parallel that ask for the same ``path``
    train it once: the first holds a lock while training, the others wait for it and load. A file at
    ``path`` that cannot be read (truncated, foreign) is reported once, on stderr, and trained again; loops
    inside ``train`` that use :func:`resumable_checkpointer` resume a run that was killed midway.
    """
    path = Path(path)
    with contextlib.suppress(FileNotFoundError, CheckpointError):
        return load_checkpoint(path)
    with exclusive_lock(path.with_name(f".{path.name}.lock")):
        try:  # another notebook may have trained it while this one waited
            return load_checkpoint(path)
        except FileNotFoundError:
            pass
        except CheckpointError as error:
            print(
                f"the cached model {path.name} could not be read ({error.__cause__ or error}); "
                "training it again",
                file=sys.stderr,
                flush=True,
            )
        token = _TRAINING.set([path, 0])
        try:
            with preserved_global_rng():
                state = train()
        finally:
            _TRAINING.reset(token)
        save_checkpoint(path, state)
        for part in path.parent.glob(f".{path.name}.part*.pt"):  # the finished training's checkpoints
            part.unlink(missing_ok=True)
    return state


def resumable_checkpointer(every: int, label: str) -> Checkpointer | None:
    """A :class:`Checkpointer` for a loop that :func:`load_or_train` is running, or None outside one.

    The loops of one training call get one checkpoint file each, in the order they ask (training is
    deterministic, so a resumed run asks in the same order); the files go when the model is saved.
    """
    training = _TRAINING.get()
    if training is None:
        return None
    artifact, count = training
    training[1] = count + 1
    return Checkpointer(artifact.with_name(f".{artifact.name}.part{count}.pt"), every, label=label)


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

    Each checkpoint also holds the global generators' states, which :meth:`resume` restores, so a loop that
    draws from them continues exactly as it would have.
    """

    def __init__(self, path: str | Path, every: int, label: str = "training") -> None:
        if every < 1:
            raise ValueError(f"checkpoint interval must be >= 1, got {every}")
        self.path = Path(path)
        self.every = every
        self.label = label

    def resume(self, total: int | None = None) -> tuple[int, dict[str, Any] | None]:
        """``(steps_done, state)`` from the last checkpoint, or ``(0, None)`` when there is none; a resume is
        announced on stdout (``total``: the loop's length, for that line). An unreadable checkpoint is
        reported, removed, and the loop starts from scratch."""
        if not self.path.exists():
            return 0, None
        try:
            state = load_checkpoint(self.path)
        except CheckpointError as error:
            print(
                f"{self.label}: the checkpoint could not be read ({error.__cause__ or error}); "
                "starting again",
                file=sys.stderr,
                flush=True,
            )
            self.path.unlink(missing_ok=True)
            return 0, None
        if "step" not in state:
            raise CheckpointError(
                f"checkpoint {self.path} has no 'step' entry; it was not written by Checkpointer"
            )
        if "global_rng" in state:
            restore_global_rng(state["global_rng"])
        steps = int(state["step"])
        of = f" of {total}" if total is not None else ""
        print(
            f"{self.label}: resumed from its checkpoint after step {steps}{of} "
            "(an earlier run stopped there)",
            flush=True,
        )
        return steps, state

    def maybe_save(
        self, steps_done: int, make_state: Callable[[], dict[str, Any]], force: bool = False
    ) -> bool:
        """Save ``make_state()`` with ``step=steps_done`` every ``every`` steps (or when ``force``)."""
        if not force and steps_done % self.every:
            return False
        save_checkpoint(self.path, {**make_state(), "step": steps_done, "global_rng": capture_global_rng()})
        return True
