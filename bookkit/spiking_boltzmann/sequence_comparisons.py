"""The kernel-tied machine beside its successors, the CRBM and the RTRBM, on the circle and on bouncing
balls (the chapter's fifth notebook)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, get_args

import torch

from bookkit.spiking_boltzmann.data import (
    BouncingBallsTask,
    CircleTask,
    bouncing_balls,
    intensity_to_spikes,
    random_circle_intensities,
)
from bookkit.spiking_boltzmann.followups import (
    ConditionalRBM,
    RecurrentTemporalRBM,
    predict_one_step,
    rollout,
    train_sequence_model,
)
from bookkit.spiking_boltzmann.presets import FollowupConfig
from bookkit.spiking_boltzmann.train import (
    build_stack,
    generate,
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
