r"""Hand-designed optimizers as functional update rules over ``(n, P)`` parameter matrices, and their tuning.

Each rule maps a gradient and a state to an update $g_t$ (added to $\theta_t$) and a new state, like the
learned optimizer, so one :func:`~bookkit.learning_to_learn.meta_training.rollout` runs them all. Defaults
follow Torch7's ``optim`` package as the paper says (NAG momentum 0.9 is our reading of those defaults).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

BASELINE_NAMES = ("SGD", "RMSprop", "ADAM", "NAG")
"""The paper's legend names of the four baselines."""


class SGD:
    r"""$g_t=-\alpha\nabla_t$."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def init_state(self, params: torch.Tensor) -> Any:
        return None

    def __call__(self, grad: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        return -self.lr * grad, state


class RMSprop:
    r"""$v_t=\rho v_{t-1}+(1-\rho)\nabla_t^2,\quad g_t=-\alpha\,\nabla_t/(\sqrt{v_t}+\epsilon)$,
    $\rho=0.99$."""

    def __init__(self, lr: float, alpha: float = 0.99, eps: float = 1e-8) -> None:
        self.lr, self.alpha, self.eps = lr, alpha, eps

    def init_state(self, params: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(params)

    def __call__(self, grad: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        square_avg = self.alpha * state + (1 - self.alpha) * grad * grad
        return -self.lr * grad / (square_avg.sqrt() + self.eps), square_avg


class Adam:
    r"""$m_t=\beta_1m_{t-1}+(1-\beta_1)\nabla_t,\ v_t=\beta_2v_{t-1}+(1-\beta_2)\nabla_t^2,\
    g_t=-\alpha\,\dfrac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)}+\epsilon}$."""

    def __init__(self, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.lr, self.betas, self.eps = lr, betas, eps

    def init_state(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
        return torch.zeros_like(params), torch.zeros_like(params), 0

    def __call__(
        self, grad: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor, int]
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor, int]]:
        (beta1, beta2), (m, v, t) = self.betas, state
        t += 1
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        denom = (v / (1 - beta2**t)).sqrt() + self.eps
        return -self.lr * (m / (1 - beta1**t)) / denom, (m, v, t)


class NAG:
    r"""Nesterov momentum in PyTorch's form: $b_t=\mu b_{t-1}+\nabla_t,\ g_t=-\alpha(\nabla_t+\mu b_t)$,
    $\mu=0.9$."""

    def __init__(self, lr: float, momentum: float = 0.9) -> None:
        self.lr, self.momentum = lr, momentum

    def init_state(self, params: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(params)

    def __call__(self, grad: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        buffer = self.momentum * state + grad
        return -self.lr * (grad + self.momentum * buffer), buffer


def make_baseline(name: str, lr: float) -> SGD | RMSprop | Adam | NAG:
    """The baseline called ``name`` (one of :data:`BASELINE_NAMES`) with learning rate ``lr``."""
    rules = {"SGD": SGD, "RMSprop": RMSprop, "ADAM": Adam, "NAG": NAG}
    if name not in rules:
        raise ValueError(f"unknown baseline {name!r}; valid: {', '.join(BASELINE_NAMES)}")
    return rules[name](lr)


def tune_learning_rate(
    name: str, rates: tuple[float, ...], score: Callable[[Any], float]
) -> tuple[float, dict[float, float]]:
    """The rate in ``rates`` whose rule has the lowest ``score`` (non-finite scores never win), and all
    scores.

    ``score`` runs a rule on the validation problems, e.g. ``lambda rule: final_loss(rollout(rule, ...))``.
    """
    scores = {rate: float(score(make_baseline(name, rate))) for rate in rates}
    finite = {rate: value for rate, value in scores.items() if math.isfinite(value)}
    if not finite:
        raise ValueError(f"every learning rate of {name} diverged: {scores}")
    return min(finite, key=finite.__getitem__), scores


def best_rate_is_interior(scores: dict[float, float]) -> bool:
    """Whether the grid brackets its optimum: the best rate has a tried rate below it and one above it.

    A diverged (non-finite) rate counts as a worse one. A best rate at either end of the grid means a smaller
    or larger rate might do better still, so the baseline was not tuned; a comparison with it would flatter
    the learned optimizer.
    """
    finite = {rate: value for rate, value in scores.items() if math.isfinite(value)}
    if not finite:
        return False
    best = min(finite, key=finite.__getitem__)
    return min(scores) < best < max(scores)
