"""Training and inference for PredNet and the control: a seeded loop with a step (or time) budget,
load-or-train checkpoints keyed by the training configuration, and batched inference helpers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from bookkit.prednet.data import (
    HELD_OUT_STYLE,
    TRAIN_STYLE,
    Video,
    bouncing_balls,
    car_camera,
    rotating_heads,
)
from bookkit.prednet.model import build_model, layer_weights, prednet_loss
from bookkit.training import check_finite, load_or_train, progress, resumable_checkpointer

WORLDS = ("heads", "balls", "car", "car_held_out")

CHECKPOINTS_PER_RUN = 5
"""How many checkpoints a training run inside :func:`~bookkit.training.load_or_train` writes."""


@dataclasses.dataclass(frozen=True)
class TrainSpec:
    """Everything that defines a trained model; its :meth:`key` names the shared checkpoint.

    ``r_stacks`` are the channels of :math:`R_l` when they differ from ``stacks`` (PredNet only);
    ``weighting`` is ``L_0`` or ``L_all``; the learning rate drops tenfold after ``lr_drop_fraction`` of the
    steps (the official KITTI schedule drops at half); ``max_seconds`` > 0 also stops on wall time (then
    the run is no longer bit-reproducible, so the presets use steps).
    """

    world: str
    kind: str
    stacks: tuple[int, ...]
    height: int
    width: int
    num_frames: int
    num_sequences: int
    num_steps: int
    batch_size: int
    lr: float
    weighting: str = "L_0"
    lr_drop_fraction: float = 0.5
    max_seconds: float = 0.0
    r_stacks: tuple[int, ...] | None = None

    def key(self) -> str:
        # without R stacks of its own, a spec hashes as it did before the field existed (same checkpoints)
        text = repr(self).replace(", r_stacks=None)", ")")
        digest = hashlib.sha256(text.encode()).hexdigest()[:10]
        return f"{self.world}-{self.kind}-{self.weighting}-{digest}"


def make_world(
    world: str,
    num_sequences: int,
    num_frames: int,
    height: int,
    width: int,
    generator: torch.Generator,
    device: torch.device | str = "cpu",
) -> Video:
    """Generate ``num_sequences`` clips of one of :data:`WORLDS` (heads and balls are square: ``height``)."""
    if world == "heads":
        return rotating_heads(num_sequences, num_frames, height, generator, device=device)
    if world == "balls":
        return bouncing_balls(num_sequences, num_frames, height, generator, num_balls=2, device=device)
    if world in ("car", "car_held_out"):
        style = TRAIN_STYLE if world == "car" else HELD_OUT_STYLE
        return car_camera(num_sequences, num_frames, height, width, generator, style=style, device=device)
    raise ValueError(f"unknown world {world!r}; valid worlds are: {', '.join(WORLDS)}")


def data_generator(seed: int, split: str) -> torch.Generator:
    """Independent, seeded generators for the ``train``, ``test`` and ``readout`` splits of one run."""
    offsets = {"train": 1, "test": 2, "readout": 3, "identity": 4}
    return torch.Generator().manual_seed(10_000 * seed + offsets[split])


class DeadPixelLayerError(RuntimeError):
    """The pixel prediction :math:`\\hat A_0 = \\min(1, \\mathrm{ReLU}(\\mathrm{Conv}(R_0)))` stayed zero
    everywhere."""


def adam_coasting_steps(beta1: float = 0.9, remaining: float = 1e-3) -> int:
    """Steps after which Adam, fed zero gradients, has stopped moving: its step is
    :math:`\\mathrm{lr}\\,\\hat m/\\sqrt{\\hat v}` with :math:`m` decaying as :math:`\\beta_1^k` (and
    :math:`v` only as :math:`\\beta_2^k \\approx 1`), so it falls below ``remaining`` of its size after
    :math:`k = \\lceil\\ln(\\mathrm{remaining})/\\ln\\beta_1\\rceil` steps (66 for the defaults)."""
    return math.ceil(math.log(remaining) / math.log(beta1))


class PixelLayerWatch:
    """Counts consecutive steps at which every prediction of frames :math:`t \\ge 1` in the batch is 0.

    Then the ReLU of :math:`\\hat A_0` is off at every pixel and the pixel loss sends no gradient to any
    parameter. Adam's momentum can still carry the weights back (a batch of zeros at step 3 often recovers),
    so the run is declared dead only after :func:`adam_coasting_steps` such steps in a row: from then on
    nothing moves, and training on would report copy-last-like scores as if they were learned.
    """

    def __init__(self, patience: int | None = None) -> None:
        self.patience = adam_coasting_steps() if patience is None else patience
        self.dead_steps = 0

    def update(self, predictions: torch.Tensor, *, step: int) -> None:
        self.dead_steps = 0 if bool((predictions[:, 1:] > 0).any()) else self.dead_steps + 1
        if self.dead_steps >= self.patience:
            raise DeadPixelLayerError(
                f"the pixel-layer ReLU has been off at every pixel for {self.dead_steps} steps "
                f"(step {step}): no gradient reaches the network and Adam's momentum is spent"
            )


def frame_loss(predictions: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
    """The official fine-tuning loss, :math:`0.5\\,\\mathrm{mean}|x_t-\\hat x_t|` over :math:`t\\ge1`."""
    return 0.5 * (predictions[:, 1:] - frames[:, 1:]).abs().mean()


def train_video_model(
    model: nn.Module,
    frames: torch.Tensor,
    *,
    num_steps: int,
    batch_size: int,
    lr: float,
    generator: torch.Generator,
    device: torch.device,
    weighting: str = "L_0",
    lr_drop_fraction: float = 0.5,
    extrap_start: int | None = None,
    max_seconds: float = 0.0,
    desc: str = "training",
) -> list[float]:
    """Adam on random minibatches of ``frames`` (N, T, C, H, W); returns the loss of every step.

    Without ``extrap_start`` the loss is :func:`~bookkit.prednet.model.prednet_loss` with the layer weights
    of ``weighting`` (the control uses its pixel error); with it, the model runs in extrapolation mode and
    the loss is :func:`frame_loss`, as in the official fine-tuning.

    Inside :func:`bookkit.training.load_or_train` the loop checkpoints ``CHECKPOINTS_PER_RUN`` times (model,
    Adam state with its learning rate, losses so far, the minibatch generator, the dead-pixel count and the
    elapsed time), and a run killed midway resumes from the last checkpoint with the same result.
    """
    model.to(device).train()
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    drop_at = int(lr_drop_fraction * num_steps)
    losses: list[float] = []
    watch = PixelLayerWatch()
    checkpointer = resumable_checkpointer(every=max(1, num_steps // CHECKPOINTS_PER_RUN), label=desc)
    first_step, elapsed = 0, 0.0
    if checkpointer is not None:
        first_step, saved = checkpointer.resume(total=num_steps)
        if saved is not None:
            model.load_state_dict(saved["model"])
            optimiser.load_state_dict(saved["optimiser"])
            losses = list(saved["losses"])
            generator.set_state(saved["generator"])
            watch.dead_steps = int(saved["dead_steps"])
            elapsed = float(saved["seconds"])
    start = time.perf_counter() - elapsed
    for step in progress(range(first_step, num_steps), desc=desc, total=num_steps - first_step):
        if step == drop_at:
            for group in optimiser.param_groups:
                group["lr"] = lr / 10
        index = torch.randint(len(frames), (batch_size,), generator=generator)
        batch = frames[index].to(device)
        output = model(batch, extrap_start=extrap_start)
        if extrap_start is not None:
            loss = frame_loss(output.predictions, batch)
        else:
            loss = prednet_loss(output.layer_errors, layer_weights(weighting, output.layer_errors.shape[-1]))
        watch.update(output.predictions.detach(), step=step)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        check_finite(loss.detach(), step=step)
        losses.append(loss.item())
        if checkpointer is not None:
            checkpointer.maybe_save(
                step + 1,
                lambda: {
                    "model": model.state_dict(),
                    "optimiser": optimiser.state_dict(),
                    "losses": losses,
                    "generator": generator.get_state(),
                    "dead_steps": watch.dead_steps,
                    "seconds": time.perf_counter() - start,
                },
            )
        if max_seconds and time.perf_counter() - start > max_seconds:
            break
    model.eval()
    return losses


def train_from_spec(spec: TrainSpec, seed: int, device: torch.device) -> dict:
    """Generate the training clips of ``spec`` (on ``device``), build and train the model; return a checkpoint
    dict (tensors on the CPU)."""
    data = make_world(
        spec.world,
        spec.num_sequences,
        spec.num_frames,
        spec.height,
        spec.width,
        data_generator(seed, "train"),
        device=device,
    )
    return train_on_frames(spec, data.frames, seed, device)


def train_on_frames(spec: TrainSpec, frames: torch.Tensor, seed: int, device: torch.device) -> dict:
    """Build the model of ``spec`` and train it on ``frames`` (N, T, C, H, W); return a checkpoint dict
    (tensors on the CPU) with the losses, the wall time and the number of steps."""
    model = build_model(spec.kind, spec.stacks, seed=seed, r_stacks=spec.r_stacks)
    start = time.perf_counter()
    losses = train_video_model(
        model,
        frames,
        num_steps=spec.num_steps,
        batch_size=spec.batch_size,
        lr=spec.lr,
        generator=torch.Generator().manual_seed(seed),
        device=device,
        weighting=spec.weighting,
        lr_drop_fraction=spec.lr_drop_fraction,
        max_seconds=spec.max_seconds,
        desc=f"training {spec.kind} {spec.weighting}",
    )
    seconds = time.perf_counter() - start
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return {"model": state, "losses": losses, "seconds": seconds, "steps": len(losses)}


def load_or_train_model(
    path: str | Path,
    spec: TrainSpec,
    seed: int,
    device: torch.device,
    train: Callable[[TrainSpec, int, torch.device], dict] = train_from_spec,
) -> tuple[nn.Module, dict]:
    """The model of ``spec`` from its checkpoint at ``path`` if it exists, else trained now and saved.

    Returns ``(model in eval mode on device, checkpoint dict)``; the dict tells whether it was loaded
    (``loaded``), the training losses and the training wall time.
    """
    trained_now = not Path(path).exists()
    state = load_or_train(path, lambda: train(spec, seed, device))
    model = build_model(spec.kind, spec.stacks, r_stacks=spec.r_stacks)
    model.load_state_dict(state["model"])
    return model.to(device).eval(), {**state, "loaded": not trained_now}


@torch.no_grad()
def predict_frames(
    model: nn.Module,
    frames: torch.Tensor,
    device: torch.device,
    batch_size: int = 64,
    extrap_start: int | None = None,
) -> torch.Tensor:
    """Predictions :math:`\\hat x_t` for every step of ``frames``, computed in batches on ``device`` (the
    model is moved there), returned on the CPU."""
    model.to(device).eval()
    parts = [
        model(frames[i : i + batch_size].to(device), extrap_start=extrap_start).predictions.cpu()
        for i in range(0, len(frames), batch_size)
    ]
    return torch.cat(parts)


@torch.no_grad()
def representations_at(
    model: nn.Module,
    frames: torch.Tensor,
    step: int,
    device: torch.device,
    batch_size: int = 64,
    pooled_size: int | None = None,
) -> list[torch.Tensor]:
    """:math:`R_l^{t}` at time index ``step`` (it has seen frames ``0..step-1``), one (N, features) per layer.

    With ``pooled_size``, each :math:`R_l` is average-pooled to at most pooled_size x pooled_size first. The
    model is moved to ``device``.
    """
    model.to(device).eval()
    per_layer: list[list[torch.Tensor]] = []
    for i in range(0, len(frames), batch_size):
        output = model(frames[i : i + batch_size, : step + 1].to(device), keep_states=True)
        states = output.representations[step]
        if pooled_size is not None:
            states = tuple(
                torch.nn.functional.adaptive_avg_pool2d(
                    s, (min(pooled_size, s.shape[-2]), min(pooled_size, s.shape[-1]))
                )
                for s in states
            )
        if not per_layer:
            per_layer = [[] for _ in states]
        for layer, s in enumerate(states):
            per_layer[layer].append(s.flatten(1).cpu())
    return [torch.cat(parts) for parts in per_layer]
