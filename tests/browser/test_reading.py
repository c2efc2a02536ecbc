"""What a reader sees at a laptop's width (1280 px): no page wider than the window and no content cut off
(code and outputs scroll inside their cell), the scorecard's tables within the page with verdicts as
coloured badges and each claim's text one click away, a landing page per chapter named by its paper in the
sidebar, numbered captions under the chapters' figures, and no papermill parameters cell. Screenshots land in
_build/screenshots/ (landing-<chapter>.png, scorecard-claim-open.png)."""

import pytest
from conftest import CHAPTER_PAGES, PAGES, SCREENSHOTS, visit

from bookkit.book_structure import CHAPTERS

LANDING = {c.slug: c for c in CHAPTERS if c.landing_page in PAGES}
CHAPTERS_SHOWN = sorted({p.split("/")[2] for p in CHAPTER_PAGES})

WIDTHS_JS = """() => {
  const main = document.querySelector('main');
  const wide = e => e.scrollWidth > e.clientWidth + 1;
  const name = e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.') + ': '
    + (e.innerText || '').trim().slice(0, 60);
  const cut = [...main.querySelectorAll('pre, div.highlight, div.cell_output, div.output, table')]
    .filter(wide)
    .filter(e => !['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
    .filter(e => !e.parentElement.closest('pre, div.highlight, div.output'))
    .map(name);
  const scrollingClaimTables = [...main.querySelectorAll('.claim-table, .claim-table *')]
    .filter(wide).map(name);
  return {
    page: document.documentElement.scrollWidth - window.innerWidth,
    article: main.scrollWidth - main.clientWidth,
    cut: cut,
    scrollingClaimTables: scrollingClaimTables,
  };
}"""


def widths(page):
    return page.evaluate(WIDTHS_JS)


def assert_fits_the_window(page_path, measured, *, claim_tables_scroll=False):
    assert measured["page"] <= 0, f"{page_path} is {measured['page']} px wider than a 1280 px window"
    assert measured["article"] <= 1, (
        f"{page_path}: the article is {measured['article']} px wider than its column"
    )
    assert not measured["cut"], f"{page_path}: content wider than its box and cut off: {measured['cut']}"
    if not claim_tables_scroll:
        assert not measured["scrollingClaimTables"], (
            f"{page_path}: a claims table needs horizontal scrolling: {measured['scrollingClaimTables']}"
        )


def test_scorecard_fits_1280px_with_badges_and_each_claim_one_click_away(browser, book_url):
    page, _ = visit(browser, book_url, "book/scorecard")
    assert_fits_the_window("book/scorecard", widths(page))
    tables = page.locator("main .claim-table table")
    assert tables.count() >= 2, "expected a claims table per chapter and one of implementation checks"
    headings = page.locator("main h2").all_inner_texts()
    assert headings[-1].startswith("Implementation checks"), headings
    badges = page.locator("main .claim-table .verdict")
    colours = dict(
        badges.evaluate_all("els => els.map(e => [e.innerText.trim(), getComputedStyle(e).backgroundColor])")
    )
    assert set(colours) <= {"PASS", "FAIL", "INFO"} and "PASS" in colours, colours
    assert "rgba(0, 0, 0, 0)" not in colours.values() and len(set(colours.values())) == len(colours)
    details = page.locator("main .claim-table details").first
    claim_id = details.locator("code")
    assert not claim_id.is_visible(), "a claim's full text shows before the click"
    details.locator("summary").click()
    assert claim_id.is_visible() and "." in claim_id.inner_text()
    details.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "scorecard-claim-open.png"))
    page.close()


def test_sidebar_names_each_chapter_by_its_paper(browser, book_url):
    page, _ = visit(browser, book_url, "book/intro")
    entries = page.locator("nav.bd-docs-nav li.toctree-l1 > a").evaluate_all(
        "els => els.map(e => [e.innerText.trim(), e.getAttribute('href')])"
    )
    chapters = [(title, href) for title, href in entries if "chapters/" in href]
    assert chapters == [(c.paper_title, f"chapters/{slug}.html") for slug, c in LANDING.items()]
    assert not [href for _, href in entries if "_generated/" in href], "a notebook is a top-level entry"
    page.close()


@pytest.mark.parametrize("slug", sorted(LANDING))
def test_landing_page_presents_the_paper_and_how_well_it_is_reproduced(browser, book_url, slug):
    chapter = LANDING[slug]
    page, _ = visit(browser, book_url, chapter.landing_page, screenshot=f"landing-{slug}")
    assert page.locator("main h1").first.inner_text().strip().rstrip("#").strip() == chapter.paper_title
    text = page.inner_text("main").replace("\u2019", "'")  # MyST typesets apostrophes
    assert chapter.summary.split(",")[0] in text and "What we ran instead" in text
    assert page.locator("main .claim-table .verdict").count() >= 1, f"{slug}: no claims on its landing page"
    assert "pass on every seed" in text or "No seed sweep" in text
    notebooks = [p for p in CHAPTER_PAGES if p.split("/")[2] == slug]
    links = page.locator("main ol a").count()
    assert links == len(notebooks), f"{slug}: {links} notebook links for {len(notebooks)} notebooks"
    assert_fits_the_window(chapter.landing_page, widths(page))
    page.close()


@pytest.fixture(scope="module")
def chapter_pages(browser, book_url):
    """Each chapter page's widths, figure captions and papermill cells, measured once."""
    facts = {}
    for page_path in CHAPTER_PAGES:
        page, _ = visit(browser, book_url, page_path)
        facts[page_path] = {
            "widths": widths(page),
            "captions": page.locator("main figure figcaption").evaluate_all(
                "els => els.map(e => [(e.querySelector('.caption-number') || {}).innerText || '', "
                "e.innerText.trim()])"
            ),
            "uncaptioned": page.locator("main div.cell_output img").evaluate_all(
                "els => els.filter(img => !img.closest('figure') && "
                "!(img.closest('div.cell') || {innerText: ''}).innerText.includes('Interactive:'))"
                ".map(img => img.getAttribute('src'))"
            ),
            "injected": page.locator("main div.cell.tag_injected-parameters").count()
            + page.locator("main div.cell_input pre").evaluate_all(
                "els => els.filter(e => e.innerText.trimStart().startsWith('# Parameters')).length"
            ),
        }
        page.close()
    return facts


@pytest.mark.parametrize("page_path", CHAPTER_PAGES)
def test_chapter_page_fits_1280px_and_hides_papermills_parameters_cell(chapter_pages, page_path):
    facts = chapter_pages[page_path]
    assert_fits_the_window(page_path, facts["widths"], claim_tables_scroll=True)
    assert facts["injected"] == 0, f"{page_path} shows papermill's injected parameters cell"


@pytest.mark.parametrize("chapter", CHAPTERS_SHOWN)
def test_figures_are_captioned_and_numbered(chapter_pages, chapter):
    """Every plot a chapter shows sits in a numbered, captioned figure; the one exception is the static
    drawing an interactive widget leaves in the page, which its cell introduces as such."""
    pages = {path: f for path, f in chapter_pages.items() if path.split("/")[2] == chapter}
    captions = [c for f in pages.values() for c in f["captions"]]
    assert captions, f"{chapter}: no captioned figure"
    unnumbered = [text for number, text in captions if not number.strip()]
    assert not unnumbered, f"{chapter}: captions without a figure number: {unnumbered}"
    assert all(len(text) > len(number) + 10 for number, text in captions), f"{chapter}: an empty caption"
    uncaptioned = {path: f["uncaptioned"] for path, f in pages.items() if f["uncaptioned"]}
    assert not uncaptioned, f"{chapter}: plots outside a captioned figure: {uncaptioned}"
