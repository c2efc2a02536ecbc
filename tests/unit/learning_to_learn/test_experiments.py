"""The shared protocols: independent random streams, and the MNIST switch that never downloads."""

import dataclasses
import math

import pytest
import torch

from bookkit.learning_to_learn import experiments
from bookkit.learning_to_learn.presets import DIGITS, QUADRATICS


def test_validation_and_test_quadratics_come_from_different_streams_and_repeat_for_a_seed():
    cfg = QUADRATICS.smoke
    validation, _ = experiments.quadratic_problems(cfg, 0, "validation", 4)
    test, test_start = experiments.quadratic_problems(cfg, 0, "test", 4)
    again, again_start = experiments.quadratic_problems(cfg, 0, "test", 4)
    assert not torch.equal(validation.W, test.W)
    assert torch.equal(test.W, again.W) and torch.equal(test_start, again_start)


def test_mlp_dataset_falls_back_to_digits_without_a_local_mnist(monkeypatch, tmp_path):
    monkeypatch.setenv("BOOKKIT_MNIST", str(tmp_path / "missing.npz"))
    monkeypatch.setenv("HOME", str(tmp_path))
    cfg = dataclasses.replace(DIGITS.smoke, dataset="mnist-if-present")
    assert experiments.mlp_dataset_name(cfg) == "digits"
    assert experiments.digits_problem(cfg, "test", 2).layer_sizes == (64, 20, 10)
    with pytest.raises(ValueError, match="mnist-if-present"):
        experiments.mlp_dataset_name(dataclasses.replace(cfg, dataset="cifar"))


def test_untrained_digits_optimizer_stays_at_chance_so_the_left_chance_claim_rejects_it():
    cfg = dataclasses.replace(DIGITS.smoke, num_epochs=0)
    state = experiments.train_digits_optimizer(cfg, seed=0)
    (untrained,) = state["validation_scores"]
    assert abs(untrained - math.log(10)) < 0.05
    assert not untrained < cfg.left_chance_nats
