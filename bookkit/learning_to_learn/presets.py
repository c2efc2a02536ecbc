"""Scale presets of the learning-to-learn notebooks (``smoke`` seconds, ``ci`` one CPU thread, ``full`` and
``gpu`` one GPU), and the paper's numbers they use, named with their provenance."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from bookkit.scales import Presets

PAPER_NUM_STEPS = 100
"""Optimization steps per run during meta-training and at test, for every task [paper]."""

PAPER_UNROLL = 20
"""Steps per truncated meta-training window (5 meta-updates per 100-step run) [paper]."""

PAPER_MNIST_HIDDEN_UNITS = 20
"""Sigmoid hidden units of the MNIST optimizee, 784-20-10 [paper]."""

PAPER_BATCH_SIZE = 128
"""Minibatch size of the MNIST and CIFAR optimizees [code: google-deepmind/learning-to-learn]."""

PAPER_MNIST_OUTPUT_SCALE = 0.1
"""The learned optimizer's output is multiplied by 0.1 on MNIST [paper, unconfirmed]."""

OFFICIAL_CODE_OUTPUT_SCALE = 0.01
"""The official code's output scale for MNIST and CIFAR [code: google-deepmind/learning-to-learn]."""

OFFICIAL_CODE_INIT_STD = 0.01
"""Standard deviation of every initial optimizee parameter [code: google-deepmind/learning-to-learn]."""

CHANCE_NATS_10_CLASSES = math.log(10)
"""Cross-entropy of a uniform guess over ten classes, the plateau an optimizer that does nothing sits on."""

RATE_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


@dataclass(frozen=True, kw_only=True)
class QuadraticsConfig:
    """Meta-training on random 10-d quadratics and the test against tuned baselines (Fig. 4 left)."""

    num_epochs: int
    functions_per_epoch: int
    meta_lr: float
    validate_every: int
    num_validation: int
    num_test: int
    long_steps: int
    bootstrap_resamples: int
    num_steps: int = PAPER_NUM_STEPS
    unroll: int = PAPER_UNROLL
    dim: int = 10
    distribution: Literal["gaussian", "uniform"] = "gaussian"
    rates: tuple[float, ...] = RATE_GRID


QUADRATICS = Presets(
    smoke=QuadraticsConfig(
        num_epochs=4,
        functions_per_epoch=8,
        meta_lr=1e-2,
        validate_every=2,
        num_validation=16,
        num_test=16,
        long_steps=200,
        bootstrap_resamples=500,
    ),
    ci=QuadraticsConfig(
        num_epochs=400,
        functions_per_epoch=32,
        meta_lr=1e-2,
        validate_every=25,
        num_validation=128,
        num_test=128,
        long_steps=200,
        bootstrap_resamples=10_000,
    ),
    full=QuadraticsConfig(
        num_epochs=2000,
        functions_per_epoch=128,
        meta_lr=3e-3,
        validate_every=100,
        num_validation=256,
        num_test=1024,
        long_steps=1000,
        bootstrap_resamples=10_000,
    ),
    gpu=QuadraticsConfig(
        num_epochs=300,
        functions_per_epoch=1024,
        meta_lr=1e-2,
        validate_every=50,
        num_validation=256,
        num_test=1024,
        long_steps=1000,
        bootstrap_resamples=10_000,
    ),
)


@dataclass(frozen=True, kw_only=True)
class DigitsConfig:
    """The MNIST experiments (Figs. 4 centre/right, 5 and 6): scikit-learn's 8x8 digits (``dataset="digits"``)
    or real 28x28 MNIST from ``bookkit.datasets`` (``dataset="mnist"``, the paper's 784-20-10 optimizee; a
    meta-epoch costs about 9x the 64-20-10 one on a CPU, so only ``full`` uses it).
    ``readout_init_scale`` is where the LSTM's read-out starts (see ``CoordinatewiseLSTMOptimizer``);
    ``left_chance_nats`` is the validation loss below which meta-training counts as having left the chance
    plateau (ln 10 = 2.30 nats). The rate grids are a factor of about 3 apart around the best rate of each
    baseline on the validation digits (seeds 0-4 of a 0.001-30 grid), so that they bracket it.
    """

    num_epochs: int
    meta_lr: float
    validate_every: int
    validation_runs: int
    test_runs: int
    transfer_runs: int
    num_steps: int = PAPER_NUM_STEPS
    long_steps: int = 2 * PAPER_NUM_STEPS
    unroll: int = PAPER_UNROLL
    hidden_size: int = PAPER_MNIST_HIDDEN_UNITS
    batch_size: int = PAPER_BATCH_SIZE
    output_scale: float = PAPER_MNIST_OUTPUT_SCALE
    split_seed: int = 0
    dataset: Literal["digits", "mnist"] = "digits"
    sweep_widths: tuple[int, ...] = ()
    sweep_depths: tuple[int, ...] = (1, 2)
    readout_init_scale: float = 0.1
    left_chance_nats: float = 1.0
    adam_rates: tuple[float, ...] = (0.01, 0.03, 0.1)
    nag_rates: tuple[float, ...] = (0.3, 1.0, 3.0)
    rmsprop_rates: tuple[float, ...] = (0.01, 0.03, 0.1)
    sgd_rates: tuple[float, ...] = (1.0, 3.0, 10.0)


DIGITS = Presets(
    smoke=DigitsConfig(
        num_epochs=3,
        meta_lr=1e-3,
        validate_every=3,
        validation_runs=2,
        test_runs=2,
        transfer_runs=2,
        num_steps=20,
        long_steps=40,
        batch_size=32,
        sweep_widths=(5, 20),
        sweep_depths=(1,),
    ),
    ci=DigitsConfig(
        num_epochs=200, meta_lr=1e-3, validate_every=20, validation_runs=5, test_runs=10, transfer_runs=5
    ),
    full=DigitsConfig(
        num_epochs=1500,
        meta_lr=1e-3,
        validate_every=50,
        validation_runs=20,
        test_runs=50,
        transfer_runs=20,
        dataset="mnist",
        sweep_widths=(5, 10, 20, 40, 80),
        adam_rates=RATE_GRID,
        nag_rates=(0.03, 0.1, 0.3, 1.0, 3.0),
        rmsprop_rates=RATE_GRID,
        sgd_rates=(0.1, 0.3, 1.0, 3.0, 10.0),
    ),
    gpu=DigitsConfig(
        num_epochs=250,
        meta_lr=1e-3,
        validate_every=50,
        validation_runs=20,
        test_runs=50,
        transfer_runs=20,
        dataset="mnist",
        sweep_widths=(5, 10, 20, 40, 80),
        adam_rates=RATE_GRID,
        nag_rates=(0.03, 0.1, 0.3, 1.0, 3.0),
        rmsprop_rates=RATE_GRID,
        sgd_rates=(0.1, 0.3, 1.0, 3.0, 10.0),
    ),
)


@dataclass(frozen=True, kw_only=True)
class ConvNetConfig:
    """Our analog of the CIFAR experiments (Fig. 7): a small convnet on label subsets of the 8x8 digits."""

    num_epochs: int
    meta_lr: float
    validate_every: int
    validation_runs: int
    test_runs: int
    label_sets: tuple[str, ...]
    train_sub: bool
    num_steps: int = PAPER_NUM_STEPS
    unroll: int = PAPER_UNROLL
    channels: int = 8
    hidden_size: int = 32
    batch_size: int = PAPER_BATCH_SIZE
    output_scale: float = OFFICIAL_CODE_OUTPUT_SCALE
    init_std: float = 0.1
    split_seed: int = 0
    adam_rates: tuple[float, ...] = (0.01, 0.03, 0.1)
    nag_rates: tuple[float, ...] = (0.3, 1.0, 3.0)
    rmsprop_rates: tuple[float, ...] = (0.001, 0.003, 0.01)
    sgd_rates: tuple[float, ...] = (1.0, 3.0, 10.0)


LABEL_SETS = {"digits-10": tuple(range(10)), "digits-5": (0, 1, 2, 3, 4), "digits-2": (0, 1)}
"""Our label subsets, analogs of CIFAR-10, CIFAR-5 and CIFAR-2."""

SUB_LABEL_SETS = {"digits-5": (5, 6, 7, 8, 9), "digits-2": (5, 6)}
"""Disjoint digits of the same count on which LSTM-sub meta-trains (none exists for all ten digits)."""

CONVNET = Presets(
    smoke=ConvNetConfig(
        num_epochs=2,
        meta_lr=3e-3,
        validate_every=2,
        validation_runs=2,
        test_runs=2,
        label_sets=("digits-5",),
        train_sub=True,
        num_steps=20,
        batch_size=32,
    ),
    ci=ConvNetConfig(
        num_epochs=40,
        meta_lr=3e-3,
        validate_every=10,
        validation_runs=3,
        test_runs=5,
        label_sets=("digits-5",),
        train_sub=False,
    ),
    full=ConvNetConfig(
        num_epochs=1000,
        meta_lr=1e-3,
        validate_every=50,
        validation_runs=10,
        test_runs=20,
        label_sets=("digits-10", "digits-5", "digits-2"),
        train_sub=True,
    ),
    gpu=ConvNetConfig(
        num_epochs=120,
        meta_lr=3e-3,
        validate_every=25,
        validation_runs=10,
        test_runs=20,
        label_sets=("digits-10", "digits-5", "digits-2"),
        train_sub=True,
    ),
)


@dataclass(frozen=True, kw_only=True)
class FailureModesConfig:
    """Beyond the paper: horizons, unroll length, preprocessing, meta learning rate, and cost.

    The preprocessing ablation meta-trains both optimizers with the digits preset for ``ablation_epochs``
    meta-epochs (a validated meta-epoch of the digits run, so the preprocessed optimizer is read off notebook
    2's run when it exists, and otherwise trained for ``ablation_epochs`` only, with the same result).
    """

    horizon_steps: int
    ablation_epochs: int
    gradient_batches: int
    collapse_epochs: int
    collapse_seeds: int
    throughput_functions: tuple[int, ...]
    unroll_lengths: tuple[int, ...] = (5, 10, 20, 50, 100)
    gradient_functions: int = 32
    collapse_meta_lrs: tuple[float, ...] = (1e-3, 3e-3)


FAILURE_MODES = Presets(
    smoke=FailureModesConfig(
        horizon_steps=200,
        ablation_epochs=3,
        gradient_batches=1,
        collapse_epochs=2,
        collapse_seeds=1,
        throughput_functions=(1, 10),
        unroll_lengths=(5, 20, 100),
    ),
    ci=FailureModesConfig(
        horizon_steps=1000,
        ablation_epochs=60,
        gradient_batches=3,
        collapse_epochs=0,
        collapse_seeds=0,
        throughput_functions=(1, 10, 100),
    ),
    full=FailureModesConfig(
        horizon_steps=1000,
        ablation_epochs=1500,
        gradient_batches=10,
        collapse_epochs=250,
        collapse_seeds=5,
        throughput_functions=(1, 10, 100, 1000, 10_000),
    ),
    gpu=FailureModesConfig(
        horizon_steps=1000,
        ablation_epochs=250,
        gradient_batches=10,
        collapse_epochs=25,
        collapse_seeds=2,
        throughput_functions=(1, 10, 100, 1000, 10_000),
    ),
)
