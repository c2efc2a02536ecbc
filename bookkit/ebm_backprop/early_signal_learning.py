"""Learning from the early signal itself: the journal version's rate rule applied over only the first $K$
steps of the nudged phase, beside Equilibrium Propagation (a long nudge) and back-propagation through time
of the same recurrent network, all from identical weights, minibatches and signs of $\\beta$.

Each rule is a drop-in ``update`` of :func:`~bookkit.ebm_backprop.learning.train_equilibrium_propagation`:
it receives the free states $s^0$ that the persistent particles relaxed to, and changes the network in place.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch

from bookkit.ebm_backprop.data import DigitsSplit
from bookkit.ebm_backprop.early_inference import nudged_trajectory
from bookkit.ebm_backprop.energy import LayeredNetwork, cost, relax, rho
from bookkit.ebm_backprop.experiments import digits_classifier_network
from bookkit.ebm_backprop.learning import (
    LearningCurves,
    equilibrium_propagation_step,
    network_state,
    train_equilibrium_propagation,
)
from bookkit.ebm_backprop.presets import EarlySignalConfig


def early_signal_step(
    net: LayeredNetwork,
    x: torch.Tensor,
    free: list[torch.Tensor],
    target: torch.Tensor,
    beta: float,
    eps: float,
    nudged_steps: int,
    learning_rates: Sequence[float],
) -> None:
    """The pre-rate times d(post-rate)/dt rule over the first $K$ = ``nudged_steps`` nudged steps (batch
    mean):

    $$\\Delta W_l=\\frac{\\alpha_l}{\\beta}\\sum_{t<K}\\Delta\\rho(s_l)(t)\\,\\rho(s_{l-1}(t))^\\top,\\qquad
    \\Delta b_l=\\frac{\\alpha_l}{\\beta}\\sum_{t<K}\\Delta\\rho(s_l)(t),$$
    with $\\Delta\\rho(s_l)(t)=\\rho(s^\\beta_{l,t+1})-\\rho(s^\\beta_{l,t})$ and the presynaptic layer
    $l-1$ below
    the postsynaptic layer $l$. A layer $k=L-l$ steps below the output first moves at step $k$, so
    $W_l$ learns only when $K>k$; at that first arrival its change is the feed-forward back-propagation
    direction shrunk by $\\varepsilon^{k}$.
    """
    kind = net.nonlinearity
    trajectory = nudged_trajectory(net, x, free, nudged_steps, eps, beta=beta, target=target)
    rates = [rho(x, kind).expand(nudged_steps + 1, *x.shape)] + [rho(s, kind) for s in trajectory]
    batch = x.shape[0]
    for layer, alpha in enumerate(learning_rates):
        post_change, pre = rates[layer + 1].diff(dim=0), rates[layer][:-1]
        scale = alpha / (beta * batch)
        # sum over t < K and the batch of d(post-rate) x pre-rate
        net.weights[layer] += scale * torch.einsum("tbi,tbj->ij", post_change, pre)
        net.biases[layer] += scale * post_change.sum((0, 1))


def backprop_through_time_step(
    net: LayeredNetwork,
    x: torch.Tensor,
    free: list[torch.Tensor],
    target: torch.Tensor,
    beta: float,
    eps: float,
    nudged_steps: int,
    learning_rates: Sequence[float],
) -> None:
    """Truncated BPTT of the same recurrent network: $K$ = ``nudged_steps`` free (projected Euler) steps from
    the free states, the cost at the last one, gradients by autograd through the $K$ steps, then SGD with the
    layer-wise rates (batch mean; ``beta`` is unused):

    $$\\Delta\\theta_l=-\\alpha_l\\,\\frac{\\partial C(s_K)}{\\partial\\theta_l},\\qquad
    C=\\tfrac12\\lVert y_K-d\\rVert^2 .$$
    This is the gradient EP's updates follow step by step for $\\beta\\to0$ (Ernoult et al. 2019).
    """
    del beta
    weights = [w.detach().requires_grad_(True) for w in net.weights]
    biases = [b.detach().requires_grad_(True) for b in net.biases]
    unrolled = LayeredNetwork(weights, biases, net.nonlinearity)
    with torch.enable_grad():
        states = relax(unrolled, x, [s.detach() for s in free], nudged_steps, eps)
        gradients = torch.autograd.grad(cost(states[-1], target).mean(), weights + biases)
    num_layers = net.num_layers
    for layer, alpha in enumerate(learning_rates):
        net.weights[layer] -= alpha * gradients[layer]
        net.biases[layer] -= alpha * gradients[num_layers + layer]


RULES = {
    "early": early_signal_step,
    "ep": equilibrium_propagation_step,
    "bptt": backprop_through_time_step,
}
"""The three learning rules compared, as ``update`` functions of the EP training loop."""


def rule_name(rule: str, window: int) -> str:
    """The key of one trained network: ``early-K2``, ``ep-K20``, ``bptt-K20``."""
    return f"{rule}-K{window}"


def train_rule_comparison(
    cfg: EarlySignalConfig,
    data: DigitsSplit,
    generator: torch.Generator,
    *,
    device: torch.device | str = "cpu",
) -> dict[str, Any]:
    """Train the early-signal rule at each window in ``cfg.windows``, EP with a nudge of ``cfg.long_steps``
    steps and BPTT through ``cfg.long_steps`` steps, each from the same
    :func:`~bookkit.ebm_backprop.experiments.digits_classifier_network` and with a generator seeded alike, so
    that minibatches and signs of $\\beta$ are identical too. Returns a checkpointable state
    ``{name: {"network": ..., "curves": ...}}`` (names from :func:`rule_name`)."""
    initial = digits_classifier_network(cfg.sizes, generator, device=device)
    shared_seed = int(torch.randint(2**31 - 1, (1,), generator=generator))
    runs = [("early", window) for window in cfg.windows] + [("ep", cfg.long_steps), ("bptt", cfg.long_steps)]
    state: dict[str, Any] = {}
    for rule, window in runs:
        net = copy.deepcopy(initial)
        curves: LearningCurves = train_equilibrium_propagation(
            net,
            data,
            epochs=cfg.epochs,
            batch_size=cfg.batch_size,
            eps=cfg.eps,
            free_steps=cfg.free_steps,
            nudged_steps=window,
            beta=cfg.beta,
            learning_rates=cfg.learning_rates,
            eval_steps=cfg.eval_steps,
            generator=torch.Generator().manual_seed(shared_seed),
            update=RULES[rule],
        )
        state[rule_name(rule, window)] = {"network": network_state(net), "curves": curves.to_state()}
    return state
