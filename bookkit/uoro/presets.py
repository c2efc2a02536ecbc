"""Scale presets of the UORO chapter, one frozen dataclass per notebook (smoke / ci / full)."""

from __future__ import annotations

from dataclasses import dataclass

from bookkit.scales import Presets
from bookkit.uoro.paper import (
    ADAM_RATE,
    INFLUENCE_BALANCING_UORO_RATE,
    RATE_DECAY,
    VARIANCE_EXPERIMENT_WIDTH,
)


@dataclass(frozen=True)
class InfluenceConfig:
    """03-influence-balancing: the reconstruction's system, TBPTT windows, RTRL and UORO seeds."""

    n: int
    p: int
    truncations: tuple[int, ...]
    tbptt_lr: float
    tbptt_updates: int
    rtrl_lr: float
    online_steps: int
    uoro_lrs: tuple[float, ...]
    num_seeds: int
    max_truncation: int
    claim_lr: float = INFLUENCE_BALANCING_UORO_RATE
    """UORO's rate in the convergence claim: the public reference code's (google-research, persistent_es),
    ten times below RTRL's; it must be one of ``uoro_lrs``."""


INFLUENCE = Presets(
    smoke=InfluenceConfig(23, 10, (1, 10, 41, 100), 1e-4, 200, 1e-4, 1000, (1e-5,), 2, 120),
    ci=InfluenceConfig(
        23, 10, (1, 10, 20, 40, 41, 45, 60, 100), 1e-4, 3000, 1e-4, 30000, (1e-5, 1e-4), 3, 120
    ),
    full=InfluenceConfig(
        23, 10, (1, 10, 20, 40, 41, 45, 60, 100), 1e-4, 3000, 1e-4, 30000, (3e-6, 1e-5, 3e-5, 1e-4), 20, 200
    ),
    gpu="full",
)


@dataclass(frozen=True)
class ExactnessConfig:
    """01-rtrl-bptt-truncation: exactness check, truncation error, cost per step."""

    hidden_size: int
    vocabulary: int
    seq_len: int
    truncations: tuple[int, ...]
    recurrent_gain: float
    cost_sizes: tuple[int, ...]
    rtrl_max_size: int
    cost_rounds: int
    """Timed steps per method and size, stepped interleaved; every timing is a median over them."""
    gru_cost_size: int
    """Width of the GRU whose autograd UORO step (the one training uses) is timed against its forward step."""


EXACTNESS = Presets(
    smoke=ExactnessConfig(8, 5, 30, (1, 4, 30), 1.5, (8, 16, 32), 32, 5, 16),
    ci=ExactnessConfig(
        16, 8, 100, (1, 2, 4, 8, 16, 32, 64, 100), 1.5, (8, 16, 32, 64, 128, 256), 256, 30, 64
    ),
    full=ExactnessConfig(
        16,
        8,
        100,
        (1, 2, 4, 8, 16, 32, 64, 100),
        1.5,
        (8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096),
        1024,
        30,
        256,
    ),
    gpu="full",
)


@dataclass(frozen=True)
class StatisticsConfig:
    """02-estimator-statistics: UORO samples at fixed parameters on influence balancing and a tanh RNN."""

    theta: float
    steps: int
    num_samples: int
    group_sizes: tuple[int, ...]
    sweep_steps: tuple[int, ...]
    sweep_samples: int
    rnn_hidden_size: int
    rnn_vocabulary: int
    rnn_steps: int
    rnn_samples: int


STATISTICS = Presets(
    smoke=StatisticsConfig(0.5, 50, 2048, (1, 4, 16, 64, 256), (10, 30), 256, 8, 4, 10, 256),
    ci=StatisticsConfig(
        0.5, 200, 32768, (1, 4, 16, 64, 256, 1024, 4096), (10, 30, 100, 300, 1000), 4096, 16, 8, 50, 4096
    ),
    full=StatisticsConfig(
        0.5,
        200,
        524288,
        (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536),
        (10, 30, 100, 300, 1000, 3000, 10000),
        16384,
        64,
        16,
        200,
        16384,
    ),
    gpu="full",
)


@dataclass(frozen=True)
class StreamsConfig:
    """04-anbn-and-brackets: per method, ``learners`` independent online learners, each one model on one
    stream."""

    cell: str
    """``"tanh"`` (UORO in closed form, the cheap CPU path), ``"GRU"`` (the paper's cell, autograd UORO) or
    ``"LSTM"`` (the authors' code's other cell)."""
    hidden_size: int
    learners: int
    steps: int
    lr: float
    alpha: float
    truncation: int
    """TBPTT's window, shorter than the dependency of both tasks."""
    anbn_range: tuple[int, int]
    brackets: tuple[int, int, int, int]
    tail_fraction: float
    """Losses are compared over this last fraction of each stream."""


STREAMS = Presets(
    smoke=StreamsConfig("tanh", 4, 3, 300, 1e-2, 0.03, 2, (1, 4), (1, 1, 1, 2), 0.25),
    ci=StreamsConfig("tanh", 8, 10, 20000, 1e-2, 0.03, 2, (1, 4), (1, 1, 1, 2), 0.25),
    full=StreamsConfig(
        "GRU", VARIANCE_EXPERIMENT_WIDTH, 5, 300000, ADAM_RATE, RATE_DECAY, 4, (1, 32), (1, 5, 5, 10), 0.25
    ),
    gpu=StreamsConfig("tanh", 32, 40, 15000, 1e-2, 0.03, 2, (1, 4), (1, 1, 1, 2), 0.25),
)


@dataclass(frozen=True)
class CharLMConfig:
    """05-charlm-and-snap: a GRU on the opening of Shakespeare's works (modern spelling), UORO monitored
    against exact RTRL; the stream is ``num_streams * (steps + 1)`` characters (full: 5,056,008 of the
    text's 5,057,279)."""

    hidden_size: int
    vocabulary: int
    num_streams: int
    steps: int
    lr: float
    alpha: float
    truncations: tuple[int, ...]
    monitor_every: int


CHARLM = Presets(
    smoke=CharLMConfig(8, 16, 2, 200, 3e-3, 0.03, (16,), 10),
    ci=CharLMConfig(16, 32, 4, 2500, 3e-3, 0.03, (1, 16), 10),
    full=CharLMConfig(VARIANCE_EXPERIMENT_WIDTH, 64, 8, 632000, ADAM_RATE, RATE_DECAY, (1, 16, 64), 100),
    gpu=CharLMConfig(64, 64, 16, 5000, 3e-3, 0.03, (1, 16), 10),
)
