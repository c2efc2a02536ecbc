"""Everything that lists the chapters agrees with bookkit/book_structure.py and with chapters/."""

import re

import pytest
import yaml

from bookkit.book_structure import (
    BACK_MATTER,
    CHAPTERS,
    PAPERS,
    TABLE_BEGIN,
    TABLE_END,
    generated_files,
    toc_yaml,
    with_table,
)
from bookkit.layout import Layout


def test_every_chapter_folder_is_in_the_book_structure_and_back():
    assert sorted(c.slug for c in CHAPTERS) == Layout().chapters()
    assert list(PAPERS) == [c.slug for c in CHAPTERS]


def test_toc_readme_and_intro_tables_are_generated_from_the_structure():
    for path, text in generated_files(Layout()).items():
        assert path.read_text() == text, f"{path.name} is out of date: run `python -m bookkit toc`"


def test_the_generated_tables_name_every_chapter_and_cite_every_paper():
    layout = Layout()
    files = {path.name: text for path, text in generated_files(layout).items()}
    bibliography = (layout.repo_root / "book" / "references.bib").read_text()
    for chapter in CHAPTERS:
        assert f"`{chapter.slug}`" in files["README.md"] and f"*{chapter.paper_title}*" in files["README.md"]
        assert f"{{cite:t}}`{chapter.citation}`" in files["intro.md"]
        assert re.search(rf"@\w+{{{chapter.citation},", bibliography), chapter.citation
        assert f"/{chapter.slug}/" in files["_toc.yml"]


def test_a_table_without_its_markers_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="needs one line"):
        with_table("| a | b |\n", "| c |", tmp_path / "README.md")
    text = f"before\n{TABLE_BEGIN}\nold\n{TABLE_END}\nafter\n"
    assert with_table(text, "new", tmp_path / "x.md") == f"before\n{TABLE_BEGIN}\nnew\n{TABLE_END}\nafter\n"


def test_each_chapter_in_the_toc_is_its_landing_page_with_its_notebooks_as_sections():
    layout = Layout()
    toc = yaml.safe_load(toc_yaml(layout))
    entries = [chapter for part in toc["parts"][:-1] for chapter in part["chapters"]]
    assert [entry["file"] for entry in entries] == [f"book/chapters/{c.slug}" for c in CHAPTERS]
    for chapter, entry in zip(CHAPTERS, entries, strict=True):
        notebooks = [f"book/_generated/{s.name}" for s in layout.all_sources() if s.chapter == chapter.slug]
        assert [section["file"] for section in entry["sections"]] == notebooks
    assert [c["file"] for c in toc["parts"][-1]["chapters"]] == list(BACK_MATTER)
