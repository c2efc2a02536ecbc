r"""Cost per online step: forward only, TBPTT-1, UORO and exact RTRL, on a tanh RNN and on a GRU.

A forward step is $O(n^2)$; UORO adds one JVP, two VJPs and a few $O(\dim\theta)$ vector operations, so it
should stay a small constant times a forward step; RTRL's $\frac{\partial F}{\partial s}J$ is
$O(n^2\dim\theta)=O(n^4)$. At small $n$ all of them measure Python and dispatch overhead. Every method runs
the same model on the same batch-1 stream; UORO on the tanh RNN uses the model's closed-form products, on
the GRU the autograd path that training uses; TBPTT-1 and RTRL use autograd.

Timing on a shared machine: the methods compared are stepped **interleaved**, one step of each in turn per
round, each step timed on its own, so a burst of load from other processes hits every method of a round
alike. A ratio is the median over rounds of the per-round ratio (paired), an absolute time the median over
rounds; both ignore the few rounds a preemption lands in.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable

import torch

from bookkit.benchmarking import Comparison
from bookkit.device import resolve_device
from bookkit.uoro.estimators import RTRL, UORO, OnlineEstimator, TruncatedBPTT
from bookkit.uoro.model import GRU, CharacterModel, TanhRNN

METHODS = ("forward", "TBPTT-1", "UORO", "RTRL")
CELLS: dict[str, type[CharacterModel]] = {"tanh": TanhRNN, "GRU": GRU}

Stepper = Callable[[], None]


def make_stepper(
    method: str,
    hidden_size: int,
    device: torch.device | str = "cpu",
    cell: str = "tanh",
    input_size: int = 16,
    output_size: int = 16,
    stream_length: int = 64,
) -> Stepper:
    """A function that runs **one** online step of ``method`` per call on a random ``cell`` network (batch 1),
    cycling through a random stream of ``stream_length`` symbols without ever resetting the state."""
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; valid: {', '.join(CELLS)}")
    generator = torch.Generator().manual_seed(0)
    model = CELLS[cell](input_size, hidden_size, output_size)
    w_state, w_out = model.init_params(1, generator, device=device)
    symbols = torch.randint(0, input_size, (stream_length + 1, 1), generator=generator).to(device)
    inputs = torch.nn.functional.one_hot(symbols[:-1], input_size).float()
    targets = symbols[1:]
    initial = model.initial_state(1, device=device)
    position = 0

    if method == "forward":
        state = initial

        @torch.no_grad()
        def forward_step() -> None:
            nonlocal state, position
            state = model.transition(w_state, state, inputs[position])
            model.loss(w_out, state, targets[position])
            position = (position + 1) % stream_length

        return forward_step
    estimators: dict[str, Callable[[], OnlineEstimator]] = {
        "TBPTT-1": lambda: TruncatedBPTT(model, 1),
        "UORO": lambda: UORO(model, torch.Generator(device=device).manual_seed(0)),
        "RTRL": lambda: RTRL(model),
    }
    if method not in estimators:
        raise ValueError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    estimator = estimators[method]()
    estimator.reset(initial)

    def estimator_step() -> None:
        nonlocal position
        estimator.step(w_state, w_out, inputs[position], targets[position])
        position = (position + 1) % stream_length

    return estimator_step


def _synchronise(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def interleaved_step_times(
    steppers: dict[str, Stepper], rounds: int, warmup: int = 3, device: torch.device | str = "cpu"
) -> dict[str, list[float]]:
    """Seconds of each step, ``rounds`` rounds of one timed step of every stepper in turn (after ``warmup``
    untimed rounds): entry ``i`` of every list comes from the same round."""
    device = str(device)
    for _ in range(warmup):
        for step in steppers.values():
            step()
    times: dict[str, list[float]] = {name: [] for name in steppers}
    for _ in range(rounds):
        for name, step in steppers.items():
            _synchronise(device)
            start = time.perf_counter()
            step()
            _synchronise(device)
            times[name].append(time.perf_counter() - start)
    return times


def paired_median_ratio(times: dict[str, list[float]], subject: str, baseline: str) -> float:
    """Median over rounds of ``subject``'s step time over ``baseline``'s step time in the same round."""
    return statistics.median(s / b for s, b in zip(times[subject], times[baseline]))


def cost_table(
    sizes: tuple[int, ...],
    rtrl_max_size: int,
    rounds: int,
    device: torch.device | str = "cpu",
    cell: str = "tanh",
) -> dict[str, dict[int, float]]:
    r"""Median seconds per step for every method of :data:`METHODS` and hidden size (RTRL up to
    ``rtrl_max_size``). At each size forward, TBPTT-1 and UORO are stepped interleaved; RTRL is stepped on its
    own, since its $n\times\dim\theta$ matrix would evict the others' parameters from the cache."""
    table: dict[str, dict[int, float]] = {method: {} for method in METHODS}
    for n in sizes:
        groups = [[m for m in METHODS if m != "RTRL"]] + ([["RTRL"]] if n <= rtrl_max_size else [])
        for methods in groups:
            times = interleaved_step_times(
                {m: make_stepper(m, n, device, cell) for m in methods}, rounds, device=device
            )
            for method in methods:
                table[method][n] = statistics.median(times[method])
    return table


def step_cost_ratios(
    hidden_size: int,
    rounds: int,
    device: torch.device | str = "cpu",
    cell: str = "tanh",
    methods: tuple[str, ...] = METHODS[:3],
) -> dict[str, float]:
    """Paired median ratios ``"<method> / forward"`` and ``"<method> / TBPTT-1"`` for every other method of
    ``methods``, all stepped interleaved at one size."""
    times = interleaved_step_times(
        {m: make_stepper(m, hidden_size, device, cell) for m in methods}, rounds, device=device
    )
    return {
        f"{subject} / {baseline}": paired_median_ratio(times, subject, baseline)
        for subject in methods
        for baseline in ("forward", "TBPTT-1")
        if subject not in ("forward", baseline) and baseline in methods
    }


def rtrl_growth_per_doubling(
    hidden_size: int, rounds: int, device: torch.device | str = "cpu", cell: str = "tanh"
) -> float:
    r"""Paired median ratio of exact RTRL's step time at ``hidden_size`` over ``hidden_size / 2`` ($2^4=16$
    once the $O(n^4)$ product dominates)."""
    small, large = hidden_size // 2, hidden_size
    steppers = {
        "small": make_stepper("RTRL", small, device, cell),
        "large": make_stepper("RTRL", large, device, cell),
    }
    times = interleaved_step_times(steppers, rounds, device=device)
    return paired_median_ratio(times, "large", "small")


def log_log_slope(sizes: list[int], values: list[float]) -> float:
    r"""Least-squares slope of $\log y$ against $\log n$."""
    x = torch.tensor([math.log(s) for s in sizes], dtype=torch.float64)
    y = torch.tensor([math.log(v) for v in values], dtype=torch.float64)
    x_centred = x - x.mean()
    return float((x_centred * (y - y.mean())).sum() / (x_centred**2).sum())


def _comparison(
    name: str, times: dict[str, list[float]], subject: str, baseline: str, device: str, note: str
) -> Comparison:
    return Comparison(
        "uoro",
        name,
        f"{subject} step",
        f"{baseline} step",
        statistics.median(times[subject]),
        statistics.median(times[baseline]),
        device,
        note,
    )


def benchmarks(quick: bool = True, device: str = "auto") -> list[Comparison]:
    """UORO against a forward step and against TBPTT-1 (tanh RNN at n = 64, 256, 1024; GRU at 64 and 256),
    and RTRL against UORO at n = 64 and 128 (quick) or up to 256 (full), stepped interleaved in this
    process."""
    device = str(resolve_device(device))
    rounds = 30 if quick else 200
    rows = []
    for cell, sizes in (("tanh", (64, 256, 1024)), ("GRU", (64, 256))):
        for n in sizes:
            times = interleaved_step_times(
                {m: make_stepper(m, n, device, cell) for m in METHODS[:3]}, rounds, device=device
            )
            note = f"median of {rounds} interleaved steps, {cell}, batch 1"
            rows.append(_comparison(f"UORO / forward, {cell} n={n}", times, "UORO", "forward", device, note))
            rows.append(_comparison(f"UORO / TBPTT-1, {cell} n={n}", times, "UORO", "TBPTT-1", device, note))
    for n in (64, 128) if quick else (64, 128, 256):
        times = interleaved_step_times(
            {m: make_stepper(m, n, device) for m in ("RTRL", "UORO")}, 20, device=device
        )
        rows.append(
            _comparison(
                f"RTRL / UORO, n={n}",
                times,
                "RTRL",
                "UORO",
                device,
                "median of 20 interleaved steps, tanh RNN, batch 1",
            )
        )
    return rows
