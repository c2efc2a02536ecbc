"""The chapter's figures: each function draws one figure from computed results and returns it, so the
notebooks keep the science and glue the figure with a caption."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from bookkit.ebm_backprop.learning import LearningCurves

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
