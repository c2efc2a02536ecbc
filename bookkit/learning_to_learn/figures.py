"""Loss-curve plots in the paper's convention: the learned optimizer solid, hand-designed baselines dashed."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import torch

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
    statistic: str = "mean",
    band: bool = False,
    labels: Mapping[str, str] | None = None,
) -> None:
    """Plot the mean or median over instances of losses ``(num_steps + 1, n)`` per method on a log axis.

    ``band=True`` shades the interquartile range of the instances. Methods whose name starts with ``LSTM``
    are solid, the baselines dashed (as in the paper's figures); ``labels`` may add e.g. the tuned rate.
    """
    for name, losses in curves.items():
        losses = losses.detach().cpu().double()
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
