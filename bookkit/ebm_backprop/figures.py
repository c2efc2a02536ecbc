"""The chapter's figures: each function draws one figure from computed results and returns it, so the
notebooks keep the science and glue the figure with a caption."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor

from bookkit.ebm_backprop.learning import LearningCurves
from bookkit.plotting import PAPER_MARKER

CURVE_STYLES = {
    "ep": ("Equilibrium Propagation", "C0", "o"),
    "bp": ("back-propagation", "C1", "s"),
    "ep_output_only": ("EP, output layer only (null)", "C2", "^"),
}
"""Legend text, colour and marker of each digits classifier."""


def digits_learning_curves(
    curves: Mapping[str, LearningCurves],
    thresholds: Mapping[str, float],
    title: str,
) -> Figure:
    """Test (solid) and training (dotted) accuracy per epoch of each classifier in ``curves``, with the
    accuracy thresholds of the claims (``thresholds``: classifier name -> value) as dashed lines."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, curve in curves.items():
        label, color, marker = CURVE_STYLES[name]
        epochs = range(1, len(curve.test_accuracy) + 1)
        ax.plot(epochs, curve.test_accuracy, f"{marker}-", color=color, label=f"{label}, test")
        ax.plot(epochs, curve.train_accuracy, f"{marker}:", color=color, alpha=0.6, label=f"{label}, train")
    for name, value in thresholds.items():
        label, color, _ = CURVE_STYLES[name]
        ax.axhline(value, color=color, ls="--", lw=0.8, label=f"{label}: threshold")
    ax.set(xlabel="epoch", ylabel="accuracy (fraction correct)", ylim=(0.5, 1.0), title=title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


NONLINEARITY_LABELS = {"smooth": "smooth ρ", "box": "hard sigmoid, box", "naive_hard": "hard sigmoid, naive"}
"""Legend names of the three conventions for rho."""


def relaxation_histories(runs: Mapping[tuple[str, float], Mapping[str, Tensor]], threshold: float) -> Figure:
    """Energy above its final value (left) and stationarity residual (right) along the relaxation, the worst
    input of each (convention, gain) run in ``runs`` (``"energies"``, ``"residuals"``:
    ``(steps, inputs)``)."""
    fig, (ax_energy, ax_residual) = plt.subplots(1, 2, figsize=(11, 4))
    for (kind, gain), run in runs.items():
        label = f"{NONLINEARITY_LABELS[kind]}, gain {gain}"
        gap = (run["energies"] - run["energies"][-1]).amax(-1).clamp_min(1e-16).cpu()
        ax_energy.semilogy(gap, label=label)
        ax_residual.semilogy(run["residuals"].amax(-1).clamp_min(1e-17).cpu(), label=label)
    ax_energy.set(xlabel="Euler step t", ylabel="E(s_t) − E(s_T) (energy units)", title="energy")
    ax_residual.set(
        xlabel="Euler step t",
        ylabel="stationarity residual (state units per step)",
        title="distance from a fixed point",
    )
    ax_residual.axhline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold:g}")
    ax_energy.legend(loc="upper right", fontsize=8)
    ax_residual.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def langevin_marginals(
    deviations: Tensor,
    units: Sequence[int],
    unit_names: Sequence[str],
    variances: Mapping[str, Tensor],
    temperature: float,
) -> Figure:
    """Histograms of sampled deviations $s_i-s^*_i$ (``deviations``: ``(samples, units)``) of the chosen
    ``units``, against zero-mean Gaussians with variance ``temperature`` times each entry of ``variances``
    (legend label -> per-unit diagonal)."""
    fig, axes = plt.subplots(1, len(units), figsize=(14, 3.2), sharey=False)
    styles = ("C0-", "C1--", "C2:")
    for ax, unit, name in zip(axes, units, unit_names):
        samples = deviations[:, unit].cpu()
        ax.hist(samples, bins=40, density=True, color="0.75", label="Langevin samples")
        grid = torch.linspace(float(samples.min()), float(samples.max()), 200, dtype=torch.float64)
        for (label, diagonal), style in zip(variances.items(), styles):
            variance = temperature * float(diagonal[unit])
            density = torch.exp(-(grid**2) / (2 * variance)) / (2 * torch.pi * variance) ** 0.5
            ax.plot(grid, density, style, label=label)
        ax.set(xlabel="s_i − s*_i (state units)", title=name)
    axes[0].set_ylabel("probability density (1 / state unit)")
    fig.suptitle(
        f"Langevin samples around the fixed point, T = {temperature:g}, "
        f"{deviations.shape[0]} samples per unit"
    )
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.08))
    fig.tight_layout()
    return fig


def state_traces(trace: Tensor, first_step: int, title: str) -> Figure:
    """Trajectories of a few units (``trace``: ``(steps, units)``) after ``first_step`` Euler steps."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(trace, lw=1)
    ax.set(xlabel=f"Euler step after the first {first_step}", ylabel="state s_i (state units)", title=title)
    fig.tight_layout()
    return fig


def _draw_error_wave(
    ax: Axes, norms: Tensor, predicted: Tensor, layer_names: Sequence[str], sample: int
) -> None:
    """$\\lVert\\Delta s_l(t)\\rVert$ per nudged step for each layer, and the first-arrival prediction as a
    star at step $k=L-1-l$ (``norms``: ``(steps, L, inputs)``, ``predicted``: ``(L, inputs)``)."""
    num_layers = len(layer_names)
    for layer, name in enumerate(layer_names):
        steps = range(norms.shape[0])
        (line,) = ax.semilogy(steps, norms[:, layer, sample].clamp_min(1e-16).cpu(), "o-", label=name)
        marker: dict[str, Any] = {
            **PAPER_MARKER,
            "color": line.get_color(),
            "label": "prediction" if layer == 0 else None,
        }
        ax.plot([num_layers - 1 - layer], [float(predicted[layer, sample])], **marker)


def error_wave_and_first_moves(
    norms: Tensor,
    predicted: Tensor,
    deltas: Sequence[Tensor],
    scaled_moves: Sequence[Tensor],
    layer_names: Sequence[str],
    *,
    sample: int,
    gain: float,
    beta: float,
) -> Figure:
    """Left: the error wave of one input (:func:`_draw_error_wave`). Right: every unit's first move divided
    by $-\\beta\\varepsilon^{k+1}$ against its back-propagated error $\\delta_l$, all inputs."""
    fig, (ax_wave, ax_scatter) = plt.subplots(1, 2, figsize=(11, 4))
    _draw_error_wave(ax_wave, norms, predicted, layer_names, sample)
    for layer, name in enumerate(layer_names):
        ax_scatter.plot(
            deltas[layer].flatten().cpu(), scaled_moves[layer].flatten().cpu(), ".", ms=3, label=name
        )
    lim = float(max(r.abs().max() for r in deltas))
    ax_scatter.plot([-lim, lim], [-lim, lim], "k--", lw=1, label="identity")
    ax_wave.set(
        xlabel="nudged step t",
        ylabel="‖Δs_l(t)‖ (state units, 0 drawn at 1e-16)",
        title=f"error wave, gain {gain}, β = {beta:g}, input {sample}",
    )
    ax_scatter.set(
        xlabel="back-propagated error δ_l (state units)",
        ylabel="Δs_l(k) / (−β ε^(k+1)) (state units)",
        title="first move vs back-prop, all inputs",
    )
    ax_wave.legend()
    ax_scatter.legend(markerscale=3)
    fig.tight_layout()
    return fig


def error_wave(
    norms: Tensor, predicted: Tensor, layer_names: Sequence[str], sample: int, title: str
) -> Figure:
    """The error wave of one input alone (:func:`_draw_error_wave`)."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    _draw_error_wave(ax, norms, predicted, layer_names, sample)
    ax.set(xlabel="nudged step t", ylabel="‖Δs_l(t)‖ (state units)", title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def first_arrival_against_beta(
    betas: Sequence[float], sweeps: Mapping[float, Mapping[str, Tensor]], layer_names: Sequence[str]
) -> Figure:
    """Worst-over-inputs relative error (circles) and $1-\\cos$ (squares) of the first move against beta, per
    hidden layer and gain (``sweeps``: gain ->
    :func:`~bookkit.ebm_backprop.experiments.first_arrival_sweep`)."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for g, (gain, sweep) in enumerate(sweeps.items()):
        alpha = 0.5 + 0.5 * g / len(sweeps)
        for layer, name in enumerate(layer_names):
            error = sweep["relative_error"][:, layer].amax(-1).cpu()
            one_minus_cos = (1 - sweep["cos"][:, layer]).amax(-1).clamp_min(1e-16).cpu()
            ax.loglog(
                betas,
                error,
                "o-",
                color=f"C{layer}",
                alpha=alpha,
                label=f"relative error, {name}, gain {gain}",
            )
            ax.loglog(
                betas,
                one_minus_cos,
                "s:",
                color=f"C{layer}",
                alpha=alpha,
                label=f"1 − cos, {name}, gain {gain}",
            )
    ax.set(
        xlabel="nudge strength β (dimensionless)",
        ylabel="worst over inputs (dimensionless)",
        title="first arrival: error ∝ β, 1 − cos ∝ β²",
    )
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def box_first_arrival(runs: Mapping[float, Mapping[str, Any]], betas: Sequence[float]) -> Figure:
    """Box convention: worst cosine over layers per input at each fixed beta, against the fraction of units
    inside the box (left) and against the input's safe beta (right). ``runs``: gain -> ``sweep``, ``inside``,
    ``safe``."""
    fig, (ax_inside, ax_safe) = plt.subplots(1, 2, figsize=(11, 4))
    for g, (gain, run) in enumerate(runs.items()):
        for b, beta in enumerate(betas):
            worst = torch.nan_to_num(run["sweep"]["cos"][b], nan=float("inf")).amin(0)
            scored = torch.isfinite(worst)
            style = {
                "color": f"C{g}",
                "fillstyle": "full" if b else "none",
                "label": f"gain {gain}, β = {beta:g}",
            }
            ax_inside.plot(run["inside"][scored].cpu(), worst[scored].cpu(), "os"[b], **style)
            ax_safe.plot(run["safe"][scored].cpu(), worst[scored].cpu(), "os"[b], **style)
    for beta in betas:
        ax_safe.axvline(beta, color="k", ls=":", lw=1)
    ax_inside.set(
        xlabel="fraction of units strictly inside the box",
        ylabel="worst cos over layers (per input)",
        title="box ρ: first move vs δ at a fixed β",
    )
    ax_safe.set(
        xscale="log",
        xlabel="safe β of the input (dotted: the two fixed β)",
        ylabel="worst cos over layers",
        title="a fixed β above an input's safe β breaks the premise",
    )
    ax_inside.legend(fontsize=8)
    fig.tight_layout()
    return fig


def langevin_alignment_against_chains(
    chain_counts: Sequence[int],
    result: Mapping[str, Tensor],
    temperatures: Sequence[float],
    layer_names: Sequence[str],
) -> Figure:
    """One panel per temperature: cosine between the mean nudged-minus-free first move over $M$ chains and
    $-\\delta_l$, against $M$, with shared (circles) and independent (squares) noise
    (``result``: :func:`~bookkit.ebm_backprop.experiments.langevin_first_arrival`)."""
    fig, axes = plt.subplots(1, len(temperatures), figsize=(4 * len(temperatures), 3.8), sharey=True)
    for t, (ax, temperature) in enumerate(zip(axes, temperatures)):
        for index, name in enumerate(layer_names):
            color = f"C{index}"
            shared, independent = result["shared"][t, :, index], result["independent"][t, :, index]
            ax.semilogx(chain_counts, shared.cpu(), "o-", color=color, label=f"shared noise, {name}")
            ax.semilogx(
                chain_counts, independent.cpu(), "s:", color=color, label=f"independent noise, {name}"
            )
        ax.axhline(0, color="k", lw=0.8)
        ax.set(xlabel="number of chains M", title=f"T = {temperature:g}")
    axes[0].set_ylabel("cos(mean first move, −δ_l)")
    axes[-1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def langevin_alignment_against_temperature(
    result: Mapping[str, Tensor], temperatures: Sequence[float], layer_names: Sequence[str], num_chains: int
) -> Figure:
    """Cosine with $-\\delta_l$ against temperature with all chains: shared noise, independent noise, and
    one raw nudged chain."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for index, name in enumerate(layer_names):
        color = f"C{index}"
        ax.semilogx(
            temperatures,
            result["shared"][:, -1, index].cpu(),
            "o-",
            color=color,
            label=f"shared noise, {name}",
        )
        ax.semilogx(
            temperatures,
            result["independent"][:, -1, index].cpu(),
            "s:",
            color=color,
            label=f"independent noise, {name}",
        )
        ax.semilogx(
            temperatures,
            result["raw"][:, index].cpu(),
            "^--",
            color=color,
            alpha=0.6,
            label=f"one raw chain, {name}",
        )
    ax.set(
        xlabel="temperature T (energy units)",
        ylabel=f"cos with −δ_l, M = {num_chains}",
        title="the signal against temperature",
    )
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def snr_against_chains(
    chain_counts: Sequence[int],
    predicted: Tensor,
    measured: Tensor,
    temperatures: Sequence[float],
    layer_names: Sequence[str],
) -> Figure:
    """One panel per temperature: predicted (lines) and measured (squares) signal-to-noise ratio of the
    independent-noise mean first move against the number of chains (both ``(num_T, num_M, L)``)."""
    fig, axes = plt.subplots(1, len(temperatures), figsize=(4 * len(temperatures), 3.8), sharey=True)
    for t, (ax, temperature) in enumerate(zip(axes, temperatures)):
        for index, name in enumerate(layer_names):
            color = f"C{index}"
            ax.loglog(
                chain_counts, predicted[t, :, index].cpu(), "-", color=color, label=f"predicted, {name}"
            )
            ax.loglog(chain_counts, measured[t, :, index].cpu(), "s:", color=color, label=f"measured, {name}")
        ax.axhline(1, color="k", lw=0.8)
        ax.set(xlabel="number of chains M", title=f"T = {temperature:g}, independent noise")
    axes[0].set_ylabel("SNR of the mean first move (ratio)")
    axes[-1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def early_signal_learning(
    curves: Mapping[str, LearningCurves], windows: Sequence[int], long_steps: int
) -> Figure:
    """Left: test accuracy per epoch of every rule (``curves``: names from
    :func:`~bookkit.ebm_backprop.early_signal_learning.rule_name`). Right: final test (filled) and training
    (open) accuracy of the early-signal rule against its window $K$, with EP and BPTT as horizontal lines."""
    fig, (ax_curves, ax_window) = plt.subplots(1, 2, figsize=(11, 4))
    for index, (name, curve) in enumerate(curves.items()):
        epochs = range(1, len(curve.test_accuracy) + 1)
        ax_curves.plot(epochs, curve.test_accuracy, "o-", color=f"C{index}", ms=3, label=name)
    early = [curves[f"early-K{window}"] for window in windows]
    ax_window.plot(windows, [c.test_accuracy[-1] for c in early], "ko-", label="early signal, test")
    ax_window.plot(
        windows, [c.train_accuracy[-1] for c in early], "ko--", fillstyle="none", label="early, train"
    )
    for index, rule in enumerate(("ep", "bptt"), start=len(windows)):
        final = curves[f"{rule}-K{long_steps}"]
        label = {"ep": "EP", "bptt": "BPTT"}[rule] + f", {long_steps} steps"
        ax_window.axhline(final.test_accuracy[-1], color=f"C{index}", label=f"{label}, test")
        ax_window.axhline(final.train_accuracy[-1], color=f"C{index}", ls="--", label=f"{label}, train")
    ax_curves.set(xlabel="epoch", ylabel="test accuracy (fraction of 500 digits)", title="learning curves")
    ax_window.set(
        xlabel="window K: nudged steps the rule integrates",
        ylabel="accuracy after the last epoch (fraction)",
        xticks=list(windows),
        title="accuracy against the window",
    )
    ax_curves.legend(fontsize=8)
    ax_window.legend(fontsize=7)
    fig.tight_layout()
    return fig


def continuous_onset(
    times: Tensor, measured: Tensor, predicted: Tensor, layer_names: Sequence[str], fit_times: Sequence[float]
) -> Figure:
    """$\\lVert s^\\beta_l(t)-s^0_l(t)\\rVert$ against $t$ per layer (solid, ``(steps, L)``), with the
    prediction $\\beta\\lVert\\delta_l\\rVert t^{k+1}/(k+1)!$ (dashed); the shaded band is the range the
    slopes are fitted on."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for layer, name in enumerate(layer_names):
        ax.loglog(
            times[1:].cpu(), measured[1:, layer].cpu(), "-", color=f"C{layer}", label=f"{name}, measured"
        )
        ax.loglog(
            times[1:].cpu(), predicted[1:, layer].cpu(), "--", color=f"C{layer}", label=f"{name}, t^(k+1) law"
        )
    ax.axvspan(*fit_times, color="0.9", zorder=0)
    ax.set(
        xlabel="time since the nudge t (units of the membrane time constant)",
        ylabel="‖s^β_l(t) − s^0_l(t)‖ (state units)",
        title="continuous-time first arrival",
    )
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def spike_timing_window(
    centres: Tensor, windows: Mapping[str, tuple[Tensor, Tensor]], window: float
) -> Figure:
    """Mean weight change per bin of $t_{post}-t_{pre}$ with its standard error, one curve per condition
    (``windows``: label -> (means, errors))."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for index, (label, (means, errors)) in enumerate(windows.items()):
        ax.errorbar(
            centres.cpu(), means.cpu(), yerr=errors.cpu(), fmt="o-", ms=3, color=f"C{index}", label=label
        )
    ax.axhline(0, color="k", lw=0.8)
    ax.axvline(0, color="k", lw=0.8)
    ax.axvspan(-window, window, color="0.93", zorder=0)
    ax.set(
        xlabel="t_post − t_pre (ms)",
        ylabel="mean weight change per pair (rate per ms)",
        title="spike-timing window of ΔW ∝ ρ_pre · dρ_post/dt",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def nudged_dynamics_against_bptt(
    bptt: Sequence[Tensor],
    nudged: Sequence[Tensor],
    eps: float,
    layer_names: Sequence[str],
    *,
    beta: float,
    sample: int,
    num_units: int = 3,
) -> Figure:
    """One panel per layer: $-\\varepsilon\\nabla^{BPTT}_l(t)$ (solid) and the nudged dynamics
    $\\Delta^{EP}_l(t)=(s^\\beta_{t+1}-s^\\beta_t)/\\beta$ (dashed, dots) for the first ``num_units`` units
    of input ``sample``; ``bptt[l]`` and ``nudged[l]`` are ``(steps, inputs, n_l)``."""
    fig, axes = plt.subplots(1, len(layer_names), figsize=(4 * len(layer_names), 3.6), squeeze=False)
    for layer, ax in enumerate(axes[0]):
        for unit in range(num_units):
            color = f"C{unit}"
            ax.plot(
                -eps * bptt[layer][:, sample, unit].cpu(),
                "-",
                color=color,
                label="BPTT, −ε∇(t)" if unit == 0 else None,
            )
            ax.plot(
                nudged[layer][:, sample, unit].cpu(),
                "o--",
                ms=3,
                color=color,
                label=f"nudged dynamics, β = {beta:g}" if unit == 0 else None,
            )
        ax.set(xlabel="step t", title=f"layer {layer_names[layer]}, units 0-{num_units - 1}")
    axes[0, 0].set_ylabel("change per unit of β (state units)")
    axes[0, -1].legend(fontsize=8, loc="center right")
    fig.tight_layout()
    return fig


def gdu_against_beta(
    e_gdu: Mapping[float, Mapping[float, float]], betas: Sequence[float], num_steps: int
) -> Figure:
    """Bars of $e_{GDU}$ (``e_gdu[gain][beta]``) per nudge strength $\\beta$, one bar per gain, log scale."""
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    width = 0.8 / len(e_gdu)
    positions = torch.arange(len(betas), dtype=torch.float64)
    for g, (gain, per_beta) in enumerate(e_gdu.items()):
        ax.bar(positions + g * width, [per_beta[b] for b in betas], width, label=f"gain {gain}")
    ax.set(
        xticks=positions + 0.4 - width / 2,
        xticklabels=[f"β = {b:g}" for b in betas],
        yscale="log",
        ylabel="e_GDU (dimensionless)",
        title=f"nudged dynamics vs BPTT over K = {num_steps} steps",
    )
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def nudged_phase_convergence(
    checkpoints: Sequence[int],
    ep_cosines: Mapping[float, Tensor],
    early_cosines: Mapping[float, Sequence[float]],
    weight_names: Sequence[str],
) -> Figure:
    """One panel per weight matrix $W_l$: the worst-input cosine between the EP estimate after $K$ nudged
    steps and the implicit gradient (``ep_cosines[gain]``: ``(len(checkpoints), L, inputs)``), drawn from the
    step where the nudge first reaches $W_l$ ($K=L-l$ for 0-based $l$, with $L$ weight matrices), and the
    first-arrival estimate's worst cosine ``early_cosines[gain][l]`` as a cross at that step."""
    num_layers = len(weight_names)
    fig, axes = plt.subplots(
        1, num_layers, figsize=(4 * num_layers, 3.6), sharex=True, sharey=True, squeeze=False
    )
    for layer, ax in enumerate(axes[0]):
        arrival = num_layers - layer
        shown = [i for i, num_nudged in enumerate(checkpoints) if num_nudged >= arrival]
        for g, (gain, cosines) in enumerate(ep_cosines.items()):
            curve = [float(cosines[i, layer].min()) for i in shown]
            ax.semilogx([checkpoints[i] for i in shown], curve, "-", color=f"C{g}", label=f"gain {gain}")
            ax.plot(
                [arrival],
                [early_cosines[gain][layer]],
                "x",
                ms=9,
                color=f"C{g}",
                label="first-arrival estimate" if g == 0 else None,
            )
        ax.set(xlabel="nudged steps K", title=weight_names[layer])
    axes[0, 0].set_ylabel("cos(EP estimate, implicit gradient), worst input")
    axes[0, -1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def window_alignment_against_window(
    windows: Sequence[int],
    result: Mapping[str, Tensor],
    temperatures: Sequence[float],
    layer_names: Sequence[str],
    num_chains: int,
) -> Figure:
    """One panel per temperature: cosine between the window displacement $D_l(w)$ and $-\\delta_l$ against
    the window length, for one network (mean over networks of its own cosine; predicted dashed, measured
    open circles) and for the mean over $M$ networks (predicted solid, measured filled squares), with the
    unnudged null of that mean for the first hidden layer (grey crosses)
    (``result``: :func:`~bookkit.ebm_backprop.experiments.langevin_window_alignment`)."""
    fig, axes = plt.subplots(1, len(temperatures), figsize=(4 * len(temperatures), 3.9), sharey=True)
    for t, (ax, temperature) in enumerate(zip(axes, temperatures)):
        for index, name in enumerate(layer_names):
            color = f"C{index}"
            ax.semilogx(windows, result["predicted_single_cos"][t, :, index].cpu(), "--", color=color)
            ax.semilogx(
                windows,
                result["single_cos"][t, :, index].cpu(),
                "o",
                mfc="none",
                color=color,
                label=f"one network, {name}",
            )
            ax.semilogx(windows, result["predicted_population_cos"][t, :, index].cpu(), "-", color=color)
            ax.semilogx(
                windows,
                result["population_cos"][t, :, index].cpu(),
                "s",
                color=color,
                label=f"mean of {num_chains} networks, {name}",
            )
        ax.semilogx(
            windows,
            result["null_population_cos"][t, :, 0].cpu(),
            "x",
            color="0.5",
            label=f"no nudge (null), {layer_names[0]}",
        )
        ax.axhline(0, color="k", lw=0.8)
        ax.set(xlabel="window w (steps)", title=f"T = {temperature:g}")
    axes[0].set_ylabel("cos(window displacement, −δ_l)")
    axes[-1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def window_noise_and_prediction(
    windows: Sequence[int],
    result: Mapping[str, Tensor],
    temperatures: Sequence[float],
    layer_names: Sequence[str],
) -> Figure:
    """Left: measured over predicted noise variance of the window displacement against the window length,
    per temperature (line style) and layer (colour), beside the white-noise null (grey); the band is a factor
    2. Right: measured against predicted cosine over every window, layer and temperature, for one network
    (open) and the mean over networks (filled); marker shape by temperature."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    styles, markers = ["-", "--", ":", "-."], ["o", "s", "^", "D"]
    for t, temperature in enumerate(temperatures):
        for index, name in enumerate(layer_names):
            left.loglog(
                windows,
                (result["variance"][t, :, index] / result["predicted_variance"][t, :, index]).cpu(),
                styles[t % 4],
                color=f"C{index}",
                label=f"{name}, T = {temperature:g}",
            )
            left.loglog(
                windows,
                (result["variance"][t, :, index] / result["white_noise_variance"][t, :, index]).cpu(),
                styles[t % 4],
                color="0.6",
                lw=0.8,
            )
            for key, fill in (("single_cos", "none"), ("population_cos", None)):
                right.plot(
                    result[f"predicted_{key}"][t, :, index].cpu(),
                    result[key][t, :, index].cpu(),
                    markers[t % 4],
                    color=f"C{index}",
                    mfc=fill,
                    ms=5,
                    label=f"{name}, T = {temperature:g}" if key == "population_cos" else None,
                )
    left.axhspan(0.5, 2.0, color="C2", alpha=0.1)
    left.axhline(1, color="k", lw=0.8)
    left.set(
        xlabel="window w (steps)",
        ylabel="measured / predicted variance (ratio)",
        title="noise: window formula (colour), white-noise null (grey)",
    )
    left.legend(fontsize=6, ncol=2)
    right.plot([-0.2, 1], [-0.2, 1], color="k", lw=0.8)
    right.set(
        xlabel="predicted cos with −δ_l",
        ylabel="measured cos with −δ_l",
        title="alignment: one network (open), mean (filled)",
    )
    right.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return fig
