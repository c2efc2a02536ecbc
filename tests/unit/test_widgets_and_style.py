import matplotlib
import pytest

from bookkit.plotting import BOOK_STYLE, use_book_style
from bookkit.widgets import LIVE_NOTE, explore


def test_headless_explore_calls_the_function_once_with_its_defaults(monkeypatch, capsys):
    monkeypatch.setenv("BOOKKIT_HEADLESS", "1")
    calls = []

    def draw(lr=0.1, steps=5):
        calls.append((lr, steps))
        return "figure"

    assert explore(draw, lr=(0.01, 1.0, 0.01), steps=[5, 10]) == "figure"
    assert calls == [(0.1, 5)] and LIVE_NOTE in capsys.readouterr().out


def test_explore_rejects_controls_the_function_cannot_take(monkeypatch):
    monkeypatch.setenv("BOOKKIT_HEADLESS", "1")

    def draw(lr=0.1, steps=None, *, width):
        return None

    with pytest.raises(TypeError, match="has no parameter 'momentum'"):
        explore(draw, momentum=(0.0, 1.0))
    with pytest.raises(TypeError, match="needs a default"):
        explore(draw, width=(1, 3))


def test_live_explore_builds_an_interact_panel(monkeypatch):
    monkeypatch.setenv("BOOKKIT_HEADLESS", "0")
    seen = []

    def draw(lr=0.1):
        seen.append(lr)

    panel = explore(draw, lr=(0.0, 1.0, 0.1))
    assert seen == [0.1] and hasattr(panel, "widget")


def test_book_style_is_applied():
    use_book_style()
    for key in ("axes.spines.top", "savefig.dpi", "axes.grid"):
        assert matplotlib.rcParams[key] == BOOK_STYLE[key]
