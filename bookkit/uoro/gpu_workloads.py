"""What each UORO notebook costs on a GPU, for :mod:`bookkit.gpu_plan`: online loops step one time step of
batch 1, or of all learners and seeds at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bookkit.gpu_plan import Workload


def _exactness(cfg: Any) -> Workload:
    """01: exactness and truncation at one size; then the cost table, stepping each method ``cost_rounds``
    times at every size, where RTRL's n x dim(theta) influence matrix makes it throughput-bound (n^4)."""
    exactness = 2 * cfg.seq_len * (len(cfg.truncations) + 2)
    cost = len(cfg.cost_sizes) * 3 * cfg.cost_rounds + 4 * 3 * cfg.cost_rounds
    rtrl = sum(cfg.cost_rounds * 2 * n**4 for n in cfg.cost_sizes if n <= cfg.rtrl_max_size)
    return Workload(
        compute=rtrl + sum(cfg.cost_rounds * 2 * n**2 for n in cfg.cost_sizes),
        steps={"uoro": exactness + cost},
        gpu_flops=rtrl,
    )


def _statistics(cfg: Any) -> Workload:
    """02: UORO samples batched; the longest sweep run sets the sequential steps."""
    steps = cfg.steps + max(cfg.sweep_steps) + cfg.rnn_steps
    compute = (
        cfg.steps * cfg.num_samples
        + sum(cfg.sweep_steps) * cfg.sweep_samples
        + cfg.rnn_steps * cfg.rnn_samples * cfg.rnn_hidden_size**2
    )
    return Workload(compute=2 * compute, steps={"uoro": steps})


def _influence(cfg: Any) -> Workload:
    """03: TBPTT at every window (batched), RTRL, and UORO at every rate with all seeds batched; the system is
    linear and small, so a step costs what a forward step of the benchmarked RNN does."""
    steps = cfg.tbptt_updates * 2 + cfg.online_steps * (1 + len(cfg.uoro_lrs))
    per_step = cfg.n * cfg.n * (cfg.n + cfg.p)
    compute = per_step * (
        cfg.tbptt_updates * sum(cfg.truncations) + cfg.online_steps * (1 + len(cfg.uoro_lrs) * cfg.num_seeds)
    )
    return Workload(compute=2 * compute, steps={"forward": steps})


def _cell_macs(cell: str, hidden: int, vocabulary: int) -> int:
    gates = 3 if cell == "GRU" else 1
    return gates * hidden * (hidden + vocabulary) + hidden * vocabulary


def _streams(cfg: Any) -> Workload:
    """04: on two tasks, UORO then TBPTT, each stepping all learners at once."""
    tasks = 2
    macs = _cell_macs(cfg.cell, cfg.hidden_size, 8)
    compute = tasks * cfg.steps * cfg.learners * macs * (3 + cfg.truncation)
    return Workload(
        compute=2 * compute,
        steps={"uoro": tasks * cfg.steps, "tbptt": tasks * cfg.steps * cfg.truncation / 2},
    )


def _charlm(cfg: Any) -> Workload:
    """05: on the GRU, UORO training monitored by exact RTRL and SnAp-1 every ``monitor_every`` steps, then
    TBPTT at every window; on a tanh RNN of the same width, UORO training monitored by exact RTRL, SnAp-1,
    KF-RTRL and unscaled UORO, then KF-RTRL, UORO with other noise and TBPTT-1; all streams at once."""
    macs = _cell_macs("GRU", cfg.hidden_size, cfg.vocabulary)
    tanh_macs = _cell_macs("tanh", cfg.hidden_size, cfg.vocabulary)
    monitors = cfg.steps // cfg.monitor_every
    rtrl = monitors * cfg.num_streams * 2 * cfg.hidden_size * macs * cfg.hidden_size
    tanh_rtrl = monitors * cfg.num_streams * 2 * cfg.hidden_size * tanh_macs * cfg.hidden_size
    # the tanh runs: UORO (watched), KF-RTRL, UORO with other noise (each about 3 forward steps) and TBPTT-1
    tanh = cfg.steps * cfg.num_streams * tanh_macs * (3 * 3 + 1)
    compute = cfg.steps * cfg.num_streams * macs * (3 + sum(cfg.truncations)) + rtrl + tanh + tanh_rtrl
    return Workload(
        compute=2 * compute,
        steps={
            "uoro": cfg.steps + 2 * monitors + 3 * cfg.steps + 4 * monitors,
            "tbptt": cfg.steps * (len(cfg.truncations) + 1),
        },
        gpu_flops=2 * (rtrl + tanh_rtrl),
    )


WORKLOADS: dict[str, Callable[[Any], Workload]] = {
    "uoro/01-rtrl-bptt-truncation": _exactness,
    "uoro/02-estimator-statistics": _statistics,
    "uoro/03-influence-balancing": _influence,
    "uoro/04-anbn-and-brackets": _streams,
    "uoro/05-charlm-and-snap": _charlm,
}
