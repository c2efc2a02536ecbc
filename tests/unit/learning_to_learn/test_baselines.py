"""Baselines against torch.optim, and tuning that a seed reproduces."""

import pytest
import torch

from bookkit.learning_to_learn.baselines import (
    BASELINE_NAMES,
    best_rate_is_interior,
    make_baseline,
    tune_learning_rate,
)
from bookkit.learning_to_learn.evaluation import TunedBaseline
from bookkit.learning_to_learn.meta_training import rollout
from bookkit.learning_to_learn.problems import MLPProblem, digits_splits

TORCH_EQUIVALENTS = {
    "SGD": lambda params, lr: torch.optim.SGD(params, lr=lr),
    "RMSprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr, alpha=0.99, eps=1e-8),
    "ADAM": lambda params, lr: torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8),
    "NAG": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True),
}


@pytest.mark.parametrize("name", BASELINE_NAMES)
def test_baseline_update_matches_torch_optim(name):
    generator = torch.Generator().manual_seed(0)
    grads = [torch.randn(3, 5, generator=generator, dtype=torch.float64) for _ in range(6)]
    start = torch.randn(3, 5, generator=generator, dtype=torch.float64)
    rule = make_baseline(name, 0.05)
    ours, state = start.clone(), rule.init_state(start)
    reference = start.clone().requires_grad_()
    torch_optimizer = TORCH_EQUIVALENTS[name]([reference], 0.05)
    for grad in grads:
        update, state = rule(grad, state)
        ours = ours + update
        reference.grad = grad.clone()
        torch_optimizer.step()
    torch.testing.assert_close(ours, reference.detach())


def test_unknown_baseline_names_the_valid_ones():
    with pytest.raises(ValueError, match="SGD, RMSprop, ADAM, NAG"):
        make_baseline("Adagrad", 0.1)


def _tune(seed):
    problem = MLPProblem(digits_splits()["validation"], num_instances=2, batch_size=32)
    params = problem.initial_params(torch.Generator().manual_seed(seed))

    def score(rule):
        losses = rollout(rule, problem, params, 15, torch.Generator().manual_seed(seed + 1)).losses
        return losses[-5:].mean()

    return tune_learning_rate("ADAM", (0.01, 0.1, 1.0), score)


def test_tuned_baseline_is_reproducible_for_a_seed():
    best, scores = _tune(seed=0)
    best_again, scores_again = _tune(seed=0)
    assert best == best_again and scores == scores_again
    assert best == min(scores, key=scores.get)
    _, other_scores = _tune(seed=5)
    assert other_scores != scores


def test_tuning_skips_diverged_rates():
    scores = {0.1: float("nan"), 1.0: 2.0, 10.0: float("inf")}
    best, _ = tune_learning_rate("SGD", tuple(scores), lambda rule: scores[rule.lr])
    assert best == 1.0


def test_grid_brackets_its_optimum_only_when_the_best_rate_is_interior():
    assert best_rate_is_interior({0.01: 0.5, 0.03: 0.2, 0.1: 0.4})
    assert not best_rate_is_interior({0.3: 2.0, 1.0: 1.4, 3.0: 0.4})  # best at the top edge: SGD's old grid
    assert not best_rate_is_interior({0.01: 0.2, 0.03: 0.3, 0.1: 0.4})  # best at the bottom edge
    assert best_rate_is_interior({0.1: 0.3, 0.3: 0.2, 1.0: float("nan")})  # a diverged rate is a worse one
    assert not best_rate_is_interior({0.1: float("inf"), 0.3: float("inf")})


def test_tuned_baseline_reports_whether_its_grid_brackets_the_optimum():
    inside = TunedBaseline("SGD", 3.0, {1.0: 1.4, 3.0: 0.4, 10.0: 2.0})
    at_edge = TunedBaseline("SGD", 3.0, {0.3: 2.0, 1.0: 1.4, 3.0: 0.4})
    assert inside.bracketed and not at_edge.bracketed
