"""Figures of the PredNet chapter: frame grids, per-step error curves, error-unit panels and readouts."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from bookkit.plotting import PAPER_MARKER


def _show(axis: plt.Axes, frame: torch.Tensor, vmax: float = 1.0) -> None:
    """Draw one (C, H, W) frame: gray for one channel, RGB for three."""
    image = frame.detach().cpu()
    if image.shape[0] == 1:
        axis.imshow(image[0], cmap="gray", vmin=0, vmax=vmax)
    else:
        axis.imshow(image.permute(1, 2, 0).clamp(0, 1))
    axis.set_xticks([])
    axis.set_yticks([])
    axis.grid(False)


def prediction_grid(
    frames: torch.Tensor,
    predictions: dict[str, torch.Tensor],
    sequences: list[int],
    title: str = "",
    first_step: int = 0,
) -> Figure:
    """Rows 'actual' and one per predictor for each chosen sequence; columns are time steps (Fig. 2 layout),
    labelled from ``first_step`` (the time index of ``frames[:, 0]``)."""
    steps = frames.shape[1]
    rows = [("actual", frames)] + list(predictions.items())
    figure, axes = plt.subplots(
        len(sequences) * len(rows),
        steps,
        squeeze=False,
        figsize=(1.0 * steps, 1.05 * len(sequences) * len(rows)),
    )
    for block, sequence in enumerate(sequences):
        for offset, (label, video) in enumerate(rows):
            row = block * len(rows) + offset
            for t in range(steps):
                _show(axes[row, t], video[sequence, t])
            axes[row, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    for t in range(steps):
        axes[0, t].set_title(f"t={first_step + t}", fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def error_curves(
    per_step: dict[str, list[float]],
    first_step: int = 1,
    paper: dict[str, float] | None = None,
    ylabel: str = "MSE per pixel (pixels in [0, 1])",
    xlabel: str = "predicted frame t (frames)",
) -> Figure:
    """MSE against the predicted time step for each method, with optional paper reference values."""
    figure, axis = plt.subplots()
    for label, values in per_step.items():
        axis.plot(range(first_step, first_step + len(values)), values, marker="o", label=label)
    for label, value in (paper or {}).items():
        axis.axhline(value, color="black", linestyle=":", linewidth=1)
        axis.text(first_step, value, f" paper: {label}", va="bottom", fontsize=8)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.legend()
    return figure


def ratio_bars(ours: dict[str, float], paper: dict[str, float], ylabel: str) -> Figure:
    """Bars of our values with the paper's drawn as reference markers (same labels)."""
    figure, axis = plt.subplots(figsize=(5.5, 3.5))
    labels = list(ours)
    axis.bar(range(len(labels)), [ours[k] for k in labels], width=0.5, color="#0072B2", label="ours")
    marked = [(i, paper[k]) for i, k in enumerate(labels) if k in paper]
    if marked:
        marker_style: dict[str, Any] = {**PAPER_MARKER}
        axis.plot([i for i, _ in marked], [v for _, v in marked], **marker_style)
    axis.set_xticks(range(len(labels)), labels)
    axis.set_ylabel(ylabel)
    axis.legend()
    return figure


def error_units_panel(
    frames: torch.Tensor, predictions: torch.Tensor, errors: list[tuple[torch.Tensor, ...]], t: int
) -> Figure:
    """Frame t, its prediction, and the mean over channels of the positive and negative error units of
    every layer at step t, for one sequence (``frames`` (T, C, H, W), ``errors`` from ``keep_states``)."""
    layers = len(errors[t])
    figure, axes = plt.subplots(2, layers + 1, figsize=(2.0 * (layers + 1), 4.0), squeeze=False)
    _show(axes[0, 0], frames[t])
    axes[0, 0].set_title(f"frame t={t}", fontsize=9)
    _show(axes[1, 0], predictions[t])
    axes[1, 0].set_title("prediction", fontsize=9)
    top = max(float(step[0].detach().max()) for step in errors) or 1.0
    for layer, error in enumerate(errors[t]):
        channels = error.shape[1] // 2
        for row, (name, part) in enumerate(
            (("E+ (A>Â)", error[0, :channels]), ("E- (Â>A)", error[0, channels:]))
        ):
            axis = axes[row, layer + 1]
            axis.imshow(part.mean(0).detach().cpu(), cmap="magma", vmin=0, vmax=top if layer == 0 else None)
            axis.set_title(f"layer {layer}: {name}", fontsize=8)
            axis.set_xticks([])
            axis.set_yticks([])
            axis.grid(False)
    figure.tight_layout()
    return figure


def training_and_layer_errors(losses: list[float], mean_errors: torch.Tensor) -> Figure:
    """Left: the training loss per Adam step; right: the mean activity of each layer's error units at each
    time step (``mean_errors`` (T, L+1)), on a log scale."""
    figure, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    axes[0].plot(losses)
    axes[0].set_xlabel("Adam step")
    axes[0].set_ylabel("training loss (0.5 L1 per pixel)")
    for layer in range(mean_errors.shape[1]):
        axes[1].plot(mean_errors[:, layer], marker="o", label=f"E_{layer}")
    axes[1].set_xlabel("time step t (frames)")
    axes[1].set_ylabel("mean error unit activity")
    axes[1].set_yscale("log")
    axes[1].legend()
    figure.tight_layout()
    return figure


def view_grid(frames: torch.Tensor, rows: int, columns: int) -> Figure:
    """Single frames (N, C, H, W) laid out row by row in a ``rows`` x ``columns`` grid."""
    figure, axes = plt.subplots(rows, columns, figsize=(0.75 * columns, 0.77 * rows), squeeze=False)
    for axis, frame in zip(axes.flat, frames):
        _show(axis, frame)
    figure.tight_layout()
    return figure


def labelled_strips(strips: dict[str, torch.Tensor]) -> Figure:
    """One row of frames per labelled clip (T, C, H, W), time to the right; gray or RGB."""
    steps = max(clip.shape[0] for clip in strips.values())
    figure, axes = plt.subplots(len(strips), steps, figsize=(1.0 * steps, 1.0 * len(strips)), squeeze=False)
    for row, (label, clip) in enumerate(strips.items()):
        for t in range(steps):
            _show(axes[row, t], clip[t])
        axes[row, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=7)
    figure.tight_layout()
    return figure


def latent_histograms(samples: dict[str, torch.Tensor], bins: int = 20) -> Figure:
    """One histogram per latent parameter; the keys label the x axes (with units)."""
    figure, axes = plt.subplots(1, len(samples), figsize=(3.0 * len(samples), 2.8), squeeze=False)
    for axis, (label, values) in zip(axes[0], samples.items()):
        axis.hist(values.detach().cpu(), bins=bins)
        axis.set_xlabel(label)
    axes[0, 0].set_ylabel("sequences")
    figure.tight_layout()
    return figure


def grouped_bars(values: dict[str, dict[str, float]], ylabel: str) -> Figure:
    """One group of bars per target (inner keys) with one bar per model (outer keys)."""
    models = list(values)
    targets = list(values[models[0]])
    figure, axis = plt.subplots(figsize=(8, 3.5))
    width = 0.8 / len(models)
    for k, model in enumerate(models):
        positions = [i + k * width for i in range(len(targets))]
        axis.bar(positions, [values[model][t] for t in targets], width, label=model)
    axis.set_xticks(
        [i + 0.4 - width / 2 for i in range(len(targets))],
        [t.replace(" (", "\n(") for t in targets],
        fontsize=8,
    )
    axis.set_ylabel(ylabel)
    lowest = min(v for per_model in values.values() for v in per_model.values())
    axis.set_ylim(min(0.0, lowest) - 0.05, 1.05)
    axis.legend()
    return figure


def curves_against_count(
    counts: list[int],
    values: dict[str, list[float]],
    xlabel: str,
    ylabel: str,
    chance: float | None = None,
    paper: tuple[float, float, str] | None = None,
) -> Figure:
    """One line per model against a count on a log axis, with an optional chance line and paper marker
    (x, y, label)."""
    figure, axis = plt.subplots(figsize=(6, 3.5))
    for name, series in values.items():
        axis.plot(counts, series, marker="o", label=name)
    if chance is not None:
        axis.axhline(chance, color="black", linestyle=":", label="chance")
    if paper is not None:
        marker_style: dict[str, Any] = {**PAPER_MARKER, "label": paper[2]}
        axis.plot([paper[0]], [paper[1]], **marker_style)
    axis.set_xscale("log")
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.legend()
    return figure
