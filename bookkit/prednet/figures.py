"""Figures of the PredNet chapter: prediction grids, per-step error curves and error-unit panels."""

from __future__ import annotations

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
) -> Figure:
    """MSE against the predicted time step for each method, with optional paper reference values."""
    figure, axis = plt.subplots()
    for label, values in per_step.items():
        axis.plot(range(first_step, first_step + len(values)), values, marker="o", label=label)
    for label, value in (paper or {}).items():
        axis.axhline(value, color="black", linestyle=":", linewidth=1)
        axis.text(first_step, value, f" paper: {label}", va="bottom", fontsize=8)
    axis.set_xlabel("predicted frame t (frames)")
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
        axis.plot([i for i, _ in marked], [v for _, v in marked], **PAPER_MARKER)
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
