"""``explore``: live controls in Jupyter, one static figure when headless.

The controls come from the keyword arguments (ipywidgets ``interact`` abbreviations: ``(low, high, step)``
for a slider, a list for a dropdown); the function's own default arguments are the values used headless,
so the rendered book always shows the figure a reader would see first in Jupyter. Headless, the controls
are still displayed (at their defaults, not wired to anything) so that the executed notebook's saved widget
state shows the reader which knobs the live version has.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from bookkit.device import is_headless

LIVE_NOTE = (
    "Interactive: open this chapter in Jupyter (see the README) to move the controls; "
    "here it is drawn with the defaults."
)


def explore(function: Callable[..., Any], **controls: Any) -> Any:
    """Build an ``ipywidgets.interact`` panel for ``function`` in a live kernel; headless, call it once.

    Every control must name a parameter of ``function`` that has a default value.
    """
    signature = inspect.signature(function)
    for name in controls:
        parameter = signature.parameters.get(name)
        if parameter is None:
            raise TypeError(
                f"explore: {function.__name__} has no parameter {name!r}; "
                f"it has: {', '.join(signature.parameters)}"
            )
        if parameter.default is inspect.Parameter.empty:
            raise TypeError(
                f"explore: parameter {name!r} of {function.__name__} needs a default value, "
                "used for the static figure"
            )
    import ipywidgets

    if is_headless():
        from IPython.display import display

        unwired = ipywidgets.interactive(function, {"manual": True}, **controls)
        display(ipywidgets.VBox([w for w in unwired.kwargs_widgets if isinstance(w, ipywidgets.DOMWidget)]))
        print(LIVE_NOTE)
        return function()
    return ipywidgets.interact(function, **controls)
