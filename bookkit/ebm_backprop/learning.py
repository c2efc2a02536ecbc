"""Learning with the local rule: Equilibrium Propagation (Scellier & Bengio 2017) on the layered energy,
and a same-size back-propagation baseline.

EP follows the conventions of the official code: box convention, a free phase from persistent particles
(one per training example), a short nudged phase on $E+\\beta C$ with a random sign of $\\beta$ per
minibatch, layer-wise learning rates, prediction by relaxing from zero. Inside
:func:`bookkit.training.load_or_train` both training loops checkpoint ``CHECKPOINTS_PER_RUN`` times and a
run killed midway resumes from its last checkpoint with the result it would have had.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from bookkit.ebm_backprop.data import DigitsSplit, one_hot
from bookkit.ebm_backprop.early_inference import nudged_trajectory
from bookkit.ebm_backprop.energy import LayeredNetwork, initial_states, relax, rho
from bookkit.training import check_finite, progress, resumable_checkpointer

CHECKPOINTS_PER_RUN = 5
"""How many checkpoints a training loop inside :func:`~bookkit.training.load_or_train` writes."""


@dataclasses.dataclass
class LearningCurves:
    """Accuracy on the full training and test sets after each epoch, and each epoch's wall time."""

    train_accuracy: list[float] = dataclasses.field(default_factory=list)
    test_accuracy: list[float] = dataclasses.field(default_factory=list)
    epoch_seconds: list[float] = dataclasses.field(default_factory=list)

    def to_state(self) -> dict[str, list[float]]:
        """A checkpointable dict of the three lists."""
        return {field.name: list(getattr(self, field.name)) for field in dataclasses.fields(self)}

    @classmethod
    def from_state(cls, state: dict[str, list[float]]) -> LearningCurves:
        return cls(**{name: list(values) for name, values in state.items()})


def network_state(net: LayeredNetwork) -> dict[str, list[Tensor]]:
    """Copies of the weights and biases, as a checkpoint holds them."""
    return {
        "weights": [w.detach().clone() for w in net.weights],
        "biases": [b.detach().clone() for b in net.biases],
    }


def load_network_state(net: LayeredNetwork, state: dict[str, list[Tensor]]) -> None:
    """Copy saved weights and biases into ``net`` in place."""
    for mine, saved in zip(net.weights + net.biases, state["weights"] + state["biases"]):
        mine.copy_(saved)


def predict_labels(net: LayeredNetwork, x: Tensor, num_steps: int, eps: float) -> Tensor:
    """The class whose visible unit is largest after ``num_steps`` free steps from zero."""
    states = relax(net, x, initial_states(net, (x.shape[0],)), num_steps, eps)
    return states[-1].argmax(-1)


def equilibrium_propagation_step(
    net: LayeredNetwork,
    x: Tensor,
    free: list[Tensor],
    target: Tensor,
    beta: float,
    eps: float,
    nudged_steps: int,
    learning_rates: Sequence[float],
) -> None:
    """Run the nudged phase from the free states and apply the EP update in place (batch mean):

    $$\\Delta W_l=\\frac{\\alpha_l}{\\beta}
    \\big[\\rho(s^\\beta_l)\\rho(s^\\beta_{l-1})^\\top-\\rho(s^0_l)\\rho(s^0_{l-1})^\\top\\big],
    \\qquad \\Delta b_l=\\frac{\\alpha_l}{\\beta}\\big[\\rho(s^\\beta_l)-\\rho(s^0_l)\\big].$$
    """
    kind = net.nonlinearity
    nudged = relax(net, x, free, nudged_steps, eps, beta=beta, target=target)
    x_rho = rho(x, kind)
    free_rhos = [x_rho] + [rho(s, kind) for s in free]
    nudged_rhos = [x_rho] + [rho(s, kind) for s in nudged]
    batch = x.shape[0]
    for layer, alpha in enumerate(learning_rates):
        scale = alpha / (beta * batch)
        net.weights[layer] += scale * (
            nudged_rhos[layer + 1].T @ nudged_rhos[layer] - free_rhos[layer + 1].T @ free_rhos[layer]
        )
        net.biases[layer] += scale * (nudged_rhos[layer + 1] - free_rhos[layer + 1]).sum(0)


def train_equilibrium_propagation(
    net: LayeredNetwork,
    data: DigitsSplit,
    *,
    epochs: int,
    batch_size: int,
    eps: float,
    free_steps: int,
    nudged_steps: int,
    beta: float,
    learning_rates: Sequence[float],
    eval_steps: int,
    generator: torch.Generator,
    random_sign: bool = True,
    update: Callable[..., None] = equilibrium_propagation_step,
) -> LearningCurves:
    """Train ``net`` (box convention) in place with EP and return its learning curves. ``update`` is the
    learning step applied to each minibatch's free states, with :func:`equilibrium_propagation_step`'s
    arguments (:mod:`bookkit.ebm_backprop.early_signal_learning` passes other rules)."""
    if len(learning_rates) != net.num_layers:
        raise ValueError(f"need one learning rate per layer ({net.num_layers}), got {len(learning_rates)}")
    particles = initial_states(net, (len(data.labels_train),))
    targets = one_hot(data.labels_train, data.x_train.dtype)
    curves = LearningCurves()
    checkpointer = resumable_checkpointer(every=max(1, epochs // CHECKPOINTS_PER_RUN), label="EP epochs")
    first_epoch = 0
    if checkpointer is not None:
        first_epoch, saved = checkpointer.resume(total=epochs)
        if saved is not None:
            load_network_state(net, saved["network"])
            for particle, value in zip(particles, saved["particles"]):
                particle.copy_(value)
            curves = LearningCurves.from_state(saved["curves"])
            generator.set_state(saved["generator"])
    for epoch in progress(range(first_epoch, epochs), "EP epochs"):
        start = time.perf_counter()
        order = torch.randperm(len(data.labels_train), generator=generator).to(data.x_train.device)
        signs = torch.randint(2, (len(order) // batch_size,), generator=generator) * 2 - 1
        for index in range(len(order) // batch_size):
            rows = order[index * batch_size : (index + 1) * batch_size]
            x = data.x_train[rows]
            free = relax(net, x, [p[rows] for p in particles], free_steps, eps)
            for p, s in zip(particles, free):
                p[rows] = s
            signed_beta = beta * float(signs[index]) if random_sign else beta
            update(net, x, free, targets[rows], signed_beta, eps, nudged_steps, learning_rates)
        check_finite(net.weights[-1], step=epoch, what="EP weights")
        curves.epoch_seconds.append(time.perf_counter() - start)
        curves.train_accuracy.append(
            _accuracy(predict_labels(net, data.x_train, eval_steps, eps), data.labels_train)
        )
        curves.test_accuracy.append(
            _accuracy(predict_labels(net, data.x_test, eval_steps, eps), data.labels_test)
        )
        if checkpointer is not None:
            checkpointer.maybe_save(
                epoch + 1,
                lambda: {
                    "network": network_state(net),
                    "particles": [p.clone() for p in particles],
                    "curves": curves.to_state(),
                    "generator": generator.get_state(),
                },
                force=epoch + 1 == epochs,
            )
    return curves


def feedforward_output(net: LayeredNetwork, x: Tensor) -> Tensor:
    """The baseline network: hard-sigmoid hidden layers and a linear output,
    $h_l=\\rho(W_lh_{l-1}+b_l)$, $y=W_Lh_{L-1}+b_L$."""
    h = x
    for w, b in zip(net.weights[:-1], net.biases[:-1]):
        h = rho(h @ w.T + b, "box")
    return h @ net.weights[-1].T + net.biases[-1]


def train_backprop(
    net: LayeredNetwork,
    data: DigitsSplit,
    *,
    epochs: int,
    batch_size: int,
    learning_rates: Sequence[float],
    generator: torch.Generator,
) -> LearningCurves:
    """Minibatch SGD on $\\tfrac12\\lVert y-d\\rVert^2$ with layer-wise learning rates, gradients by
    autograd."""
    targets = one_hot(data.labels_train, data.x_train.dtype)
    parameters = [p for pair in zip(net.weights, net.biases) for p in pair]
    for p in parameters:
        p.requires_grad_(True)
    rates = [lr for lr in learning_rates for _ in range(2)]
    curves = LearningCurves()
    checkpointer = resumable_checkpointer(every=max(1, epochs // CHECKPOINTS_PER_RUN), label="BP epochs")
    first_epoch = 0
    if checkpointer is not None:
        first_epoch, saved = checkpointer.resume(total=epochs)
        if saved is not None:
            with torch.no_grad():
                load_network_state(net, saved["network"])
            curves = LearningCurves.from_state(saved["curves"])
            generator.set_state(saved["generator"])
    for epoch in range(first_epoch, epochs):
        start = time.perf_counter()
        order = torch.randperm(len(data.labels_train), generator=generator).to(data.x_train.device)
        for index in range(len(order) // batch_size):
            rows = order[index * batch_size : (index + 1) * batch_size]
            loss = 0.5 * (feedforward_output(net, data.x_train[rows]) - targets[rows]).pow(2).sum(-1).mean()
            gradients = torch.autograd.grad(loss, parameters)
            with torch.no_grad():
                for parameter, gradient, lr in zip(parameters, gradients, rates):
                    parameter.sub_(lr * gradient)
        check_finite(loss.detach(), step=epoch, what="BP loss")
        curves.epoch_seconds.append(time.perf_counter() - start)
        with torch.no_grad():
            curves.train_accuracy.append(
                _accuracy(feedforward_output(net, data.x_train).argmax(-1), data.labels_train)
            )
            curves.test_accuracy.append(
                _accuracy(feedforward_output(net, data.x_test).argmax(-1), data.labels_test)
            )
        if checkpointer is not None:
            checkpointer.maybe_save(
                epoch + 1,
                lambda: {
                    "network": network_state(net),
                    "curves": curves.to_state(),
                    "generator": generator.get_state(),
                },
                force=epoch + 1 == epochs,
            )
    for p in parameters:
        p.requires_grad_(False)
    return curves


def _accuracy(predicted: Tensor, labels: Tensor) -> float:
    return float((predicted == labels).to(torch.float64).mean())


@dataclasses.dataclass(frozen=True)
class PairedAccuracy:
    """The accuracy difference of two classifiers scored on the same test items, with its standard error."""

    difference: float
    standard_error: float

    @property
    def interval(self) -> tuple[float, float]:
        r"""The normal-approximation 95% interval, difference $\pm1.96$ standard errors."""
        return self.difference - 1.96 * self.standard_error, self.difference + 1.96 * self.standard_error


def paired_accuracy_difference(correct_a: Tensor, correct_b: Tensor) -> PairedAccuracy:
    r"""Accuracy of A minus accuracy of B on the same $n$ test items, from per-item correctness $c^A_i,c^B_i$:

    $$\bar D=\frac1n\sum_i(c^A_i-c^B_i),\qquad
    \mathrm{SE}=\sqrt{\frac{1}{n(n-1)}\sum_i\big(c^A_i-c^B_i-\bar D\big)^2}.$$
    Pairing removes the variance of which digits happen to be hard: only items that one classifier gets
    right and the other wrong contribute, so the interval is much narrower than that of two separate
    accuracies.
    """
    differences = correct_a.to(torch.float64) - correct_b.to(torch.float64)
    n = differences.numel()
    return PairedAccuracy(float(differences.mean()), float(differences.std() / n**0.5))


def pre_post_rate_form(
    net: LayeredNetwork,
    x: Tensor,
    free: list[Tensor],
    target: Tensor,
    beta: float,
    eps: float,
    num_steps: int,
) -> tuple[list[Tensor], list[Tensor]]:
    """The EP weight change over a nudged phase of ``num_steps`` steps, written two ways (batch sums):

    $$\\rho_l\\rho_{l-1}^\\top\\Big|_0^K \\quad\\text{and}\\quad
    \\sum_{t<K}\\big(\\Delta\\rho_l(t)\\,\\rho_{l-1}(t)^\\top+\\rho_l(t)\\,\\Delta\\rho_{l-1}(t)^\\top\\big),$$
    the second being two pre-rate times d(post-rate)/dt terms, one per direction of the symmetric synapse.
    They differ by exactly $\\sum_t\\Delta\\rho_l(t)\\Delta\\rho_{l-1}(t)^\\top=O(\\beta^2)$.
    """
    kind = net.nonlinearity
    trajectory = nudged_trajectory(net, x, free, num_steps, eps, beta=beta, target=target)
    rates = [rho(x, kind).expand(num_steps + 1, *x.shape)] + [rho(s, kind) for s in trajectory]
    changes = [r.diff(dim=0) for r in rates]
    endpoint, accumulated = [], []
    for layer in range(1, len(rates)):
        post, pre = rates[layer], rates[layer - 1]
        endpoint.append(post[-1].T @ pre[-1] - post[0].T @ pre[0])
        accumulated.append(
            torch.einsum("tbi,tbj->ij", changes[layer], pre[:-1])
            + torch.einsum("tbi,tbj->ij", post[:-1], changes[layer - 1])
        )
    return endpoint, accumulated
