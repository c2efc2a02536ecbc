"""Hot kernel of the chapter: CD training of many temporal Boltzmann machines, stacked vs one at a time.

The ablation and seed studies train several independent models; stacking them along a leading model axis
turns ``M`` small matrix products per operation into one batched product. The benchmark times the same
work both ways in one process and reports CD updates per second (one update = one model, one time step).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from bookkit.benchmarking import Comparison, compare
from bookkit.spiking_boltzmann.data import CircleTask
from bookkit.spiking_boltzmann.train import build_stack, circle_minibatches, temporal_variant, train_cd


def _training_run(
    num_models: int,
    stacked: bool,
    num_minibatches: int,
    batch_size: int,
    num_frames: int,
    num_hidden: int,
    device: str,
) -> Callable[[], None]:
    task = CircleTask()
    variants = [temporal_variant("temporal", 2.0, 4, 4)] * num_models
    data = circle_minibatches(
        task,
        variants,
        list(range(num_models)),
        batch_size,
        num_frames,
        torch.Generator().manual_seed(1),
        device,
    )(0)
    groups = [list(range(num_models))] if stacked else [[m] for m in range(num_models)]

    def run() -> None:
        for group in groups:
            model = build_stack(
                [variants[m] for m in group],
                task.num_pixels,
                num_hidden,
                torch.Generator().manual_seed(0),
                device,
            )
            sampler = torch.Generator(device=device).manual_seed(0)
            spikes = data[group]

            def same_minibatch(_: int, spikes: torch.Tensor = spikes) -> torch.Tensor:
                return spikes

            train_cd(
                model,
                same_minibatch,
                num_minibatches,
                lr=0.05,
                momentum=0.5,
                generator=sampler,
                desc="benchmark",
            )

    return run


def benchmarks(quick: bool = True, device: str = "cpu") -> list[Comparison]:
    """CD training of ``M`` models stacked vs looped, for two stack sizes; ``quick`` keeps it under ~20 s
    on CPU."""
    sizes = (4, 10) if quick else (4, 10, 32)
    num_minibatches, batch_size, num_frames = (2, 32, 24) if quick else (5, 32, 48)
    results = []
    for num_models in sizes:
        updates = num_models * num_minibatches * num_frames
        comparison = compare(
            "spiking-boltzmann",
            f"CD training, {num_models} models",
            (
                f"stacked ({num_models} along the model axis)",
                _training_run(num_models, True, num_minibatches, batch_size, num_frames, 40, device),
            ),
            (
                "one model at a time",
                _training_run(num_models, False, num_minibatches, batch_size, num_frames, 40, device),
            ),
            repeats=3 if quick else 5,
            device=device,
            note=f"{updates} CD updates (model × time step) per call; batch {batch_size}, "
            "100 visible, 40 hidden",
        )
        results.append(comparison)
    return results


if __name__ == "__main__":
    for row in benchmarks():
        updates = float(row.note.split()[0])
        print(
            f"{row.name}: stacked {updates / row.subject_s:,.0f} updates/s, looped "
            f"{updates / row.baseline_s:,.0f} updates/s, time ratio {row.ratio:.2f} ({row.device})"
        )
