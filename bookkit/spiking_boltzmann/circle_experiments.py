"""The ball on a circle: stacks of model variants trained side by side, evaluated, and scored by likelihood
(the chapter's third and fourth notebooks).

Every recipe is deterministic for a seed on the CPU: the weights come from ``seed``, the training data from
``100 + seed`` and the Gibbs sampling from a device generator seeded with ``seed``.
"""

from __future__ import annotations

import dataclasses

import torch

from bookkit.spiking_boltzmann.data import CircleTask, intensity_to_spikes, random_circle_intensities
from bookkit.spiking_boltzmann.likelihood import sequence_log_likelihood
from bookkit.spiking_boltzmann.model import TemporalBoltzmannMachine
from bookkit.spiking_boltzmann.presets import CircleConfig
from bookkit.spiking_boltzmann.train import (
    CircleEvaluation,
    Variant,
    build_stack,
    circle_minibatches,
    evaluate_circle,
    non_temporal_variant,
    sampling_generator,
    temporal_variant,
    train_cd,
)


def circle_task(config: CircleConfig) -> CircleTask:
    return CircleTask(grid=config.grid, radius=config.radius, period=config.period, blob_sd=config.blob_sd)


def temporal_and_static_variants(config: CircleConfig) -> tuple[list[Variant], list[int]]:
    """``num_seeds`` temporal models and as many non-temporal controls; control ``k`` sees seed ``k``'s
    data."""
    temporal = temporal_variant(
        "temporal", config.kernel_time_constant, config.history_length, config.history_length
    )
    static = non_temporal_variant(config.history_length)
    variants = [temporal] * config.num_seeds + [static] * config.num_seeds
    return variants, list(range(config.num_seeds)) * 2


def train_variants(
    config: CircleConfig,
    variants: list[Variant],
    data_streams: list[int],
    seed: int,
    device: torch.device | str,
    num_minibatches: int | None = None,
    desc: str = "CD training",
) -> dict[str, torch.Tensor]:
    """Train one model per variant side by side; returns the model's state and the reconstruction errors."""
    task = circle_task(config)
    model = build_stack(
        variants, task.num_pixels, config.num_hidden, torch.Generator().manual_seed(seed), device
    )
    minibatch = circle_minibatches(
        task,
        variants,
        data_streams,
        config.batch_size,
        config.num_frames,
        torch.Generator().manual_seed(100 + seed),
        device,
    )
    errors = train_cd(
        model,
        minibatch,
        num_minibatches or config.num_minibatches,
        lr=config.lr,
        momentum=config.momentum,
        generator=sampling_generator(seed, device),
        desc=desc,
    )
    return {**model.state_dict(), "reconstruction_error": errors}


def evaluate_state(
    config: CircleConfig,
    state: dict[str, torch.Tensor],
    seed: int,
    device: torch.device | str,
    direction: float = 1.0,
) -> CircleEvaluation:
    """One-step test and generation (see :func:`~bookkit.spiking_boltzmann.train.evaluate_circle`)."""
    model = TemporalBoltzmannMachine.from_state_dict({k: v.to(device) for k, v in state.items()})
    return evaluate_circle(
        model,
        circle_task(config),
        sampling_generator(10_000 + seed, device),
        num_test_sequences=config.num_test_sequences,
        num_primes=config.num_primes,
        generated_frames=config.generated_frames,
        gibbs_steps=config.gibbs_steps,
        average_last=config.average_last,
        direction=direction,
    )


def held_out_log_likelihood(
    config: CircleConfig, seed: int, device: torch.device | str
) -> dict[str, torch.Tensor]:
    """Train a temporal model and its history-less control with ``likelihood_hidden`` hidden units (small
    enough to enumerate), then score ``likelihood_sequences`` fresh test sequences exactly.

    Returns the trained state and ``log_likelihood``, $\\log p(v(t)\\mid\\text{past})$ in nats $(2, B, T)$:
    row 0 temporal, row 1 control (frames $t<D$ included; the caller drops them).
    """
    small = dataclasses.replace(config, num_hidden=config.likelihood_hidden)
    variants = [
        temporal_variant(
            "temporal", config.kernel_time_constant, config.history_length, config.history_length
        ),
        non_temporal_variant(config.history_length),
    ]
    state = train_variants(small, variants, [0, 0], seed, device, desc="small models for the likelihood")
    model = TemporalBoltzmannMachine.from_state_dict(
        {k: v.to(device) for k, v in state.items() if k != "reconstruction_error"}
    )
    test = intensity_to_spikes(
        random_circle_intensities(
            1,
            config.likelihood_sequences,
            config.num_frames,
            circle_task(config),
            torch.Generator().manual_seed(30_000 + seed),
        ),
        False,
        None,
    ).to(device)
    scores = sequence_log_likelihood(
        model, test.expand(2, -1, -1, -1), sampling_generator(40_000 + seed, device)
    )
    return {**state, "log_likelihood": scores.cpu()}


def ablation_variants(config: CircleConfig) -> tuple[list[Variant], list[int]]:
    """The ablation stack: the full model, without $U$ and/or $A$, other kernel time constants and other
    kernel lengths ``ablation_depths`` (all padded to the longest); all see the same balls. (The non-temporal
    control is in :func:`temporal_and_static_variants`.)"""
    tau, depth = config.kernel_time_constant, config.history_length
    longest = max(depth, *config.ablation_depths)
    variants = [
        temporal_variant("full model", tau, depth, longest),
        temporal_variant("no U, no A", tau, depth, longest, use_A=False, use_U=False),
        temporal_variant("no U", tau, depth, longest, use_U=False),
        temporal_variant("no A", tau, depth, longest, use_A=False),
        temporal_variant("τ_r = 0.5", 0.5, depth, longest),
        temporal_variant("τ_r = 5", 5.0, depth, longest),
        *[temporal_variant(f"D = {d}", tau, d, longest) for d in config.ablation_depths if d != depth],
    ]
    return variants, [0] * len(variants)


def stress_variants(config: CircleConfig) -> tuple[list[Variant], list[int]]:
    """Stochastic visible spikes $v\\sim\\mathrm{Bernoulli}(0.9I)$, and training on both directions."""
    tau, depth = config.kernel_time_constant, config.history_length
    return (
        [
            temporal_variant("stochastic spikes", tau, depth, depth, stochastic_spikes=True),
            temporal_variant("both directions", tau, depth, depth, bidirectional=True),
        ],
        [0, 1],
    )


def learning_rule_comparison(
    config: CircleConfig, seed: int, device: torch.device | str
) -> dict[str, torch.Tensor]:
    """The temporal model trained by CD-$k$ for each $k$ of ``compared_cd_steps``, side by side otherwise:
    ``likelihood_hidden`` hidden units (few enough to enumerate), the same initial weights, balls and
    settings.

    Returns ``log_likelihood`` $(K, B, T)$, the exact held-out $\\log p(v(t)\\mid\\text{past})$ on the test
    sequences of :func:`held_out_log_likelihood`, and per $k$ the ``one_step_error`` and the
    ``median_frac_good`` of :func:`evaluate_state`.
    """
    small = dataclasses.replace(config, num_hidden=config.likelihood_hidden)
    variant = temporal_variant(
        "temporal", config.kernel_time_constant, config.history_length, config.history_length
    )
    test = intensity_to_spikes(
        random_circle_intensities(
            1,
            config.likelihood_sequences,
            config.num_frames,
            circle_task(config),
            torch.Generator().manual_seed(30_000 + seed),
        ),
        False,
        None,
    ).to(device)
    scores, one_step, frac_good = [], [], []
    for k in config.compared_cd_steps:
        task = circle_task(small)
        model = build_stack(
            [variant], task.num_pixels, small.num_hidden, torch.Generator().manual_seed(seed), device
        )
        minibatch = circle_minibatches(
            task,
            [variant],
            [0],
            small.batch_size,
            small.num_frames,
            torch.Generator().manual_seed(100 + seed),
            device,
        )
        train_cd(
            model,
            minibatch,
            small.num_minibatches,
            lr=small.lr,
            momentum=small.momentum,
            generator=sampling_generator(seed, device),
            desc=f"CD-{k}",
            cd_steps=k,
        )
        scores.append(sequence_log_likelihood(model, test, sampling_generator(40_000 + seed, device))[0])
        evaluation = evaluate_state(small, model.state_dict(), seed, device)
        one_step.append(evaluation.one_step_error[0])
        frac_good.append(evaluation.median_frac_good[0])
    return {
        "cd_steps": torch.tensor(config.compared_cd_steps),
        "log_likelihood": torch.stack(scores).cpu(),
        "one_step_error": torch.stack(one_step).cpu(),
        "median_frac_good": torch.stack(frac_good).cpu(),
    }


def fraction_following_direction(
    forward: torch.Tensor, backward: torch.Tensor, min_revolutions: float = 1.0
) -> float:
    """Share of primed generations that keep the direction they were primed with for more than
    ``min_revolutions`` turns: forward primes with $r>r_{\\min}$ plus backward primes with
    $r<-r_{\\min}$, over all primes of both directions. ``forward`` and ``backward`` hold the revolutions
    of one model's generations (same shape, one entry per prime): a model that follows the primed direction
    scores 1, one that always turns the same way at most 1/2, one that holds the ball still 0."""
    if forward.shape != backward.shape:
        raise ValueError(f"forward and backward primes differ in shape: {forward.shape} vs {backward.shape}")
    # (#{r_fwd > r_min} + #{r_bwd < -r_min}) / (2 n)
    kept = (forward > min_revolutions).sum() + (backward < -min_revolutions).sum()
    return float(kept / (forward.numel() + backward.numel()))
