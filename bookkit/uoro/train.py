r"""Online training: one update per returned gradient, on one stream or a batch of streams.

Optimisers work on flat ``(B, P)`` parameter batches, so ``B`` independent learners (seeds) train in one
vectorised loop. With ``shared=True`` the ``B`` streams instead drive one learner: each stream keeps its own
state (and its own UORO pair), and the update uses the mean of their gradient estimates.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from typing import Any, Protocol

import torch
from torch.nn import functional

from bookkit.training import progress, resumable_checkpointer
from bookkit.uoro.estimators import OnlineEstimator, StepResult
from bookkit.uoro.model import RecurrentModel
from bookkit.uoro.paper import RATE_DECAY


class ScheduledAdam:
    r"""Adam (default $\beta_1=0.9$, $\beta_2=0.999$) with the paper's decreasing rate
    $\eta_t=\gamma/(1+\alpha\sqrt t)$, $t$ counting characters processed (paper, Section 5)."""

    def __init__(
        self,
        lr: float,
        alpha: float = RATE_DECAY,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.lr, self.alpha, self.betas, self.eps = lr, alpha, betas, eps
        self.moments: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self.updates = 0

    def state_dict(self) -> dict[str, Any]:
        """The moments and the update count (tensors and numbers, for a checkpoint)."""
        moments = [list(self.moments[index]) for index in sorted(self.moments)]
        return {"moments": moments, "updates": self.updates}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        self.moments = {index: (first, second) for index, (first, second) in enumerate(saved["moments"])}
        self.updates = int(saved["updates"])

    def rate(self, characters: int) -> float:
        r"""$\eta_t=\gamma/(1+\alpha\sqrt t)$."""
        return self.lr / (1.0 + self.alpha * math.sqrt(characters))

    def update(
        self, params: list[torch.Tensor], grads: list[torch.Tensor], characters: int
    ) -> list[torch.Tensor]:
        self.updates += 1
        beta_1, beta_2 = self.betas
        rate = self.rate(characters)
        updated = []
        for index, (param, grad) in enumerate(zip(params, grads)):
            first, second = self.moments.get(index, (torch.zeros_like(param), torch.zeros_like(param)))
            first = beta_1 * first + (1 - beta_1) * grad
            second = beta_2 * second + (1 - beta_2) * grad * grad
            self.moments[index] = (first, second)
            corrected_first = first / (1 - beta_1**self.updates)
            corrected_second = second / (1 - beta_2**self.updates)
            updated.append(param - rate * corrected_first / (corrected_second.sqrt() + self.eps))
        return updated


class SGD:
    r"""Plain stochastic gradient descent $\theta\leftarrow\theta-\eta\hat g$ (used on influence
    balancing)."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        """Stateless: nothing to restore."""

    def update(
        self, params: list[torch.Tensor], grads: list[torch.Tensor], characters: int
    ) -> list[torch.Tensor]:
        return [param - self.lr * grad for param, grad in zip(params, grads)]


Optimizer = ScheduledAdam | SGD

CHECKPOINTS_PER_RUN = 4
"""How many checkpoints an online run inside :func:`~bookkit.training.load_or_train` writes."""


class Monitor(Protocol):
    """Called by :func:`train_online` after every step; may return a record to keep."""

    def __call__(
        self, t: int, result: StepResult, w_state: torch.Tensor, w_out: torch.Tensor
    ) -> dict[str, float] | None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, saved: dict[str, Any]) -> None: ...


@dataclasses.dataclass
class OnlineRun:
    r"""What an online run leaves: per-step losses ``(T, B)``, the final parameters, and monitor records."""

    losses: torch.Tensor
    w_state: torch.Tensor
    w_out: torch.Tensor
    monitored: list[dict[str, float]]
    trajectory: torch.Tensor | None = None


def one_hot_stream(stream: torch.Tensor, vocabulary: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    r"""``(B, T)`` symbol indices to ``(T, B, vocabulary)`` one-hot inputs."""
    return functional.one_hot(stream.T, vocabulary).to(dtype)


def train_online(
    model: RecurrentModel,
    estimator: OnlineEstimator,
    w_state: torch.Tensor,
    w_out: torch.Tensor,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    optimizer: Optimizer,
    *,
    shared: bool = False,
    divergence_bound: float = 1e6,
    record_params: bool = False,
    monitor: Monitor | None = None,
    desc: str = "",
) -> OnlineRun:
    r"""Run ``estimator`` along the stream (``inputs`` ``(T, B, m)``, ``targets`` ``(T, B)``) and update the
    parameters every time it returns a gradient.

    Streams whose loss or parameters become non-finite or exceed ``divergence_bound`` are frozen and their
    later losses recorded as ``inf`` (the run goes on for the others). ``monitor(t, result, w_state, w_out)``
    is called after every step, before the update, with the parameters that step used; it may return a
    record to keep. ``shared=True`` trains one set of
    parameters ``(1, P)`` from the mean gradient of the ``B`` streams.
    """
    steps, batch = targets.shape[0], targets.shape[1]
    if shared and (w_state.shape[0], w_out.shape[0]) != (1, 1):
        raise ValueError("shared=True expects one parameter set of shape (1, P)")
    estimator.reset(model.initial_state(batch, dtype=w_state.dtype, device=w_state.device))
    losses = torch.empty(steps, batch, dtype=torch.float64)
    alive = torch.ones(w_state.shape[0], dtype=torch.bool, device=w_state.device)
    trajectory = torch.empty(steps, *w_state.shape, dtype=w_state.dtype) if record_params else None
    monitored: list[dict[str, float]] = []
    label = desc or estimator.name
    # a checkpoint falls at the end of a TBPTT window, where the estimator holds no graph
    every = -(-max(1, steps // CHECKPOINTS_PER_RUN) // estimator.window) * estimator.window
    checkpointer = resumable_checkpointer(every=every, label=label)
    first_step = 0
    if checkpointer is not None:
        first_step, saved = checkpointer.resume(total=steps)
        if saved is not None:
            w_state, w_out = saved["w_state"].to(w_state.device), saved["w_out"].to(w_out.device)
            alive = saved["alive"].to(alive.device)
            losses[:first_step] = saved["losses"]
            if trajectory is not None:
                trajectory[:first_step] = saved["trajectory"]
            monitored = list(saved["monitored"])
            if first_step < steps:  # a finished run's checkpoint holds its results only
                estimator.load_state_dict(saved["estimator"])
                optimizer.load_state_dict(saved["optimizer"])
                if monitor is not None:
                    monitor.load_state_dict(saved["monitor"])

    def checkpoint(steps_done: int) -> dict[str, Any]:
        if steps_done == steps:
            return {
                "w_state": w_state,
                "w_out": w_out,
                "alive": alive,
                "losses": losses.clone(),
                "trajectory": trajectory,
                "monitored": monitored,
            }
        return {
            "w_state": w_state,
            "w_out": w_out,
            "alive": alive,
            "losses": losses[:steps_done].clone(),
            "trajectory": None if trajectory is None else trajectory[:steps_done].clone(),
            "monitored": monitored,
            "estimator": estimator.state_dict(),
            "optimizer": optimizer.state_dict(),
            "monitor": {} if monitor is None else monitor.state_dict(),
        }

    for t in progress(range(first_step, steps), label, total=steps - first_step):
        view_state = w_state.expand(batch, -1) if shared else w_state
        view_out = w_out.expand(batch, -1) if shared else w_out
        result = estimator.step(view_state, view_out, inputs[t], targets[t])
        losses[t] = (
            torch.where(alive.expand(batch) if shared else alive, result.loss, torch.inf).double().cpu()
        )
        if monitor is not None:
            record = monitor(t, result, view_state, view_out)
            if record is not None:
                monitored.append(record)
        if result.grad_state is not None and result.grad_out is not None:
            grad_state, grad_out = result.grad_state, result.grad_out
            if shared:
                grad_state, grad_out = grad_state.mean(0, keepdim=True), grad_out.mean(0, keepdim=True)
            new_state, new_out = optimizer.update([w_state, w_out], [grad_state, grad_out], t + 1)
            healthy = (
                torch.isfinite(new_state).all(-1)
                & (new_state.abs() < divergence_bound).all(-1)
                & torch.isfinite(new_out).all(-1)
                & torch.isfinite(result.loss.reshape(-1, 1).expand(-1, 1).reshape(batch)[: w_state.shape[0]])
            )
            alive = alive & healthy
            keep = alive.unsqueeze(-1)
            w_state, w_out = torch.where(keep, new_state, w_state), torch.where(keep, new_out, w_out)
        if trajectory is not None:
            trajectory[t] = w_state.detach().cpu()
        if checkpointer is not None:  # a finished run is saved too, so a later kill does not redo it
            checkpointer.maybe_save(t + 1, functools.partial(checkpoint, t + 1), force=t + 1 == steps)
    return OnlineRun(losses, w_state, w_out, monitored, trajectory)


def recent_average(losses: torch.Tensor) -> torch.Tensor:
    r"""The authors' "recent" loss $r_t=(1-1/\sqrt t)\,r_{t-1}+\ell_t/\sqrt t$ along the first axis."""
    recent = torch.empty_like(losses, dtype=torch.float64)
    current = torch.zeros_like(losses[0], dtype=torch.float64)
    for t, loss in enumerate(losses.double(), start=1):
        weight = 1.0 / math.sqrt(t)
        current = (1 - weight) * current + weight * loss
        recent[t - 1] = current
    return recent


@dataclasses.dataclass
class StreamTask:
    """A text cut into ``B`` contiguous streams: one-hot ``inputs`` ``(T, B, V)``, ``targets`` ``(T, B)`` and
    ``dependency`` ``(T, B)``, true where the target needs long memory."""

    inputs: torch.Tensor
    targets: torch.Tensor
    dependency: torch.Tensor
    vocabulary_size: int


def make_stream_task(
    symbols: torch.Tensor,
    dependency: torch.Tensor,
    vocabulary_size: int,
    num_streams: int,
    steps: int,
    device: torch.device | str = "cpu",
) -> StreamTask:
    """Split encoded ``symbols`` (and the matching ``dependency`` mask) into ``num_streams`` streams of
    ``steps + 1`` symbols: input $x_t$, target $y_t=x_{t+1}$."""
    needed = num_streams * (steps + 1)
    if symbols.numel() < needed:
        raise ValueError(
            f"need {needed} symbols for {num_streams} streams of {steps + 1}, got {symbols.numel()}"
        )
    streams = symbols[:needed].reshape(num_streams, steps + 1).to(device)
    masks = dependency[:needed].reshape(num_streams, steps + 1).to(device)
    return StreamTask(
        one_hot_stream(streams[:, :-1], vocabulary_size),
        streams[:, 1:].T.contiguous(),
        masks[:, 1:].T.contiguous(),
        vocabulary_size,
    )


def bits(losses: torch.Tensor) -> torch.Tensor:
    """Nats to bits."""
    return losses / math.log(2.0)


def tail_bits(losses: torch.Tensor, fraction: float, mask: torch.Tensor | None = None) -> float:
    """Mean of per-step ``losses`` ``(T, B)`` in bits/char over the last ``fraction`` of the steps (all
    streams), optionally only where ``mask`` ``(T, B)`` is true."""
    start = int(losses.shape[0] * (1 - fraction))
    values = bits(losses[start:])
    if mask is not None:
        values = values[mask[start:].cpu()]
    return float(values.mean())


def dependency_bits(losses: torch.Tensor, dependency: torch.Tensor, fraction: float) -> torch.Tensor:
    """Per stream ``(B,)``: mean loss in bits over the last ``fraction`` of the steps, at the positions where
    ``dependency`` ``(T, B)`` is true only (the positions that need long memory)."""
    start = int(losses.shape[0] * (1 - fraction))
    values, mask = bits(losses[start:]).double(), dependency[start:].cpu()
    return (values * mask).sum(0) / mask.sum(0)


def dependency_curve(
    losses: torch.Tensor, dependency: torch.Tensor, bins: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Step at the end of each of ``bins`` equal slices of the stream, and per slice and stream ``(bins, B)``
    the mean loss in bits at the dependency positions of that slice."""
    edges = torch.linspace(0, losses.shape[0], bins + 1).long()
    curve = torch.stack(
        [
            dependency_bits(losses[low:high], dependency[low:high], 1.0)
            for low, high in itertools.pairwise(edges.tolist())
        ]
    )
    return edges[1:], curve


def memoryless_losses(task: StreamTask, prior: float = 1.0) -> torch.Tensor:
    r"""Per-step losses ``(T, B)`` in nats of the best model without memory, learnt online on each stream:
    it predicts $y_t$ from the current symbol $x_t$ alone, by the counts seen so far (add-``prior``),

    $$p_t(y\mid x)=\frac{c_{<t}(x,y)+\text{prior}}{\sum_{y'}c_{<t}(x,y')+V\,\text{prior}}.$$

    At a dependency position its loss stays at the conditional entropy given the current symbol: the level
    any method has to beat to show that it remembers."""
    symbols = task.inputs.argmax(-1).cpu()
    targets = task.targets.cpu()
    steps, batch = targets.shape
    vocabulary = task.vocabulary_size
    counts = torch.full((batch, vocabulary, vocabulary), prior, dtype=torch.float64)
    losses = torch.empty(steps, batch, dtype=torch.float64)
    streams = torch.arange(batch)
    for t in range(steps):
        row = counts[streams, symbols[t]]
        losses[t] = -torch.log(row[streams, targets[t]] / row.sum(-1))
        counts[streams, symbols[t], targets[t]] += 1
    return losses


class GradientAgreement:
    r"""A ``train_online`` monitor: runs exact RTRL and other estimators along the trainer's own trajectory
    (same inputs, same parameters at every step) and, every ``every`` steps, compares the trainer's gradient
    and theirs with RTRL's. On the transition parameters, for the mean over streams (the update direction):

    $$\text{relative error}=\lVert\hat g-g\rVert/\lVert g\rVert,\qquad \cos(\hat g,g).$$
    """

    def __init__(
        self,
        task: StreamTask,
        exact: OnlineEstimator,
        others: dict[str, OnlineEstimator],
        trainer_name: str,
        initial_state: torch.Tensor,
        every: int,
    ) -> None:
        self.task, self.exact, self.others = task, exact, others
        self.trainer_name, self.every = trainer_name, every
        for estimator in (exact, *others.values()):
            estimator.reset(initial_state)

    def state_dict(self) -> dict[str, Any]:
        """The watching estimators' states, for a checkpoint of the trainer's run."""
        return {
            "exact": self.exact.state_dict(),
            "others": {name: estimator.state_dict() for name, estimator in self.others.items()},
        }

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        self.exact.load_state_dict(saved["exact"])
        for name, estimator in self.others.items():
            estimator.load_state_dict(saved["others"][name])

    def __call__(
        self, t: int, result: StepResult, w_state: torch.Tensor, w_out: torch.Tensor
    ) -> dict[str, float] | None:
        x, y = self.task.inputs[t], self.task.targets[t]
        exact = self.exact.step(w_state, w_out, x, y).grad_state
        estimates = {
            name: estimator.step(w_state, w_out, x, y).grad_state for name, estimator in self.others.items()
        }
        if t % self.every or exact is None or result.grad_state is None:
            return None
        estimates[self.trainer_name] = result.grad_state
        target = exact.mean(0)
        record = {"step": float(t)}
        for name, estimate in estimates.items():
            if estimate is None:
                raise ValueError(
                    f"{name} returned no gradient at step {t}; a watcher must return one every step"
                )
            mean = estimate.mean(0)
            record[f"{name} relative error"] = float((mean - target).norm() / target.norm())
            record[f"{name} cosine"] = float(functional.cosine_similarity(mean, target, dim=0))
        return record
