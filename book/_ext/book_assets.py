"""Sphinx extension: the book's pages load their scripts once each, and only from the book itself.

- With jupyter-book 1.0.4 and sphinx-thebe 0.3.1 the thebe configuration script is registered twice, and
  the second ``const THEBE_JS_URL`` is a console error on every page (togglebutton's settings are doubled
  too). Identical script entries (same file, same inline body, same attributes) are dropped.
- The ipywidgets manager (``_static/vendor/@jupyter-widgets/html-manager/dist/embed-amd.js``, fetched by
  ``make``) is an AMD module that finds its fonts relative to its RequireJS module URI and looks up other
  modules under ``data-jupyter-widgets-cdn``; both are pointed, per page, at the book's own copy
  (RequireJS's ``baseUrl``), so saved widgets render without a CDN.
"""

from __future__ import annotations

WIDGET_MANAGER = "vendor/@jupyter-widgets/html-manager/dist/embed-amd.js"
REQUIRE_JS = "vendor/require.js"


def _page_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    vendor = context["pathto"]("_static/vendor/", 1)
    seen, unique = set(), []
    for script in scripts:
        name = str(getattr(script, "filename", script) or "")  # an inline script is registered as None or ""
        attributes = getattr(script, "attributes", {})
        if name.endswith(WIDGET_MANAGER):
            attributes["data-jupyter-widgets-cdn"] = vendor
        key = (name, tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
        if name.endswith(REQUIRE_JS):
            config = f'require.config({{baseUrl: "{vendor}"}});'
            unique.append(type(script)(None, priority=script.priority, body=config))
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _page_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
