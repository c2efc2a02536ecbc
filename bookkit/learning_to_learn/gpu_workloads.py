"""What each learning-to-learn notebook costs on a GPU, for :mod:`bookkit.gpu_plan`: a meta-epoch optimizes
one batch of problems for ``num_steps`` steps, one window at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bookkit.gpu_plan import Workload
from bookkit.learning_to_learn.presets import DIGITS, FAILURE_MODES, QUADRATICS


def _quadratics(cfg: Any) -> Workload:
    meta = cfg.num_epochs * cfg.num_steps
    validation = (cfg.num_epochs // cfg.validate_every) * cfg.num_steps
    rollouts = validation + 4 * len(cfg.rates) * cfg.num_steps + 5 * cfg.long_steps
    coordinates = cfg.dim * (cfg.dim + 1)
    compute = coordinates * (meta * cfg.functions_per_epoch + validation * cfg.num_validation)
    compute += coordinates * 5 * cfg.long_steps * cfg.num_test
    return Workload(compute=2 * 500 * compute, steps={"meta": meta, "rollout": rollouts})


def _digits_problem_macs(cfg: Any) -> int:
    inputs = 784 if cfg.dataset == "mnist" else 64
    return cfg.batch_size * (inputs * cfg.hidden_size + cfg.hidden_size * 10)


def _digits_l2l(cfg: Any) -> Workload:
    meta = cfg.num_epochs * cfg.num_steps
    rates = len(cfg.adam_rates) + len(cfg.nag_rates) + len(cfg.rmsprop_rates) + len(cfg.sgd_rates)
    settings = 3 + len(cfg.sweep_widths) * len(cfg.sweep_depths)
    validation = (cfg.num_epochs // cfg.validate_every) * cfg.num_steps
    rollouts = validation + rates * cfg.num_steps + settings * 5 * cfg.long_steps
    macs = _digits_problem_macs(cfg)
    compute = macs * (
        3 * meta
        + validation * cfg.validation_runs
        + rates * cfg.num_steps * cfg.validation_runs
        + settings * 5 * cfg.long_steps * (cfg.test_runs + cfg.transfer_runs)
    )
    return Workload(compute=2 * compute, steps={"meta": meta, "rollout": rollouts})


def _convnet(cfg: Any) -> Workload:
    sets = len(cfg.label_sets)
    trainings = sets + (sum(name != "digits-10" for name in cfg.label_sets) if cfg.train_sub else 0)
    meta = trainings * cfg.num_epochs * cfg.num_steps
    rates = len(cfg.adam_rates) + len(cfg.nag_rates) + len(cfg.rmsprop_rates) + len(cfg.sgd_rates)
    rollouts = sets * (rates + 5) * cfg.num_steps
    macs = cfg.batch_size * (
        64 * 9 * cfg.channels + 16 * cfg.channels * cfg.hidden_size + cfg.hidden_size * 10
    )
    compute = macs * (3 * meta + rollouts * (cfg.validation_runs + cfg.test_runs))
    return Workload(compute=2 * compute, steps={"meta": meta, "rollout": rollouts})


def _failure_modes(cfg: Any) -> Workload:
    """04: meta-trains with notebook 2's digits preset (the preprocessing ablation) and, where asked, the
    collapse runs; the horizon test, unroll-length gradients and throughput rows are rollouts. It reads the
    quadratics and digits presets of its own scale (notebook 1's trained optimizer it loads is not counted
    here: :data:`bookkit.gpu_plan.WAITS_FOR`)."""
    (scale,) = [scale for scale in FAILURE_MODES.scales if FAILURE_MODES.resolve(scale) == cfg][:1]
    quadratics, digits = QUADRATICS.resolve(scale), DIGITS.resolve(scale)
    ablation = _digits_l2l(digits)
    collapse = len(cfg.collapse_meta_lrs) * cfg.collapse_seeds * cfg.collapse_epochs * digits.num_steps
    gradients = len(cfg.unroll_lengths) * cfg.gradient_batches * 100
    rollouts = 2 * cfg.horizon_steps + gradients + len(cfg.throughput_functions) * 100
    quadratic_macs = quadratics.dim * (quadratics.dim + 1)
    compute = ablation.compute + 2 * _digits_problem_macs(digits) * 3 * collapse
    compute += (
        2
        * quadratic_macs
        * 500
        * (
            gradients * cfg.gradient_functions
            + 100 * sum(cfg.throughput_functions)
            + 2 * cfg.horizon_steps * 128
        )
    )
    return Workload(
        compute=compute,
        steps={"meta": ablation.steps["meta"] + collapse, "rollout": rollouts + ablation.steps["rollout"]},
    )


WORKLOADS: dict[str, Callable[[Any], Workload]] = {
    "learning-to-learn/01-quadratics": _quadratics,
    "learning-to-learn/02-mlp-digits": _digits_l2l,
    "learning-to-learn/03-convnet-label-subsets": _convnet,
    "learning-to-learn/04-failure-modes-and-cost": _failure_modes,
}
