"""Sphinx extension: the pages whose claims tables need the whole width of a laptop screen (the scorecard,
the chapters' landing pages) are rendered without the right-hand sidebar of page contents, which the theme
shows on every other page."""

from __future__ import annotations

from fnmatch import fnmatch

WIDE_PAGES = ("book/scorecard", "book/chapters/*")


def _drop_secondary_sidebar(app, pagename: str, templatename: str, context, doctree) -> None:
    if any(fnmatch(pagename, pattern) for pattern in WIDE_PAGES):
        context["theme_secondary_sidebar_items"] = []


def setup(app):
    # before pydata-sphinx-theme (priority 500) turns the theme option into the sidebar's templates
    app.connect("html-page-context", _drop_secondary_sidebar, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
