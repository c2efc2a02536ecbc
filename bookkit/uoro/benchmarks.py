r"""Cost per online step: forward only, TBPTT-1, UORO and exact RTRL on a tanh RNN as $n$ grows.

A forward step is $O(n^2)$; UORO adds one JVP, two VJPs and a few $O(\dim\theta)$ vector operations, so it
should stay a small constant times a forward step; RTRL's $\frac{\partial F}{\partial s}J$ is
$O(n^2\dim\theta)=O(n^4)$. At small $n$ all of them measure Python and dispatch overhead. Every method runs
the same :class:`~bookkit.uoro.model.TanhRNN` on the same batch-1 stream; UORO uses the model's closed-form
products, TBPTT-1 and RTRL autograd.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch

from bookkit.benchmarking import Comparison, compare
from bookkit.device import resolve_device
from bookkit.uoro.estimators import RTRL, UORO, OnlineEstimator, TruncatedBPTT
from bookkit.uoro.model import TanhRNN

METHODS = ("forward", "TBPTT-1", "UORO", "RTRL")


def make_stepper(method: str, hidden_size: int, steps: int, device: torch.device | str = "cpu",
                 input_size: int = 16, output_size: int = 16, batch: int = 1) -> Callable[[], None]:
    """A function that runs ``steps`` online steps of ``method`` on a random tanh RNN and stream."""
    generator = torch.Generator().manual_seed(0)
    model = TanhRNN(input_size, hidden_size, output_size)
    w_state, w_out = model.init_params(batch, generator, device=device)
    symbols = torch.randint(0, input_size, (steps + 1, batch), generator=generator).to(device)
    inputs = torch.nn.functional.one_hot(symbols[:-1], input_size).float()
    targets = symbols[1:]
    initial = model.initial_state(batch, device=device)
    if method == "forward":
        def run_forward() -> None:
            state = initial
            with torch.no_grad():
                for x, y in zip(inputs, targets):
                    state = model.transition(w_state, state, x)
                    model.loss(w_out, state, y)
        return run_forward
    estimators: dict[str, Callable[[], OnlineEstimator]] = {
        "TBPTT-1": lambda: TruncatedBPTT(model, 1),
        "UORO": lambda: UORO(model, torch.Generator(device=device).manual_seed(0)),
        "RTRL": lambda: RTRL(model),
    }
    if method not in estimators:
        raise ValueError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    estimator = estimators[method]()

    def run_estimator() -> None:
        estimator.reset(initial)
        for x, y in zip(inputs, targets):
            estimator.step(w_state, w_out, x, y)
    return run_estimator


def seconds_per_step(method: str, hidden_size: int, steps: int, repeats: int = 3,
                     device: torch.device | str = "cpu") -> float:
    """Median over ``repeats`` timed runs (after one warm-up) of the time of one step."""
    runner = make_stepper(method, hidden_size, steps, device)
    runner()
    times = []
    for _ in range(repeats):
        if str(device).startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        runner()
        if str(device).startswith("cuda"):
            torch.cuda.synchronize()
        times.append((time.perf_counter() - start) / steps)
    return sorted(times)[len(times) // 2]


def cost_table(sizes: tuple[int, ...], rtrl_max_size: int, steps: int, rtrl_steps: int,
               device: torch.device | str = "cpu") -> dict[str, dict[int, float]]:
    """Seconds per step for every method of :data:`METHODS` and hidden size (RTRL up to ``rtrl_max_size``)."""
    table: dict[str, dict[int, float]] = {method: {} for method in METHODS}
    for n in sizes:
        for method in METHODS:
            if method == "RTRL" and n > rtrl_max_size:
                continue
            table[method][n] = seconds_per_step(method, n, rtrl_steps if method == "RTRL" else steps,
                                                device=device)
    return table


def log_log_slope(sizes: list[int], values: list[float]) -> float:
    r"""Least-squares slope of $\log y$ against $\log n$."""
    x = torch.tensor([math.log(s) for s in sizes], dtype=torch.float64)
    y = torch.tensor([math.log(v) for v in values], dtype=torch.float64)
    x_centred = x - x.mean()
    return float((x_centred * (y - y.mean())).sum() / (x_centred**2).sum())


def benchmarks(quick: bool = True, device: str = "auto") -> list[Comparison]:
    """UORO against a forward step and against TBPTT-1 at n = 64, 256, 1024, and RTRL against UORO at
    n = 64 and 128 (quick) or up to 256 (full), measured side by side in this process."""
    device = str(resolve_device(device))
    steps = 20 if quick else 200
    rows = []
    for n in (64, 256, 1024):
        uoro = ("UORO step", make_stepper("UORO", n, steps, device))
        rows.append(compare("uoro", f"UORO / forward, n={n}", uoro, ("forward step", make_stepper("forward", n, steps, device)),
                            repeats=3, device=device, note=f"{steps} steps, tanh RNN, batch 1"))
        rows.append(compare("uoro", f"UORO / TBPTT-1, n={n}", uoro, ("TBPTT-1 step", make_stepper("TBPTT-1", n, steps, device)),
                            repeats=3, device=device, note=f"{steps} steps, tanh RNN, batch 1"))
    for n in ((64, 128) if quick else (64, 128, 256)):
        rows.append(compare("uoro", f"RTRL / UORO, n={n}", ("RTRL step", make_stepper("RTRL", n, 4, device)),
                            ("UORO step", make_stepper("UORO", n, 4, device)), repeats=3, device=device,
                            note="4 steps, tanh RNN, batch 1"))
    return rows
