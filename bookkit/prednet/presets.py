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


@dataclass(frozen=True)
class ArchitectureConfig:
    """01: shapes and invariants of both paper configurations, and a short fit on bouncing balls."""

    stacks: tuple[int, ...]
    size: int
    num_sequences: int
    num_steps: int
    batch_size: int
    lr: float
    trace_frames: int


@dataclass(frozen=True)
class WorldsConfig:
    """02: how hard each synthetic world is for copy-last, and what it costs to generate."""

    num_sequences: int
    num_frames: int
    head_size: int
    car_height: int
    car_width: int
    identity_faces: int


@dataclass(frozen=True)
class HeadsTrainingFields:
    """The training fields of the heads model, shared by notebooks 03 and 04."""

    stacks: tuple[int, ...]
    size: int
    num_train: int
    num_steps: int
    batch_size: int
    lr: float


@dataclass(frozen=True)
class NextFrameConfig(HeadsTrainingFields):
    """03: Table 1 analog on rotating heads."""

    num_test: int
    train_control: bool
    train_lall: bool


@dataclass(frozen=True)
class DecodingConfig(HeadsTrainingFields):
    """04: Fig. 3 analog, linear readouts of latent parameters and identity."""

    num_readout_train: int
    num_readout_test: int
    identity_faces: int
    views_per_face: tuple[int, ...]
    svm_splits: int
    decode_lall: bool


@dataclass(frozen=True)
class CarConfig:
    """05: Table 2 / steering / multi-step analog on the procedural car camera."""

    stacks: tuple[int, ...]
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


HEADS_TRAINING = {
    "smoke": HeadsTrainingFields((1, 4, 8), 16, 32, 3, 4, 6e-3),
    "ci": HeadsTrainingFields((1, 16, 32), 32, 600, 200, 8, 6e-3),
    "full": HeadsTrainingFields(FACES_STACKS, 64, 16_000, 15_000, 16, 1e-3),
    "gpu": HeadsTrainingFields(FACES_STACKS, 64, 1000, 1000, 16, 1e-3),
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
    )


def heads_spec(config: HeadsTrainingFields, kind: str = "prednet", weighting: str = "L_0") -> TrainSpec:
    """The :class:`TrainSpec` of a heads model under ``config``."""
    return _train_spec("heads", config, config.size, config.size, kind, weighting)


def car_spec(config: CarConfig) -> TrainSpec:
    """The :class:`TrainSpec` of the car-camera PredNet under ``config``."""
    return _train_spec("car", config, config.height, config.width, "prednet", "L_0")


ARCHITECTURE = Presets(
    smoke=ArchitectureConfig((1, 4, 8), 16, 32, 3, 4, 6e-3, 6),
    ci=ArchitectureConfig((1, 16, 32), 32, 400, 120, 8, 6e-3, 10),
    full=ArchitectureConfig((1, 32, 64, 128), 64, 4000, 2000, 16, 1e-3, 10),
    gpu=ArchitectureConfig((1, 32, 64, 128), 64, 4000, 600, 16, 1e-3, 10),
)

WORLDS = Presets(
    smoke=WorldsConfig(8, 6, 16, 16, 20, 2),
    ci=WorldsConfig(300, 10, 32, 32, 40, 4),
    full=WorldsConfig(800, 10, 64, 128, 160, 25),
    gpu=WorldsConfig(800, 10, 64, 64, 80, 25),
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
    ci=DecodingConfig(
        **_heads("ci"),
        num_readout_train=700,
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
    smoke=CarConfig((3, 4, 8), 16, 20, 32, 3, 4, 6e-3, 8, (8, 16), 8, 4, 8, 5, 2, 1e-3),
    ci=CarConfig((3, 16, 32), 32, 40, 600, 120, 8, 6e-3, 200, (20, 50, 150, 400), 200, 6, 15, 10, 30, 1e-3),
    full=CarConfig(
        KITTI_STACKS,
        128,
        160,
        4000,
        18_750,
        4,
        1e-3,
        500,
        (100, 300, 1000, 4000),
        1000,
        9,
        15,
        10,
        18_750,
        1e-3,
    ),
    gpu=CarConfig(
        KITTI_STACKS, 64, 80, 1000, 1000, 4, 1e-3, 300, (20, 50, 150, 400), 200, 9, 15, 10, 300, 1e-3
    ),
)
"""ci: about a minute of CPU; full: the official KITTI schedule (150 epochs x 500 clips at batch 4, then the
same schedule again for extrapolation fine-tuning with 15-frame clips starting extrapolation at frame 10)."""
