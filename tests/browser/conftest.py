"""A local HTTP server for the built book, one headless Chromium (Debian's, driven by Playwright), the pages
of the toc, and :func:`visit`, which opens a page at a laptop's width (1280 px)."""

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD = REPO_ROOT / "_build" / "html"
SCREENSHOTS = REPO_ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("BOOKKIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def toc_pages():
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part["chapters"]:
            pages.append(chapter["file"])
            pages += [section["file"] for section in chapter.get("sections", [])]
    return pages


PAGES = toc_pages()
CHAPTER_PAGES = [p for p in PAGES if p.startswith("book/_generated/")]


def visit(browser, book_url, page_path, screenshot=None):
    """Open a page, collecting console errors, failed requests and requests leaving the local server."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = {"console": [], "failed": [], "external": []}
    page.on("console", lambda m: problems["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems["console"].append(str(e)))
    page.on(
        "requestfailed",
        lambda r: problems["failed"].append(f"{r.url} ({r.failure})") if r.url.startswith(book_url) else None,
    )
    page.on(
        "response", lambda r: problems["failed"].append(f"{r.status} {r.url}") if r.status >= 400 else None
    )

    def keep_local(route):
        if route.request.url.startswith(book_url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            problems["external"].append(route.request.url)
            route.abort()

    page.route("**/*", keep_local)
    page.goto(f"{book_url}/{page_path}.html", wait_until="load")
    page.wait_for_load_state("networkidle")
    if screenshot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{screenshot}.png"), full_page=False)
    return page, problems


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def book_url():
    if not (BUILD / "index.html").exists():
        pytest.fail(f"{BUILD / 'index.html'} is missing: build the book first (`make html`)")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=BUILD)
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser-setup` installs Debian's chromium package")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()
