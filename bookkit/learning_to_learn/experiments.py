"""The chapter's experimental protocols, shared by its notebooks so that a trained optimizer can be reused.

Every protocol draws its meta-training, validation and test randomness from separate generators derived from
one seed, so the test problems never depend on how long meta-training ran.
"""

from __future__ import annotations

from typing import Any, Literal

import torch

from bookkit.learning_to_learn.evaluation import final_mean_log_loss, last_steps_mean_loss
from bookkit.learning_to_learn.learned_optimizer import (
    CoordinatewiseLSTMOptimizer,
    GroupedLSTMOptimizer,
    LearnedOptimizer,
)
from bookkit.learning_to_learn.meta_training import MetaTrainingResult, meta_train, rollout
from bookkit.learning_to_learn.presets import ConvNetConfig, DigitsConfig, QuadraticsConfig
from bookkit.learning_to_learn.problems import (
    ConvNetProblem,
    MLPProblem,
    Problem,
    digits_splits,
    mnist_splits,
    sample_quadratics,
)

Stream = Literal["meta_train", "validation", "test"]
"""A use of a seed's randomness, and a split of a data set."""

STREAMS: dict[str, int] = {"meta_train": 0, "validation": 1, "test": 2}


def generator_for(seed: int, stream: Stream) -> torch.Generator:
    """An independent CPU generator for one use (``meta_train``, ``validation`` or ``test``) of ``seed``."""
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}; valid: {', '.join(map(repr, STREAMS))}")
    return torch.Generator().manual_seed(1000 * seed + STREAMS[stream])


def quadratic_problems(
    cfg: QuadraticsConfig, seed: int, stream: Stream, count: int, device: torch.device | str = "cpu"
) -> tuple[Problem, torch.Tensor]:
    """``count`` quadratics and their starting points $\\theta_0$, drawn from the ``stream`` generator."""
    generator = generator_for(seed, stream)
    problem = sample_quadratics(count, generator, cfg.dim, cfg.distribution, device)
    return problem, problem.initial_params(generator, device)


def learned_optimizer(
    state: dict[str, Any],
    preprocess: bool,
    output_scale: float,
    device: torch.device | str = "cpu",
    within: int | None = None,
) -> CoordinatewiseLSTMOptimizer:
    """Rebuild a meta-trained optimizer from the ``best_state`` of a saved training run, or with ``within``
    from the weights early stopping keeps after that many of its meta-epochs
    (:meth:`~bookkit.learning_to_learn.meta_training.MetaTrainingResult.best_within`)."""
    optimizer = CoordinatewiseLSTMOptimizer(preprocess=preprocess, output_scale=output_scale).to(device)
    if within is None:
        optimizer.load_state_dict(state["best_state"])
    else:
        optimizer.load_state_dict(MetaTrainingResult.from_state(state).best_within(within)[2])
    return optimizer.eval()


def train_quadratic_optimizer(
    cfg: QuadraticsConfig, seed: int, device: torch.device | str = "cpu", **overrides: Any
) -> dict[str, Any]:
    """Meta-train on fresh quadratics each epoch; early stopping on the mean final log-loss of validation
    functions (:func:`~bookkit.learning_to_learn.evaluation.final_mean_log_loss`), the criterion the baselines
    are tuned on too.

    ``overrides`` replace the preset's ``num_epochs``, ``meta_lr``, ``unroll`` or ``functions_per_epoch``.
    """
    settings = {
        "num_epochs": cfg.num_epochs,
        "meta_lr": cfg.meta_lr,
        "unroll": cfg.unroll,
        "functions_per_epoch": cfg.functions_per_epoch,
        **overrides,
    }
    torch.manual_seed(seed)
    optimizer = CoordinatewiseLSTMOptimizer().to(device)
    validation, start = quadratic_problems(cfg, seed, "validation", cfg.num_validation, device)

    def validate(candidate: LearnedOptimizer) -> float:
        return final_mean_log_loss(rollout(candidate, validation, start, cfg.num_steps).losses)

    result = meta_train(
        optimizer,
        lambda g: sample_quadratics(settings["functions_per_epoch"], g, cfg.dim, cfg.distribution, device),
        num_epochs=settings["num_epochs"],
        num_steps=cfg.num_steps,
        unroll=settings["unroll"],
        meta_lr=settings["meta_lr"],
        generator=generator_for(seed, "meta_train"),
        device=device,
        validate=validate,
        validate_every=cfg.validate_every,
        desc="meta-training on quadratics",
    )
    return result.to_state()


def mlp_dataset_name(cfg: DigitsConfig) -> str:
    """``"MNIST"`` (real 28x28 digits from :mod:`bookkit.datasets`) or ``"digits"`` (scikit-learn's 8x8)."""
    if cfg.dataset not in ("digits", "mnist"):
        raise ValueError(f"unknown dataset {cfg.dataset!r}; valid: 'digits', 'mnist'")
    return "MNIST" if cfg.dataset == "mnist" else "digits"


def digits_problem(
    cfg: DigitsConfig, split: Stream, runs: int, device: torch.device | str = "cpu", **architecture: Any
) -> Problem:
    """An MLP optimizee on one split (``meta_train``, ``validation``, ``test``) of the 8x8 digits or of real
    MNIST (see :func:`mlp_dataset_name`), with ``runs`` instances.

    ``architecture`` may set ``hidden_sizes`` and ``activation``; the default is the paper's 1x20 sigmoid net.
    """
    if mlp_dataset_name(cfg) == "MNIST":
        data = mnist_splits()[split].to(device)
    else:
        data = digits_splits(seed=cfg.split_seed)[split].to(device)
    architecture = {"hidden_sizes": (cfg.hidden_size,), "activation": "sigmoid", **architecture}
    return MLPProblem(data, runs, batch_size=cfg.batch_size, **architecture)


def train_digits_optimizer(
    cfg: DigitsConfig,
    seed: int,
    device: torch.device | str = "cpu",
    preprocess: bool = True,
    **overrides: Any,
) -> dict[str, Any]:
    """Meta-train on one fresh 1x20 sigmoid MLP per epoch on the meta-training digits; early stopping on the
    mean loss of the last 10 of ``num_steps`` steps of ``validation_runs`` nets on the validation digits.

    ``overrides`` replace the preset's ``num_epochs`` or ``meta_lr``.
    """
    settings = {"num_epochs": cfg.num_epochs, "meta_lr": cfg.meta_lr, **overrides}
    torch.manual_seed(seed)
    optimizer = CoordinatewiseLSTMOptimizer(
        preprocess=preprocess, output_scale=cfg.output_scale, readout_init_scale=cfg.readout_init_scale
    ).to(device)
    validation = digits_problem(cfg, "validation", cfg.validation_runs, device)
    start = validation.initial_params(generator_for(seed, "validation"), device)

    def validate(candidate: LearnedOptimizer) -> float:
        losses = rollout(
            candidate, validation, start, cfg.num_steps, generator_for(seed, "validation")
        ).losses
        return last_steps_mean_loss(losses)

    training = digits_problem(cfg, "meta_train", 1, device)
    result = meta_train(
        optimizer,
        lambda g: training,
        num_epochs=settings["num_epochs"],
        num_steps=cfg.num_steps,
        unroll=cfg.unroll,
        meta_lr=settings["meta_lr"],
        generator=generator_for(seed, "meta_train"),
        device=device,
        validate=validate,
        validate_every=cfg.validate_every,
        desc="meta-training on digits",
    )
    return result.to_state()


def convnet_problem(
    cfg: ConvNetConfig, split: Stream, classes: tuple[int, ...], runs: int, device: torch.device | str = "cpu"
) -> ConvNetProblem:
    """The digits convnet on the images of ``classes`` (relabelled ``0..k-1``) of one split."""
    data = digits_splits(seed=cfg.split_seed, image=True)[split].restrict_to_classes(classes).to(device)
    return ConvNetProblem(
        data,
        runs,
        num_classes=len(classes),
        channels=cfg.channels,
        hidden_size=cfg.hidden_size,
        batch_size=cfg.batch_size,
        init_std=cfg.init_std,
    )


def grouped_optimizer(
    groups: torch.Tensor,
    output_scale: float,
    state: dict[str, Any] | None = None,
    device: torch.device | str = "cpu",
) -> GroupedLSTMOptimizer:
    """Two preprocessed coordinatewise LSTMs (conv weights; everything else), optionally from a saved run."""
    optimizer = GroupedLSTMOptimizer(
        [CoordinatewiseLSTMOptimizer(preprocess=True, output_scale=output_scale) for _ in range(2)], groups
    ).to(device)
    if state is not None:
        optimizer.load_state_dict(state["best_state"])
    return optimizer


def train_convnet_optimizer(
    cfg: ConvNetConfig, seed: int, classes: tuple[int, ...], device: torch.device | str = "cpu"
) -> dict[str, Any]:
    """Meta-train the two-network optimizer on fresh convnets over the meta-training images of ``classes``;
    early stopping on the last-10-step loss of ``validation_runs`` nets on the validation images of
    ``classes``.

    The output layer has ``len(classes)`` units, so an optimizer trained on one label set can be tested on a
    disjoint set of the same size (LSTM-sub).
    """
    torch.manual_seed(seed)
    training = convnet_problem(cfg, "meta_train", classes, 1, device)
    optimizer = grouped_optimizer(training.parameter_groups(), cfg.output_scale, device=device)
    validation = convnet_problem(cfg, "validation", classes, cfg.validation_runs, device)
    start = validation.initial_params(generator_for(seed, "validation"), device)

    def validate(candidate: LearnedOptimizer) -> float:
        losses = rollout(
            candidate, validation, start, cfg.num_steps, generator_for(seed, "validation")
        ).losses
        return last_steps_mean_loss(losses)

    result = meta_train(
        optimizer,
        lambda g: training,
        num_epochs=cfg.num_epochs,
        num_steps=cfg.num_steps,
        unroll=cfg.unroll,
        meta_lr=cfg.meta_lr,
        generator=generator_for(seed, "meta_train"),
        device=device,
        validate=validate,
        validate_every=cfg.validate_every,
        desc=f"meta-training on convnets, digits {classes}",
    )
    return result.to_state()
