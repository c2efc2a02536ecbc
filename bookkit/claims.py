"""Claims: the heart of a reproduction.

A claim compares one number we measured with a threshold that depends on the scale, and puts the paper's
value beside it. Each claim
- prints one readable line (ours, the paper's, the threshold, PASS/FAIL),
- is glued (``myst_nb.glue``) under its id so the chapter text can cite ``{glue:text}`id```,
- is recorded in the notebook's metrics JSON (written atomically after every claim),
and :meth:`ClaimBook.finish` raises :class:`ClaimsFailed` once every claim of the notebook is shown if a
required one failed, so the executed notebook still shows its figures and the failing numbers.

Three kinds are recorded apart (``Claim.kind``): a ``claim`` is evidence (an experiment that could come out
either way), a ``check`` is an implementation check that cannot fail unless the code is wrong (an identity, a
preset compared with itself, a value clamped by construction), and a ``report`` is a number shown without a
threshold. The scorecard counts only claims as evidence.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bookkit.atomic_files import write_json_atomically
from bookkit.scales import SCALES, check_scale

OPERATORS = ("<", "<=", ">", ">=", "==", "in")
PAPER_TAGS = ("paper", "paper, unconfirmed", "reconstruction", "none")
KINDS = ("claim", "check", "report")
"""Evidence, an implementation check, a value reported without a threshold."""

Threshold = float | int | bool | Sequence[float] | None


class ClaimsFailed(AssertionError):
    """Raised by :meth:`ClaimBook.finish` when a required claim failed at this scale."""


class ClaimError(ValueError):
    """A claim stated with an invalid operator, threshold or id."""


def format_value(value: Any) -> str:
    """Four significant digits for floats, exact for ints and bools, ``repr`` otherwise."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def compare(measured: Any, op: str, threshold: Any) -> bool:
    """Evaluate ``measured <op> threshold``; NaN never passes; ``in`` takes an inclusive ``(low, high)``."""
    if op not in OPERATORS:
        raise ClaimError(f"unknown operator {op!r}; valid operators are: {', '.join(OPERATORS)}")
    if isinstance(measured, float) and math.isnan(measured):
        return False
    if op == "in":
        low, high = threshold
        return bool(low <= measured <= high)
    if op == "==":
        return bool(measured == threshold)
    return bool(
        {
            "<": measured < threshold,
            "<=": measured <= threshold,
            ">": measured > threshold,
            ">=": measured >= threshold,
        }[op]
    )


def describe_threshold(op: str, threshold: Any) -> str:
    if op == "in":
        low, high = threshold
        return f"in [{format_value(low)}, {format_value(high)}]"
    return f"{op} {format_value(threshold)}"


@dataclasses.dataclass
class Claim:
    """One recorded claim; ``passed`` is None when it is not asserted at this scale."""

    id: str
    text: str
    measured: Any
    op: str | None
    threshold: Any
    paper: Any
    paper_tag: str
    scale: str
    device: str
    required: bool
    timing: bool
    passed: bool | None
    kind: str = "claim"

    @property
    def status(self) -> str:
        if self.passed is None:
            return "INFO"
        return "PASS" if self.passed else "FAIL"

    def line(self) -> str:
        paper = "—" if self.paper is None else f"{format_value(self.paper)} ({self.paper_tag})"
        rule = (
            f"pass if {describe_threshold(self.op, self.threshold)} at {self.scale}"
            if self.op is not None and self.threshold is not None
            else f"not asserted at {self.scale}"
        )
        optional = "" if self.required or self.passed is None else " (informative)"
        if self.kind == "check":
            optional += " (implementation check)"
        return (
            f"[{self.status}]{optional} {self.id}: {self.text} | ours {format_value(self.measured)} "
            f"| paper {paper} | {rule}"
        )


def _to_python(value: Any) -> Any:
    """0-d tensors and numpy scalars become python numbers; sequences become lists."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, (list, tuple)):
        return [_to_python(v) for v in value]
    return value


def _to_jsonable(value: Any) -> Any:
    """NaN and infinities are written as strings (JSON has no literal for them)."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    if isinstance(value, list):
        return [_to_jsonable(v) for v in value]
    return value


class ClaimBook:
    """The claims of one notebook run at one scale."""

    def __init__(
        self,
        notebook: str,
        scale: str,
        device: str,
        metrics_path: Path | None = None,
        provenance: Mapping[str, Any] | None = None,
    ) -> None:
        self.notebook = notebook
        self.scale = check_scale(scale)
        self.device = device
        self.metrics_path = metrics_path
        self.provenance = dict(provenance or {})
        self.claims: list[Claim] = []
        self.finished = False
        self._write()

    def claim(
        self,
        id: str,
        measured: Any,
        *,
        op: str,
        threshold: Threshold | Mapping[str, Threshold],
        text: str,
        paper: Any = None,
        paper_tag: str = "paper",
        required: bool = True,
        timing: bool = False,
    ) -> Claim:
        """State a claim, print its line, glue and record it; returns the :class:`Claim`.

        ``threshold`` is either one value used at ``ci`` and ``full`` (smoke runs are too small to assert
        anything and only report), or a mapping ``{"smoke": ..., "ci": ..., "full": ...}``; a scale missing
        from the mapping reports without asserting. ``op`` is one of ``< <= > >= == in`` (``in`` takes an
        inclusive ``(low, high)``). ``paper_tag`` says where the paper's value comes from: ``paper``,
        ``paper, unconfirmed``, ``reconstruction`` (our reading of the paper) or ``none``. ``timing=True``
        marks a value that varies run to run (wall-clock), so reference notebooks do not compare it.
        An empty mapping (no threshold at any scale) records a report, as :meth:`report` does.
        """
        kind = "report" if isinstance(threshold, Mapping) and not threshold else "claim"
        return self._state(
            kind,
            id,
            measured,
            op=op,
            threshold=threshold,
            text=text,
            paper=paper,
            paper_tag=paper_tag,
            required=required,
            timing=timing,
        )

    def check(
        self, id: str, measured: Any, *, op: str, threshold: Threshold | Mapping[str, Threshold], text: str
    ) -> Claim:
        """State an implementation check: an identity or invariant of our code that holds unless the code is
        wrong (RTRL equals BPTT to rounding, a preset compared with itself, a value clamped by construction).
        It is asserted like a claim (same ``op`` and ``threshold`` rules) and fails the notebook when it
        fails,
        but it is not evidence for the paper: the scorecard lists it apart."""
        return self._state(
            "check",
            id,
            measured,
            op=op,
            threshold=threshold,
            text=text,
            paper=None,
            paper_tag="none",
            required=True,
            timing=False,
        )

    def report(
        self,
        id: str,
        measured: Any,
        *,
        text: str,
        paper: Any = None,
        paper_tag: str = "paper",
        timing: bool = False,
    ) -> Claim:
        """Report a value without a threshold at any scale (listed as INFO), beside the paper's if given."""
        return self._state(
            "report",
            id,
            measured,
            op=None,
            threshold={},
            text=text,
            paper=paper,
            paper_tag=paper_tag,
            required=False,
            timing=timing,
        )

    def _state(
        self,
        kind: str,
        id: str,
        measured: Any,
        *,
        op: str | None,
        threshold: Threshold | Mapping[str, Threshold],
        text: str,
        paper: Any,
        paper_tag: str,
        required: bool,
        timing: bool,
    ) -> Claim:
        if not id or any(ch.isspace() for ch in id):
            raise ClaimError(f"claim id must be a non-empty string without spaces, got {id!r}")
        if any(existing.id == id for existing in self.claims):
            raise ClaimError(f"claim {id!r} was already stated in this notebook")
        if kind != "report" and op not in OPERATORS:
            raise ClaimError(
                f"unknown operator {op!r} in claim {id!r}; valid operators are: {', '.join(OPERATORS)}"
            )
        if paper_tag not in PAPER_TAGS:
            raise ClaimError(
                f"unknown paper_tag {paper_tag!r} in claim {id!r}; valid tags are: {', '.join(PAPER_TAGS)}"
            )
        if isinstance(threshold, Mapping):
            unknown = sorted(set(threshold) - set(SCALES))
            if unknown:
                raise ClaimError(
                    f"unknown scale {unknown} in thresholds of {id!r}; valid scales are: {', '.join(SCALES)}"
                )
            active = threshold.get(self.scale)
        else:
            active = None if self.scale == "smoke" else threshold
        if op == "in" and active is not None and len(active) != 2:  # type: ignore[arg-type]
            raise ClaimError(f"operator 'in' needs a (low, high) threshold in claim {id!r}")
        measured = _to_python(measured)
        passed = None if active is None or op is None else compare(measured, op, active)
        record = Claim(
            id=id,
            text=text,
            measured=measured,
            op=op,
            threshold=_to_python(active),
            paper=_to_python(paper),
            paper_tag=paper_tag if paper is not None else "none",
            scale=self.scale,
            device=self.device,
            required=required,
            timing=timing,
            passed=passed,
            kind=kind,
        )
        self.claims.append(record)
        print(record.line(), flush=True)
        _glue(id, measured)
        self._write()
        return record

    @property
    def failed(self) -> list[Claim]:
        return [c for c in self.claims if c.passed is False and c.required]

    def summary(self) -> str:
        """A fixed-width table of every claim; timing values are elided so reference outputs are stable."""
        if not self.claims:
            return f"{self.notebook}: no claims stated"
        width = max(len(c.id) for c in self.claims)
        rows = [f"{self.notebook} at scale {self.scale}: {len(self.claims)} claims"]
        for c in self.claims:
            value = "(timing)" if c.timing else format_value(c.measured)
            rows.append(f"  {c.status:4}  {c.id:<{width}}  {value}")
        return "\n".join(rows)

    def finish(self) -> None:
        """Print the summary and raise :class:`ClaimsFailed` if a required claim failed."""
        self.finished = True
        self._write()
        print(self.summary(), flush=True)
        if self.failed:
            names = ", ".join(
                f"{c.id} (ours {format_value(c.measured)}, needs {describe_threshold(c.op, c.threshold)})"
                for c in self.failed
                if c.op is not None
            )
            raise ClaimsFailed(f"{len(self.failed)} required claim(s) failed at scale {self.scale}: {names}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "scale": self.scale,
            "device": self.device,
            **self.provenance,
            "finished": self.finished,
            "claims": [{k: _to_jsonable(v) for k, v in dataclasses.asdict(c).items()} for c in self.claims],
        }

    def _write(self) -> None:
        if self.metrics_path is not None:
            write_json_atomically(self.metrics_path, self.to_dict())


def _glue(name: str, value: Any) -> None:
    """Glue ``value`` for ``{glue:text}`` when running inside a kernel; a no-op in plain python."""
    try:
        from IPython import get_ipython

        if get_ipython() is None:
            return
        from myst_nb import glue
    except ImportError:
        return
    glue(name, value, display=False)
