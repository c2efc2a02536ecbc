"""The launch buttons open something: Binder's image holds every page's notebook at the page's own path.

Jupyter Book links a page's Binder button to its source, ``book/_generated/<chapter>/<stem>.ipynb``, a
git-ignored build output; ``.binder/postBuild`` exports the chapters there when Binder builds the image.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
BINDER_DIR = REPO_ROOT / ".binder"


def toc_files(node) -> list[str]:
    """Every ``file:`` entry of a Jupyter Book table of contents, in order."""
    if isinstance(node, list):
        return [file for child in node for file in toc_files(child)]
    if isinstance(node, dict):
        own = [node["file"]] if "file" in node else []
        return own + [file for value in node.values() for file in toc_files(value)]
    return []


def code_cells(notebook) -> list[tuple[str, list[str]]]:
    return [
        (cell.source, cell.metadata.get("tags", [])) for cell in notebook.cells if cell.cell_type == "code"
    ]


@pytest.fixture(scope="module")
def binder_root(tmp_path_factory) -> Path:
    """A copy of the repository's chapters after ``.binder/postBuild`` ran in it, as repo2docker runs it
    (from the repository root, with the environment's ``python`` first on the PATH)."""
    root = tmp_path_factory.mktemp("binder")
    shutil.copytree(REPO_ROOT / "chapters", root / "chapters")
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    subprocess.run(
        [BINDER_DIR / "postBuild"], cwd=root, env={**os.environ, "PATH": path}, check=True, timeout=60
    )
    return root


def test_postbuild_writes_one_notebook_at_each_toc_page_path(binder_root):
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text())
    page_notebooks = {f"{file}.ipynb" for file in toc_files(toc) if file.startswith("book/_generated/")}
    written = {str(path.relative_to(binder_root)) for path in binder_root.glob("book/_generated/**/*.ipynb")}
    sources = {
        f"book/_generated/{path.relative_to(REPO_ROOT / 'chapters').with_suffix('.ipynb')}"
        for path in (REPO_ROOT / "chapters").glob("*/[0-9][0-9]-*.md")
    }
    assert page_notebooks, "_toc.yml lists no book/_generated pages"
    assert written == page_notebooks == sources


def test_exported_notebooks_keep_code_cells_and_parameters_tag_without_outputs(binder_root):
    for source in sorted((REPO_ROOT / "chapters").glob("*/[0-9][0-9]-*.md")):
        page = source.relative_to(REPO_ROOT / "chapters").with_suffix(".ipynb")
        exported = nbformat.read(binder_root / "book/_generated" / page, as_version=nbformat.NO_CONVERT)
        nbformat.validate(exported)
        assert exported.nbformat == 4, source
        assert code_cells(exported) == code_cells(jupytext.read(source)), source
        assert any("parameters" in tags for _, tags in code_cells(exported)), source
        assert all(not cell.get("outputs") for cell in exported.cells), source


def test_config_offers_binder_in_jupyterlab_and_no_colab():
    launch_buttons = yaml.safe_load((REPO_ROOT / "_config.yml").read_text())["launch_buttons"]
    assert launch_buttons["binderhub_url"] == "https://mybinder.org"
    assert launch_buttons["notebook_interface"] == "jupyterlab"
    assert not launch_buttons.get("colab_url")


def test_binder_requirements_install_the_root_requirements():
    lines = (BINDER_DIR / "requirements.txt").read_text().splitlines()
    # pip resolves a nested -r against the including file's folder ...
    included = [
        (BINDER_DIR / line.split(maxsplit=1)[1]).resolve() for line in lines if line.startswith("-r ")
    ]
    assert included == [REPO_ROOT / "requirements.txt"]
    # ... and -e . against the working directory, the repository root under repo2docker
    assert "-e ." in (REPO_ROOT / "requirements.txt").read_text().splitlines()


def test_binder_python_matches_the_pages_workflow():
    workflow = yaml.safe_load((REPO_ROOT / ".github/workflows/book.yml").read_text())
    python_versions = [
        step["with"]["python-version"]
        for step in workflow["jobs"]["build"]["steps"]
        if step.get("uses", "").startswith("actions/setup-python")
    ]
    assert (BINDER_DIR / "runtime.txt").read_text().split() == [
        f"python-{version}" for version in python_versions
    ]
