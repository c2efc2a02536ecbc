"""Every ``BOOKKIT_*`` environment variable the book reads, with what it does, in one place.

The runner hands its settings to each notebook's kernel through the environment (the kernel is a separate
process that papermill starts); a reader running a notebook by hand may set the same variables. Code reads
them
through :func:`get` and the constants below, never by spelling the name again.
"""

from __future__ import annotations

import dataclasses
import os
import textwrap


@dataclasses.dataclass(frozen=True)
class Variable:
    """One environment variable: its name and what it does (shown by ``python -m bookkit run --help``)."""

    name: str
    doc: str


HEADLESS = Variable(
    "BOOKKIT_HEADLESS",
    "1 in papermill, nbval and CI runs: one torch thread by default, a few "
    "plain progress lines instead of bars, widgets drawn as static figures "
    "(the runner sets it)",
)
THREADS = Variable(
    "BOOKKIT_THREADS", "torch threads of a headless kernel (the runner sets it from --threads)"
)
GENERATED = Variable(
    "BOOKKIT_GENERATED",
    "the folder of executed notebooks, records and cached models "
    "(default book/_generated; the runner sets it to its output folder so "
    "that the kernels cache trained models beside it)",
)
METRICS_PATH = Variable(
    "BOOKKIT_METRICS_PATH",
    "where a kernel writes its notebook's claims (the runner sets it "
    "to the run's scratch folder; unset, claims are printed only)",
)
MNIST = Variable(
    "BOOKKIT_MNIST",
    "an mnist.npz to use instead of Keras's cache ~/.keras/datasets/mnist.npz (learning-to-learn)",
)
DATA_DIR = Variable(
    "BOOKKIT_DATA_DIR",
    "the folder of the fetched data sets (default data/ in the repository; `make data` fills it)",
)
CHROMIUM = Variable(
    "BOOKKIT_CHROMIUM", "the Chromium binary of the browser tests (default /usr/bin/chromium)"
)

VARIABLES: tuple[Variable, ...] = (HEADLESS, THREADS, GENERATED, METRICS_PATH, DATA_DIR, MNIST, CHROMIUM)


def get(variable: Variable, default: str | None = None) -> str | None:
    """The variable's value, or ``default`` when it is unset."""
    return os.environ.get(variable.name, default)


def is_set_true(variable: Variable) -> bool:
    """True unless the variable is unset, empty, ``0`` or ``false``."""
    return (get(variable) or "0").strip().lower() not in ("", "0", "false")


def documentation(width: int = 110) -> str:
    """Each variable with its text wrapped to ``width`` columns, for help texts."""
    indent = max(len(v.name) for v in VARIABLES) + 4
    return "\n".join(
        textwrap.fill(
            v.doc, width, initial_indent=f"  {v.name:<{indent - 4}}  ", subsequent_indent=" " * indent
        )
        for v in VARIABLES
    )
