"""The one figure per chapter that the front page shows: the first image of the chapter's cell tagged
``front-figure``, extracted from its executed notebook."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from bookkit.layout import Layout, NotebookSource

FRONT_FIGURE_TAG = "front-figure"
"""The tag of the one cell per chapter whose figure the front page shows."""

GLUED_PNG = "application/papermill.record/image/png"
"""Where a figure glued with ``glue(..., display=False)`` keeps its PNG in the cell's output."""


def front_figure(layout: Layout, chapter: str) -> tuple[NotebookSource, Path] | None:
    """Write the first PNG (shown, or glued for a captioned figure) of the chapter's cell tagged
    ``front-figure`` (in its executed notebooks) to
    ``book/_generated/front/<chapter>.png``; returns the notebook and the image, or None if there is none."""
    for source in [s for s in layout.all_sources() if s.chapter == chapter]:
        executed = layout.output(source, "notebook")
        if not executed.exists():
            continue
        for cell in json.loads(executed.read_text())["cells"]:
            if FRONT_FIGURE_TAG not in cell.get("metadata", {}).get("tags", []):
                continue
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                png = data.get("image/png") or data.get(GLUED_PNG)
                if png:
                    image = layout.generated / "front" / f"{chapter}.png"
                    image.parent.mkdir(parents=True, exist_ok=True)
                    image.write_bytes(base64.b64decode(png))
                    return source, image
    return None
