"""The kernel-tied machine beside its successors, the CRBM and the RTRBM, on the circle and on bouncing
balls (the chapter's fifth notebook)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, get_args

import torch

from bookkit.spiking_boltzmann import likelihood
from bookkit.spiking_boltzmann.data import (
    BouncingBallsTask,
    CircleTask,
    bouncing_balls,
    decode_angle,
    fraction_good,
    intensity_to_spikes,
    one_step_error,
    random_circle_intensities,
)
from bookkit.spiking_boltzmann.followups import (
    ConditionalRBM,
    RecurrentTemporalRBM,
    predict_one_step,
    rollout,
    sequence_log_likelihood,
    train_sequence_model,
)
from bookkit.spiking_boltzmann.presets import FollowupConfig
from bookkit.spiking_boltzmann.train import (
    build_stack,
    generate,
    non_temporal_variant,
    predict_next_frames,
    sampling_generator,
    temporal_variant,
    train_cd,
)

SequenceTask = Literal["circle", "bouncing balls"]
SEQUENCE_TASKS: tuple[SequenceTask, ...] = get_args(SequenceTask)


def sequence_source(
    name: SequenceTask, config: FollowupConfig, task: CircleTask | None = None
) -> Callable[[int, torch.Generator], torch.Tensor]:
    """``source(batch, generator)`` → binary frames $(B, T, n_v)$ of the ``circle`` or ``bouncing balls``
    task."""
    if name not in SEQUENCE_TASKS:
        raise ValueError(f"unknown task {name!r}; valid tasks are: {', '.join(SEQUENCE_TASKS)}")
    if name == "circle":
        circle_task = task or CircleTask()

        def circle(batch: int, generator: torch.Generator) -> torch.Tensor:
            intensity = random_circle_intensities(1, batch, config.num_frames, circle_task, generator)[0]
            return intensity_to_spikes(intensity, False, None)

        return circle
    balls = BouncingBallsTask(resolution=config.balls_resolution, num_balls=config.num_balls)
    return lambda batch, generator: bouncing_balls(batch, config.num_frames, balls, generator)


def compare_temporal_models(
    config: FollowupConfig,
    source: Callable[[int, torch.Generator], torch.Tensor],
    seed: int,
    device: torch.device | str,
    desc: str,
) -> dict[str, dict[str, torch.Tensor]]:
    """Train the kernel-tied machine, a CRBM and an RTRBM on ``source``; score them and copy-last on test
    data.

    Returns, per model, the one-step predictions and the rollouts of the test sequences (primed with
    ``prime_frames`` true frames), plus ``test`` (the true frames).
    """
    test = source(config.num_test_sequences, torch.Generator().manual_seed(50_000 + seed)).to(device)
    num_visible = test.shape[2]
    data_generator = torch.Generator().manual_seed(100 + seed)

    def minibatch(_: int) -> torch.Tensor:
        return source(config.batch_size, data_generator).to(device)

    results: dict[str, dict[str, torch.Tensor]] = {}
    tied = build_stack(
        [
            temporal_variant(
                "kernel-tied", config.kernel_time_constant, config.history_length, config.history_length
            )
        ],
        num_visible,
        config.num_hidden,
        torch.Generator().manual_seed(seed),
        device,
    )
    train_cd(
        tied,
        lambda i: minibatch(i)[None],
        config.num_minibatches,
        lr=config.lr,
        momentum=config.momentum,
        generator=sampling_generator(seed, device),
        desc=f"{desc}: kernel-tied",
    )
    sampler = sampling_generator(20_000 + seed, device)
    prime = test[:, : config.prime_frames]
    results["kernel-tied (this paper)"] = {
        "one_step": predict_next_frames(tied, test[None], sampler, config.gibbs_steps, config.average_last)[
            0
        ],
        "rollout": generate(tied, prime[None], config.rollout_frames, sampler, config.gibbs_steps)[0],
    }
    for name, make in (
        (
            "CRBM",
            lambda: ConditionalRBM(
                num_visible, config.num_hidden, config.history_length, torch.Generator().manual_seed(seed)
            ),
        ),
        (
            "RTRBM",
            lambda: RecurrentTemporalRBM(num_visible, config.num_hidden, torch.Generator().manual_seed(seed)),
        ),
    ):
        model = make().to(device)
        train_sequence_model(
            model,
            minibatch,
            config.num_minibatches,
            lr=config.sequence_lr,
            momentum=config.momentum,
            generator=sampling_generator(seed, device),
            desc=f"{desc}: {name}",
        )
        results[name] = {
            "one_step": predict_one_step(model, test, sampler, config.gibbs_steps, config.average_last),
            "rollout": rollout(model, prime, config.rollout_frames, sampler, config.gibbs_steps),
        }
    copy = torch.cat([torch.zeros_like(test[:, :1]), test[:, :-1]], 1)
    results["copy last"] = {"one_step": copy, "rollout": prime[:, -1:].expand(-1, config.rollout_frames, -1)}
    results["test"] = {"frames": test}
    return {name: {k: v.cpu() for k, v in values.items()} for name, values in results.items()}


def sequence_errors(
    results: dict[str, dict[str, torch.Tensor]], config: FollowupConfig
) -> dict[str, dict[str, float]]:
    """Per model: one-step MSE per pixel over frames $t\\ge D$, and rollout MSE per pixel over the rollout."""
    test = results["test"]["frames"]
    truth = test[:, config.prime_frames : config.prime_frames + config.rollout_frames]
    scores = {}
    for name, values in results.items():
        if name == "test":
            continue
        one_step = ((values["one_step"] - test)[:, config.history_length :] ** 2).mean()
        rolled = ((values["rollout"][:, : truth.shape[1]] - truth) ** 2).mean()
        scores[name] = {"one_step_mse": float(one_step), "rollout_mse": float(rolled)}
    return scores


def circle_angle_metrics(
    results: dict[str, dict[str, torch.Tensor]], config: FollowupConfig, task: CircleTask
) -> dict[str, dict[str, float]]:
    """The ball-task angle metrics of every model of :func:`compare_temporal_models` on the circle.

    ``one_step_angle_error``: $|\\mathrm{wrap}(\\hat\\theta_t-\\theta_t)|/(2\\pi/P)$ over frames
    $t\\ge D$ of every test sequence, the true angle decoded from the binary test frame (as for copy-last);
    ``rollout_frac_good``: the fraction of frame-to-frame steps of the rollouts within $\\pm50\\%$ of the
    true step, averaged over the test sequences.
    """
    true_angles = decode_angle(results["test"]["frames"].double(), task)
    scores = {}
    for name, values in results.items():
        if name == "test":
            continue
        predicted = decode_angle(values["one_step"].double(), task)
        error = one_step_error(predicted, true_angles, task)[:, config.history_length :].mean()
        good = fraction_good(decode_angle(values["rollout"].double(), task), task).mean()
        scores[name] = {"one_step_angle_error": float(error), "rollout_frac_good": float(good)}
    return scores


def held_out_log_likelihoods(
    config: FollowupConfig,
    source: Callable[[int, torch.Generator], torch.Tensor],
    seed: int,
    device: torch.device | str,
    desc: str,
) -> dict[str, torch.Tensor]:
    """Train the kernel-tied machine, its history-less control, a CRBM and an RTRBM with
    ``likelihood_hidden`` hidden units on ``source`` and score ``likelihood_sequences`` fresh test sequences
    exactly: name -> $\\log p(v(t)\\mid\\text{past})$ in nats, $(B, T)$.

    The kernel-tied machine and its control are scored with a sampled hidden history
    (:func:`bookkit.spiking_boltzmann.likelihood.sequence_log_likelihood`); the CRBM and the RTRBM carry
    their past deterministically (:func:`bookkit.spiking_boltzmann.followups.sequence_log_likelihood`).
    """
    test = source(config.likelihood_sequences, torch.Generator().manual_seed(60_000 + seed)).to(device)
    num_visible, num_hidden = test.shape[2], config.likelihood_hidden
    data_generator = torch.Generator().manual_seed(100 + seed)

    def minibatch(_: int) -> torch.Tensor:
        return source(config.batch_size, data_generator).to(device)

    depth = config.history_length
    stack = build_stack(
        [
            temporal_variant("kernel-tied", config.kernel_time_constant, depth, depth),
            non_temporal_variant(depth),
        ],
        num_visible,
        num_hidden,
        torch.Generator().manual_seed(seed),
        device,
    )
    train_cd(
        stack,
        lambda i: minibatch(i)[None].expand(2, -1, -1, -1),
        config.num_minibatches,
        lr=config.lr,
        momentum=config.momentum,
        generator=sampling_generator(seed, device),
        desc=f"{desc}: kernel-tied and control, {num_hidden} hidden",
    )
    tied = likelihood.sequence_log_likelihood(
        stack, test[None].expand(2, -1, -1, -1), sampling_generator(40_000 + seed, device)
    )
    scores = {"kernel-tied (this paper)": tied[0], "history-less control": tied[1]}
    for name, untrained in (
        ("CRBM", ConditionalRBM(num_visible, num_hidden, depth, torch.Generator().manual_seed(seed))),
        ("RTRBM", RecurrentTemporalRBM(num_visible, num_hidden, torch.Generator().manual_seed(seed))),
    ):
        model = untrained.to(device)
        train_sequence_model(
            model,
            minibatch,
            config.num_minibatches,
            lr=config.sequence_lr,
            momentum=config.momentum,
            generator=sampling_generator(seed, device),
            desc=f"{desc}: {name}, {num_hidden} hidden",
        )
        scores[name] = sequence_log_likelihood(model, test)
    return {name: values.cpu() for name, values in scores.items()}
