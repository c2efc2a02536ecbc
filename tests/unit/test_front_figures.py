"""The front page's figure per chapter: found whether the tagged cell shows its PNG or glues it."""

from __future__ import annotations

import base64
import json

import pytest

from bookkit.layout import Layout
from bookkit.pages.front_figures import FRONT_FIGURE_TAG, GLUED_PNG, front_figure

PNG = b"\x89PNG\r\n\x1a\n-a-figure"


@pytest.mark.parametrize("mime", ["image/png", GLUED_PNG])
def test_the_tagged_cells_png_is_extracted_shown_or_glued(tmp_path, mime):
    layout = Layout(repo_root=tmp_path, generated=tmp_path / "generated", package_dir=tmp_path / "pkg")
    (tmp_path / "chapters" / "demo").mkdir(parents=True)
    (tmp_path / "chapters" / "demo" / "01-first.md").write_text("# demo\n", encoding="utf-8")
    (source,) = [s for s in layout.all_sources() if s.chapter == "demo"]
    output = {"output_type": "display_data", "metadata": {}, "data": {mime: base64.b64encode(PNG).decode()}}
    cells = [
        {"cell_type": "code", "metadata": {}, "outputs": [output]},
        {"cell_type": "code", "metadata": {"tags": [FRONT_FIGURE_TAG]}, "outputs": [output]},
    ]
    executed = layout.output(source, "notebook")
    executed.parent.mkdir(parents=True)
    executed.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    found = front_figure(layout, "demo")
    assert found is not None and found[1].read_bytes() == PNG
    cells[1]["metadata"]["tags"] = []
    executed.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    assert front_figure(layout, "demo") is None  # only the tagged cell counts
