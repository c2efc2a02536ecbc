"""Which code makes a chapter's executed notebooks stale: the freshness stamp's source hash, and the modules
of its chapter a notebook imports."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bookkit.layout import Layout
from bookkit.preset_provenance import presets_path
from bookkit.provenance import (
    OUTSIDE_THE_KERNEL,
    bookkit_source_hash,
    chapter_package,
    code_fingerprint,
    imported_bookkit_files,
    notebook_source_files,
    notebook_source_hash,
)


@pytest.fixture
def package(tmp_path: Path) -> Path:
    for name in ["claims.py", "training.py", *OUTSIDE_THE_KERNEL]:
        (tmp_path / name).write_text("x = 1\n")
    for folder in ["uoro", "prednet", "datasets"]:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "model.py").write_text("x = 1\n")
    return tmp_path


@pytest.mark.parametrize(
    ("edited", "changes"),
    [
        ("claims.py", True),
        ("training.py", True),
        ("uoro/model.py", True),
        ("datasets/model.py", True),
        ("prednet/model.py", False),
        ("sweep.py", False),
        ("pages.py", False),
        ("records.py", False),
    ],
)
def test_uoro_stamp_changes_only_with_code_its_kernel_runs(package: Path, edited: str, changes: bool) -> None:
    before = bookkit_source_hash("uoro", package)
    (package / edited).write_text("x = 2\n")
    assert (bookkit_source_hash("uoro", package) != before) is changes


@pytest.mark.parametrize(
    ("new_text", "changes"),
    [
        ("x = (\n    1\n)  # the same statement, laid out and commented\n", False),
        ("x = 2\n", True),
        ('"""A docstring is part of the code."""\nx = 1\n', True),
    ],
)
def test_stamp_ignores_layout_and_comments_of_python_code(
    package: Path, new_text: str, changes: bool
) -> None:
    before = bookkit_source_hash("uoro", package)
    (package / "uoro" / "model.py").write_text(new_text)
    assert (bookkit_source_hash("uoro", package) != before) is changes


NOTEBOOK = """---
jupytext:
  text_representation:
    format_name: myst
---

# A chapter

```{code-cell} ipython3
y = f(1,2)
```
"""


@pytest.mark.parametrize(
    ("old", "new", "changes"),
    [
        ("y = f(1,2)", "y = f(1, 2)  # formatted", False),
        ("y = f(1,2)", "y = f(1, 3)", True),
        ("# A chapter", "# A chapter, retitled", True),
    ],
)
def test_notebook_fingerprint_keeps_prose_and_code_but_not_layout(
    tmp_path: Path, old: str, new: str, changes: bool
) -> None:
    path = tmp_path / "01-topic.md"
    path.write_text(NOTEBOOK)
    before = code_fingerprint(path)
    path.write_text(NOTEBOOK.replace(old, new))
    assert (code_fingerprint(path) != before) is changes


CHAPTER_MODULES = {
    "__init__.py": "",
    "claims.py": "x = 1\n",
    "uoro/__init__.py": '"""The package."""\n',
    "uoro/model.py": "from . import maths\nfrom .. import claims\n",
    "uoro/maths.py": "from bookkit.uoro.constants import C\n",
    "uoro/constants.py": "C = 1\n",
    "uoro/presets.py": "def later():\n    from .figures import draw\n",
    "uoro/figures.py": "draw = None\n",
    "uoro/unused.py": "x = 1\n",
}


def uoro_notebook(tmp_path: Path, code: str) -> Path:
    path = tmp_path / "01-topic.md"
    path.write_text(NOTEBOOK.replace("y = f(1,2)", code))
    return path


@pytest.fixture
def chapter(tmp_path: Path) -> Path:
    package = tmp_path / "pkg"
    for name, text in CHAPTER_MODULES.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    return package


def test_a_notebook_counts_the_chapter_modules_it_imports_directly_and_transitively(
    tmp_path: Path, chapter: Path
) -> None:
    notebook = uoro_notebook(
        tmp_path, "import torch\nfrom bookkit.uoro.model import maths\nimport bookkit.uoro.presets"
    )
    files = imported_bookkit_files(notebook, chapter)
    assert files is not None
    names = {str(p.relative_to(chapter)) for p in files}
    # relative imports (one and two levels), absolute ones, a function-level import, the packages on the way
    assert names == set(CHAPTER_MODULES) - {"uoro/unused.py"}
    counted = notebook_source_files(notebook, "uoro", chapter)
    assert chapter / "claims.py" in counted and chapter / "uoro" / "unused.py" not in counted


@pytest.mark.parametrize(("edited", "changes"), [("uoro/constants.py", True), ("uoro/unused.py", False)])
def test_editing_a_module_the_notebook_never_imports_keeps_its_stamp(
    tmp_path: Path, chapter: Path, edited: str, changes: bool
) -> None:
    notebook = uoro_notebook(tmp_path, "from bookkit.uoro import model")
    before = notebook_source_hash(notebook, "uoro", chapter)
    (chapter / edited).write_text("x = 2\n")
    assert (notebook_source_hash(notebook, "uoro", chapter) != before) is changes
    (chapter / "uoro" / "new_module.py").write_text("x = 3\n")  # a module added for another notebook
    assert (notebook_source_hash(notebook, "uoro", chapter) != before) is changes


def test_a_notebook_whose_code_does_not_parse_counts_its_whole_chapter_package(
    tmp_path: Path, chapter: Path
) -> None:
    notebook = uoro_notebook(tmp_path, "%matplotlib inline\nfrom bookkit.uoro import model")
    assert imported_bookkit_files(notebook, chapter) is None
    assert chapter / "uoro" / "unused.py" in notebook_source_files(notebook, "uoro", chapter)


IMPORTS_OF = """
import ast, json, sys
import jupytext
found = {}
for path, package in json.loads(sys.argv[1]):
    for name in [m for m in sys.modules if m.startswith(package + ".")]:
        del sys.modules[name]
    for cell in jupytext.read(path, fmt="md:myst").cells:
        if cell.cell_type == "code":
            for node in ast.parse(cell.source).body:
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    exec(compile(ast.Module([node], []), path, "exec"), {})
    found[path] = sorted(sys.modules[m].__file__ for m in sys.modules if m.startswith(package + "."))
core = [m for m in sys.modules if m.count(".") == 1 and m.startswith("bookkit.")]
found["core"] = sorted(sys.modules[m].__file__ for m in core)
print(json.dumps(found))
"""


def test_every_chapter_notebook_counts_at_least_the_modules_python_loads_for_its_imports() -> None:
    """The independent reference: the modules Python actually loads when a notebook's import statements run
    (in a fresh interpreter, the chapter's modules unloaded between notebooks) must all be in its stamp (the
    chapter's presets.py through the presets fingerprint), and none of them may be a top-level module
    declared outside the kernel."""
    sources = Layout().all_sources()
    jobs = [(str(s.path), f"bookkit.{chapter_package(s.chapter)}") for s in sources]
    done = subprocess.run(
        [sys.executable, "-c", IMPORTS_OF, json.dumps(jobs)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Layout().repo_root,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    loaded = json.loads(done.stdout.splitlines()[-1])
    for source in sources:
        counted = {str(p) for p in notebook_source_files(source.path, source.chapter)}
        counted.add(str(presets_path(source.chapter)))
        assert loaded[str(source.path)], source.name  # the reference saw the chapter's modules at all
        assert set(loaded[str(source.path)]) <= counted, source.name
    # the one exception: the Verdict sections quote seed pass rates from committed sweep records
    assert {Path(p).name for p in loaded["core"]} & OUTSIDE_THE_KERNEL == {"sweep.py", "seed_statistics.py"}
