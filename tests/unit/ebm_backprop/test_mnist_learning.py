"""The real-MNIST split of the EP experiment: shapes, pixel range, held-out digits, and clear errors."""

import pytest
import torch

from bookkit.datasets.mnist import mnist
from bookkit.ebm_backprop.mnist_learning import SPLIT_SEED, load_mnist_split
from bookkit.ebm_backprop.presets import MNIST_EP


def test_the_split_is_flattened_real_digits_in_the_unit_interval():
    data = load_mnist_split(300, 200)
    assert data.x_train.shape == (300, 784) and data.x_test.shape == (200, 784)
    assert data.x_train.dtype == torch.float32 and data.labels_train.dtype == torch.int64
    assert float(data.x_train.min()) == 0.0 and float(data.x_train.max()) == 1.0
    assert set(data.labels_train.tolist()) == set(range(10))  # stratified: every class is there


def test_the_test_digits_are_held_out_and_the_same_for_every_run():
    splits = mnist(seed=SPLIT_SEED)
    assert not set(splits.train.indices[:3000].tolist()) & set(splits.test.indices[:2000].tolist())
    first, second = load_mnist_split(50, 40), load_mnist_split(50, 40)
    assert torch.equal(first.x_test, second.x_test) and torch.equal(first.labels_train, second.labels_train)
    # reference: the loader's rows are the split's images, pixel by pixel
    assert torch.equal(first.x_train[7], splits.train.images[7].flatten())


def test_asking_for_more_digits_than_a_split_holds_is_a_clear_error():
    with pytest.raises(ValueError, match="num_test = 2001: the split has 2000 digits"):
        load_mnist_split(100, 2001)


def test_the_presets_are_the_official_net1_at_full():
    full, ci = MNIST_EP.resolve("full"), MNIST_EP.resolve("ci")
    assert full.sizes == (784, 500, 10) and full.epochs == 25
    assert (full.free_steps, full.nudged_steps, full.beta) == (20, 4, 0.5)
    assert MNIST_EP.resolve("gpu") == full
    assert ci.num_train * ci.epochs * 10 <= full.num_train * full.epochs
