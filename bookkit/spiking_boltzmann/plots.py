"""Figure helpers of the chapter: filmstrips of frames and space-time receptive fields."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch


def filmstrip(frames: torch.Tensor, grid: int, label: str, axes: list[plt.Axes]) -> None:
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


def space_time_fields(W: torch.Tensor, kernel: torch.Tensor, grid: int, units: list[int]) -> torch.Tensor:
    """The effective weights $W_{:,j}\\,r(\\tau)$ from visible pixels at lag $\\tau$ to hidden unit $j$:
    $(\\text{units}, D+1, G, G)$."""
    return (W[:, units].T[:, None, :] * kernel[None, :, None]).reshape(
        len(units), kernel.shape[0], grid, grid
    )
