r"""Rollouts, the truncated meta-loss, meta-training with early stopping, and meta-gradient norms.

The meta-loss of one window of $K$ steps (the paper's unroll, $K=20$ over $T=100$ steps) is

$$\mathcal L(\phi)=\sum_{t=1}^{K}w_t\,\frac1n\sum_{i=1}^{n}f_i(\theta_{i,t}),\qquad w_t=1,$$

differentiated through $\theta_{t+1}=\theta_t+g_t(\phi)$ with the optimizee gradients $\nabla_t$ held
constant. Parameters and LSTM states are carried across windows, their gradients are not (truncated BPTT).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from bookkit.learning_to_learn.learned_optimizer import LearnedOptimizer
from bookkit.learning_to_learn.problems import Problem
from bookkit.training import check_finite, progress, resumable_checkpointer


class UpdateRule(Protocol):
    """An optimizer as a rollout sees it: ``init_state(params)``, then ``(update, state) = rule(grad, state)``
    once per step, with $\\theta_{t+1}=\\theta_t+\\text{update}$."""

    def init_state(self, params: torch.Tensor) -> Any: ...

    def __call__(self, grad: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]: ...


CHECKPOINTS_PER_RUN = 5
"""How many checkpoints a meta-training run inside :func:`~bookkit.training.load_or_train` writes."""


def _detach_state(state: Any) -> Any:
    if isinstance(state, torch.Tensor):
        return state.detach()
    if isinstance(state, (list, tuple)):
        return type(state)(_detach_state(s) for s in state)
    return state


@dataclass
class Rollout:
    """Losses ``(num_steps + 1, n)`` at $\\theta_0..\\theta_T$; with ``trace``, gradients and updates
    ``(T, n, P)``."""

    losses: torch.Tensor
    params: torch.Tensor
    grads: torch.Tensor | None = None
    updates: torch.Tensor | None = None


@torch.no_grad()
def rollout(
    rule: UpdateRule,
    problem: Problem,
    params: torch.Tensor,
    num_steps: int,
    generator: torch.Generator | None = None,
    trace: bool = False,
) -> Rollout:
    r"""Run $\theta_{t+1}=\theta_t+g_t$ for ``num_steps`` steps without any meta-gradient graph.

    The loss at step $t$ is the one whose gradient produced $g_t$ (a training-minibatch loss for MLPs).
    """
    state = rule.init_state(params)
    losses, grads, updates = [], [], []
    for _ in range(num_steps):
        loss, grad = problem.loss_and_grad(params, generator)
        update, state = rule(grad, state)
        params = params + update
        losses.append(loss.detach())
        if trace:
            grads.append(grad)
            updates.append(update)
    losses.append(problem.loss(params, generator).detach())
    return Rollout(
        torch.stack(losses),
        params,
        torch.stack(grads) if trace else None,
        torch.stack(updates) if trace else None,
    )


def unrolled_windows(
    optimizer: LearnedOptimizer,
    problem: Problem,
    params: torch.Tensor,
    num_steps: int,
    unroll: int,
    generator: torch.Generator | None = None,
) -> Iterator[torch.Tensor]:
    r"""Yield the meta-loss of each window of ``unroll`` steps, each with its own graph back to $\phi$.

    $\nabla_t$ is detached (no second derivatives) and $\theta$ and the LSTM state are detached after each
    window is yielded, so backpropagating one window costs ``unroll`` steps whatever ``num_steps`` is. A
    consumer may update $\phi$ between windows, as meta-training does.
    """
    state = optimizer.init_state(params)
    params = params.detach().requires_grad_()
    _, grad = problem.loss_and_grad(params, generator)
    for start in range(0, num_steps, unroll):
        total = params.new_zeros(())
        for _ in range(min(unroll, num_steps - start)):
            update, state = optimizer(grad, state)
            params = params + update
            loss, grad = problem.loss_and_grad(params, generator)
            total = total + loss.mean()
        yield total
        params = params.detach().requires_grad_()
        state = _detach_state(state)


def meta_epoch(
    optimizer: LearnedOptimizer,
    meta_optimizer: torch.optim.Optimizer,
    problem: Problem,
    num_steps: int,
    unroll: int,
    generator: torch.Generator,
    device: torch.device | str = "cpu",
) -> float:
    """Optimize one batch of fresh problems for ``num_steps``, one meta-update per window; mean loss per
    step."""
    params = problem.initial_params(generator, device)
    summed = 0.0
    windows = unrolled_windows(optimizer, problem, params, num_steps, unroll, generator)
    for window, total in enumerate(windows):
        check_finite(total.detach(), step=window * unroll, what="meta-loss")
        meta_optimizer.zero_grad(set_to_none=True)
        total.backward()
        meta_optimizer.step()
        summed += float(total.detach())
    return summed / num_steps


@dataclass
class MetaTrainingResult:
    """History of one meta-training run; ``best_state`` is the early-stopping choice (or the last one).

    ``validation_states`` holds the weights at every validation, so the early-stopping choice of a shorter
    run with the same seed (:meth:`best_within`) can be read off a longer one without training again.
    """

    best_state: dict[str, torch.Tensor]
    best_epoch: int
    meta_losses: list[float] = field(default_factory=list)
    validation_epochs: list[int] = field(default_factory=list)
    validation_scores: list[float] = field(default_factory=list)
    validation_states: list[dict[str, torch.Tensor]] = field(default_factory=list)
    seconds: float = 0.0

    def best_within(self, num_epochs: int) -> tuple[int, float, dict[str, torch.Tensor]]:
        """The meta-epoch, validation score and weights that early stopping keeps in a run of ``num_epochs``:
        the best validation at or before it (the first of equal scores, as :func:`meta_train` keeps)."""
        if not self.validation_states:
            raise ValueError("this run was not validated, so no early-stopping choice can be read off it")
        if num_epochs not in self.validation_epochs:
            raise ValueError(
                f"meta-epoch {num_epochs} was not validated; validated: {self.validation_epochs}"
            )
        candidates = [i for i, epoch in enumerate(self.validation_epochs) if epoch <= num_epochs]
        best = min(candidates, key=self.validation_scores.__getitem__)
        return self.validation_epochs[best], self.validation_scores[best], self.validation_states[best]

    def to_state(self) -> dict[str, Any]:
        """A checkpointable dict (tensors, numbers, lists) for :func:`bookkit.training.load_or_train`."""
        return {
            "best_state": self.best_state,
            "best_epoch": self.best_epoch,
            "meta_losses": self.meta_losses,
            "validation_epochs": self.validation_epochs,
            "validation_scores": self.validation_scores,
            "validation_states": self.validation_states,
            "seconds": self.seconds,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> MetaTrainingResult:
        return cls(**state)


def meta_train(
    optimizer: LearnedOptimizer,
    sample_problem: Callable[[torch.Generator], Problem],
    *,
    num_epochs: int,
    num_steps: int,
    unroll: int,
    meta_lr: float,
    generator: torch.Generator,
    device: torch.device | str = "cpu",
    validate: Callable[[LearnedOptimizer], float] | None = None,
    validate_every: int = 25,
    desc: str = "meta-training",
) -> MetaTrainingResult:
    """Meta-train ``optimizer`` in place with Adam; each epoch optimizes a fresh batch from
    ``sample_problem``.

    With ``validate`` (lower is better), the optimizer is scored every ``validate_every`` epochs and the best
    weights are kept and loaded at the end (early stopping); without it, the last weights are kept.

    Inside :func:`bookkit.training.load_or_train` the loop checkpoints ``CHECKPOINTS_PER_RUN`` times (the
    optimizer, Adam's state, the history so far with the best weights, ``generator`` and the elapsed
    time), and a run killed midway resumes from the last checkpoint with the same result.
    """
    meta_optimizer = torch.optim.Adam(optimizer.parameters(), lr=meta_lr)
    result = MetaTrainingResult(copy.deepcopy(optimizer.state_dict()), 0)
    best_score = float("inf")
    checkpointer = resumable_checkpointer(every=max(1, num_epochs // CHECKPOINTS_PER_RUN), label=desc)
    epochs_done, saved = checkpointer.resume(total=num_epochs) if checkpointer is not None else (0, None)
    if saved is not None:
        optimizer.load_state_dict(saved["optimizer"])
        meta_optimizer.load_state_dict(saved["meta_optimizer"])
        result = MetaTrainingResult.from_state(saved["result"])
        best_score = min(result.validation_scores, default=best_score)  # the score a kept weight had
        generator.set_state(saved["generator"])
    elif validate is not None:
        best_score = float(validate(optimizer))
        result.validation_epochs.append(0)
        result.validation_scores.append(best_score)
        result.validation_states.append(copy.deepcopy(optimizer.state_dict()))
    start = time.perf_counter() - result.seconds
    for epoch in progress(range(epochs_done + 1, num_epochs + 1), desc, total=num_epochs - epochs_done):
        problem = sample_problem(generator)
        result.meta_losses.append(
            meta_epoch(optimizer, meta_optimizer, problem, num_steps, unroll, generator, device)
        )
        if validate is not None and (epoch % validate_every == 0 or epoch == num_epochs):
            score = float(validate(optimizer))
            result.validation_epochs.append(epoch)
            result.validation_scores.append(score)
            result.validation_states.append(copy.deepcopy(optimizer.state_dict()))
            if score < best_score:
                best_score, result.best_epoch = score, epoch
                result.best_state = copy.deepcopy(optimizer.state_dict())
        if checkpointer is not None:
            checkpointer.maybe_save(
                epoch,
                lambda: {
                    "optimizer": optimizer.state_dict(),
                    "meta_optimizer": meta_optimizer.state_dict(),
                    "result": {**result.to_state(), "seconds": time.perf_counter() - start},
                    "generator": generator.get_state(),
                },
            )
    if validate is None:
        result.best_state, result.best_epoch = copy.deepcopy(optimizer.state_dict()), num_epochs
    optimizer.load_state_dict(result.best_state)
    result.seconds = time.perf_counter() - start
    return result


def meta_gradient_norms(
    optimizer: LearnedOptimizer,
    problem: Problem,
    params: torch.Tensor,
    num_steps: int,
    unroll: int,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""$\big\lVert\nabla_\phi\tfrac1K\mathcal L_w(\phi)\big\rVert$ for each window $w$ of length
    $K$=``unroll``.

    Dividing by $K$ makes windows of different lengths comparable: growth with $K$ then comes from
    backpropagating through longer optimization trajectories, not from summing more terms.
    """
    norms = []
    weights = [p for p in optimizer.parameters() if p.requires_grad]
    for window_loss in unrolled_windows(optimizer, problem, params, num_steps, unroll, generator):
        grads = torch.autograd.grad(window_loss / unroll, weights, allow_unused=True)
        norms.append(torch.sqrt(sum((g.pow(2).sum() for g in grads if g is not None), torch.zeros(()))))
    return torch.stack(norms)
