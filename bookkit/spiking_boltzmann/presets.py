"""Scale presets of the spiking-boltzmann chapter: one frozen dataclass per notebook.

ci settings follow a first NumPy prototype of this reconstruction, whose measurements calibrated them; full
settings are a larger task meant for one GPU. Every preset takes keyword arguments only.
"""

from __future__ import annotations

from dataclasses import dataclass

from bookkit.scales import Presets


@dataclass(frozen=True, kw_only=True)
class CodesConfig:
    """01: population codes on [0, 1] and spike-timing vs rate codes."""

    grid_points: int = 1001
    num_neurons: int = 20
    tuning_width: float = 0.15
    width_sweep: tuple[float, ...] = (0.05, 0.1, 0.15, 0.2, 0.3)
    em_iterations: int = 3000
    num_bins: int = 1000
    population_size: int = 20
    time_constants: tuple[float, ...] = (5.0, 10.0, 20.0)
    num_targets: int = 2
    step_repeats: int = 5
    latency_tolerances: tuple[float, ...] = (0.1, 0.2, 0.3, 0.5)
    budget_factors: tuple[float, ...] = (0.5, 0.75, 1.0, 1.5, 2.0)
    grid_2d: int = 48
    centres_2d: int = 8
    target_sd_2d: float = 0.04


CODES = Presets(
    smoke=CodesConfig(
        grid_points=401,
        width_sweep=(0.1, 0.15),
        em_iterations=300,
        num_bins=400,
        time_constants=(5.0, 10.0),
        num_targets=1,
        step_repeats=2,
        budget_factors=(0.5, 1.0, 2.0),
        grid_2d=16,
        centres_2d=4,
        target_sd_2d=0.1,
    ),
    ci=CodesConfig(),
    full=CodesConfig(
        grid_points=2001,
        em_iterations=10000,
        population_size=200,
        time_constants=(2.0, 5.0, 10.0, 20.0),
        num_targets=10,
        step_repeats=25,
        grid_2d=64,
        centres_2d=10,
        target_sd_2d=0.02,
    ),
    gpu="full",
)


@dataclass(frozen=True, kw_only=True)
class ExactConfig:
    """02: the model on tiny cases, by enumeration (the same at every scale: it takes seconds)."""

    num_visible: int = 4
    num_hidden: int = 3
    history_length: int = 2
    kernel_time_constant: float = 2.0
    weight_scale: float = 3.0
    bias_scale: float = 0.1
    cd_steps: tuple[int, ...] = (1, 2, 3, 5, 10, 20, 50, 100)
    space_time_visible: int = 2
    space_time_hidden: int = 2
    space_time_steps: int = 3
    num_draws: int = 10


EXACT = Presets(smoke=ExactConfig(num_draws=2), ci=ExactConfig(), full=ExactConfig(num_draws=50), gpu="full")


@dataclass(frozen=True, kw_only=True)
class CircleConfig:
    """03 and 04: the ball on a circle (our reconstruction of the paper's experiment).

    At lr 0.05 for 300 minibatches generation stalled for about one prime in five; lr 0.1 for 300
    minibatches was as robust as lr 0.05 for 600, at half the cost, so ci uses it. Each model is scored over
    ``num_test_sequences`` one-step test sequences and ``num_primes`` generation primes spread round the
    circle.
    """

    grid: int = 10
    radius: float = 3.0
    period: int = 16
    blob_sd: float = 0.9
    num_hidden: int = 40
    history_length: int = 4
    kernel_time_constant: float = 2.0
    num_minibatches: int = 300
    stress_minibatches: int = 600
    ablation_depths: tuple[int, ...] = (1,)
    batch_size: int = 32
    num_frames: int = 48
    lr: float = 0.1
    momentum: float = 0.5
    num_seeds: int = 3
    gibbs_steps: int = 30
    average_last: int = 15
    num_test_sequences: int = 16
    num_primes: int = 32
    generated_frames: int = 48
    likelihood_hidden: int = 10
    likelihood_sequences: int = 32
    compared_cd_steps: tuple[int, ...] = (1, 5)


CIRCLE = Presets(
    smoke=CircleConfig(
        num_minibatches=6,
        stress_minibatches=4,
        batch_size=8,
        num_frames=16,
        num_seeds=1,
        gibbs_steps=4,
        average_last=2,
        generated_frames=12,
        likelihood_hidden=4,
        likelihood_sequences=4,
        num_test_sequences=2,
        num_primes=4,
        compared_cd_steps=(1, 2),
    ),
    ci=CircleConfig(),
    full=CircleConfig(
        grid=16,
        radius=5.0,
        period=24,
        blob_sd=1.2,
        num_hidden=200,
        history_length=8,
        kernel_time_constant=3.0,
        num_minibatches=3000,
        stress_minibatches=6000,
        num_seeds=5,
        ablation_depths=(1, 2, 4, 16),
        generated_frames=72,
        compared_cd_steps=(1, 3, 10, 25),
    ),
    gpu=CircleConfig(
        grid=16,
        radius=5.0,
        period=24,
        blob_sd=1.2,
        num_hidden=200,
        history_length=8,
        kernel_time_constant=3.0,
        num_minibatches=1000,
        stress_minibatches=1000,
        num_seeds=5,
        ablation_depths=(1, 2, 4, 16),
        generated_frames=72,
    ),
)


@dataclass(frozen=True, kw_only=True)
class FollowupConfig:
    """05: the kernel-tied machine vs a CRBM and an RTRBM, on the circle and on bouncing balls.

    ``lr`` is the kernel-tied machine's (one update per time step); ``sequence_lr`` is the CRBM's and
    RTRBM's (one update per minibatch on the loss summed over frames). The likelihood comparison trains
    every model again with ``likelihood_hidden`` hidden units, few enough to enumerate.
    """

    num_hidden: int = 40
    history_length: int = 4
    kernel_time_constant: float = 2.0
    num_minibatches: int = 300
    batch_size: int = 32
    num_frames: int = 32
    lr: float = 0.05
    sequence_lr: float = 0.02
    momentum: float = 0.5
    balls_resolution: int = 10
    num_balls: int = 1
    num_test_sequences: int = 16
    prime_frames: int = 6
    rollout_frames: int = 10
    gibbs_steps: int = 30
    average_last: int = 15
    likelihood_hidden: int = 10
    likelihood_sequences: int = 32


FOLLOWUPS = Presets(
    smoke=FollowupConfig(
        num_minibatches=4,
        batch_size=8,
        num_frames=16,
        num_test_sequences=4,
        gibbs_steps=4,
        average_last=2,
        rollout_frames=4,
        likelihood_hidden=4,
        likelihood_sequences=4,
    ),
    ci=FollowupConfig(),
    full=FollowupConfig(
        num_hidden=200,
        history_length=8,
        kernel_time_constant=3.0,
        num_minibatches=3000,
        num_frames=100,
        balls_resolution=30,
        num_balls=3,
        num_test_sequences=200,
        rollout_frames=20,
    ),
    gpu=FollowupConfig(
        num_hidden=200,
        history_length=8,
        kernel_time_constant=3.0,
        num_minibatches=400,
        num_frames=48,
        balls_resolution=30,
        num_balls=3,
        num_test_sequences=200,
        rollout_frames=20,
    ),
)
