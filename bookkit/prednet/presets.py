"""Scale presets of the PredNet chapter, one frozen dataclass per notebook.

The heads model trained in ``03-next-frame-faces`` is reused by ``04-latent-decoding``: both presets take
their training fields from :data:`HEADS_TRAINING`, so the two notebooks build the same
:class:`~bookkit.prednet.train.TrainSpec` and share one checkpoint (a notebook opened alone trains it).
"""

from __future__ import annotations

from dataclasses import dataclass

from bookkit.prednet.model import FACES_STACKS, KITTI_STACKS
from bookkit.prednet.train import TrainSpec
from bookkit.scales import Presets


@dataclass(frozen=True, kw_only=True)
class ArchitectureConfig:
    """01: shapes and invariants of both paper configurations, and a short fit on bouncing balls."""

    stacks: tuple[int, ...]
    size: int
    num_sequences: int
    num_steps: int
    batch_size: int
    lr: float
    trace_frames: int


@dataclass(frozen=True, kw_only=True)
class WorldsConfig:
    """02: how hard each synthetic world is for copy-last, and what it costs to generate."""

    num_sequences: int
    num_frames: int
    head_size: int
    car_height: int
    car_width: int
    identity_faces: int


@dataclass(frozen=True, kw_only=True)
class HeadsTrainingFields:
    """The training fields of the heads model, shared by notebooks 03 and 04."""

    stacks: tuple[int, ...]
    size: int
    num_train: int
    num_steps: int
    batch_size: int
    lr: float


@dataclass(frozen=True, kw_only=True)
class NextFrameConfig(HeadsTrainingFields):
    """03: Table 1 analog on rotating heads."""

    num_test: int
    train_control: bool
    train_lall: bool


@dataclass(frozen=True, kw_only=True)
class DecodingConfig(HeadsTrainingFields):
    """04: Fig. 3 analog, linear readouts of latent parameters and identity."""

    num_readout_train: int
    num_readout_test: int
    identity_faces: int
    views_per_face: tuple[int, ...]
    svm_splits: int
    decode_lall: bool


@dataclass(frozen=True, kw_only=True)
class CarConfig:
    """05: Table 2 / steering / multi-step analog on the procedural car camera (``r_stacks``: channels of
    :math:`R_l` when they differ from the A stacks ``stacks``)."""

    stacks: tuple[int, ...]
    r_stacks: tuple[int, ...] | None = None
    height: int
    width: int
    num_train: int
    num_steps: int
    batch_size: int
    lr: float
    num_test: int
    label_counts: tuple[int, ...]
    num_readout_test: int
    readout_step: int
    extrap_frames: int
    extrap_start: int
    finetune_steps: int
    finetune_lr: float


@dataclass(frozen=True, kw_only=True)
class RealVideoConfig:
    """06: next-frame prediction on real footage, trained on the first frames of a video and tested on a
    held-out stretch of it that no training clip touches (the KITTI -> CalTech analog).

    ``frame_step`` takes every n-th stored frame (the paper's videos run at 10 fps; ``bikes`` at 25 fps);
    training clips are crops at ``train_scales`` times ``size`` starting every ``time_stride`` frames,
    held-out clips crops at scale 1 starting every ``test_time_stride`` frames; ``r_stacks``: channels of
    :math:`R_l` when they differ from the A stacks ``stacks``."""

    video: str
    size: tuple[int, int]
    frame_step: int
    held_out_fraction: float
    train_scales: tuple[float, ...]
    time_stride: int
    test_time_stride: int
    stacks: tuple[int, ...]
    r_stacks: tuple[int, ...] | None = None
    num_steps: int
    batch_size: int
    lr: float


HEADS_TRAINING = {
    "smoke": HeadsTrainingFields(stacks=(1, 4, 8), size=16, num_train=32, num_steps=3, batch_size=4, lr=6e-3),
    "ci": HeadsTrainingFields(
        stacks=(1, 16, 32), size=32, num_train=600, num_steps=200, batch_size=8, lr=6e-3
    ),
    "full": HeadsTrainingFields(
        stacks=FACES_STACKS, size=64, num_train=16_000, num_steps=15_000, batch_size=16, lr=1e-3
    ),
    "gpu": HeadsTrainingFields(
        stacks=FACES_STACKS, size=64, num_train=1000, num_steps=1000, batch_size=16, lr=1e-3
    ),
}
"""Training of the heads model, shared by notebooks 03 and 04 (full: 15 epochs of 16K at batch 16)."""


def _heads(scale: str) -> dict:
    fields = HEADS_TRAINING[scale]
    return {name: getattr(fields, name) for name in fields.__dataclass_fields__}


def _train_spec(
    world: str, config: HeadsTrainingFields | CarConfig, height: int, width: int, kind: str, weighting: str
) -> TrainSpec:
    """A 10-frame training run of ``config``; the learning rate drops at half the run at the full-scale rate
    (1e-3) and at three quarters at the faster ci rates."""
    return TrainSpec(
        world=world,
        kind=kind,
        stacks=config.stacks,
        height=height,
        width=width,
        num_frames=10,
        num_sequences=config.num_train,
        num_steps=config.num_steps,
        batch_size=config.batch_size,
        lr=config.lr,
        weighting=weighting,
        lr_drop_fraction=0.5 if config.lr <= 1e-3 else 0.75,
        r_stacks=getattr(config, "r_stacks", None),
    )


def heads_spec(config: HeadsTrainingFields, kind: str = "prednet", weighting: str = "L_0") -> TrainSpec:
    """The :class:`TrainSpec` of a heads model under ``config``."""
    return _train_spec("heads", config, config.size, config.size, kind, weighting)


def real_video_spec(config: RealVideoConfig, kind: str = "prednet", weighting: str = "L_0") -> TrainSpec:
    """The :class:`TrainSpec` of a model trained on the real-video clips of ``config`` (its key names the
    video, the frame step and the training scales, so different clip sets never share a checkpoint)."""
    scales = "-".join(f"{s:g}" for s in config.train_scales)
    return TrainSpec(
        world=f"video-{config.video}-step{config.frame_step}-scales{scales}-stride{config.time_stride}",
        kind=kind,
        stacks=config.stacks,
        height=config.size[0],
        width=config.size[1],
        num_frames=10,
        num_sequences=0,
        num_steps=config.num_steps,
        batch_size=config.batch_size,
        lr=config.lr,
        weighting=weighting,
        lr_drop_fraction=0.5 if config.lr <= 1e-3 else 0.75,
        r_stacks=config.r_stacks,
    )


def car_spec(config: CarConfig) -> TrainSpec:
    """The :class:`TrainSpec` of the car-camera PredNet under ``config``."""
    return _train_spec("car", config, config.height, config.width, "prednet", "L_0")


ARCHITECTURE = Presets(
    smoke=ArchitectureConfig(
        stacks=(1, 4, 8), size=16, num_sequences=32, num_steps=3, batch_size=4, lr=6e-3, trace_frames=6
    ),
    # ci lr: 6e-3 until the 10-seed sweep of 2026-12-03, where validation seed 8 stalled on a loss plateau;
    # 2e-3 was then checked on calibration seeds 0, 1, 3, 4 (1e-3 is too slow for 120 steps)
    ci=ArchitectureConfig(
        stacks=(1, 16, 32), size=32, num_sequences=400, num_steps=120, batch_size=8, lr=2e-3, trace_frames=10
    ),
    full=ArchitectureConfig(
        stacks=(1, 32, 64, 128),
        size=64,
        num_sequences=4000,
        num_steps=2000,
        batch_size=16,
        lr=1e-3,
        trace_frames=10,
    ),
    gpu=ArchitectureConfig(
        stacks=(1, 32, 64, 128),
        size=64,
        num_sequences=4000,
        num_steps=600,
        batch_size=16,
        lr=1e-3,
        trace_frames=10,
    ),
)

WORLDS = Presets(
    smoke=WorldsConfig(
        num_sequences=8, num_frames=6, head_size=16, car_height=16, car_width=20, identity_faces=2
    ),
    ci=WorldsConfig(
        num_sequences=300, num_frames=10, head_size=32, car_height=32, car_width=40, identity_faces=4
    ),
    full=WorldsConfig(
        num_sequences=800, num_frames=10, head_size=64, car_height=128, car_width=160, identity_faces=25
    ),
    gpu=WorldsConfig(
        num_sequences=800, num_frames=10, head_size=64, car_height=64, car_width=80, identity_faces=25
    ),
)

NEXT_FRAME = Presets(
    smoke=NextFrameConfig(**_heads("smoke"), num_test=8, train_control=True, train_lall=False),
    ci=NextFrameConfig(**_heads("ci"), num_test=200, train_control=False, train_lall=False),
    full=NextFrameConfig(**_heads("full"), num_test=800, train_control=True, train_lall=True),
    gpu=NextFrameConfig(**_heads("gpu"), num_test=800, train_control=False, train_lall=False),
)

DECODING = Presets(
    smoke=DecodingConfig(
        **_heads("smoke"),
        num_readout_train=24,
        num_readout_test=16,
        identity_faces=3,
        views_per_face=(1, 2),
        svm_splits=1,
        decode_lall=False,
    ),
    # ci readout: 700 training clips until the sweep of 2026-12-03 failed validation seed 7; on calibration
    # seeds 0-4 the trained network's best pan-velocity R^2 rose from 0.16-0.30 to 0.56-0.66 at 3000
    ci=DecodingConfig(
        **_heads("ci"),
        num_readout_train=3000,
        num_readout_test=300,
        identity_faces=25,
        views_per_face=(1, 5, 20),
        svm_splits=3,
        decode_lall=False,
    ),
    full=DecodingConfig(
        **_heads("full"),
        num_readout_train=4000,
        num_readout_test=1000,
        identity_faces=25,
        views_per_face=(1, 2, 5, 10, 20, 40),
        svm_splits=10,
        decode_lall=True,
    ),
    gpu=DecodingConfig(
        **_heads("gpu"),
        num_readout_train=4000,
        num_readout_test=1000,
        identity_faces=25,
        views_per_face=(1, 2, 5, 10, 20, 40),
        svm_splits=10,
        decode_lall=False,
    ),
)

CAR = Presets(
    smoke=CarConfig(
        stacks=(3, 4, 8),
        r_stacks=(4, 4, 8),
        height=16,
        width=20,
        num_train=32,
        num_steps=3,
        batch_size=4,
        lr=6e-3,
        num_test=8,
        label_counts=(8, 16),
        num_readout_test=8,
        readout_step=4,
        extrap_frames=8,
        extrap_start=5,
        finetune_steps=2,
        finetune_lr=1e-3,
    ),
    # ci R stacks (8, 16, 32) wider than the A stacks: chosen on calibration seeds 0-4 after validation
    # seed 9 failed the transfer and extrapolation claims with R = A; full and gpu keep the paper's R = A
    ci=CarConfig(
        stacks=(3, 16, 32),
        r_stacks=(8, 16, 32),
        height=32,
        width=40,
        num_train=600,
        num_steps=120,
        batch_size=8,
        lr=6e-3,
        num_test=200,
        label_counts=(20, 50, 150, 400),
        num_readout_test=200,
        readout_step=6,
        extrap_frames=15,
        extrap_start=10,
        finetune_steps=30,
        finetune_lr=1e-3,
    ),
    full=CarConfig(
        stacks=KITTI_STACKS,
        height=128,
        width=160,
        num_train=4000,
        num_steps=18_750,
        batch_size=4,
        lr=1e-3,
        num_test=500,
        label_counts=(100, 300, 1000, 4000),
        num_readout_test=1000,
        readout_step=9,
        extrap_frames=15,
        extrap_start=10,
        finetune_steps=18_750,
        finetune_lr=1e-3,
    ),
    gpu=CarConfig(
        stacks=KITTI_STACKS,
        height=64,
        width=80,
        num_train=1000,
        num_steps=1000,
        batch_size=4,
        lr=1e-3,
        num_test=300,
        label_counts=(20, 50, 150, 400),
        num_readout_test=200,
        readout_step=9,
        extrap_frames=15,
        extrap_start=10,
        finetune_steps=300,
        finetune_lr=1e-3,
    ),
)
"""ci: about a minute of CPU; full: the official KITTI schedule (150 epochs x 500 clips at batch 4, then the
same schedule again for extrapolation fine-tuning with 15-frame clips starting extrapolation at frame 10)."""

REAL_VIDEO = Presets(
    smoke=RealVideoConfig(
        video="bikes",
        size=(16, 16),
        frame_step=3,
        held_out_fraction=0.25,
        train_scales=(2.0,),
        time_stride=9,
        test_time_stride=27,
        stacks=(3, 4, 8),
        r_stacks=(4, 4, 8),
        num_steps=3,
        batch_size=4,
        lr=6e-3,
    ),
    ci=RealVideoConfig(
        video="bikes",
        size=(32, 32),
        frame_step=3,
        held_out_fraction=0.25,
        train_scales=(1.0, 1.5, 2.0),
        time_stride=3,
        test_time_stride=9,
        stacks=(3, 16, 32),
        r_stacks=(8, 16, 32),  # as the car camera's ci preset (05); full and gpu keep the paper's R = A
        num_steps=200,
        batch_size=8,
        lr=6e-3,
    ),
    full=RealVideoConfig(
        video="bikes",
        size=(128, 160),
        frame_step=3,
        held_out_fraction=0.25,
        train_scales=(1.0,),
        time_stride=1,
        test_time_stride=9,
        stacks=KITTI_STACKS,
        num_steps=6000,
        batch_size=4,
        lr=1e-3,
    ),
    gpu=RealVideoConfig(
        video="bikes",
        size=(64, 80),
        frame_step=3,
        held_out_fraction=0.25,
        train_scales=(1.0, 1.5),
        time_stride=3,
        test_time_stride=9,
        stacks=KITTI_STACKS,
        num_steps=1000,
        batch_size=4,
        lr=1e-3,
    ),
)
"""ci: 200 Adam steps at 32 x 32 (about 3 minutes on one busy CPU core); full: the KITTI configuration
at 128 x 160 (the only crop size that fits the stored 136 x 320 frames at that resolution), 6,000 Adam steps
at the official rate."""
