"""The steps of CONTRIBUTING.md that a test can check: each paper in the book structure has its chapter
folder, its bookkit package with presets and benchmarks, and its unit tests; every notebook starts with
presets from its own chapter's presets module (smoke, ci and full); paper packages import only the core, and
the core imports no paper; the guide names only files that exist. The steps checked elsewhere are named in
CONTRIBUTING.md."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import jupytext
import pytest

from bookkit.book_structure import CHAPTERS
from bookkit.layout import Layout
from bookkit.provenance import chapter_package
from bookkit.scales import SCALES, Presets

LAYOUT = Layout()
REPO = LAYOUT.repo_root
BOOKKIT = REPO / "bookkit"
PAPER_PACKAGES = {chapter_package(chapter.slug) for chapter in CHAPTERS}
SOURCES = LAYOUT.all_sources()


@pytest.mark.parametrize("slug", [c.slug for c in CHAPTERS])
def test_each_paper_has_its_chapter_package_presets_benchmarks_and_unit_tests(slug):
    package = BOOKKIT / chapter_package(slug)
    assert sorted((REPO / "chapters" / slug).glob("[0-9][0-9]-*.md")), f"chapters/{slug}/ has no NN-topic.md"
    for module in ("__init__.py", "presets.py", "benchmarks.py"):
        assert (package / module).is_file(), f"bookkit/{package.name}/{module} is missing"
    benchmarks = importlib.import_module(f"bookkit.{package.name}.benchmarks")
    assert callable(getattr(benchmarks, "benchmarks", None)), (
        f"{benchmarks.__name__} needs benchmarks(quick=...)"
    )
    tests = REPO / "tests" / "unit" / package.name
    assert sorted(tests.glob("test_*.py")), f"tests/unit/{package.name}/ has no test module"


def presets_of(slug: str) -> dict[str, Presets]:
    module = importlib.import_module(f"bookkit.{chapter_package(slug)}.presets")
    return {name: value for name, value in vars(module).items() if isinstance(value, Presets)}


@pytest.mark.parametrize("slug", [c.slug for c in CHAPTERS])
def test_every_presets_object_resolves_smoke_ci_and_full(slug):
    presets = presets_of(slug)
    assert presets, f"bookkit/{chapter_package(slug)}/presets.py defines no Presets"
    for name, preset in presets.items():
        configs = [preset.resolve(scale) for scale in SCALES]
        assert len({type(config) for config in configs}) == 1, name
        assert set(SCALES) == {"smoke", "ci", "gpu", "full"}


START = re.compile(r'start_notebook\(\s*"(?P<name>[^"]+)",\s*(?P<presets>[A-Za-z_][A-Za-z0-9_]*)\b')


def notebook_code(source) -> str:
    return "\n".join(cell.source for cell in jupytext.read(source.path).cells if cell.cell_type == "code")


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_each_notebook_starts_with_presets_from_its_own_chapter(source):
    code = notebook_code(source)
    start = START.search(code)
    assert start, f'{source.name}: no start_notebook("{source.name}", PRESETS, ...) call'
    package = chapter_package(source.chapter)
    assert start["presets"] in presets_of(source.chapter), (
        f"{source.name}: {start['presets']} is not a Presets of bookkit/{package}/presets.py"
    )
    assert re.search(rf"from bookkit\.{package}\.presets import [^\n]*\b{start['presets']}\b", code), (
        f"{source.name}: import {start['presets']} from bookkit.{package}.presets"
    )


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_a_notebook_imports_no_other_papers_package(source):
    imported = set(re.findall(r"\bbookkit\.([a-z_]+)", notebook_code(source)))
    others = sorted((imported & PAPER_PACKAGES) - {chapter_package(source.chapter)})
    assert not others, f"{source.name} imports the packages of other papers: {others}"


def bookkit_imports(path: Path) -> set[str]:
    """The ``bookkit`` subpackages or modules a file imports (``bookkit.uoro.model`` -> ``uoro``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        names |= {module.split(".")[1] for module in modules if module.startswith("bookkit.")}
    return names


def owner(path: Path) -> str:
    """The paper package a bookkit file belongs to, or ``core``."""
    top = path.relative_to(BOOKKIT).parts[0]
    return top if top in PAPER_PACKAGES else "core"


@pytest.mark.parametrize("path", sorted(BOOKKIT.rglob("*.py")), ids=lambda p: str(p.relative_to(BOOKKIT)))
def test_papers_import_only_the_core_and_the_core_imports_no_paper(path):
    papers = bookkit_imports(path) & PAPER_PACKAGES
    allowed = set() if owner(path) == "core" else {owner(path)}
    assert papers <= allowed, f"bookkit/{path.relative_to(BOOKKIT)} imports {sorted(papers - allowed)}"


def test_the_import_check_sees_imports_of_both_forms(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "import bookkit.uoro.model\nfrom bookkit import prednet\nfrom bookkit.claims import Claim\n"
        "from . import sibling\n"
    )
    assert bookkit_imports(module) == {"uoro", "prednet", "claims"}


def test_the_contributing_guide_names_only_files_that_exist():
    guide = (REPO / "CONTRIBUTING.md").read_text()
    named = set(re.findall(r"`((?:bookkit|tests|chapters|book|tools|\.github)/[^`<>*{} ]+)`", guide))
    assert named, "CONTRIBUTING.md names no files"
    missing = sorted(path for path in named if not (REPO / path.rstrip("/")).exists())
    assert not missing, f"CONTRIBUTING.md names files that do not exist: {missing}"


def test_the_code_and_the_text_carry_a_licence():
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    readme = (REPO / "README.md").read_text()
    assert "## Licence" in readme and "CC BY 4.0" in readme
