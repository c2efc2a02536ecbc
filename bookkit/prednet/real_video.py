"""Real footage for next-frame prediction: training clips from a video's first frames, held-out clips from
its last frames, and a model trained on them through the shared load-or-train checkpoints."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from bookkit.datasets.video import split_frames, video_clips
from bookkit.prednet.presets import RealVideoConfig, real_video_spec
from bookkit.prednet.train import load_or_train_model, train_on_frames


def real_video_split(config: RealVideoConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """(training clips, held-out clips), float32 (N, 10, 3, H, W) in [0, 1].

    Training clips lie in the first ``1 - held_out_fraction`` of the video's frames and held-out clips in the
    rest (:func:`~bookkit.datasets.video.split_frames`), so no held-out clip shares a frame with a training
    clip; neither crosses a scene cut."""
    training, held_out = split_frames(config.video, config.held_out_fraction)
    train = video_clips(
        config.video,
        config.size,
        10,
        frames=training,
        scales=config.train_scales,
        time_stride=config.time_stride,
        step=config.frame_step,
    )
    test = video_clips(
        config.video,
        config.size,
        10,
        frames=held_out,
        time_stride=config.test_time_stride,
        step=config.frame_step,
    )
    return train, test


def load_or_train_on_video(
    path: str | Path,
    config: RealVideoConfig,
    frames: torch.Tensor,
    seed: int,
    device: torch.device,
    kind: str = "prednet",
    weighting: str = "L_0",
) -> tuple[nn.Module, dict]:
    """A ``kind`` model (PredNet or the control) trained on ``frames`` under ``config``, loaded from ``path``
    if it was trained before (see :func:`~bookkit.prednet.train.load_or_train_model`)."""
    spec = real_video_spec(config, kind, weighting)
    return load_or_train_model(
        path, spec, seed, device, train=lambda s, k, d: train_on_frames(s, frames, k, d)
    )
