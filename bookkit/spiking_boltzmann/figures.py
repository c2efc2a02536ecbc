"""The chapter's figures: each function draws one figure from computed results and returns it.

The notebooks compute, claim and caption; the drawing lives here so that a chapter shows the experiment,
not matplotlib calls. Nothing here computes a number that a claim uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from bookkit.spiking_boltzmann import spike_codes
from bookkit.spiking_boltzmann.data import CircleTask
from bookkit.spiking_boltzmann.train import CircleEvaluation

Tensor = torch.Tensor


def filmstrip(frames: Tensor, grid: int, label: str, axes: Sequence[plt.Axes]) -> None:
    """Draw ``len(axes)`` frames $(T, G^2)$ as $G\\times G$ images in grey, the row labelled on the left."""
    for index, ax in enumerate(axes):
        ax.imshow(frames[index].reshape(grid, grid).cpu(), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color("0.7")
    axes[0].set_ylabel(label, rotation=0, ha="right", va="center")


def space_time_fields(W: Tensor, kernel: Tensor, grid: int, units: list[int]) -> Tensor:
    """The effective weights $W_{:,j}\\,r(\\tau)$ from visible pixels at lag $\\tau$ to hidden unit $j$:
    $(\\text{units}, D+1, G, G)$."""
    return (W[:, units].T[:, None, :] * kernel[None, :, None]).reshape(
        len(units), kernel.shape[0], grid, grid
    )


# --- 01: population codes and spike codes ---------------------------------------------------------------


def population_code_fits(
    fits: dict[str, Tensor], names: list[str], main: int, num_neurons: int, tuning_width: float
) -> Figure:
    """The tuning curves, each target with its two fits (linear and log density) and the coefficients."""
    grid = fits["grid"].numpy()
    fig, axes = plt.subplots(2, 4, figsize=(13, 5.5))
    ax = axes[0, 0]
    ax.plot(grid, fits["basis"][main].T.numpy(), color="grey", lw=0.8)
    ax.set(title=f"{num_neurons} tuning curves, σ_b = {tuning_width}", xlabel="x", ylabel="f_i(x)")
    for k, name in enumerate(names):
        for row, scale in ((0, "linear"), (1, "log")):
            ax = axes[row, k + 1]
            ax.plot(grid, fits["targets"][k], "k-", lw=2.5, alpha=0.4, label="target p")
            ax.plot(grid, fits["q_disjunctive"][main, k], "C1-", label="disjunctive (mixture)")
            ax.plot(grid, fits["q_energy"][main, k], "C0--", label="energy-additive")
            ax.set(xlabel="x", ylabel="density" if scale == "linear" else "density (log)", yscale=scale)
            if scale == "log":
                ax.set_ylim(1e-4, 2 * float(fits["targets"][k].max()))
            else:
                ax.set_title(name)
    axes[0, 1].legend(fontsize=8)
    ax = axes[1, 0]
    for k, name in enumerate(names):
        ax.plot(fits["centres"], fits["coefficients"][main, k], "o-", ms=3, label=name)
    ax.set(xlabel="preferred value μ_i", ylabel="energy coefficient a_i", title="fitted coefficients")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def width_sweep(fits: dict[str, Tensor], names: list[str], kl_threshold: float) -> Figure:
    """KL and sd of both codes against the tuning width, per target."""
    widths = fits["widths"].numpy()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for k, name in enumerate(names):
        colour = f"C{k}"
        axes[0].plot(widths, fits["kl_disjunctive"][:, k], "o-", color=colour, label=f"disjunctive, {name}")
        axes[0].plot(
            widths,
            fits["kl_energy"][:, k].clamp_min(1e-7),
            "s--",
            color=colour,
            label=f"energy-additive, {name}",
        )
        axes[1].plot(widths, fits["sd_disjunctive"][:, k], "o-", color=colour, label=f"disjunctive, {name}")
        axes[1].plot(widths, fits["sd_energy"][:, k], "s--", color=colour)
        axes[1].axhline(float(fits["sd_target"][k]), color=colour, lw=0.8, ls=":")
    axes[0].axhline(kl_threshold, color="k", ls=":", lw=1, label="threshold")
    axes[0].set(xlabel="tuning width σ_b", ylabel="KL(p ‖ q) (nats)", yscale="log", title="fit quality")
    axes[1].plot(widths, widths, "k-", lw=1, label="one tuning curve (sd = σ_b)")
    axes[1].set(
        xlabel="tuning width σ_b",
        ylabel="sd of represented distribution",
        title="width (dotted: targets; dashed: energy-additive)",
        yscale="log",
    )
    axes[0].legend(fontsize=7, ncol=2)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def population_codes_2d(fits_2d: dict[str, Tensor], grid_2d: int) -> Figure:
    """The 2-D targets (rows) with their disjunctive and energy-additive fits (columns)."""
    fig, axes = plt.subplots(2, 3, figsize=(9, 6))
    panels = (("targets", "target p"), ("q_disjunctive", "disjunctive"), ("q_energy", "energy-additive"))
    for k in range(2):
        for col, (key, title) in enumerate(panels):
            density = fits_2d[key][k].reshape(grid_2d, grid_2d).T
            axes[k, col].imshow(density, origin="lower", extent=(0, 1, 0, 1), cmap="magma")
            axes[k, col].set(title=title if k == 0 else None, xlabel="x", ylabel="y")
            axes[k, col].grid(False)
        centres = fits_2d["centres"].numpy()
        axes[k, 1].plot(centres[:, 0], centres[:, 1], "c.", ms=3, label="preferred points")
    axes[0, 1].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def hourglass(time_constant: float, kind: spike_codes.KernelKind, second_spike: int) -> Figure:
    """$p(x,t)$ after one spike each from neurons tuned to 0.4 and 0.6 (quadratic energies, weak prior),
    each time column scaled to its maximum; white: half maximum."""
    kernel = spike_codes.make_kernel(kind, time_constant)
    x = np.linspace(0, 1, 301)
    density = spike_codes.energy_landscape_over_time(
        [[20], [second_spike]], [0.4, 0.6], 0.15, kernel, 40.0, x, 150
    )
    relative = density / density.max(1, keepdims=True)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    image = ax.imshow(relative.T, origin="lower", aspect="auto", extent=(0, 150, 0, 1), cmap="magma")
    ax.contour(np.arange(150), x, relative.T, levels=[0.5], colors="white", linewidths=0.8)
    fig.colorbar(image, ax=ax, label="p(x, t) / max_x p(x, t)")
    for neuron, (t_s, mu) in enumerate(((20, 0.4), (second_spike, 0.6))):
        ax.plot([t_s], [mu], "c|", ms=25, mew=2, label="spike" if neuron == 0 else None)
    ax.set(
        xlabel="time (ms)",
        ylabel="instantiation parameter x",
        title=f"one spike each from neurons tuned to 0.4 and 0.6 ({kind} kernel, τ_r = {time_constant} ms)",
    )
    ax.grid(False)
    ax.legend(loc="upper right")
    return fig


def timing_versus_rate(
    target: np.ndarray,
    kernel: np.ndarray,
    weight: float,
    spikes: dict[str, np.ndarray],
    budget: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    num_targets: int,
) -> Figure:
    """Top: 200 ms of the target and three codes' estimates (``spikes``: counts of ``rate``,
    ``deterministic_rate`` and ``causal``). Bottom: RMSE against the spike budget, and the causal code's
    RMSE ratios against both rate codes per kernel time constant."""
    fig = plt.figure(figsize=(12, 5.5))
    ax = fig.add_subplot(2, 2, (1, 2))
    t = np.arange(target.shape[0])
    ax.plot(t, target, "k-", lw=2.5, alpha=0.4, label="target c(t)")
    for name, label, colour in (
        ("rate", "rate code", "C1"),
        ("deterministic_rate", "deterministic rate code", "C3"),
        ("causal", "causal timing code", "C0"),
    ):
        ax.plot(t, spike_codes.kernel_sum(spikes[name], kernel, weight), f"{colour}-", lw=1, label=label)
    ax.eventplot([np.flatnonzero(spikes["causal"])], lineoffsets=0.3, linelengths=0.25, colors="C0")
    ax.eventplot([np.flatnonzero(spikes["rate"])], lineoffsets=0.0, linelengths=0.25, colors="C1")
    ax.set(
        xlabel="time (ms)",
        ylabel="coefficient",
        xlim=(300, 500),
        title="exp kernel, τ_r = 10 ms, 200 ms of the 1 s run (rasters: bins with spikes)",
    )
    ax.legend(ncol=4, fontsize=8)
    ax = fig.add_subplot(2, 2, 3)
    for name, label, style in (
        ("rate", "Poisson rate", "o-C1"),
        ("deterministic_rate", "deterministic rate", "^-C3"),
        ("causal", "causal timing", "s-C0"),
        ("timing", "oracle timing", "d:C2"),
    ):
        ax.plot([b["spikes"] for b in budget], [b[f"rmse_{name}"] for b in budget], style, label=label)
    ax.set(
        xlabel="expected spikes in 1 s (pooled)",
        ylabel="RMSE of ĉ",
        xscale="log",
        yscale="log",
        title="spike budget",
    )
    ax.legend(fontsize=7)
    ax = fig.add_subplot(2, 2, 4)
    for kind, marker in (("exp", "o"), ("alpha", "s")):
        for target_index in range(num_targets):
            chosen = [r for r in rows if r["kernel"] == kind and r["target"] == target_index]
            taus = [r["time_constant"] for r in chosen]
            for baseline, style, colour, label in (
                ("rate", "-", "C0", "causal / Poisson"),
                ("deterministic_rate", "--", "C3", "causal / regular"),
            ):
                ax.plot(
                    taus,
                    [r["rmse_causal"] / r[f"rmse_{baseline}"] for r in chosen],
                    marker=marker,
                    ls=style,
                    color=colour,
                    label=f"{label}, {kind}" if target_index == 0 else None,
                )
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set(
        xlabel="kernel time constant τ_r (ms)",
        ylabel="RMSE ratio",
        xscale="log",
        yscale="log",
        title="causal timing code against both rate codes",
    )
    ax.legend(fontsize=8)
    for ax in fig.axes[1:]:
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
        ax.yaxis.set_minor_formatter(plt.NullFormatter())
    fig.tight_layout()
    return fig


def step_latencies(latencies: list[dict[str, Any]], codes: Sequence[tuple[str, str]]) -> Figure:
    """Latency after the step against the tolerance level, per code (``codes``: (key, label)), kernel
    and time constant (10 and 20 ms); a latency of 0 is drawn at 0.5 on the log axis."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), sharey=True)
    for ax, kind in zip(axes, ("exp", "alpha")):
        for (name, label), colour in zip(codes, ("C1", "C3", "C0", "C2")):
            for time_constant, style in ((10.0, "o-"), (20.0, "s--")):
                chosen = [r for r in latencies if r["kernel"] == kind and r["time_constant"] == time_constant]
                ax.plot(
                    [r["level"] for r in chosen],
                    [max(r[f"latency_{name}"], 0.5) for r in chosen],
                    style,
                    color=colour,
                    label=f"{label}, τ_r = {time_constant:.0f} ms",
                )
        ax.set(
            xlabel="tolerance level",
            ylabel="latency (ms; 0 drawn at 0.5)",
            yscale="log",
            title=f"{kind} kernel",
        )
    axes[0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


# --- 02: the model on tiny machines ----------------------------------------------------------------------


def connections_into_a_slice(kernel: np.ndarray) -> Figure:
    """The causal machine's connections into slice $t$: the same $W_{ij}$ faded by $r(\\tau)$, with the
    delayed $U$ (above) and $A$ (below) as arcs."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    for lag in range(len(kernel)):
        x = len(kernel) - 1 - lag
        right = len(kernel) - 1
        ax.plot([x], [1], "o", ms=18, color="C0", alpha=0.9)
        ax.plot([x], [0], "s", ms=16, color="C1", alpha=0.9)
        ax.annotate(f"t−{lag}" if lag else "t", (x, -0.45), ha="center")
        style = {"color": "k", "lw": 2.5 * kernel[lag], "alpha": max(kernel[lag], 0.15)}
        ax.plot([x, right], [0, 1], **style)
        if lag:
            ax.plot([x, right], [1, 0], **style)
            for height, colour, bend in ((1.08, "C0", -0.25), (-0.08, "C1", 0.25)):
                arrow = {
                    "arrowstyle": "->",
                    "color": colour,
                    "alpha": kernel[lag],
                    "connectionstyle": f"arc3,rad={bend}",
                }
                ax.annotate("", (right, height), (x, height), arrowprops=arrow)
            ax.annotate(f"r({lag}) = {kernel[lag]:.2f}", (x, -0.62), ha="center", fontsize=8)
    ax.annotate("hidden h", (-0.6, 1), va="center", color="C0")
    ax.annotate("visible v", (-0.6, 0), va="center", color="C1")
    ax.set(xlim=(-0.8, len(kernel) - 0.5), ylim=(-0.75, 1.6))
    ax.axis("off")
    return fig


def cd_k_convergence(
    cd_steps: Sequence[int],
    cosines: np.ndarray,
    relative_errors: np.ndarray,
    cosine_level: float,
    bias_level: float,
) -> Figure:
    """$1-\\cos$ and the relative error of $\\mathbb E[\\text{CD-}k]$ against the exact gradient, per
    random machine (thin) and their median (black)."""
    ks = np.array(cd_steps)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for draw in range(cosines.shape[0]):
        axes[0].plot(ks, np.maximum(1 - cosines[draw], 1e-16), "-", color="C0", alpha=0.35)
        axes[1].plot(ks, np.maximum(relative_errors[draw], 1e-12), "-", color="C0", alpha=0.35)
    median = "median over machines"
    axes[0].plot(ks, np.maximum(1 - np.median(cosines, 0), 1e-16), "k-o", ms=4, label=median)
    axes[1].plot(ks, np.maximum(np.median(relative_errors, 0), 1e-12), "k-o", ms=4, label=median)
    axes[0].axhline(1 - cosine_level, color="C3", ls=":", label="check at k = 50")
    axes[1].axhline(bias_level, color="C3", ls="--", label="CD-1's worst error must exceed this")
    axes[0].set(xscale="log", yscale="log", xlabel="Gibbs steps k", ylabel="1 − cos(E[CD-k], exact gradient)")
    axes[1].set(xscale="log", yscale="log", xlabel="Gibbs steps k", ylabel="‖E[CD-k] − ∇‖ / ‖∇‖")
    for ax in axes:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# --- 03 and 04: the ball on a circle ---------------------------------------------------------------------


def reconstruction_errors(errors: Tensor, groups: dict[str, tuple[list[int], str]]) -> Figure:
    """Reconstruction error per minibatch; ``groups``: label -> (model indices, colour)."""
    fig, ax = plt.subplots(figsize=(6, 3))
    for label, (members, colour) in groups.items():
        for n, i in enumerate(members):
            ax.plot(errors[:, i], color=colour, alpha=0.8, label=label if n == 0 else None)
    ax.set(xlabel="minibatch", ylabel="reconstruction error ⟨|v⁰ − v¹|⟩ (per pixel)", yscale="log")
    ax.legend()
    fig.tight_layout()
    return fig


def one_step_prediction(
    evaluation: CircleEvaluation, temporal: list[int], static: list[int], threshold: float
) -> Figure:
    """Left: the predicted angle of the first test sequence for one temporal model and one control, with
    copy-last. Right: every model's one-step error over all test sequences, and copy-last's."""
    true = np.unwrap(evaluation.true_angles[0].numpy())
    steps = np.arange(true.shape[0])
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    ax = axes[0]
    ax.plot(steps, true, "k-", label="true angle")
    temporal_angles = np.nan_to_num(evaluation.predicted_angles[temporal[0], 0].numpy())
    ax.plot(steps, np.unwrap(temporal_angles), "C0.", label="temporal model, predicted")
    static_angles = np.nan_to_num(evaluation.predicted_angles[static[0], 0].numpy())
    ax.plot(steps, static_angles, "C1x", label="non-temporal RBM, predicted")
    ax.plot(steps[1:], true[:-1], "C2--", label="copy last frame")
    ax.set(xlabel="frame t", ylabel="angle (rad)", title="one-step prediction, history clamped")
    ax.legend(fontsize=8)
    ax = axes[1]
    values = [float(evaluation.one_step_error[i]) for i in temporal + static] + [evaluation.copy_last_error]
    labels = [f"temporal s{n}" for n in range(len(temporal))]
    labels += [f"RBM s{n}" for n in range(len(static))] + ["copy last"]
    ax.bar(labels, values, color=["C0"] * len(temporal) + ["C1"] * len(static) + ["C2"])
    ax.axhline(threshold, color="k", ls=":", label="threshold (temporal)")
    ax.set(ylabel="one-step angle error (steps)", yscale="log")
    ax.yaxis.set_minor_formatter(plt.NullFormatter())
    ax.tick_params(axis="x", rotation=45)
    ax.legend()
    fig.tight_layout()
    return fig


def generation_filmstrips(rows: dict[str, Tensor], grid: int) -> Figure:
    """One filmstrip per row (label -> frames $(T, G^2)$), all of the same length."""
    shown = min(len(frames) for frames in rows.values())
    fig, axes = plt.subplots(len(rows), shown, figsize=(shown * 0.6, 0.75 * len(rows)))
    for row_axes, (label, frames) in zip(axes, rows.items()):
        filmstrip(frames, grid, label, list(row_axes))
    return fig


def angle_travelled(
    evaluation: CircleEvaluation,
    groups: dict[str, tuple[int, str]],
    task: CircleTask,
    num_primes_shown: int,
) -> Figure:
    """The decoded angle travelled while generating freely, for the first primes of one model per group
    (label -> (model index, colour)), against the true motion and copy-last."""
    num_frames = evaluation.generated_angles.shape[2]
    frames = np.arange(num_frames)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(frames, frames * task.step, "k-", lw=3, alpha=0.3, label="true motion (relative)")
    for p in range(num_primes_shown):
        for label, (model, colour) in groups.items():
            angles = evaluation.generated_angles[model, p].numpy()
            steps = np.nan_to_num(np.angle(np.exp(1j * np.diff(angles))), nan=0.0)
            relative = np.concatenate([[0.0], np.cumsum(steps)])
            ax.plot(frames, relative, color=colour, alpha=0.8, label=label if p == 0 else None)
    ax.axhline(0, color="C2", ls="--", label="copy last frame")
    ax.set(xlabel="generated frame", ylabel="angle travelled (rad)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def log_likelihood_per_frame(scored: Tensor, first_frame: int, labels: Sequence[str]) -> Figure:
    """Mean held-out $\\log p(v(t)\\mid\\text{past})$ per frame for each model (rows of ``scored``
    $(M, S, T)$), with the range over test sequences as a band."""
    frames = np.arange(first_frame, first_frame + scored.shape[2])
    fig, ax = plt.subplots(figsize=(6, 3))
    for row, label in enumerate(labels):
        colour = f"C{row}"
        ax.plot(frames, scored[row].mean(0).numpy(), color=colour, label=label)
        low, high = scored[row].min(0).values.numpy(), scored[row].max(0).values.numpy()
        ax.fill_between(frames, low, high, color=colour, alpha=0.2)
    ax.set(xlabel="frame t", ylabel="log p(v(t) | past) (nats)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def generated_frame(generated: Tensor, frame: int, W: Tensor, b: Tensor, grid: int) -> Figure:
    """A generated frame, the frame before it, and the hidden units' response $\\sigma(b+W^\\top v)$."""
    fig, axes = plt.subplots(1, 3, figsize=(8, 2.6))
    image = generated[frame]
    axes[0].imshow(image.reshape(grid, grid), cmap="gray_r", vmin=0, vmax=1)
    axes[0].set_title(f"generated frame {frame}")
    axes[1].imshow(generated[max(frame - 1, 0)].reshape(grid, grid), cmap="gray_r", vmin=0, vmax=1)
    axes[1].set_title("previous frame")
    drive = torch.sigmoid(b + image @ W)
    axes[2].bar(np.arange(drive.shape[0]), drive.numpy())
    axes[2].set(xlabel="hidden unit j", ylabel="p(h_j=1 | frame)", ylim=(0, 1))
    for ax in axes[:2]:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.tight_layout()
    return fig


def receptive_fields(W: Tensor, kernel: Tensor, grid: int, num_units: int = 6) -> Figure:
    """The space-time receptive fields $W_{:,j}\\,r(\\tau)$ of the ``num_units`` hidden units with the
    largest total weight, one row per unit and one column per lag."""
    units = torch.argsort(W.abs().sum(0), descending=True)[:num_units].tolist()
    fields = space_time_fields(W, kernel, grid, units)
    depth = fields.shape[1]
    fig, axes = plt.subplots(len(units), depth, figsize=(depth * 1.1, len(units) * 1.1))
    limit = float(fields.abs().max())
    for row, unit in enumerate(units):
        for tau in range(depth):
            axes[row, tau].imshow(fields[row, tau], cmap="RdBu_r", vmin=-limit, vmax=limit)
            axes[row, tau].set_xticks([])
            axes[row, tau].set_yticks([])
            axes[row, tau].grid(False)
            if row == 0:
                axes[row, tau].set_title(f"τ = {tau}", fontsize=9)
        axes[row, 0].set_ylabel(f"h{unit}", rotation=0, ha="right", va="center")
    return fig


def delayed_weights(U: Tensor, A: Tensor) -> Figure:
    """The delayed hidden→hidden ($U$) and visible→visible ($A$) weight matrices."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, matrix, title in (
        (axes[0], U, "U: past hidden k → hidden j"),
        (axes[1], A, "A: past pixel k → pixel i"),
    ):
        bound = float(matrix.abs().max())
        image = ax.imshow(matrix, cmap="RdBu_r", vmin=-bound, vmax=bound)
        ax.set(title=title, xlabel="to unit", ylabel="from unit")
        ax.grid(False)
        fig.colorbar(image, ax=ax, shrink=0.8)
    fig.tight_layout()
    return fig


def ablation_summary(
    evaluation: CircleEvaluation,
    names: list[str],
    colours: list[str],
    one_step_threshold: float,
    generation_threshold: float,
    ideal: float,
) -> Figure:
    """Per variant: one-step error, median frac_good over the primes, and the revolutions of every prime."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    y = np.arange(len(names))
    axes[0].barh(y, evaluation.one_step_error.numpy(), color=colours)
    axes[0].axvline(one_step_threshold, color="k", ls=":", label="one-step threshold")
    axes[0].set(xlabel="one-step angle error (steps)")
    axes[1].barh(y, evaluation.median_frac_good.numpy(), color=colours)
    axes[1].axvline(generation_threshold, color="k", ls=":", label="generation threshold")
    axes[1].set(xlabel="median frac_good over primes", xlim=(0, 1))
    revolutions = evaluation.revolutions.numpy()
    jitter = np.linspace(-0.25, 0.25, revolutions.shape[1])
    for p in range(revolutions.shape[1]):
        label = "one prime" if p == 0 else None
        axes[2].plot(revolutions[:, p], y + jitter[p], ".", color="grey", alpha=0.5, label=label)
    axes[2].axvline(ideal, color="k", ls="--", label="ideal")
    axes[2].set(xlabel="revolutions in the generated frames")
    for ax in axes:
        ax.set_yticks(y)
        ax.set_yticklabels(names if ax is axes[0] else [])
        ax.invert_yaxis()
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def revolutions_by_direction(
    forward: CircleEvaluation, backward: CircleEvaluation, names: list[str], ideal: float
) -> Figure:
    """Revolutions of every prime, primed forward and primed backward, per model."""
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    for i in range(len(names)):
        for evaluation, offset, marker, colour, label in (
            (forward, -0.15, "o", "C0", "primed forward"),
            (backward, 0.15, "s", "C1", "primed backward"),
        ):
            values = evaluation.revolutions[i].numpy()
            ax.plot(
                np.full(values.shape[0], 2 * i + offset),
                values,
                marker,
                color=colour,
                alpha=0.5,
                label=label if i == 0 else None,
            )
    ax.axhline(ideal, color="C0", ls="--", lw=1, label="ideal, forward")
    ax.axhline(-ideal, color="C1", ls="--", lw=1, label="ideal, backward")
    ax.set_xticks([2 * i for i in range(len(names))])
    ax.set_xticklabels(names)
    ax.set(ylabel="revolutions in the generated frames", xlim=(-1, 2 * len(names) - 1))
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


# --- 05: later temporal RBMs -----------------------------------------------------------------------------


def sequence_model_errors(scores: dict[str, dict[str, dict[str, float]]], rollout_frames: int) -> Figure:
    """One-step and rollout MSE per pixel of every model (bars) on every task (groups)."""
    tasks = list(scores)
    models = list(scores[tasks[0]])
    width = 0.8 / len(models)
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    for t, task in enumerate(tasks):
        for m, name in enumerate(models):
            for k, metric in enumerate(("one_step_mse", "rollout_mse")):
                axes[k].bar(
                    t + (m - (len(models) - 1) / 2) * width,
                    scores[task][name][metric],
                    width,
                    color=f"C{m}",
                    label=name if t == 0 else None,
                )
    for ax, title in zip(axes, ("one-step prediction", f"{rollout_frames}-frame rollout")):
        ax.set_xticks(range(len(tasks)))
        ax.set_xticklabels(tasks)
        ax.set(ylabel="squared error per pixel", yscale="log", title=title)
        ax.yaxis.set_minor_formatter(plt.NullFormatter())
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def rollout_filmstrips(results: dict[str, dict[str, Tensor]], prime_frames: int, shown: int) -> Figure:
    """The first test sequence after its prime, and each model's rollout of it, one row each."""
    truth = results["test"]["frames"][0, prime_frames : prime_frames + shown]
    rows = {"data": truth}
    rows.update({name: values["rollout"][0] for name, values in results.items() if name != "test"})
    return generation_filmstrips(rows, int(np.sqrt(truth.shape[-1])))
