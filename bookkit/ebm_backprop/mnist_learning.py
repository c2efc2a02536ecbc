"""Equilibrium Propagation on real MNIST: the follow-up's first network, 784-500-10, trained by the same
rule and against the same baselines as on the 8x8 digits (:func:`bookkit.ebm_backprop.experiments.
train_digits_classifiers`), on the 10,000 real digits of :mod:`bookkit.datasets.mnist`; its presets are
``MNIST_EP`` in :mod:`bookkit.ebm_backprop.presets`.

The official EP code trains this network for 25 epochs on 50,000 digits (20 free and 4 nudged steps,
$\\varepsilon=0.5$, $\\beta=0.5$ with a random sign, batch 20); the book has 7,001 training digits, so
``full`` is those 25 epochs on all of them and ``ci`` a slice that a CPU runs in about a minute.
"""

from __future__ import annotations

import torch

from bookkit.datasets.mnist import mnist
from bookkit.ebm_backprop.data import DigitsSplit

SPLIT_SEED = 0
"""The stratified train / validation / test split of the 10,000 digits (7,001 / 999 / 2,000), the same for
every run: seeds change the networks and the minibatches, not which digits are held out."""


def load_mnist_split(
    num_train: int,
    num_test: int,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> DigitsSplit:
    """The first ``num_train`` digits of the training split and the first ``num_test`` of the test split,
    flattened to 784 pixels in $[0,1]$ (pixel / 255). Raises ``ValueError`` when a split is too short, and
    :class:`~bookkit.datasets.cache.DataError` (run ``make data``) when the cache is missing or corrupt."""
    splits = mnist(seed=SPLIT_SEED)
    for name, wanted, available in (
        ("num_train", num_train, len(splits.train)),
        ("num_test", num_test, len(splits.test)),
    ):
        if not 0 < wanted <= available:
            raise ValueError(f"{name} = {wanted}: the split has {available} digits")

    def flat(images: torch.Tensor) -> torch.Tensor:
        return images.flatten(1).to(dtype=dtype, device=device)

    return DigitsSplit(
        x_train=flat(splits.train.images[:num_train]),
        labels_train=splits.train.labels[:num_train].to(device),
        x_test=flat(splits.test.images[:num_test]),
        labels_test=splits.test.labels[:num_test].to(device),
    )
