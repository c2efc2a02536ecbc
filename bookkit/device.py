"""Device choice, torch threads and the headless switch.

``"auto"`` picks CUDA when present and the CPU otherwise; ``"cuda"`` or ``"cuda:N"`` without a GPU is an
error, never a silent fall-back to the CPU (a reader asking for a GPU run must know it did not happen).
"""

from __future__ import annotations

import torch

from bookkit import environment

DEVICE_CHOICES = ("auto", "cpu", "cuda", "cuda:N")


class DeviceError(ValueError):
    """A device string that is invalid or names hardware that is not there."""


def resolve_device(name: str = "auto") -> torch.device:
    """Map ``"auto" | "cpu" | "cuda" | "cuda:N"`` to a :class:`torch.device`, checking it exists."""
    if not isinstance(name, str):
        raise DeviceError(f"device must be a string, one of {', '.join(DEVICE_CHOICES)}; got {name!r}")
    text = name.strip().lower()
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if text == "cpu":
        return torch.device("cpu")
    if text == "cuda" or text.startswith("cuda:"):
        index_text = text[len("cuda:") :] if ":" in text else "0"
        if not index_text.isdigit():
            raise DeviceError(f"unknown device {name!r}; valid choices are: {', '.join(DEVICE_CHOICES)}")
        if not torch.cuda.is_available():
            raise DeviceError(
                f"device {name!r} was requested but CUDA is not available on this machine "
                "(use DEVICE='cpu' or 'auto'; a CUDA build of torch and a visible GPU are needed)"
            )
        index = int(index_text)
        if index >= torch.cuda.device_count():
            raise DeviceError(
                f"device {name!r} was requested but only {torch.cuda.device_count()} CUDA device(s) exist"
            )
        return torch.device("cuda", index)
    raise DeviceError(f"unknown device {name!r}; valid choices are: {', '.join(DEVICE_CHOICES)}")


def is_headless() -> bool:
    """True in papermill/nbval/CI runs: the runner, the tests and CI set ``BOOKKIT_HEADLESS=1``."""
    return environment.is_set_true(environment.HEADLESS)


def configure_threads(num_threads: int | None = None) -> int:
    """Set torch's intra-op threads and return the number in use.

    Headless runs default to one thread (``BOOKKIT_THREADS`` overrides): on a shared 2-core machine two
    threads ran 6-40x slower than one, so parallelism comes from running notebooks side by side.
    Interactive sessions keep torch's default unless asked.
    """
    if num_threads is None:
        env = environment.get(environment.THREADS)
        if env:
            num_threads = int(env)
        elif is_headless():
            num_threads = 1
    if num_threads is not None:
        if num_threads < 1:
            raise ValueError(f"num_threads must be >= 1, got {num_threads}")
        torch.set_num_threads(num_threads)
    return torch.get_num_threads()
