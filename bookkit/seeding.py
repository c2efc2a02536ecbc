"""One seed for python, numpy and torch, so that a CPU run is bit-identical for a given seed."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int) -> torch.Generator:
    """Seed python's, numpy's and torch's global generators and return a fresh CPU ``torch.Generator``.

    Deterministic algorithms are requested (warn-only, so an op without a deterministic kernel on the GPU
    warns instead of failing); on the CPU every op the book uses is deterministic.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (the global generator is the one readers' code uses)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
