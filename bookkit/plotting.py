"""One matplotlib style for the whole book, and PNG output (SVG is not byte-deterministic)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib
from cycler import cycler

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

BOOK_STYLE: dict[RcKeyType, Any] = {
    "figure.figsize": (7.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "image.cmap": "viridis",
    "axes.prop_cycle": cycler(
        color=["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
    ),
}
"""Okabe-Ito colours (readable with colour-blindness), light grids, no top/right spines."""

PAPER_MARKER = {"marker": "*", "markersize": 12, "color": "black", "linestyle": "none", "label": "paper"}
"""How a paper's reported value is drawn on our plots."""


def use_book_style() -> None:
    """Apply :data:`BOOK_STYLE` and make inline figures PNG when running in a kernel."""
    matplotlib.rcParams.update(BOOK_STYLE)
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("png")
    except ImportError:
        pass
