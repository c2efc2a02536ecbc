"""Inputs for the chapter: scikit-learn's bundled 8x8 digits (no download) and synthetic probe inputs."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import Tensor

NUM_CLASSES = 10


@dataclasses.dataclass(frozen=True)
class DigitsSplit:
    """Pixels scaled to $[0,1]$ (``X/16``) and integer labels, split into training and test sets."""

    x_train: Tensor
    labels_train: Tensor
    x_test: Tensor
    labels_test: Tensor


def load_digits_split(
    num_train: int = 1297,
    num_test: int = 500,
    split_seed: int = 0,
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> DigitsSplit:
    """The 1797 digits in a random order from ``numpy.random.default_rng(split_seed)``: the first
    ``num_train`` for training, the last ``num_test`` for testing (not stratified, as in the brief)."""
    digits = load_digits()
    if num_train + num_test > len(digits.target):
        raise ValueError(
            f"num_train + num_test = {num_train + num_test} exceeds the {len(digits.target)} digits"
        )
    order = np.random.default_rng(split_seed).permutation(len(digits.target))
    x = torch.as_tensor(digits.data[order] / 16.0, dtype=dtype, device=device)
    labels = torch.as_tensor(digits.target[order], dtype=torch.long, device=device)
    return DigitsSplit(x[:num_train], labels[:num_train], x[-num_test:], labels[-num_test:])


def one_hot(labels: Tensor, dtype: torch.dtype) -> Tensor:
    """One-hot targets $d$ over the ten classes."""
    return torch.nn.functional.one_hot(labels, NUM_CLASSES).to(dtype)


def probe_inputs(
    num_digits: int,
    generator: torch.Generator,
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> tuple[Tensor, Tensor]:
    """``num_digits`` training digits with their one-hot labels, plus one synthetic input
    $x\\sim U(0,1)^{64}$ with a random one-hot target: ``(x, d)`` of shapes ``(num_digits + 1, 64)`` and
    ``(num_digits + 1, 10)``. Which digits are used depends on ``generator``."""
    split = load_digits_split(dtype=dtype)
    chosen = torch.randperm(len(split.labels_train), generator=generator)[:num_digits]
    synthetic = torch.rand(1, split.x_train.shape[1], generator=generator, dtype=dtype)
    synthetic_label = torch.randint(NUM_CLASSES, (1,), generator=generator)
    x = torch.cat([split.x_train[chosen], synthetic])
    d = one_hot(torch.cat([split.labels_train[chosen], synthetic_label]), dtype)
    return x.to(device), d.to(device)
