"""Which edits to a chapter's presets module make one notebook's run stale: the presets it reads, at the
scales it reads them, and the code it reaches; nothing else."""

from pathlib import Path

import pytest

from bookkit.layout import Layout, NotebookSource
from bookkit.preset_provenance import presets_fingerprint
from bookkit.runner import RunSettings, compute_stamp

PRESETS = '''"""Presets of a scratch chapter."""

from dataclasses import dataclass

from bookkit.scales import Presets


@dataclass(frozen=True)
class SizeConfig:
    width: int

    def doubled(self) -> int:
        return 2 * self.width


@dataclass(frozen=True)
class OtherConfig:
    depth: int


def scaled(config: SizeConfig) -> int:
    return _factor() * config.width


def _factor() -> int:
    return 3


def unused() -> int:
    return 5


ONE = Presets(smoke=SizeConfig(1), ci=SizeConfig(2), full=SizeConfig(4), gpu=SizeConfig(8))
"""The notebook's presets."""

OTHER = Presets(smoke=OtherConfig(1), ci=OtherConfig(2), full=OtherConfig(4), gpu=OtherConfig(8))
'''

NOTEBOOK = """---
jupytext:
  text_representation:
    format_name: myst
---

# A chapter

```{code-cell} ipython3
CODE
```
"""

USES_ONE = (
    "import bookkit\nfrom bookkit.uoro.presets import ONE, scaled\n"
    'nb = bookkit.start_notebook("uoro/01", ONE, scale=SCALE)'
)


@pytest.fixture
def package(tmp_path: Path) -> Path:
    (tmp_path / "pkg" / "uoro").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "uoro" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "uoro" / "presets.py").write_text(PRESETS)
    return tmp_path / "pkg"


def notebook(tmp_path: Path, code: str) -> Path:
    path = tmp_path / "01-topic.md"
    path.write_text(NOTEBOOK.replace("CODE", code))
    return path


def changes(package: Path, path: Path, old: str, new: str, scale: str) -> bool:
    presets = package / "uoro" / "presets.py"
    before = presets_fingerprint(path, "uoro", scale, package)
    text = presets.read_text()
    assert old in text
    presets.write_text(text.replace(old, new))
    return presets_fingerprint(path, "uoro", scale, package) != before


@pytest.mark.parametrize(
    ("old", "new", "scale", "expected"),
    [
        ("gpu=SizeConfig(8)", "gpu=SizeConfig(9)", "ci", False),  # another scale of the notebook's preset
        ("gpu=SizeConfig(8)", "gpu=SizeConfig(9)", "gpu", True),
        ("ci=SizeConfig(2)", "ci=SizeConfig(3)", "ci", True),
        ("ci=OtherConfig(2)", "ci=OtherConfig(3)", "ci", False),  # another notebook's preset
        ("return 3", "return 4", "ci", True),  # a helper of a function the notebook imports
        ("return 5", "return 6", "ci", False),  # a function nothing it uses reaches
        ("return 2 * self.width", "return 3 * self.width", "ci", True),  # the preset's dataclass
        ("    depth: int", "    depth: int = 0", "ci", False),  # another preset's dataclass
        ('"""The notebook\'s presets."""', '"""Reworded."""', "ci", False),  # prose
        ("\n\ndef unused", "\n\nassert True\n\n\ndef unused", "ci", True),  # a statement defining nothing
    ],
)
def test_a_run_counts_what_it_reads_and_nothing_else(
    tmp_path: Path, package: Path, old: str, new: str, scale: str, expected: bool
) -> None:
    assert changes(package, notebook(tmp_path, USES_ONE), old, new, scale) is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (USES_ONE + "\nprint(ONE.full.width)", True),  # names another scale
        ("from bookkit.uoro.presets import ONE\nconfig = ONE.resolve(nb.scale)", False),
        ("from bookkit.uoro.presets import ONE\nconfig = ONE.resolve('full')", True),  # not followed
        ("from bookkit.uoro.presets import ONE as P\nshow(P)", True),  # any other use: every scale
        ("import bookkit.uoro.presets as p\nconfig = p.ONE.ci", True),  # the module whole
        ("from bookkit.uoro import presets\nconfig = presets.ONE.ci", True),
    ],
)
def test_uses_the_analysis_cannot_follow_count_every_scale(
    tmp_path: Path, package: Path, code: str, expected: bool
) -> None:
    assert (
        changes(package, notebook(tmp_path, code), "full=SizeConfig(4)", "full=SizeConfig(5)", "ci")
        is expected
    )


def test_a_preset_a_chapter_module_imports_counts_at_every_scale(tmp_path: Path, package: Path) -> None:
    (package / "uoro" / "helpers.py").write_text("from .presets import ONE\n")
    path = notebook(tmp_path, "from bookkit.uoro.helpers import ONE as unused_here")
    assert changes(package, path, "gpu=SizeConfig(8)", "gpu=SizeConfig(9)", "ci")


def test_a_preset_without_a_stable_repr_is_refused(tmp_path: Path, package: Path) -> None:
    presets = package / "uoro" / "presets.py"
    presets.write_text(PRESETS.replace("ci=SizeConfig(2)", "ci=SizeConfig(object())"))
    with pytest.raises(ValueError, match="memory address"):
        presets_fingerprint(notebook(tmp_path, USES_ONE), "uoro", "ci", package)


def test_the_freshness_stamp_counts_the_presets_read(tmp_path: Path, package: Path) -> None:
    (tmp_path / "chapters" / "uoro").mkdir(parents=True)
    path = tmp_path / "chapters" / "uoro" / "01-topic.md"
    path.write_text(NOTEBOOK.replace("CODE", USES_ONE))
    layout = Layout(repo_root=tmp_path, generated=tmp_path / "generated", package_dir=package)
    source = NotebookSource(chapter="uoro", stem="01-topic", path=path)
    stamps = {scale: compute_stamp(layout, source, RunSettings(scale=scale)) for scale in ("ci", "gpu")}
    presets = package / "uoro" / "presets.py"
    presets.write_text(PRESETS.replace("gpu=SizeConfig(8)", "gpu=SizeConfig(9)"))
    assert compute_stamp(layout, source, RunSettings(scale="ci")) == stamps["ci"]
    assert compute_stamp(layout, source, RunSettings(scale="gpu")) != stamps["gpu"]


def test_every_notebook_of_the_book_has_a_fingerprint_at_each_of_its_scales() -> None:
    for source in Layout().all_sources():
        prints = {scale: presets_fingerprint(source.path, source.chapter, scale) for scale in ("ci", "gpu")}
        assert len(prints["ci"]) == 64 and prints["ci"] != prints["gpu"], source.name
