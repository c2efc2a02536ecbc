"""Sphinx extension: the cell papermill injects into every executed notebook is left out of its page.

papermill inserts the parameters a run was given as a new cell tagged ``injected-parameters`` under the
notebook's own ``parameters`` cell. The page keeps the notebook's cell (it shows the defaults and what each
parameter does) and each notebook's first output line states the scale, seed and device the run used, so the
injected copy only repeats them. Before MyST-NB reads an ``.ipynb`` page, the injected cell is tagged
``remove-cell``, which MyST-NB drops.
"""

from __future__ import annotations

import json

INJECTED_TAG = "injected-parameters"
REMOVE_TAG = "remove-cell"


def without_injected_parameters(notebook_json: str) -> str:
    """The notebook with each ``injected-parameters`` cell also tagged ``remove-cell``."""
    notebook = json.loads(notebook_json)
    changed = False
    for cell in notebook.get("cells", []):
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if INJECTED_TAG in tags and REMOVE_TAG not in tags:
            tags.append(REMOVE_TAG)
            changed = True
    return json.dumps(notebook) if changed else notebook_json


def _hide_injected_parameters(app, docname: str, source: list[str]) -> None:
    if str(app.env.doc2path(docname)).endswith(".ipynb"):
        source[0] = without_injected_parameters(source[0])


def setup(app):
    app.connect("source-read", _hide_injected_parameters)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
