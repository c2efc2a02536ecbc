"""The shared protocols: independent random streams, the digits/MNIST switch, the chance null."""

import dataclasses
import math

import pytest
import torch

from bookkit.learning_to_learn import experiments
from bookkit.learning_to_learn.meta_training import MetaTrainingResult
from bookkit.learning_to_learn.presets import DIGITS, QUADRATICS


def test_validation_and_test_quadratics_come_from_different_streams_and_repeat_for_a_seed():
    cfg = QUADRATICS.smoke
    validation, _ = experiments.quadratic_problems(cfg, 0, "validation", 4)
    test, test_start = experiments.quadratic_problems(cfg, 0, "test", 4)
    again, again_start = experiments.quadratic_problems(cfg, 0, "test", 4)
    assert not torch.equal(validation.W, test.W)
    assert torch.equal(test.W, again.W) and torch.equal(test_start, again_start)


def test_mlp_dataset_switch_between_digits_and_mnist():
    assert experiments.mlp_dataset_name(DIGITS.smoke) == "digits"
    assert experiments.digits_problem(DIGITS.smoke, "test", 2).layer_sizes == (64, 20, 10)
    cfg = dataclasses.replace(DIGITS.smoke, dataset="mnist")
    assert experiments.mlp_dataset_name(cfg) == "MNIST"
    assert experiments.digits_problem(cfg, "test", 2).layer_sizes == (784, 20, 10)
    assert DIGITS.full.dataset == "mnist"
    with pytest.raises(ValueError, match="'digits', 'mnist'"):
        experiments.mlp_dataset_name(dataclasses.replace(cfg, dataset="cifar"))


def test_untrained_digits_optimizer_stays_at_chance_so_the_left_chance_claim_rejects_it():
    cfg = dataclasses.replace(DIGITS.smoke, num_epochs=0)
    state = experiments.train_digits_optimizer(cfg, seed=0)
    (untrained,) = state["validation_scores"]
    assert abs(untrained - math.log(10)) < 0.05
    assert not untrained < cfg.left_chance_nats


def test_early_stopping_choice_read_off_a_longer_run_is_that_of_the_shorter_run():
    """The preprocessing ablation reads the preprocessed optimizer at a budget off notebook 2's longer run;
    that must be bit-identical to training a run of that budget (same stream, same validations)."""
    cfg = dataclasses.replace(DIGITS.smoke, num_epochs=4, validate_every=2)
    long = MetaTrainingResult.from_state(experiments.train_digits_optimizer(cfg, seed=1))
    short = experiments.train_digits_optimizer(cfg, seed=1, num_epochs=2)
    epoch, score, weights = long.best_within(2)
    assert (epoch, score) == (short["best_epoch"], min(short["validation_scores"]))
    assert all(torch.equal(weights[k], short["best_state"][k]) for k in weights)
    rebuilt = experiments.learned_optimizer(long.to_state(), True, cfg.output_scale, within=2)
    assert all(torch.equal(v, short["best_state"][k]) for k, v in rebuilt.state_dict().items())
    assert long.validation_epochs == [0, 2, 4] and len(long.validation_states) == 3
    with pytest.raises(ValueError, match="was not validated"):
        long.best_within(3)
