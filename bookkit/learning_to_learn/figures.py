"""The chapter's figures, in the paper's convention: the learned optimizer solid, hand-designed baselines
dashed.

Each function returns a closed :class:`matplotlib.figure.Figure` for a notebook to glue under a name and
show with a numbered caption, so the notebooks hold no plotting code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

COLOURS = {
    "LSTM": "#000000",
    "SGD": "#0072B2",
    "RMSprop": "#D55E00",
    "ADAM": "#009E73",
    "NAG": "#CC79A7",
    "LSTM-sub": "#E69F00",
    "LSTM (untrained)": "#999999",
    "LSTM, raw gradients": "#56B4E9",
}


def plot_loss_curves(
    ax: plt.Axes,
    curves: Mapping[str, torch.Tensor],
    statistic: Literal["mean", "median"] = "mean",
    band: bool = False,
    labels: Mapping[str, str] | None = None,
) -> None:
    """Plot the mean or median over instances of losses ``(num_steps + 1, n)`` per method on a log axis.

    ``band=True`` shades the interquartile range of the instances. Methods whose name starts with ``LSTM``
    are solid, the baselines dashed (as in the paper's figures); ``labels`` may add e.g. the tuned rate.
    """
    if statistic not in ("mean", "median"):
        raise ValueError(f"unknown statistic {statistic!r}; valid: 'mean', 'median'")
    for name, raw in curves.items():
        losses = raw.detach().cpu().double()
        steps = torch.arange(losses.shape[0])
        centre = losses.mean(1) if statistic == "mean" else losses.median(1).values
        style = "-" if name.startswith("LSTM") else "--"
        colour = COLOURS.get(name)
        ax.plot(steps, centre, style, color=colour, label=(labels or {}).get(name, name))
        if band:
            low, high = torch.quantile(losses, torch.tensor([0.25, 0.75], dtype=torch.float64), dim=1)
            ax.fill_between(steps, low, high, color=colour, alpha=0.12, linewidth=0)
    ax.set_yscale("log")
    ax.set_xlabel("optimization step $t$")
    ax.set_ylabel(f"{statistic} loss $f(\\theta_t)$" + (" (band: IQR)" if band else ""))


def meta_training_history(
    state: Mapping[str, Any],
    chance: float | None = None,
    validation: Sequence[float] | None = None,
    ylabel: str = "cross-entropy (nats)",
) -> Figure:
    """Meta-training loss per meta-epoch, the validation score at each check (or ``validation``, the same
    checks on another scale), the kept meta-epoch and, with ``chance``, the loss of a network that learned
    nothing (ln 10 for ten classes)."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    meta_losses = state["meta_losses"]
    scores = state["validation_scores"] if validation is None else validation
    ax.plot(range(1, len(meta_losses) + 1), meta_losses, color="0.6", lw=0.8, label="meta-training loss")
    ax.plot(state["validation_epochs"], scores, "o-", color="black", label="validation")
    ax.axvline(
        state["best_epoch"], color=COLOURS["ADAM"], ls=":", label=f"kept: meta-epoch {state['best_epoch']}"
    )
    if chance is not None:
        ax.axhline(chance, color="0.3", ls="--", lw=0.8, label=f"chance, {chance:.2f}")
    ax.set_yscale("log")
    ax.set_xlabel("meta-epoch")
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper right", fontsize=8)
    plt.close(fig)
    return fig


def quadratic_test_curves(curves: Mapping[str, torch.Tensor], labels: Mapping[str, str]) -> Figure:
    """Two panels over the test functions: the mean loss, and the median with the interquartile band."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    plot_loss_curves(axes[0], curves, "mean", labels=labels)
    plot_loss_curves(axes[1], curves, "median", band=True, labels=labels)
    num_functions = next(iter(curves.values())).shape[1]
    axes[0].set_title(f"mean over {num_functions} test quadratics")
    axes[1].set_title("median and interquartile range")
    axes[0].legend(fontsize=8)
    plt.close(fig)
    return fig


def rate_grids(tuned: Mapping[str, Any]) -> Figure:
    """Validation score against learning rate for each tuned baseline, its chosen rate starred."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for name, baseline in tuned.items():
        ax.plot(list(baseline.scores), list(baseline.scores.values()), "o--", color=COLOURS[name], label=name)
        ax.plot([baseline.lr], [baseline.scores[baseline.lr]], "*", color=COLOURS[name], markersize=12)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("validation loss, last 10 steps (nats)")
    ax.legend(fontsize=8)
    plt.close(fig)
    return fig


def trained_and_long_horizon(
    curves: Mapping[str, torch.Tensor], num_steps: int, labels: Mapping[str, str], title: str
) -> Figure:
    """Two panels: the first ``num_steps`` steps (the trained horizon), then the continuation beyond it."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    plot_loss_curves(axes[0], {k: v[: num_steps + 1] for k, v in curves.items()}, labels=labels)
    plot_loss_curves(axes[1], curves, labels=labels)
    long_steps = next(iter(curves.values())).shape[0] - 1
    axes[1].set_xlim(num_steps, long_steps)
    axes[0].set_title(title)
    axes[1].set_title("continued beyond the trained horizon")
    axes[0].legend(fontsize=8)
    plt.close(fig)
    return fig


def loss_curve_panels(
    panels: Mapping[str, Mapping[str, torch.Tensor]], labels: Mapping[str, str], sharey: bool = True
) -> Figure:
    """One panel of loss curves per setting (its title the key), side by side, the legend in the first."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 3.8), sharey=sharey, squeeze=False)
    for ax, (title, curves) in zip(axes[0], panels.items(), strict=True):
        plot_loss_curves(ax, curves, labels=labels)
        ax.set_title(title)
    axes[0][0].legend(fontsize=8)
    plt.close(fig)
    return fig


def architecture_sweep(
    sweep: Mapping[tuple[int, int], tuple[float, float]], adam_lr: float, num_steps: int
) -> Figure:
    """The paper's Fig. 6: final loss of the LSTM and of tuned ADAM against width, one line per depth;
    ``sweep`` maps (depth, width) to (LSTM loss, ADAM loss)."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for depth in sorted({d for d, _ in sweep}):
        widths = sorted(w for d, w in sweep if d == depth)
        alpha = 1.0 if depth == 1 else 0.5
        for index, (name, marker) in enumerate((("LSTM", "o-"), ("ADAM", "s--"))):
            label = name if name == "LSTM" else f"ADAM (lr {adam_lr:g})"
            ax.plot(
                widths,
                [sweep[depth, w][index] for w in widths],
                marker,
                color=COLOURS[name],
                alpha=alpha,
                label=f"{label}, {depth} hidden layer(s)",
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("hidden units per layer")
    ax.set_ylabel(f"loss after {num_steps} steps (nats)")
    ax.legend(fontsize=8)
    plt.close(fig)
    return fig


def horizon_comparison(
    curves: Mapping[str, torch.Tensor], trained_steps: int, labels: Mapping[str, str]
) -> Figure:
    """Median loss and interquartile band over a run ten times the trained horizon, on a symlog step axis."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    plot_loss_curves(ax, curves, "median", band=True, labels=labels)
    horizon = next(iter(curves.values())).shape[0] - 1
    ax.axvline(trained_steps, color="0.5", ls=":", label="meta-training horizon")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(0, horizon)
    ax.legend(fontsize=8)
    plt.close(fig)
    return fig


def unroll_gradient_norms(norms: Mapping[int, float], paper_unroll: int) -> Figure:
    """Mean meta-gradient norm per window (divided by its length) against the unroll length, log-log."""
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.plot(
        list(norms), list(norms.values()), "o-", color=COLOURS["LSTM"], label="meta-trained LSTM, quadratics"
    )
    ax.axvline(paper_unroll, color="0.5", ls=":", label=f"paper's unroll ({paper_unroll})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("unroll length $K$ (steps per truncated window)")
    ax.set_ylabel("meta-gradient norm per step")
    ax.legend(fontsize=8)
    plt.close(fig)
    return fig


def window_cost(seconds: Mapping[int, float], device_name: str) -> Figure:
    """Time of one meta-training window against the number of optimizee coordinates, log-log."""
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.plot(list(seconds), [s * 1e3 for s in seconds.values()], "o-", color=COLOURS["LSTM"])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("optimizee coordinates")
    ax.set_ylabel("time per window (ms)")
    ax.set_title(device_name)
    plt.close(fig)
    return fig


def log_ratio_histogram(log10_ratios: torch.Tensor, baseline: str, step: int) -> Figure:
    """Histogram over test functions of $\\log_{10} f^{\\mathrm{LSTM}}-\\log_{10} f^{\\mathrm{baseline}}$
    at one step."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.hist(log10_ratios.cpu(), bins=30, color=COLOURS["LSTM"], alpha=0.7)
    ax.axvline(0.0, color=COLOURS[baseline], ls="--", label=f"equal to tuned {baseline}")
    ax.set_xlabel(f"$\\log_{{10}}$ of LSTM / {baseline} loss at step {step}, per test function")
    ax.set_ylabel("number of functions")
    ax.legend(fontsize=8)
    plt.close(fig)
    return fig


def one_function_trace(
    lstm: Any, baseline: Any, baseline_label: str, trained_steps: int, dim: int, title: str
) -> Figure:
    """Left: the loss of the LSTM and a baseline on one function; right: every LSTM update against the
    gradient coordinate it saw, coloured by step (``lstm`` a traced rollout)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    left.plot(lstm.losses[:, 0].cpu(), "-", color=COLOURS["LSTM"], label="LSTM")
    left.plot(baseline.losses[:, 0].cpu(), "--", color=COLOURS["ADAM"], label=baseline_label)
    left.axvline(trained_steps, color="0.6", ls=":", label="meta-training horizon")
    left.set_yscale("log")
    left.set_xlabel("optimization step $t$")
    left.set_ylabel("loss $f(\\theta_t)$")
    left.set_title(title)
    left.legend(fontsize=8)
    num_steps = lstm.grads.shape[0]
    points = right.scatter(
        lstm.grads.flatten().cpu(),
        lstm.updates.flatten().cpu(),
        s=6,
        c=torch.arange(num_steps).repeat_interleave(dim),
        cmap="viridis",
    )
    fig.colorbar(points, ax=right, label="step $t$")
    right.set_xscale("symlog", linthresh=0.1)
    right.set_xlabel("gradient coordinate $\\nabla_t^{(i)}$")
    right.set_ylabel("learned update $g_t^{(i)}$")
    return fig
