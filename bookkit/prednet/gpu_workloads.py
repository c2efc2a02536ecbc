"""What each PredNet notebook costs on a GPU, for :mod:`bookkit.gpu_plan`: training steps are
throughput-bound at the faces and KITTI sizes and launch-bound below; the worlds are rendered on the CPU."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bookkit.gpu_plan import Workload
from bookkit.prednet.model import prednet_macs_per_frame

RENDER_S_PER_PIXEL = {"heads": 590e-9, "car": 40e-9, "balls": 12e-9}
"""CPU seconds to render one pixel (one channel) of a frame of each PredNet world, measured with one thread on
this book's CPU machine (heads at 64x64: 2.4 ms a frame; car at 128x160: 2.4 ms a frame)."""

# prednet: training steps are throughput-bound at the faces and KITTI sizes, launch-bound below.


def _prednet_training(
    stacks: tuple[int, ...],
    height: int,
    width: int,
    steps: int,
    batch: int,
    frames: int = 10,
    r_stacks: tuple[int, ...] | None = None,
):
    macs = prednet_macs_per_frame(stacks, height, width, r_stacks) * batch * frames * steps
    return 3 * macs, {"prednet": steps}


def _architecture(cfg: Any) -> Workload:
    macs, steps = _prednet_training(cfg.stacks, cfg.size, cfg.size, cfg.num_steps, cfg.batch_size)
    return Workload(compute=macs, steps=steps, gpu_flops=2 * macs)


def _render_s(world: str, frames: float, height: int, width: int) -> float:
    channels = 3 if world == "car" else 1
    return frames * height * width * channels * RENDER_S_PER_PIXEL[world]


def _worlds(cfg: Any) -> Workload:
    """02: renders every world (two of them twice, to check seeding) and scores copy-last on it."""
    frames = cfg.num_sequences * cfg.num_frames
    heads = frames * 2 + cfg.identity_faces * 56
    seconds = _render_s("heads", heads, cfg.head_size, cfg.head_size)
    seconds += _render_s("balls", frames, cfg.head_size, cfg.head_size)
    seconds += _render_s("car", 3 * frames, cfg.car_height, cfg.car_width)
    pixels = heads * cfg.head_size**2 + frames * (cfg.head_size**2 + 9 * cfg.car_height * cfg.car_width)
    return Workload(compute=pixels, cpu_s=seconds)


def _heads(cfg: Any, trainings: int, readouts: int) -> Workload:
    macs, steps = _prednet_training(cfg.stacks, cfg.size, cfg.size, cfg.num_steps, cfg.batch_size)
    inference = prednet_macs_per_frame(cfg.stacks, cfg.size, cfg.size) * readouts * 10
    return Workload(
        compute=trainings * macs + inference,
        steps={"prednet": trainings * steps["prednet"], "prednet_inference": readouts / 16},
        gpu_flops=2 * (trainings * macs + inference),
        cpu_s=_render_s("heads", 10 * (cfg.num_train + readouts), cfg.size, cfg.size),
    )


def _next_frame(cfg: Any) -> Workload:
    return _heads(cfg, 1 + int(cfg.train_control) + int(cfg.train_lall), cfg.num_test)


def _decoding(cfg: Any) -> Workload:
    readouts = cfg.num_readout_train + cfg.num_readout_test + cfg.identity_faces * max(cfg.views_per_face)
    return _heads(cfg, 1 + int(cfg.decode_lall), readouts)


def _car(cfg: Any) -> Workload:
    macs, steps = _prednet_training(
        cfg.stacks, cfg.height, cfg.width, cfg.num_steps, cfg.batch_size, r_stacks=cfg.r_stacks
    )
    tune_macs, tune_steps = _prednet_training(
        cfg.stacks, cfg.height, cfg.width, cfg.finetune_steps, cfg.batch_size, cfg.extrap_frames, cfg.r_stacks
    )
    total = macs + tune_macs
    readouts = max(cfg.label_counts) + cfg.num_readout_test
    frames = 10 * cfg.num_train + 2 * 10 * cfg.num_test + readouts * (cfg.readout_step + 1)
    frames += cfg.extrap_frames * (cfg.num_train + cfg.num_test)
    return Workload(
        compute=total,
        steps={"prednet": steps["prednet"] + tune_steps["prednet"]},
        gpu_flops=2 * total,
        cpu_s=_render_s("car", frames, cfg.height, cfg.width),
    )


def _real_video(cfg: Any) -> Workload:
    """06: PredNet trained on crops of a real video, then scored on held-out clips (decoding the video is
    small beside the training)."""
    height, width = cfg.size
    macs, steps = _prednet_training(
        cfg.stacks, height, width, cfg.num_steps, cfg.batch_size, r_stacks=cfg.r_stacks
    )
    return Workload(compute=macs, steps=steps, gpu_flops=2 * macs)


WORKLOADS: dict[str, Callable[[Any], Workload]] = {
    "prednet/01-architecture": _architecture,
    "prednet/02-synthetic-worlds": _worlds,
    "prednet/03-next-frame-faces": _next_frame,
    "prednet/04-latent-decoding": _decoding,
    "prednet/05-car-camera": _car,
    "prednet/06-real-video": _real_video,
}
