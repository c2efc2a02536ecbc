"""What each ebm-backprop notebook costs on a GPU, for :mod:`bookkit.gpu_plan`: relaxations are batched over
inputs and chains, and one Euler step moves every layer once."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

from bookkit.gpu_plan import Workload


def _layers(sizes: tuple[int, ...]) -> float:
    """Relaxation steps of ``sizes`` in units of the benchmarked three-layer network's."""
    return (len(sizes) - 1) / 3


def _dense_macs(sizes: tuple[int, ...]) -> int:
    """Multiply-adds of one pass through a layered network of ``sizes`` (one matrix per adjacent pair)."""
    return sum(a * b for a, b in itertools.pairwise(sizes))


# ebm-backprop: relaxations are batched over inputs (and chains); one Euler step moves every layer once.


def _relaxation(cfg: Any) -> Workload:
    runs = len(cfg.gains) + 2  # smooth at every gain, box and naive hard sigmoid at the pitfall gain
    langevin = cfg.burn_in_steps + cfg.num_snapshots * cfg.snapshot_every
    chains = len(cfg.temperatures) * cfg.num_chains
    macs = _dense_macs(cfg.sizes)
    return Workload(
        compute=2 * macs * (runs * cfg.num_steps * cfg.num_digits + langevin * chains),
        steps={"relax": (runs * cfg.num_steps + langevin) * _layers(cfg.sizes)},
    )


def _first_arrival(cfg: Any) -> Workload:
    relaxations = 2 * len(cfg.gains) * cfg.free_steps  # smooth and box fixed points at every gain
    return Workload(
        compute=2 * _dense_macs(cfg.sizes) * relaxations * cfg.num_digits,
        steps={"relax": relaxations * _layers(cfg.sizes)},
    )


def _langevin(cfg: Any) -> Workload:
    chains = len(cfg.temperatures) * cfg.num_chains
    branches = 2 * 2 * (len(cfg.sizes) - 1)  # nudged and free copies, shared and independent noise
    windows = 3 * max(cfg.windows)  # before the onset, then nudged and unnudged (the null)
    noisy = cfg.burn_in_steps + branches + windows
    return Workload(
        compute=2 * _dense_macs(cfg.sizes) * (cfg.free_steps + noisy * chains),
        steps={"relax": (cfg.free_steps + noisy) * _layers(cfg.sizes)},
    )


def _trajectory(cfg: Any) -> Workload:
    per_gain = cfg.free_steps + cfg.ep_nudged_steps + (len(cfg.betas) + 2) * cfg.num_nudged_steps
    steps = len(cfg.gains) * per_gain
    return Workload(
        compute=2 * _dense_macs(cfg.sizes) * steps * cfg.num_digits,
        steps={"relax": steps * _layers(cfg.sizes)},
    )


def _digits_ep(cfg: Any) -> Workload:
    batches = math.ceil(cfg.num_train / cfg.batch_size)
    ep_steps = (
        len(cfg.learning_rates)
        * cfg.epochs
        * (batches * (cfg.free_steps + cfg.nudged_steps) + cfg.eval_steps)
    )
    bp_steps = len(cfg.bp_learning_rates) * cfg.epochs * batches
    macs = _dense_macs(cfg.sizes)
    train = cfg.num_train / 1297  # the benchmarked epoch's share
    return Workload(
        compute=2 * macs * cfg.batch_size * (ep_steps + 3 * bp_steps),
        steps={
            "ep_epoch": train * len(cfg.learning_rates) * cfg.epochs,
            "bp_epoch": train * len(cfg.bp_learning_rates) * cfg.epochs,
        },
    )


def _early_signal(cfg: Any) -> Workload:
    batches = math.ceil(cfg.num_train / cfg.batch_size)
    windows = [*cfg.windows, cfg.long_steps, 3 * cfg.long_steps]  # BPTT: forward, backward and the graph
    steps = sum(cfg.epochs * (batches * (cfg.free_steps + w) + cfg.eval_steps) for w in windows)
    train = cfg.num_train / 1297  # the benchmarked epoch's share
    return Workload(
        compute=2 * _dense_macs(cfg.sizes) * cfg.batch_size * steps,
        steps={"ep_epoch": train * len(windows) * cfg.epochs},
    )


def _spike_timing(cfg: Any) -> Workload:
    steps = cfg.free_steps + 8 * cfg.onset_steps  # RK4: four evaluations, nudged and free
    return Workload(
        compute=2 * _dense_macs(cfg.sizes) * steps * cfg.num_digits,
        steps={"relax": steps * _layers(cfg.sizes)},
    )


WORKLOADS: dict[str, Callable[[Any], Workload]] = {
    "ebm-backprop/01-energy-and-relaxation": _relaxation,
    "ebm-backprop/02-early-inference-is-backprop": _first_arrival,
    "ebm-backprop/03-langevin-early-inference": _langevin,
    "ebm-backprop/04-nudged-phase-vs-bptt": _trajectory,
    "ebm-backprop/05-local-rule-learns-digits": _digits_ep,
    "ebm-backprop/06-learning-from-the-early-signal": _early_signal,
    "ebm-backprop/07-spike-timing-and-continuous-time": _spike_timing,
    "ebm-backprop/08-equilibrium-propagation-on-mnist": _digits_ep,
}
