"""What each spiking-boltzmann notebook costs on a GPU, for :mod:`bookkit.gpu_plan`: a CD update steps one
time step of a minibatch, stacked over models (01 and 02 are NumPy code, predicted by recorded walls)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bookkit.gpu_plan import Workload


def _circle_visible(cfg: Any) -> int:
    return int(cfg.grid) ** 2


def _circle(cfg: Any) -> Workload:
    """03: temporal machine and RBM trained side by side (stacked over seeds), then generation and exact
    likelihoods of small machines."""
    updates = cfg.num_minibatches * cfg.num_frames
    generation = cfg.generated_frames * cfg.gibbs_steps  # every prime at once
    per_step = cfg.batch_size * _circle_visible(cfg) * cfg.num_hidden * cfg.history_length
    return Workload(
        compute=2 * cfg.num_seeds * (updates + generation) * per_step, steps={"cd": updates + generation}
    )


def _ablations(cfg: Any) -> Workload:
    """04: the ablation variants stacked at every depth, then the stress tests (longer runs)."""
    updates = (cfg.num_minibatches + cfg.stress_minibatches) * cfg.num_frames
    variants = 4 * len(cfg.ablation_depths)
    per_step = cfg.batch_size * _circle_visible(cfg) * cfg.num_hidden * cfg.history_length
    return Workload(compute=2 * variants * updates * per_step, steps={"cd": updates})


def _followups(cfg: Any) -> Workload:
    """05: the kernel-tied machine, a CRBM and an RTRBM on two tasks; one update per time step for the first,
    a back-propagated sequence loss per minibatch (forward and backward over the frames) for the others."""
    updates = 2 * cfg.num_minibatches * cfg.num_frames * 3
    visible = max(100, cfg.balls_resolution**2)
    per_step = cfg.batch_size * visible * cfg.num_hidden * cfg.history_length
    return Workload(compute=2 * updates * per_step, steps={"cd": updates})


WORKLOADS: dict[str, Callable[[Any], Workload]] = {
    "spiking-boltzmann/03-ball-on-a-circle": _circle,
    "spiking-boltzmann/04-ablations-and-stress-tests": _ablations,
    "spiking-boltzmann/05-beyond-crbm-and-rtrbm": _followups,
}
