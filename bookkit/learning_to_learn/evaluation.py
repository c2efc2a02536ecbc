"""Paired comparisons of update rules on the same problems, and the baselines tuned on validation problems."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch

from bookkit.learning_to_learn.baselines import best_rate_is_interior, make_baseline, tune_learning_rate
from bookkit.learning_to_learn.meta_training import UpdateRule, rollout
from bookkit.learning_to_learn.problems import Problem

LossScore = Callable[[torch.Tensor], float]
"""Reduces losses ``(num_steps + 1, n)`` to one number (lower is better)."""


def final_mean_loss(losses: torch.Tensor) -> float:
    r"""$\frac1n\sum_i f_i(\theta_{i,T})$: the paper's 'best final loss' tuning criterion."""
    return float(losses[-1].mean())


def final_mean_log_loss(losses: torch.Tensor) -> float:
    r"""$\frac1n\sum_i\log f_i(\theta_{i,T})$: the quadratics' criterion, which weighs every function alike
    (the mean of $f$ is dominated by the few hardest functions of a batch)."""
    return float(losses[-1].clamp_min(1e-30).log().mean())


def last_steps_mean_loss(losses: torch.Tensor, last: int = 10) -> float:
    """Mean loss over the last ``last`` steps and all instances: less noisy for minibatch losses."""
    return float(losses[-last:].mean())


def compare_rules(
    rules: Mapping[str, UpdateRule], problem: Problem, params: torch.Tensor, num_steps: int, seed: int
) -> dict[str, torch.Tensor]:
    """Losses ``(num_steps + 1, n)`` of each rule from the same $\\theta_0$ and the same minibatch sequence
    (the generator is re-seeded with ``seed`` for every rule), so differences between rules are paired."""
    return {
        name: rollout(rule, problem, params, num_steps, torch.Generator().manual_seed(seed)).losses
        for name, rule in rules.items()
    }


@dataclass(frozen=True)
class TunedBaseline:
    """A baseline's best learning rate on the validation problems and every rate's validation score."""

    name: str
    lr: float
    scores: dict[float, float]

    def rule(self) -> UpdateRule:
        return make_baseline(self.name, self.lr)

    @property
    def bracketed(self) -> bool:
        """Whether the chosen rate lies strictly inside the grid (see ``best_rate_is_interior``)."""
        return best_rate_is_interior(self.scores)


def tune_baselines(
    rates: Mapping[str, tuple[float, ...]],
    problem: Problem,
    params: torch.Tensor,
    num_steps: int,
    seed: int,
    score: LossScore = final_mean_loss,
) -> dict[str, TunedBaseline]:
    """Each baseline named in ``rates`` at the rate with the lowest ``score`` on the validation
    ``problem``."""
    tuned = {}
    for name, grid in rates.items():

        def evaluate(rule: UpdateRule) -> float:
            return score(
                rollout(rule, problem, params, num_steps, torch.Generator().manual_seed(seed)).losses
            )

        best, scores = tune_learning_rate(name, grid, evaluate)
        tuned[name] = TunedBaseline(name, best, scores)
    return tuned
