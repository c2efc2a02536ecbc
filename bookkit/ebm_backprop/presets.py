"""Scale presets of the ebm-backprop notebooks (smoke: seconds; ci: one CPU thread; full: one GPU).

The ci sizes are the prototype's of the brief (section 3.3); every threshold is the team's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from bookkit.scales import Presets


@dataclass(frozen=True, kw_only=True)
class RelaxationConfig:
    """01: the energy, its gradient and the relaxation under three conventions for rho."""

    sizes: tuple[int, ...]
    eps: float
    gains: tuple[float, ...]
    pitfall_gain: float
    num_steps: int
    num_digits: int
    temperatures: tuple[float, ...]
    num_chains: int
    burn_in_steps: int
    num_snapshots: int
    snapshot_every: int


class LangevinSampling(TypedDict):
    """The Langevin-sampling fields of :class:`RelaxationConfig`, shared by its presets."""

    temperatures: tuple[float, ...]
    num_chains: int
    burn_in_steps: int
    num_snapshots: int
    snapshot_every: int


LANGEVIN_SAMPLING: LangevinSampling = {
    "temperatures": (1e-4, 1e-3, 1e-2),
    "num_chains": 256,
    "burn_in_steps": 300,
    "num_snapshots": 8,
    "snapshot_every": 50,
}
"""Langevin chains around the smooth fixed point (brief, notebook 01): M chains, snapshots after burn-in."""

RELAXATION = Presets(
    smoke=RelaxationConfig(
        sizes=(64, 20, 20, 10),
        eps=0.2,
        gains=(1.0,),
        pitfall_gain=1.0,
        num_steps=300,
        num_digits=2,
        **LangevinSampling({**LANGEVIN_SAMPLING, "num_chains": 32, "num_snapshots": 2}),
    ),
    ci=RelaxationConfig(
        sizes=(64, 100, 100, 10),
        eps=0.2,
        gains=(1.0,),
        pitfall_gain=1.0,
        num_steps=10000,
        num_digits=5,
        **LANGEVIN_SAMPLING,
    ),
    full=RelaxationConfig(
        sizes=(64, 500, 500, 500, 10),
        eps=0.2,
        gains=(0.5, 1.0, 2.0),
        pitfall_gain=1.0,
        num_steps=20000,
        num_digits=20,
        **LANGEVIN_SAMPLING,
    ),
    gpu="full",
)


@dataclass(frozen=True, kw_only=True)
class FirstArrivalConfig:
    """02: the error wave after the nudge, against the back-propagated error."""

    sizes: tuple[int, ...]
    eps: float
    gains: tuple[float, ...]
    betas: tuple[float, ...]
    box_betas: tuple[float, ...]
    free_steps: int
    newton_steps: int
    num_digits: int


FIRST_ARRIVAL = Presets(
    smoke=FirstArrivalConfig(
        sizes=(64, 20, 20, 10),
        eps=0.2,
        gains=(1.0,),
        betas=(1e-1, 1e-2, 1e-3),
        box_betas=(1e-1, 1e-3),
        free_steps=300,
        newton_steps=1,
        num_digits=2,
    ),
    ci=FirstArrivalConfig(
        sizes=(64, 100, 100, 10),
        eps=0.2,
        gains=(0.5, 1.0),
        betas=(1e-1, 1e-2, 1e-3),
        box_betas=(1e-1, 1e-3),
        free_steps=4000,
        newton_steps=2,
        num_digits=5,
    ),
    full=FirstArrivalConfig(
        sizes=(64, 256, 256, 256, 10),
        eps=0.2,
        gains=(0.5, 1.0),
        betas=(1e-1, 1e-2, 1e-3),
        box_betas=(1e-1, 1e-3),
        free_steps=12000,
        newton_steps=3,
        num_digits=200,
    ),
    gpu="full",
)


@dataclass(frozen=True, kw_only=True)
class LangevinConfig:
    """03: first arrival in noisy (Langevin) chains, with shared and with independent noise, and the nudge
    read by one chain per network from its states averaged over each window length in ``windows``."""

    sizes: tuple[int, ...]
    eps: float
    gain: float
    beta: float
    num_chains: int
    burn_in_steps: int
    temperatures: tuple[float, ...]
    free_steps: int
    windows: tuple[int, ...]


LANGEVIN = Presets(
    smoke=LangevinConfig(
        sizes=(64, 20, 20, 10),
        eps=0.2,
        gain=1.0,
        beta=0.05,
        num_chains=16,
        burn_in_steps=100,
        temperatures=(1e-4, 1e-2),
        free_steps=300,
        windows=(1, 2, 4, 8, 16),
    ),
    ci=LangevinConfig(
        sizes=(64, 100, 100, 10),
        eps=0.2,
        gain=1.0,
        beta=0.05,
        num_chains=256,
        burn_in_steps=1500,
        temperatures=(1e-4, 1e-3, 1e-2),
        free_steps=4000,
        windows=(1, 2, 4, 8, 16, 32, 64, 128, 256),
    ),
    full=LangevinConfig(
        sizes=(64, 256, 256, 256, 256, 10),
        eps=0.2,
        gain=1.0,
        beta=0.05,
        num_chains=4096,
        burn_in_steps=1500,
        temperatures=(1e-4, 1e-3, 1e-2, 1e-1),
        free_steps=12000,
        windows=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
    ),
    gpu="full",
)


@dataclass(frozen=True, kw_only=True)
class TrajectoryConfig:
    """04: the whole nudged phase against BPTT, and the early signal against the fixed-point gradient."""

    sizes: tuple[int, ...]
    eps: float
    gains: tuple[float, ...]
    betas: tuple[float, ...]
    num_nudged_steps: int
    free_steps: int
    newton_steps: int
    ep_beta: float
    ep_nudged_steps: int
    num_digits: int


TRAJECTORY = Presets(
    smoke=TrajectoryConfig(
        sizes=(64, 20, 20, 10),
        eps=0.2,
        gains=(1.0,),
        betas=(1e-1, 1e-2, 1e-3),
        num_nudged_steps=12,
        free_steps=300,
        newton_steps=1,
        ep_beta=1e-4,
        ep_nudged_steps=300,
        num_digits=2,
    ),
    ci=TrajectoryConfig(
        sizes=(64, 100, 100, 10),
        eps=0.2,
        gains=(0.25, 0.5, 1.0, 2.0, 3.0),
        betas=(1e-1, 1e-2, 1e-3),
        num_nudged_steps=12,
        free_steps=4000,
        newton_steps=2,
        ep_beta=1e-4,
        ep_nudged_steps=4000,
        num_digits=5,
    ),
    full=TrajectoryConfig(
        sizes=(64, 512, 512, 512, 10),
        eps=0.2,
        gains=(0.5, 1.0, 2.0, 3.0),
        betas=(1e-1, 1e-2, 1e-3),
        num_nudged_steps=40,
        free_steps=12000,
        newton_steps=3,
        ep_beta=1e-4,
        ep_nudged_steps=12000,
        num_digits=100,
    ),
    gpu="full",
)


@dataclass(frozen=True, kw_only=True)
class DigitsConfig:
    """05 and 08: Equilibrium Propagation against a same-size back-prop baseline, on scikit-learn digits (05)
    and on real MNIST (08)."""

    sizes: tuple[int, ...]
    num_train: int
    num_test: int
    epochs: int
    batch_size: int
    eps: float
    free_steps: int
    nudged_steps: int
    beta: float
    learning_rates: tuple[float, ...]
    eval_steps: int
    bp_learning_rates: tuple[float, ...]


DIGITS = Presets(
    smoke=DigitsConfig(
        sizes=(64, 100, 10),
        num_train=300,
        num_test=100,
        epochs=2,
        batch_size=20,
        eps=0.5,
        free_steps=20,
        nudged_steps=4,
        beta=0.5,
        learning_rates=(0.1, 0.05),
        eval_steps=100,
        bp_learning_rates=(0.1, 0.05),
    ),
    ci=DigitsConfig(
        sizes=(64, 100, 10),
        num_train=1297,
        num_test=500,
        epochs=15,
        batch_size=20,
        eps=0.5,
        free_steps=20,
        nudged_steps=4,
        beta=0.5,
        learning_rates=(0.1, 0.05),
        eval_steps=100,
        bp_learning_rates=(0.1, 0.05),
    ),
    full=DigitsConfig(
        sizes=(64, 500, 10),
        num_train=1297,
        num_test=500,
        epochs=50,
        batch_size=20,
        eps=0.5,
        free_steps=20,
        nudged_steps=4,
        beta=0.5,
        learning_rates=(0.1, 0.05),
        eval_steps=100,
        bp_learning_rates=(0.1, 0.05),
    ),
    gpu="full",
)


def _mnist_net1(
    num_train: int, num_test: int, epochs: int, eval_steps: int, hidden: int = 500
) -> DigitsConfig:
    """08: the official EP code's net1 (784-500-10) on real MNIST at a given size, with notebook 5's learning
    rates (0.1 and 0.05) and its back-prop baseline."""
    return DigitsConfig(
        sizes=(784, hidden, 10),
        num_train=num_train,
        num_test=num_test,
        epochs=epochs,
        batch_size=20,
        eps=0.5,
        free_steps=20,
        nudged_steps=4,
        beta=0.5,
        learning_rates=(0.1, 0.05),
        eval_steps=eval_steps,
        bp_learning_rates=(0.1, 0.05),
    )


MNIST_EP = Presets(
    smoke=_mnist_net1(num_train=300, num_test=200, epochs=1, eval_steps=20, hidden=50),
    ci=_mnist_net1(num_train=3000, num_test=2000, epochs=4, eval_steps=60),
    full=_mnist_net1(num_train=7001, num_test=2000, epochs=25, eval_steps=100),
    gpu="full",
)
"""``ci``: 3,000 training digits for 4 epochs, predictions after 60 free steps; ``full``: every training digit
for the official 25 epochs, predictions after 100."""


@dataclass(frozen=True, kw_only=True)
class EarlySignalConfig:
    """06: learning from the first K nudged steps, against EP (long nudge) and BPTT, on digits."""

    sizes: tuple[int, ...]
    num_train: int
    num_test: int
    epochs: int
    batch_size: int
    eps: float
    free_steps: int
    windows: tuple[int, ...]
    long_steps: int
    beta: float
    learning_rates: tuple[float, ...]
    eval_steps: int


EARLY_SIGNAL = Presets(
    smoke=EarlySignalConfig(
        sizes=(64, 100, 10),
        num_train=300,
        num_test=100,
        epochs=2,
        batch_size=20,
        eps=0.5,
        free_steps=20,
        windows=(1, 2),
        long_steps=8,
        beta=0.5,
        learning_rates=(0.1, 0.05),
        eval_steps=100,
    ),
    ci=EarlySignalConfig(
        sizes=(64, 100, 10),
        num_train=1297,
        num_test=500,
        epochs=8,
        batch_size=20,
        eps=0.5,
        free_steps=20,
        windows=(1, 2, 4),
        long_steps=20,
        beta=0.5,
        learning_rates=(0.1, 0.05),
        eval_steps=100,
    ),
    full=EarlySignalConfig(
        sizes=(64, 500, 10),
        num_train=1297,
        num_test=500,
        epochs=30,
        batch_size=20,
        eps=0.5,
        free_steps=20,
        windows=(1, 2, 3, 4, 8),
        long_steps=40,
        beta=0.5,
        learning_rates=(0.1, 0.05),
        eval_steps=100,
    ),
    gpu="full",
)


@dataclass(frozen=True, kw_only=True)
class SpikeTimingConfig:
    """07: the continuous-time onset of the first arrival, and the spike-timing window of the rate rule."""

    sizes: tuple[int, ...]
    gain: float
    eps: float
    free_steps: int
    newton_steps: int
    num_digits: int
    beta: float
    dt: float
    onset_steps: int
    fit_times: tuple[float, float]
    num_trials: int
    window: float


SPIKE_TIMING = Presets(
    smoke=SpikeTimingConfig(
        sizes=(64, 20, 20, 10),
        gain=1.0,
        eps=0.2,
        free_steps=300,
        newton_steps=1,
        num_digits=2,
        beta=1e-3,
        dt=1e-3,
        onset_steps=40,
        fit_times=(2e-3, 2e-2),
        num_trials=500,
        window=20.0,
    ),
    ci=SpikeTimingConfig(
        sizes=(64, 100, 100, 10),
        gain=1.0,
        eps=0.2,
        free_steps=4000,
        newton_steps=2,
        num_digits=5,
        beta=1e-3,
        dt=1e-3,
        onset_steps=400,
        fit_times=(2e-3, 2e-2),
        num_trials=20000,
        window=20.0,
    ),
    full=SpikeTimingConfig(
        sizes=(64, 256, 256, 256, 10),
        gain=1.0,
        eps=0.2,
        free_steps=12000,
        newton_steps=3,
        num_digits=200,
        beta=1e-3,
        dt=5e-4,
        onset_steps=800,
        fit_times=(2e-3, 2e-2),
        num_trials=200000,
        window=20.0,
    ),
    gpu="full",
)
