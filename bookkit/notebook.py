"""``start_notebook``: the first call of every chapter notebook.

It validates the scale and overrides against the notebook's presets, picks the device, sets threads and
seeds, applies the book's plot style, prints a provenance line, and opens the notebook's claim book
(whose metrics JSON the runner names through ``BOOKKIT_METRICS_PATH``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Generic

import torch

from bookkit import environment
from bookkit.claims import ClaimBook
from bookkit.device import configure_threads, resolve_device
from bookkit.plotting import use_book_style
from bookkit.provenance import describe_device, versions
from bookkit.scales import ConfigT, Presets, parse_overrides
from bookkit.seeding import seed_everything
from bookkit.training import artifact_path


class NotebookSession(Generic[ConfigT]):
    """What a notebook needs after its parameters cell: ``config``, ``device``, ``claim`` and ``finish``."""

    def __init__(
        self,
        name: str,
        presets: Presets[ConfigT],
        scale: str,
        seed: int,
        device: str,
        overrides: Mapping[str, Any] | str | None,
    ) -> None:
        if "/" not in name:
            raise ValueError(f"notebook name must be 'chapter/NN-topic', got {name!r}")
        if isinstance(overrides, str):
            overrides = parse_overrides(overrides)
        self.name = name
        self.chapter = name.split("/", 1)[0]
        self.config: ConfigT = presets.resolve(scale, overrides)
        default = presets.resolve(scale)  # the fields this run changed name its cached models
        self.changed_settings = {
            field.name: getattr(self.config, field.name)
            for field in dataclasses.fields(self.config)  # type: ignore[arg-type]
            if getattr(self.config, field.name) != getattr(default, field.name)
        }
        self.scale = scale
        self.seed = seed
        self.device: torch.device = resolve_device(device)
        self.threads = configure_threads()
        self.generator = seed_everything(seed)
        use_book_style()
        metrics = environment.get(environment.METRICS_PATH)
        self.provenance = {
            "seed": seed,
            "device_name": describe_device(self.device),
            **versions(),
            "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "overrides": {k: str(v) for k, v in dict(overrides or {}).items()},
        }
        self.claims = ClaimBook(
            name, scale, str(self.device), Path(metrics) if metrics else None, self.provenance
        )

    def provenance_line(self) -> str:
        p = self.provenance
        overrides = f", overrides {p['overrides']}" if p["overrides"] else ""
        return (
            f"{self.name}: scale={self.scale}, seed={self.seed}, device={p['device_name']}, "
            f"torch {p['torch']}, bookkit {p['bookkit']}, python {p['python']}{overrides}"
        )

    def claim(self, id: str, measured: Any, **kwargs: Any) -> None:
        """State a claim (see :meth:`bookkit.claims.ClaimBook.claim` for the arguments); its line is printed,
        and nothing is returned so that a claim ending a cell does not also show its repr. The recorded
        claims are in ``self.claims.claims``."""
        self.claims.claim(id, measured, **kwargs)

    def check(self, id: str, measured: Any, **kwargs: Any) -> None:
        """State an implementation check, listed apart from the evidence
        (:meth:`bookkit.claims.ClaimBook.check`)."""
        self.claims.check(id, measured, **kwargs)

    def report(self, id: str, measured: Any, **kwargs: Any) -> None:
        """Report a value without a threshold (:meth:`bookkit.claims.ClaimBook.report`)."""
        self.claims.report(id, measured, **kwargs)

    def artifact(self, name: str) -> Path:
        """Path of a trained model shared between this chapter's notebooks (see ``load_or_train``); a run
        that changed preset fields gets its own (see :func:`bookkit.training.artifact_path`)."""
        return artifact_path(self.chapter, name, self.scale, self.seed, settings=self.changed_settings)

    def config_table(self) -> str:
        fields = dataclasses.fields(self.config)  # type: ignore[arg-type]
        return "\n".join(f"  {f.name} = {getattr(self.config, f.name)!r}" for f in fields)

    def finish(self) -> None:
        """Print every claim's status and raise if a required one failed (the notebook's last cell)."""
        self.claims.finish()


def start_notebook(
    name: str,
    presets: Presets[ConfigT],
    *,
    scale: str = "ci",
    seed: int = 0,
    device: str = "auto",
    overrides: Mapping[str, Any] | str | None = None,
    show_config: bool = True,
) -> NotebookSession[ConfigT]:
    """Set up a chapter notebook and print its provenance line and resolved settings."""
    session = NotebookSession(name, presets, scale, seed, device, overrides)
    print(session.provenance_line())
    if show_config:
        print(f"settings ({type(session.config).__name__}):\n{session.config_table()}")
    return session


def show_source(obj: Any) -> Any:
    """The source of a function, method or class, for a reader to read: syntax-highlighted in the HTML
    book and in Jupyter (IPython's ``Code`` display), plain text in a terminal or an nbval comparison.
    Chapters show the model code they run through this one helper instead of printing its source."""
    from IPython.display import Code

    return Code(textwrap.dedent(inspect.getsource(obj)), language="python")
