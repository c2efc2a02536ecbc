"""Hot kernels of the learning-to-learn chapter, each timed against a baseline in the same process.

- the coordinatewise LSTM applied to all coordinates in one batched call vs a Python loop over parameters;
- one meta-training window (20 unrolled steps, backward, meta-Adam step) at the ``ci`` quadratic size vs a
  tuned-ADAM rollout of the same 20 steps (the learned optimizer's overhead);
- the same window at 10x and 100x more coordinates vs the ``ci`` size (scaling with optimizee size).
"""

from __future__ import annotations

import functools

import torch

from bookkit.benchmarking import Comparison, compare
from bookkit.learning_to_learn.baselines import Adam
from bookkit.learning_to_learn.learned_optimizer import CoordinatewiseLSTMOptimizer
from bookkit.learning_to_learn.meta_training import rollout, unrolled_windows
from bookkit.learning_to_learn.presets import QUADRATICS
from bookkit.learning_to_learn.problems import sample_quadratics

CHAPTER = "learning-to-learn"


def per_parameter_loop_update(
    net: CoordinatewiseLSTMOptimizer, grad: torch.Tensor, state: tuple
) -> torch.Tensor:
    """The naive baseline: the same network called once per coordinate, as a loop over parameters would."""
    updates = []
    for i in range(grad.numel()):
        update, _ = net(grad.reshape(-1)[i : i + 1], tuple(s[i : i + 1] for s in state))
        updates.append(update)
    return torch.cat(updates).reshape(grad.shape)


def meta_training_window(num_functions: int, unroll: int = 20, device: torch.device | str = "cpu") -> None:
    """One meta-update on ``num_functions`` 10-d quadratics: ``unroll`` steps, backward, meta-Adam step."""
    generator = torch.Generator().manual_seed(0)
    net = CoordinatewiseLSTMOptimizer().to(device)
    meta_optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    problem = sample_quadratics(num_functions, generator, device=device)
    (window,) = list(
        unrolled_windows(net, problem, problem.initial_params(generator, device), unroll, unroll)
    )
    meta_optimizer.zero_grad()
    window.backward()
    meta_optimizer.step()


def benchmarks(quick: bool = True, device: str = "cpu") -> list[Comparison]:
    """Time the chapter's kernels; ``quick`` keeps the whole run to a few seconds on one CPU thread."""
    repeats = 3 if quick else 10
    torch.manual_seed(0)
    net = CoordinatewiseLSTMOptimizer(preprocess=True, output_scale=0.1).to(device)
    coordinates = 100 if quick else 1510
    grad = torch.randn(1, coordinates, device=device)
    state = net.init_state(grad)
    rows = []
    with torch.no_grad():
        rows.append(
            compare(
                CHAPTER,
                f"LSTM optimizer step, {coordinates} coordinates",
                ("one batched call", lambda: net(grad, state)),
                ("loop over parameters", lambda: per_parameter_loop_update(net, grad, state)),
                repeats=repeats,
                device=device,
            )
        )
    ci_functions = QUADRATICS.ci.functions_per_epoch
    problem = sample_quadratics(ci_functions, torch.Generator().manual_seed(1), device=device)
    start = problem.initial_params(torch.Generator().manual_seed(2), device)
    rows.append(
        compare(
            CHAPTER,
            f"meta-training window (20 steps) vs ADAM rollout, {ci_functions * 10} coordinates",
            ("meta-training window", lambda: meta_training_window(ci_functions, device=device)),
            ("ADAM rollout, 20 steps", lambda: rollout(Adam(0.3), problem, start, 20)),
            repeats=repeats,
            device=device,
        )
    )
    for factor in (10, 100) if not quick else (5,):
        rows.append(
            compare(
                CHAPTER,
                f"meta-training window scaling, {factor}x coordinates",
                (
                    f"{ci_functions * 10 * factor} coordinates",
                    functools.partial(meta_training_window, ci_functions * factor, device=device),
                ),
                (
                    f"{ci_functions * 10} coordinates",
                    lambda: meta_training_window(ci_functions, device=device),
                ),
                repeats=repeats,
                device=device,
            )
        )
    return rows
