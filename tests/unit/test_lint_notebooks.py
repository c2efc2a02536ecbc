"""tests/lint_notebooks.py: code cells are linted at their own line numbers, prose is not linted."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "lint_notebooks.py"


@pytest.fixture(scope="module")
def lint_notebooks():
    spec = importlib.util.spec_from_file_location("lint_notebooks", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PROSE = "A paragraph of prose longer than the 110 columns code is held to, as prose may be. " * 2

NOTEBOOK = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
---

# A title

{prose}

```{code-cell} ipython3
:tags: [parameters]
x = 1
```

More prose.

```{code-cell} ipython3
import os
y = x + 1
```
""".replace("{prose}", PROSE.strip())


def test_code_cells_keep_their_line_numbers_and_prose_is_blank(lint_notebooks, tmp_path):
    notebook = tmp_path / "01-example.md"
    notebook.write_text(NOTEBOOK, encoding="utf-8")
    lines = NOTEBOOK.splitlines()
    script = lint_notebooks.code_lines(notebook)
    assert len(script) == len(lines)
    code = {i + 1: line for i, line in enumerate(script) if line}
    assert code == {
        lines.index("x = 1") + 1: "x = 1",
        lines.index("import os") + 1: "import os",
        lines.index("y = x + 1") + 1: "y = x + 1",
    }


def test_findings_name_the_notebook_and_its_line(lint_notebooks, tmp_path, capsys):
    notebook = tmp_path / "01-example.md"
    notebook.write_text(NOTEBOOK, encoding="utf-8")
    status = lint_notebooks.main([str(notebook)])
    report = capsys.readouterr().out
    line = NOTEBOOK.splitlines().index("import os") + 1
    assert status == 1
    assert f"{notebook}:{line}:8: F401" in report
    assert "E501" not in report  # the long line is prose
