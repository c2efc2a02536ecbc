"""The chapter's experiments assembled from the model pieces: Glorot-initialised networks, relaxed fixed
points, sweeps over beta, and the quantities the figures draw."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from bookkit.ebm_backprop.data import DigitsSplit
from bookkit.ebm_backprop.early_inference import (
    backprop_errors,
    cosine,
    ep_weight_gradients,
    first_arrival,
    first_arrival_steps,
    langevin_branch,
    langevin_burn_in,
    log_log_slope,
    matrix_cosine,
    nudged_minus_free,
    polish_fixed_point,
)
from bookkit.ebm_backprop.energy import LayeredNetwork, States, init_network, initial_states, relax
from bookkit.ebm_backprop.learning import (
    LearningCurves,
    network_state,
    train_backprop,
    train_equilibrium_propagation,
)
from bookkit.ebm_backprop.presets import DigitsConfig
from bookkit.ebm_backprop.window_averaging import (
    predict_window_estimator,
    predicted_window_cosine,
    window_displacements,
)

START_VALUE = {"smooth": 0.5, "box": 0.0, "naive_hard": 0.5}
"""Where the free phase starts: mid-range for the smooth and naive rates, the lower face for the box."""


def glorot_network(
    sizes: Sequence[int],
    nonlinearity: str,
    gain: float,
    generator: torch.Generator,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float64,
) -> LayeredNetwork:
    """Glorot weights with ``gain``; biases $U(0,0.5)$ for smooth $\\rho$ and zero for the hard sigmoid."""
    bias_range = (0.0, 0.5) if nonlinearity == "smooth" else (0.0, 0.0)
    return init_network(
        sizes, nonlinearity, gain=gain, bias_range=bias_range, generator=generator, dtype=dtype, device=device
    )


def digits_classifier_network(
    sizes: Sequence[int],
    generator: torch.Generator,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> LayeredNetwork:
    """The box-convention classifier that EP and its baselines train: Glorot weights (gain 1) and zero
    biases, except that the output weights start at zero, $W_L=0$.

    Why: an output unit $y_j$ on the lower face of the box with drive $h_j<-\\beta$ is not lifted by the
    nudge, $\\Pi(\\varepsilon(h_j+\\beta d_j))=0$, so neither phase changes its rate and its EP update is
    exactly zero. With Glorot output weights the initial drives spread over about $\\pm0.6$, beyond the
    nudge's reach ($\\beta=0.5$) for some units on every digit of their class, and such a unit never
    learns. With $W_L=0$ every output starts at drive $h_j=0>-\\beta$, where the nudge reaches it.
    """
    net = glorot_network(sizes, "box", 1.0, generator, device=device, dtype=dtype)
    net.weights[-1].zero_()
    return net


CLASSIFIERS = ("ep", "bp", "ep_output_only")
"""The three classifiers of the digits experiment: EP, the back-prop baseline, and the null (EP with the
hidden layer's learning rate set to zero, so that only the output weights learn)."""


def train_digits_classifiers(
    cfg: DigitsConfig,
    data: DigitsSplit,
    generator: torch.Generator,
    *,
    device: torch.device | str = "cpu",
) -> dict[str, Any]:
    """Train EP, the same-size back-prop baseline and the output-layer-only EP null, in that order, from the
    same :func:`digits_classifier_network`, drawing from ``generator``. Returns a checkpointable state
    ``{name: {"network": ..., "curves": ...}}`` for :func:`bookkit.training.load_or_train`, inside which each
    training loop checkpoints and resumes."""
    initial = digits_classifier_network(cfg.sizes, generator, device=device)

    def train_ep(network: LayeredNetwork, learning_rates: Sequence[float]) -> LearningCurves:
        return train_equilibrium_propagation(
            network,
            data,
            epochs=cfg.epochs,
            batch_size=cfg.batch_size,
            eps=cfg.eps,
            free_steps=cfg.free_steps,
            nudged_steps=cfg.nudged_steps,
            beta=cfg.beta,
            learning_rates=learning_rates,
            eval_steps=cfg.eval_steps,
            generator=generator,
        )

    output_only_rates = (0.0,) * (len(cfg.learning_rates) - 1) + cfg.learning_rates[-1:]
    networks = {name: copy.deepcopy(initial) for name in CLASSIFIERS}
    curves = {
        "ep": train_ep(networks["ep"], cfg.learning_rates),
        "bp": train_backprop(
            networks["bp"],
            data,
            epochs=cfg.epochs,
            batch_size=cfg.batch_size,
            learning_rates=cfg.bp_learning_rates,
            generator=generator,
        ),
        "ep_output_only": train_ep(networks["ep_output_only"], output_only_rates),
    }
    return {
        name: {"network": network_state(networks[name]), "curves": curves[name].to_state()}
        for name in CLASSIFIERS
    }


@dataclasses.dataclass
class TrainedClassifier:
    """A trained network and its learning curves."""

    net: LayeredNetwork
    curves: LearningCurves


def trained_classifiers(state: dict[str, Any]) -> dict[str, TrainedClassifier]:
    """The networks and curves of a :func:`train_digits_classifiers` state (trained or loaded)."""
    result = {}
    for name in CLASSIFIERS:
        saved = state[name]["network"]
        net = LayeredNetwork(list(saved["weights"]), list(saved["biases"]), "box")
        result[name] = TrainedClassifier(net, LearningCurves.from_state(state[name]["curves"]))
    return result


def free_fixed_point(
    net: LayeredNetwork, x: Tensor, num_steps: int, eps: float, newton_steps: int = 0
) -> States:
    """Relax from the brief's start value for ``num_steps`` Euler steps, then (smooth $\\rho$ only) polish
    with ``newton_steps`` Newton steps."""
    states = relax(net, x, initial_states(net, x.shape[:-1], START_VALUE[net.nonlinearity]), num_steps, eps)
    if net.nonlinearity == "smooth" and newton_steps:
        states = polish_fixed_point(net, x, states, newton_steps)
    return states


def first_arrival_sweep(
    net: LayeredNetwork, x: Tensor, target: Tensor, s_star: States, betas: Sequence[float], eps: float
) -> dict[str, Tensor]:
    """:func:`first_arrival` at each beta, stacked as ``(num_betas, L, *batch)``, plus the slope of
    $\\log$ ``relative_error`` against $\\log\\beta$ for every hidden layer and input (``(L - 1, *batch)``;
    the output layer's first move is exact and has no error to fit)."""
    reports = [first_arrival(net, x, s_star, target, beta, eps) for beta in betas]
    sweep = {
        "cos": torch.stack([r["cos"] for r in reports]),
        "ratio": torch.stack([r["ratio"] for r in reports]),
        "relative_error": torch.stack([r["relative_error"] for r in reports]),
        "before_arrival": torch.stack([r["before_arrival"] for r in reports]),
    }
    sweep["slope"] = log_log_slope(betas, sweep["relative_error"][:, :-1])
    return sweep


def fraction_inside_box(states: States) -> Tensor:
    """The fraction of free units strictly inside $(0,1)$, per batch element."""
    flat = torch.cat(states, dim=-1)
    return ((flat > 0) & (flat < 1)).to(flat.dtype).mean(-1)


def error_wave(
    net: LayeredNetwork, x: Tensor, target: Tensor, s_star: States, beta: float, eps: float, num_steps: int
) -> tuple[Tensor, Tensor]:
    """Norms $\\lVert\\Delta s_l(t)\\rVert$ for $t<$ ``num_steps`` (shape ``(num_steps, L, *batch)``) and the
    first-arrival prediction $\\beta\\varepsilon^{k+1}\\lVert\\delta_l\\rVert$ (shape ``(L, *batch)``)."""
    differences = nudged_minus_free(net, x, s_star, target, beta, eps, num_steps)
    norms = torch.stack([d.norm(dim=-1) for d in differences], dim=1)
    deltas = backprop_errors(net, s_star, target)
    predicted = torch.stack(
        [beta * eps ** (k + 1) * d.norm(dim=-1) for d, k in zip(deltas, first_arrival_steps(net))]
    )
    return norms, predicted


def langevin_stationary_chains(
    net: LayeredNetwork,
    x: Tensor,
    s_star: States,
    *,
    eps: float,
    temperatures: Sequence[float],
    num_chains: int,
    burn_in_steps: int,
    generator: torch.Generator,
) -> States:
    """``num_chains`` free Langevin chains per temperature, started at $s^*$ and run ``burn_in_steps``
    steps: one ``(len(temperatures), num_chains, n_l)`` tensor per layer."""
    dtype, device = s_star[0].dtype, s_star[0].device
    temperature = torch.as_tensor(temperatures, dtype=dtype, device=device).reshape(-1, 1, 1)
    chains = [s.reshape(1, 1, -1).expand(len(temperatures), num_chains, -1).clone() for s in s_star]
    return langevin_burn_in(net, x, chains, burn_in_steps, eps, temperature, generator)


def langevin_first_arrival(
    net: LayeredNetwork,
    x: Tensor,
    target: Tensor,
    s_star: States,
    *,
    beta: float,
    eps: float,
    temperatures: Sequence[float],
    num_chains: int,
    burn_in_steps: int,
    chain_counts: Sequence[int],
    generator: torch.Generator,
    chains: States | None = None,
) -> dict[str, Tensor]:
    """First arrival in Langevin chains around the fixed point ``s_star`` of one input (batch of 1).

    ``num_chains`` chains per temperature start at $s^*$, run ``burn_in_steps`` free Langevin steps (or
    are given, already burned in, as ``chains``, shape ``(num_T, num_chains, n_l)`` per layer), and
    are each branched into a nudged and a free copy for $k+1$ steps, once with shared and once with
    independent noise. The reference is the back-propagated error of each chain at its own state $s_c$ when
    it branches, $\\delta_l(s_c)$, averaged over the same chains as the move,
    $\\bar\\delta_l=\\frac1m\\sum_{c\\le m}\\delta_l(s_c)$: the first move of chain $c$ is
    $-\\beta\\varepsilon^{k+1}\\delta_l(s_c)$ to first order in $\\beta$ (exactly so at the visible layer).
    Returns the cosine between $-\\bar\\delta_l$ and: ``shared`` / ``independent``, the mean over the first
    $m$ chains of the nudged-minus-free first move, shape ``(num_T, len(chain_counts), L)``; ``raw``, one
    nudged chain's own first move against its own $-\\delta_l(s_1)$, ``(num_T, L)``. Also
    ``independent_snr``, the measured signal-to-noise ratio of the independent-noise mean $\\bar\\Delta_l$,
    with the first-arrival prediction as the signal, ``(num_T, len(chain_counts), L)``:

    $$\\widehat{\\mathrm{SNR}}_l=\\frac{\\beta\\varepsilon^{k+1}\\lVert\\bar\\delta_l\\rVert}
    {\\lVert\\bar\\Delta_l+\\beta\\varepsilon^{k+1}\\bar\\delta_l\\rVert}.$$
    """
    dtype, device = s_star[0].dtype, s_star[0].device
    temperature = torch.as_tensor(temperatures, dtype=dtype, device=device).reshape(-1, 1, 1)
    if chains is None:
        chains = langevin_stationary_chains(
            net,
            x,
            s_star,
            eps=eps,
            temperatures=temperatures,
            num_chains=num_chains,
            burn_in_steps=burn_in_steps,
            generator=generator,
        )
    steps = first_arrival_steps(net)
    chain_deltas = backprop_errors(net, chains, target)
    # mean over the first m chains of delta_l(s_c): (num_T, len(chain_counts), n_l) per layer
    deltas = [torch.stack([delta[:, :m].mean(1) for m in chain_counts], dim=1) for delta in chain_deltas]
    result: dict[str, Tensor] = {}
    for mode, shared in (("shared", True), ("independent", False)):
        nudged, free = langevin_branch(
            net, x, chains, target, beta, eps, temperature, max(steps) + 1, generator, shared_noise=shared
        )
        means = [
            torch.stack([(n[k] - f[k])[:, :m].mean(1) for m in chain_counts], dim=1)
            for n, f, k in zip(nudged, free, steps)
        ]
        result[mode] = torch.stack([cosine(mean, -delta) for mean, delta in zip(means, deltas)], dim=-1)
        if shared:
            result["raw"] = torch.stack(
                [cosine(n[k][:, 0], -delta[:, 0]) for n, delta, k in zip(nudged, chain_deltas, steps)],
                dim=-1,
            )
        else:
            signals = [beta * eps ** (k + 1) * delta for delta, k in zip(deltas, steps)]
            result["independent_snr"] = torch.stack(
                [signal.norm(dim=-1) / (mean + signal).norm(dim=-1) for mean, signal in zip(means, signals)],
                dim=-1,
            )
    return result


def langevin_window_alignment(
    net: LayeredNetwork,
    x: Tensor,
    target: Tensor,
    s_star: States,
    chains: States,
    *,
    beta: float,
    eps: float,
    temperatures: Sequence[float],
    windows: Sequence[int],
    generator: torch.Generator,
) -> dict[str, Tensor]:
    """One chain per network: the window displacement $D_l(w)$ of each stationary chain in ``chains``
    (``(num_T, M, n_l)`` per layer), measured against the back-propagated error $-\\delta_l(s^*)$ and against
    the linear-Gaussian prediction of :func:`~bookkit.ebm_backprop.window_averaging.predict_window_estimator`.

    Every entry has shape ``(num_T, len(windows), L)``: ``single_cos``, the mean over the $M$ networks of
    $\\cos(D_l(w),-\\delta_l)$ (what one network sees, on average); ``population_cos``, the cosine of the
    mean of $D_l(w)$ over the $M$ networks (replicas of the same input, each with its own noise);
    ``null_single_cos`` / ``null_population_cos``, the same with $\\beta=0$ (no nudge); ``variance``, the
    measured $\\mathrm{tr}\\,\\mathrm{Cov}\\,D_l(w)$ over networks; and the predictions
    ``predicted_variance``, ``white_noise_variance``, ``predicted_single_cos`` ($R=1$) and
    ``predicted_population_cos`` ($R=M$), from
    :func:`~bookkit.ebm_backprop.window_averaging.predicted_window_cosine`;
    ``ceiling`` (noise-free cosine, broadcast over T) and ``snr`` (one chain).
    """
    dtype, device = s_star[0].dtype, s_star[0].device
    temperature = torch.as_tensor(temperatures, dtype=dtype, device=device).reshape(-1, 1, 1)
    prediction = predict_window_estimator(
        net, x, s_star, target, beta=beta, eps=eps, temperatures=temperatures, windows=windows
    )
    nudged, null = window_displacements(
        net,
        x,
        chains,
        target,
        betas=(beta, 0.0),
        eps=eps,
        temperature=temperature,
        windows=windows,
        generator=generator,
    )
    deltas = backprop_errors(net, s_star, target)

    def alignment(displacements: States) -> tuple[Tensor, Tensor]:
        # displacement per layer (num_w, num_T, M, n_l); delta_l (1, n_l)
        single = torch.stack([cosine(d, -delta).mean(-1) for d, delta in zip(displacements, deltas)], -1)
        population = torch.stack([cosine(d.mean(-2), -delta) for d, delta in zip(displacements, deltas)], -1)
        return single.transpose(0, 1), population.transpose(0, 1)

    single, population = alignment(nudged)
    null_single, null_population = alignment(null)
    ceiling = prediction["ceiling"].expand_as(prediction["snr"])
    num_chains = chains[0].shape[-2]
    return {
        "single_cos": single,
        "population_cos": population,
        "null_single_cos": null_single,
        "null_population_cos": null_population,
        "variance": torch.stack([d.var(-2).sum(-1) for d in nudged], -1).transpose(0, 1),
        "predicted_variance": prediction["noise_variance"],
        "white_noise_variance": prediction["white_noise_variance"],
        "predicted_single_cos": predicted_window_cosine(ceiling, prediction["snr"]),
        "predicted_population_cos": predicted_window_cosine(ceiling, prediction["snr"], num_chains),
        "ceiling": ceiling,
        "snr": prediction["snr"],
    }


def nudged_phase_cosines(
    net: LayeredNetwork,
    x: Tensor,
    target: Tensor,
    s_star: States,
    beta: float,
    eps: float,
    checkpoints: Sequence[int],
    reference: States,
) -> Tensor:
    """Cosine between ``reference`` (per-layer weight gradients, ``(*batch, n_l, n_{l-1})``) and the EP
    estimate :func:`ep_weight_gradients` between $s^*$ and the nudged state $s^\\beta_K$, for each number of
    nudged steps $K$ in ``checkpoints`` (increasing): shape ``(len(checkpoints), L, *batch)``. Small $K$
    gives the first-arrival (feed-forward) estimate, large $K$ the gradient at the fixed point. Only
    cosines are kept, so the per-input matrices of each checkpoint never pile up in memory."""
    cosines, states, done = [], s_star, 0
    for steps in checkpoints:
        states = relax(net, x, states, steps - done, eps, beta=beta, target=target)
        done = steps
        estimate = ep_weight_gradients(net, x, s_star, states, beta)
        cosines.append(torch.stack([matrix_cosine(e, r) for e, r in zip(estimate, reference)]))
    return torch.stack(cosines)
