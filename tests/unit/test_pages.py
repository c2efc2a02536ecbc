"""The generated pages' pieces, as functions of the records: the claims table of the scorecard and the
landing pages, the landing page itself, and the Sphinx hook that hides papermill's injected cell."""

import importlib.util
import json
import re

import pytest

from bookkit.book_structure import CHAPTERS
from bookkit.layout import Layout
from bookkit.pages import write_pages
from bookkit.pages.cells import verdict_badge
from bookkit.pages.chapter_landing import landing_page_markdown
from bookkit.pages.claim_table import (
    SUMMARY_CHARS,
    ClaimRow,
    claim_text_cell,
    claims_table,
    run_settings_sentence,
)
from bookkit.pages.full_scale import reader_text
from bookkit.sweep import SeedPassRates


def claim(claim_id="demo.a", passed=True, **fields):
    return {
        "id": claim_id,
        "text": "the measured thing",
        "measured": 0.5,
        "op": "<",
        "threshold": 1.0,
        "paper": None,
        "paper_tag": "none",
        "scale": "ci",
        "device": "cpu",
        "required": True,
        "passed": passed,
        "kind": "claim",
        **fields,
    }


def row(notebook="demo/01-x", **fields):
    values = {"chapter": notebook.split("/")[0], "notebook": notebook, "link": "01", "device": "cpu (test)"}
    return ClaimRow(**{**values, **fields})


def sweep_entry(passes, runs=10, kind="claim"):
    return {"asserted": True, "passes": passes, "runs": runs, "rate": f"{passes}/{runs}", "kind": kind}


def table_rows(lines):
    return [line for line in lines if line.startswith("| ") and "---" not in line][1:]


def test_claims_table_shows_badges_compact_cells_and_the_full_text_one_click_away():
    rows = [
        row(claim=claim("demo.a", paper=0.125, paper_tag="paper"), sweep=sweep_entry(7)),
        row(claim=claim("demo.b", passed=False, required=False), sweep=sweep_entry(10), stale=True),
        row(claim=claim("demo.c", passed=None, threshold=None, op=None, text="reported | only")),
    ]
    lines = claims_table(rows, with_recorded=False)
    assert lines[0] == ":::{container} claim-table" and lines[-1] == ":::"
    assert lines[1] == "| nb | claim | paper | ours | threshold | verdict | seeds |"
    a, b, c = table_rows(lines)
    assert a == (
        "| 01 | <details><summary>the measured thing</summary>the measured thing (`demo.a`)</details> | "
        "0.125 <small>(paper)</small> | 0.5 | < 1 | "
        '<span class="verdict verdict-pass">PASS</span> | **7/10** |'
    )
    assert b.endswith(
        '| <span class="verdict verdict-fail">FAIL</span> <small>informative</small> <small>stale</small> '
        "| 10/10 |"
    )
    assert (
        "reported \\| only" in c
        and '| — | 0.5 | — | <span class="verdict verdict-info">INFO</span> | — |' in c
    )
    for line in (a, b, c):
        assert line.count(" | ") == 6, "a cell leaked a column separator"


def test_claims_table_adds_the_recorded_full_scale_column_only_when_runs_are_recorded():
    recorded = claim("demo.a", measured=3, op=">=", threshold=3)
    rows = [row(claim=claim("demo.a"), recorded=recorded), row(claim=claim("demo.b"))]
    lines = claims_table(rows, with_recorded=True)
    assert lines[1].endswith("| seeds | full scale |")
    first, second = table_rows(lines)
    assert first.endswith('| 3 <small>(>= 3)</small> <span class="verdict verdict-pass">PASS</span> |')
    assert second.endswith("| — |")
    assert "full scale" not in claims_table(rows, with_recorded=False)[1]


def test_a_long_claim_shows_its_opening_words_and_keeps_all_of_it_behind_the_click():
    text = "worst relative error of the estimate over every seed, every kernel and every tolerance level"
    cell = claim_text_cell(claim("demo.long", text=text))
    summary = re.search(r"<summary>(.*)</summary>", cell).group(1)
    assert summary.endswith(" …") and len(summary) <= SUMMARY_CHARS and text.startswith(summary[:-2])
    assert cell.endswith(f"</summary>{text} (`demo.long`)</details>")


def test_the_run_settings_are_said_once_and_split_only_where_notebooks_differ():
    same = [row(claim=claim()), row(notebook="demo/02-y", claim=claim())]
    assert run_settings_sentence(same) == "Ran at scale `ci` on cpu (test)."
    mixed = [*same, row(notebook="demo/03-z", claim=claim(scale="smoke"))]
    assert (
        run_settings_sentence(mixed) == "Notebooks 01, 02 at `ci` on cpu (test); 03 at `smoke` on cpu (test)."
    )
    assert run_settings_sentence([]) == ""


@pytest.mark.parametrize(
    ("passed", "required", "badge"),
    [
        (True, True, '<span class="verdict verdict-pass">PASS</span>'),
        (None, True, '<span class="verdict verdict-info">INFO</span>'),
        (False, True, '<span class="verdict verdict-fail">FAIL</span>'),
        (False, False, '<span class="verdict verdict-fail">FAIL</span> <small>informative</small>'),
    ],
)
def test_verdict_badges(passed, required, badge):
    assert verdict_badge(claim(passed=passed, required=required)) == badge


def landing(rows, rates_claims, notebooks=(("Title one", "../_generated/uoro/01-x"), ("Title two", None))):
    chapter = next(c for c in CHAPTERS if c.slug == "uoro")
    rates = SeedPassRates("uoro", "ci", rates_claims)
    return chapter, landing_page_markdown(chapter, rows, rates, notebooks, with_recorded=False)


def test_landing_page_names_the_paper_and_shows_the_chapters_slice_of_the_scorecard():
    swept = {**sweep_entry(9), "id": "uoro.a", "seeds": [{"seed": s} for s in range(10)]}
    rows = [
        row(notebook="uoro/01-x", claim=claim("uoro.a"), sweep=swept),
        row(notebook="uoro/01-x", claim=claim("uoro.b", passed=None, threshold=None)),
        row(notebook="uoro/01-x", claim=claim("uoro.same", kind="check")),
    ]
    chapter, page = landing(rows, [swept])
    assert page.startswith(f"# {chapter.paper_title}\n")
    assert (
        f"{chapter.authors} ({chapter.year}), *{chapter.paper_title}* {{cite:p}}`{chapter.citation}`" in page
    )
    assert chapter.summary in page and all(f"- {text}" in page for text in chapter.substitutions)
    assert "**1 claims pass and 0 fail**; 1 more are reported" in page
    assert "Implementation checks of our code (not counted as evidence): 1 pass, 0 fail." in page
    assert "Over seeds, 0 of 1 claims pass on every seed swept (0-9, ci scale); uoro.a on 9/10." in page
    assert "`uoro.a`" in page and "`uoro.b`" in page and "`uoro.same`" not in page  # checks only counted
    assert "1. {doc}`Title one <../_generated/uoro/01-x>`\n2. Title two\n" in page


def test_landing_page_of_a_chapter_not_run_and_not_swept_says_so():
    _, page = landing([], [])
    assert "No notebook of this chapter has been run for this build of the book." in page
    assert "No seed sweep of its claims has been recorded at the `ci` scale yet." in page
    assert "claim-table" not in page


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.slug)
def test_the_summaries_speak_of_the_paper_and_quote_no_number(chapter):
    """A number in a summary could only be the paper's, and most are unconfirmed: the summaries quote none
    (digits inside a name, such as CIFAR-10, are not numbers)."""
    assert not re.search(r"(?<![\w-])\d", chapter.summary), chapter.summary
    text = " ".join([chapter.summary, *chapter.substitutions]).lower()
    assert not re.search(r"\b(brief|team)\b", text)
    assert chapter.substitutions


def test_write_pages_writes_a_landing_page_for_each_chapter_with_notebooks(tmp_path):
    layout = Layout(
        repo_root=tmp_path, generated=tmp_path / "book" / "_generated", package_dir=tmp_path / "pkg"
    )
    (tmp_path / "chapters" / "uoro").mkdir(parents=True)
    (tmp_path / "chapters" / "uoro" / "01-x.md").write_text("# The first notebook\n")
    (layout.generated / "uoro").mkdir(parents=True)
    (layout.generated / "uoro" / "01-x.metrics.json").write_text(json.dumps({"claims": [claim("uoro.a")]}))
    written = write_pages(layout)
    landing_pages = [p for p in written if p.parent == tmp_path / "book" / "chapters"]
    assert [p.name for p in landing_pages] == ["uoro.md"]
    page = landing_pages[0].read_text()
    assert page.startswith("# Unbiased Online Recurrent Optimization\n") and "`uoro.a`" in page
    assert "1. The first notebook" in page  # not executed: no link to a page that does not exist


def load_extension(name):
    path = Layout().repo_root / "book" / "_ext" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_papermills_injected_parameters_cell_is_removed_and_the_notebooks_own_is_kept():
    cells = load_extension("papermill_cells")
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "SCALE = 'ci'"},
            {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "source": "SCALE = 'smoke'"},
            {"cell_type": "code", "metadata": {}, "source": "x = 1"},
        ]
    }
    text = json.dumps(notebook)
    tags = [
        c["metadata"].get("tags", []) for c in json.loads(cells.without_injected_parameters(text))["cells"]
    ]
    assert tags == [["parameters"], ["injected-parameters", "remove-cell"], []]
    untouched = json.dumps({"cells": notebook["cells"][:1] + notebook["cells"][2:]})
    assert cells.without_injected_parameters(untouched) == untouched


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        ("SB-6: worst KL over the 3 targets", "worst KL over the 3 targets"),
        ("SB-12b:  direction following", "direction following"),
        ("e_GDU at β = 0.1, K = 12", "e_GDU at β = 0.1, K = 12"),
        ("ratio of SB-6: kept inside", "ratio of SB-6: kept inside"),
        ("KITTI-like clips: next frame", "KITTI-like clips: next frame"),
    ],
)
def test_full_scale_page_drops_a_leading_criterion_code_only(recorded, shown):
    assert reader_text(recorded) == shown
