"""The UORO chapter's figures, one function per figure; each returns the matplotlib figure it drew.

The notebooks compute; these functions only draw what they are given, so a reader's page shows the
experiment and the figure's caption, not the plotting calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from bookkit.uoro.train import bits, dependency_curve, recent_average

BLUE, VERMILION, GREEN, PURPLE = "#0072B2", "#D55E00", "#009E73", "#CC79A7"
"""Colour-blind-safe colours (Okabe-Ito)."""


def truncation_error(
    truncations: Sequence[int], errors: Mapping[str, Sequence[float]], cosines: Mapping[str, Sequence[float]]
) -> Figure:
    """01: relative error and cosine of the TBPTT-K gradient against BPTT's, per cell, as K grows."""
    fig, (ax_error, ax_cosine) = plt.subplots(1, 2, figsize=(11, 4))
    for name in errors:
        ax_error.loglog(truncations, errors[name], "o-", label=name)
        ax_cosine.semilogx(truncations, cosines[name], "o-", label=name)
    ax_error.set_xlabel("truncation length K (steps)")
    ax_error.set_ylabel("relative error |TBPTT-K - BPTT| / |BPTT|")
    ax_cosine.set_xlabel("truncation length K (steps)")
    ax_cosine.set_ylabel("cosine(TBPTT-K, BPTT)")
    ax_error.legend()
    return fig


def step_cost(
    costs: Mapping[str, Mapping[int, float]], slopes: Mapping[str, float], inputs: int = 16
) -> Figure:
    """01: time per step against the number of units (log-log), and the memory RTRL and UORO carry between
    steps for a tanh RNN with ``inputs`` inputs and read-out classes, in float32."""
    fig, (ax_time, ax_memory) = plt.subplots(1, 2, figsize=(11, 4))
    for method, table in costs.items():
        sizes = sorted(table)
        ax_time.loglog(
            sizes, [table[n] * 1e3 for n in sizes], "o-", label=f"{method} (slope {slopes[method]:.1f})"
        )
    ax_time.set_xlabel("hidden units n")
    ax_time.set_ylabel("time per step (ms)")
    ax_time.legend()
    sizes = sorted({n for table in costs.values() for n in table})
    # J is n x dim(theta), dim(theta) = n^2 + (inputs + 1) n; UORO carries s~ (n) and theta~ (dim theta)
    influence_mib = [4 * n * (n * n + (inputs + 1) * n) / 2**20 for n in sizes]
    pair_mib = [4 * (n * n + (inputs + 1) * n + n) / 2**20 for n in sizes]
    ax_memory.loglog(sizes, influence_mib, "o-", label="RTRL: influence matrix J")
    ax_memory.loglog(sizes, pair_mib, "o-", label="UORO: s~ and θ~")
    ax_memory.set_xlabel("hidden units n")
    ax_memory.set_ylabel("memory carried between steps (MiB, float32)")
    ax_memory.legend()
    return fig


def group_mean_error(group_sizes: Sequence[int], medians: Sequence[float], slope: float) -> Figure:
    """02: median relative error of the mean of K UORO estimates against K, beside the K^(-1/2) line."""
    fig, ax = plt.subplots()
    ax.loglog(group_sizes, medians, "o-", label="UORO: median over disjoint groups")
    ax.loglog(group_sizes, [medians[0] / k**0.5 for k in group_sizes], "k:", label="$K^{-1/2}$ reference")
    ax.set_xlabel("number of estimates averaged, K")
    ax.set_ylabel("relative error |mean - J| / |J|")
    ax.set_title(f"fitted slope {slope:.2f}")
    ax.legend()
    return fig


def z_score_histogram(z: torch.Tensor) -> Figure:
    """02: histogram of the z-scores of every entry of the mean estimate, against the standard normal."""
    fig, ax = plt.subplots()
    ax.hist(z.numpy(), bins=60, density=True, label="UORO entries")
    grid = torch.linspace(-5, 5, 200)
    ax.plot(grid, torch.exp(-(grid**2) / 2) / (2 * torch.pi) ** 0.5, "k", label="standard normal")
    ax.set_xlabel("z-score of the mean estimate of each entry of J (standard errors)")
    ax.set_ylabel("density")
    ax.legend()
    return fig


def single_sample_error(steps: Sequence[int], errors: Mapping[str, Sequence[float]]) -> Figure:
    """02: single-sample RMS relative error against the number of steps, per variant of the estimator."""
    fig, ax = plt.subplots()
    for label, values in errors.items():
        ax.loglog(steps, values, "o-", label=label)
    ax.set_xlabel("steps T from s_0")
    ax.set_ylabel("single-sample RMS relative error")
    ax.legend()
    return fig


def truncated_derivatives(
    derivatives: torch.Tensor, summed: torch.Tensor, long_run: float, first_negative: int
) -> Figure:
    """03: the derivative D_K that TBPTT-K sees, end-of-window and window-summed, against RTRL's D_inf."""
    truncation = torch.arange(1, derivatives.numel() + 1)
    fig, ax = plt.subplots()
    ax.plot(truncation, derivatives, label="$D_K$: loss at the window's end (our runs)")
    ax.plot(truncation, summed, "--", label="mean of $D_1..D_K$: loss at every step of the window")
    ax.axhline(long_run, color="grey", linestyle=":", label=f"$D_\\infty={long_run:g}$ (RTRL, UORO)")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axvline(first_negative, color=VERMILION, linewidth=0.8)
    ax.annotate(f"sign flips at K = {first_negative}", (first_negative, 0), xytext=(first_negative + 5, 8))
    ax.set_xlabel("truncation length K (steps)")
    ax.set_ylabel("derivative of $s^1$ w.r.t. θ (state units per unit θ)")
    ax.legend()
    return fig


def influence_balancing_runs(
    truncations: Sequence[int],
    tbptt_theta: torch.Tensor,
    tbptt_loss: torch.Tensor,
    rtrl_theta: torch.Tensor,
    rtrl_loss: torch.Tensor,
    uoro_theta: torch.Tensor,
    uoro_loss: torch.Tensor,
    uoro_lr: float,
    theta_star: float,
) -> Figure:
    """03: θ and the online loss along the run, for TBPTT-K (columns of ``tbptt_*``, one update per window),
    RTRL and every UORO seed (columns of ``uoro_*``); runs frozen at |θ| ≥ 1e6 are cut there."""
    fig, (ax_theta, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    updates = tbptt_theta.shape[0] - 1
    for column, k in enumerate(truncations):
        steps = torch.arange(updates + 1) * k
        alive = tbptt_theta[:, column].abs() < 1e6
        ax_theta.plot(steps[alive], tbptt_theta[alive, column], label=f"TBPTT-{k}", linewidth=1.0)
        ax_loss.semilogy(steps[1:], tbptt_loss[:, column].clamp(min=1e-30), linewidth=1.0)
    online = torch.arange(rtrl_theta.shape[0])
    ax_theta.plot(online, rtrl_theta[:, 0], color="black", linewidth=2, label="RTRL")
    ax_loss.semilogy(online[1:], rtrl_loss[:, 0].clamp(min=1e-30), color="black", linewidth=2)
    for seed in range(uoro_theta.shape[1]):
        label = f"UORO (lr {uoro_lr:g})" if seed == 0 else None
        ax_theta.plot(online, uoro_theta[:, seed], color=GREEN, linestyle="--", label=label)
        ax_loss.semilogy(online[1:], uoro_loss[:, seed].clamp(min=1e-30), color=GREEN, linestyle="--")
    ax_theta.axhline(theta_star, color="grey", linestyle=":", label=f"θ* = {theta_star:.4g}")
    ax_theta.set_ylim(-1, 4)
    for ax in (ax_theta, ax_loss):
        ax.set_xscale("symlog", linthresh=100)
        ax.set_xlim(left=0)
        ax.set_xlabel("online steps processed")
    ax_theta.set_ylabel("θ (dimensionless)")
    ax_loss.set_ylabel("online loss ½(s¹ - 1)² (log scale)")
    ax_theta.legend(fontsize=8, ncol=2)
    return fig


def equal_budget_distances(
    truncations: Sequence[int],
    distances: Mapping[str, torch.Tensor],
    references: Mapping[str, float],
    budget: int,
) -> Figure:
    """03: |θ - θ*| after the same number of online steps for TBPTT-K (one curve per loss placement) against
    the window K, with RTRL's and UORO's distances as horizontal lines; diverged runs are drawn at the top."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ceiling = 1e3
    for (label, values), marker in zip(distances.items(), "os"):
        shown = torch.nan_to_num(values, nan=ceiling, posinf=ceiling).clamp(max=ceiling)
        ax.semilogy(list(truncations), shown, marker + "-", label=label)
    for (label, value), colour in zip(references.items(), ("black", GREEN)):
        ax.axhline(max(value, 1e-16), color=colour, linestyle="--", label=label)
    ax.axhline(ceiling, color="grey", linewidth=0.8)
    ax.annotate(
        "diverged (|θ - θ*| ≥ 1000)", (truncations[0], ceiling), xytext=(0, -12), textcoords="offset points"
    )
    ax.set_xlabel("truncation length K (steps)")
    ax.set_ylabel(f"|θ - θ*| after {budget:,} online steps")
    ax.legend(fontsize=8)
    return fig


def theta_path(
    truncation: int, tbptt_theta: torch.Tensor, derivative: float, rtrl_theta: torch.Tensor, theta_star: float
) -> Figure:
    """03 (explore): θ under TBPTT-K (one update per window of ``truncation`` steps) against RTRL's."""
    fig, ax = plt.subplots(figsize=(7, 3.5))
    steps = torch.arange(tbptt_theta.shape[0]) * truncation
    ax.plot(steps, tbptt_theta.clamp(-5, 5), label=f"TBPTT-{truncation} (D_K = {derivative:.2f})")
    ax.plot(torch.arange(rtrl_theta.shape[0]), rtrl_theta, color="black", label="RTRL")
    ax.axhline(theta_star, color="grey", linestyle=":", label="θ*")
    ax.set_xlabel("online steps processed")
    ax.set_ylabel("θ (clipped to ±5)")
    ax.set_xscale("symlog", linthresh=100)
    ax.set_xlim(left=0)
    ax.legend()
    return fig


def dependency_curves(
    losses: Mapping[tuple[str, str], torch.Tensor],
    dependencies: Mapping[str, torch.Tensor],
    titles: Mapping[str, str],
    methods: Sequence[str],
    bins: int = 20,
) -> Figure:
    """04: per task, the loss at the dependency positions along the stream, median over learners and their
    range (shaded), for each method (``losses[task, method]`` ``(T, learners)``)."""
    fig, axes = plt.subplots(1, len(dependencies), figsize=(11, 4))
    for ax, (task, dependency) in zip(axes, dependencies.items()):
        for method in methods:
            steps, curve = dependency_curve(losses[task, method], dependency, bins=bins)
            (line,) = ax.plot(steps, curve.median(1).values, "o-", markersize=3, label=f"{method} (median)")
            ax.fill_between(
                steps, curve.min(1).values, curve.max(1).values, color=line.get_color(), alpha=0.15
            )
        ax.set_title(titles[task])
        ax.set_xlabel("online steps of each learner")
        ax.set_ylabel("loss at the dependency positions (bits)")
        ax.set_ylim(bottom=0)
    axes[0].legend(fontsize=8)
    return fig


def gradient_quality(steps: torch.Tensor, quality: Mapping[str, tuple[torch.Tensor, torch.Tensor]]) -> Figure:
    """05: relative error and cosine of each estimate against RTRL's gradient along training, every record
    (dots) and a windowed median (error) or mean (cosine) over a twentieth of the records."""
    fig, (ax_error, ax_cosine) = plt.subplots(1, 2, figsize=(11, 4))
    window = max(1, steps.numel() // 20)
    later = steps > 1  # the first step is exact for every estimator (UORO's pair starts at zero)
    at = steps[later]
    colours = (BLUE, VERMILION, GREEN, PURPLE)
    if len(quality) > len(colours):
        raise ValueError(f"at most {len(colours)} estimators per figure, got {len(quality)}")
    for (name, (all_errors, all_cosines)), colour in zip(quality.items(), colours):
        error, cosine = all_errors[later], all_cosines[later]
        centres = at[window // 2 :: window][: error.numel() // window]
        ax_error.loglog(at, error, ".", color=colour, alpha=0.25)
        windowed_error = error.unfold(0, window, window).median(-1).values
        ax_error.loglog(
            centres, windowed_error, "-", color=colour, linewidth=2, label=f"{name} (windowed median)"
        )
        windowed_cosine = cosine.unfold(0, window, window).mean(-1)
        ax_cosine.semilogx(
            centres, windowed_cosine, "-", color=colour, linewidth=2, label=f"{name} (windowed mean)"
        )
    ax_error.set_xlabel("online step t")
    ax_error.set_ylabel("|ĝ - g_RTRL| / |g_RTRL| (stream mean)")
    ax_cosine.set_xlabel("online step t")
    ax_cosine.set_ylabel("cosine(ĝ, g_RTRL)")
    ax_cosine.set_ylim(0, 1)
    ax_error.legend()
    ax_cosine.legend()
    return fig


def training_curves(losses: Mapping[str, torch.Tensor], num_streams: int, unigram: float) -> Figure:
    """05: the recent loss (bits/char) of each method's run ``(T, streams)`` against the characters read,
    beside the unigram entropy of the text."""
    fig, ax = plt.subplots()
    for name, values in losses.items():
        characters = torch.arange(1, values.shape[0] + 1) * num_streams
        ax.plot(characters, recent_average(bits(values.mean(1))), label=name)
    ax.axhline(unigram, color="grey", linestyle="-.", label="unigram entropy")
    ax.set_xscale("log")
    ax.set_xlabel("characters processed (all streams)")
    ax.set_ylabel("recent loss (bits/char)")
    ax.legend()
    return fig
