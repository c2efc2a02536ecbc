"""The rendered book in a real headless browser: every page of the toc loads with no console errors, no
broken internal links or images, rendered math; chapters show figures and claims; the generated pages show
their tables; saved widget state renders as controls. Screenshots land in _build/screenshots/."""

from urllib.parse import urldefrag, urlparse

import pytest
from conftest import BUILD, CHAPTER_PAGES, PAGES, visit


@pytest.mark.parametrize("page_path", PAGES)
def test_page_loads_without_errors_broken_links_or_images(browser, book_url, page_path):
    page, problems = visit(browser, book_url, page_path)
    assert not problems["failed"], f"failed requests on {page_path}: {problems['failed']}"
    assert not problems["console"], f"console errors on {page_path}: {problems['console']}"
    assert not problems["external"], (
        f"{page_path} needs the network (CDN or remote asset): {problems['external']}"
    )
    broken_images = page.eval_on_selector_all(
        "img", "els => els.filter(e => !e.complete || e.naturalWidth === 0).map(e => e.src)"
    )
    assert not broken_images, f"broken images on {page_path}: {broken_images}"
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    missing = set()
    for link in links:
        target, _ = urldefrag(link)
        if not target.startswith(book_url):
            continue
        path = urlparse(target).path.lstrip("/")
        file = BUILD / path
        if file.is_dir():
            file = file / "index.html"
        if not file.exists():
            missing.add(path)
    assert not missing, f"broken internal links on {page_path}: {sorted(missing)}"
    if page.locator(".math").count():
        # typeset, not visible: the first formula may sit in the print-only contents (math in a heading)
        page.wait_for_selector("mjx-container", state="attached", timeout=15000)
        assert page.locator("mjx-container").count() >= page.locator(".math").count() // 2
    page.close()


@pytest.mark.parametrize("chapter", sorted({p.split("/")[2] for p in CHAPTER_PAGES}))
def test_chapter_pages_show_figures_claims_and_controls(browser, book_url, chapter):
    pages = [p for p in CHAPTER_PAGES if p.split("/")[2] == chapter]
    figures = claims = controls = 0
    for number, page_path in enumerate(pages):
        page, _ = visit(
            browser, book_url, page_path, screenshot=f"chapter-{chapter}" if number == 0 else None
        )
        text = page.inner_text("main")
        figures += page.locator("main img").count()
        claims += sum(text.count(tag) for tag in ("[PASS]", "[FAIL]", "[INFO]"))
        if page.locator("script[type='application/vnd.jupyter.widget-state+json']").count():
            page.wait_for_selector(".widget-slider, .widget-dropdown, .widget-inline-hbox", timeout=15000)
            controls += page.locator(".widget-slider, .widget-dropdown, .widget-inline-hbox").count()
        page.close()
    assert figures > 0, f"{chapter}: no figure on any page"
    assert claims > 0, f"{chapter}: no claim line on any page"
    assert controls > 0, f"{chapter}: no widget controls rendered from the saved state"


@pytest.mark.parametrize(
    ("name", "page_path"),
    [
        ("front", "book/intro"),
        ("scorecard", "book/scorecard"),
        ("full-scale", "book/full-scale"),
        ("status", "book/status"),
    ],
)
def test_front_matter_renders_with_tables(browser, book_url, name, page_path):
    page, _ = visit(browser, book_url, page_path, screenshot=name)
    if name != "front":
        assert page.locator("main table").count() >= 1, f"{page_path}: no table rendered"
        assert page.locator("main table tbody tr").count() >= 1
    else:
        assert "How neural systems learn" in page.title()
        assert page.get_by_text("Where the book stands").count() == 1, (
            "the front page lost its generated summary"
        )
        figures = page.locator("main figure img")
        assert figures.count() >= 1, "the front page shows no chapter figure"
        assert all(figures.nth(i).evaluate("img => img.naturalWidth") > 0 for i in range(figures.count()))
    page.close()
