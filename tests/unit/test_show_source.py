"""``show_source``: the model code a chapter shows, highlighted in HTML and exact as text."""

import inspect
import textwrap

from IPython.lib.pretty import pretty

from bookkit.claims import ClaimBook
from bookkit.notebook import show_source


def test_text_form_is_the_dedented_source_of_a_method() -> None:
    shown = show_source(ClaimBook.finish)
    assert pretty(shown) == textwrap.dedent(inspect.getsource(ClaimBook.finish)).rstrip("\n")
    assert pretty(shown).startswith("def finish(")


def test_html_form_is_highlighted() -> None:
    html = show_source(ClaimBook.finish)._repr_html_()
    assert '<span class="k">def</span>' in html
