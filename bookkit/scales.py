"""Scale presets: one frozen dataclass of settings per notebook, in four sizes.

- ``smoke``: seconds; the nbval reference notebooks and unit tests use it; it proves the code runs.
- ``ci``: the default; one CPU thread, well under two minutes a notebook, claims asserted with ci thresholds.
- ``gpu``: at least ten times ``ci``'s compute (or the paper's size where that is less), sized so that the
  whole book finishes within ten minutes on one H200 with 16 notebooks at once (``bookkit.gpu_plan`` predicts
  each notebook's time from measured rates); often the same as ``full``.
- ``full``: the paper's sizes (or the closest feasible) for one GPU and hours; also finishes on CPU, slowly.

A chapter declares, in ``bookkit/<chapter>/presets.py``::

    @dataclass(frozen=True)
    class ExactnessConfig:
        hidden_size: int
        seq_len: int

    EXACTNESS = Presets(
        smoke=ExactnessConfig(4, 5),
        ci=ExactnessConfig(16, 50),
        full=ExactnessConfig(64, 200),
        gpu=ExactnessConfig(64, 100),
    )

and the notebook resolves one with ``EXACTNESS.resolve(SCALE, OVERRIDES)``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, Generic, Literal, TypeVar

SCALES: tuple[str, ...] = ("smoke", "ci", "gpu", "full")
"""From smallest to largest."""
DEFAULT_SCALE = "ci"

ConfigT = TypeVar("ConfigT")


class ScaleError(ValueError):
    """An unknown scale or an override that does not fit the preset."""


def check_scale(scale: str) -> str:
    """Return ``scale`` if it is one of :data:`SCALES`, else raise naming the valid ones."""
    if scale not in SCALES:
        raise ScaleError(f"unknown scale {scale!r}; valid scales are: {', '.join(SCALES)}")
    return scale


def _coerce_override(name: str, value: Any, default: Any) -> Any:
    """Convert an override to the type of the preset's value, or raise a clear error.

    Overrides often arrive as strings (``--override lr=0.01``) or lists (JSON/YAML), so ints, floats,
    bools and tuples are converted when the conversion is lossless.
    """
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        raise ScaleError(f"override {name}={value!r}: expected a bool like the preset's {default!r}")
    if isinstance(default, int):
        if isinstance(value, bool):
            raise ScaleError(f"override {name}={value!r}: expected an int like the preset's {default!r}")
        try:
            as_float = float(value)
        except (TypeError, ValueError):
            raise ScaleError(
                f"override {name}={value!r}: expected an int like the preset's {default!r}"
            ) from None
        if not as_float.is_integer():
            raise ScaleError(f"override {name}={value!r}: expected an int like the preset's {default!r}")
        return int(as_float)
    if isinstance(default, float):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ScaleError(
                f"override {name}={value!r}: expected a float like the preset's {default!r}"
            ) from None
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, (list, tuple)):
            raise ScaleError(f"override {name}={value!r}: expected a sequence like the preset's {default!r}")
        if default:
            return tuple(_coerce_override(f"{name}[{i}]", item, default[0]) for i, item in enumerate(value))
        return tuple(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ScaleError(f"override {name}={value!r}: expected a string like the preset's {default!r}")
        return value
    return value


RANGE_FACTOR = 100.0
"""How far beyond the presets an override may go: at most this many times the largest preset magnitude."""


def _numbers(value: Any) -> list[float]:
    """The ints and floats in a preset value (a number, or a tuple of them); bools are not numbers here."""
    items = value if isinstance(value, tuple) else (value,)
    return [float(v) for v in items if isinstance(v, (int, float)) and not isinstance(v, bool)]


def check_override_range(name: str, value: Any, preset_values: list[Any]) -> None:
    """Reject an override outside the range the presets make sensible, with a message giving the range.

    The rule is the same for every field, derived from its preset values (every scale's): a number must be
    finite;
    it must be > 0 when every preset value is > 0 (a size, a count, a rate) and >= 0 when every one is
    >= 0; and its magnitude must be at most ``RANGE_FACTOR`` times the largest preset magnitude (so
    ``num_steps=1e12`` is refused while ten times the full preset is not). Tuples are checked elementwise.
    """
    known = [number for preset in preset_values for number in _numbers(preset)]
    if not known:
        return
    largest = max(abs(number) for number in known)
    for number in _numbers(value):
        if not math.isfinite(number):
            raise ScaleError(f"override {name}={number!r}: must be a finite number")
        if all(k > 0 for k in known) and number <= 0:
            raise ScaleError(f"override {name}={number:g}: must be > 0 (the presets use {_span(known)})")
        if all(k >= 0 for k in known) and number < 0:
            raise ScaleError(f"override {name}={number:g}: must be >= 0 (the presets use {_span(known)})")
        if largest > 0 and abs(number) > RANGE_FACTOR * largest:
            raise ScaleError(
                f"override {name}={number:g}: at most {RANGE_FACTOR * largest:g} in magnitude "
                f"({RANGE_FACTOR:g} times the largest preset value; the presets use {_span(known)})"
            )


def _span(numbers: list[float]) -> str:
    return f"{min(numbers):g} to {max(numbers):g}"


def parse_overrides(text: str) -> dict[str, str]:
    """Parse ``"lr=0.01,num_steps=200"`` (commas inside brackets allowed) into a dict of strings."""
    overrides: dict[str, str] = {}
    depth, current, parts = 0, "", []
    for char in text:
        depth += char in "(["
        depth -= char in ")]"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if "=" not in part:
            raise ScaleError(f"override {part!r} is not of the form name=value")
        key, value = part.split("=", 1)
        overrides[key.strip()] = value.strip().strip("()[]")
    return overrides


@dataclasses.dataclass(frozen=True)
class Presets(Generic[ConfigT]):
    """The presets of one notebook, all instances of the same frozen dataclass.

    ``gpu="full"`` says that the paper's size already fits the GPU budget: the ``gpu`` preset is the ``full``
    one. ``gpu`` may be left out while a notebook is being written; resolving it then raises
    :class:`ScaleError` (the unit tests require one for every notebook of the book)."""

    smoke: ConfigT
    ci: ConfigT
    full: ConfigT
    gpu: ConfigT | Literal["full"] | None = None

    @property
    def scales(self) -> tuple[str, ...]:
        """The scales this notebook has a preset for, smallest first."""
        return tuple(scale for scale in SCALES if getattr(self, scale) is not None)

    def __post_init__(self) -> None:
        if isinstance(self.gpu, str):
            if self.gpu != "full":
                raise TypeError(f'gpu must be a preset or "full", got {self.gpu!r}')
            object.__setattr__(self, "gpu", self.full)
        kinds = {type(getattr(self, scale)) for scale in self.scales}
        if len(kinds) != 1:
            raise TypeError(f"presets must share one dataclass type, got {sorted(k.__name__ for k in kinds)}")
        (kind,) = kinds
        if not (dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen):  # type: ignore[attr-defined]
            raise TypeError(f"presets must be frozen dataclasses, got {kind.__name__}")

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(field.name for field in dataclasses.fields(self.ci))  # type: ignore[arg-type]

    def resolve(self, scale: str, overrides: Mapping[str, Any] | None = None) -> ConfigT:
        """The preset for ``scale`` with ``overrides`` applied; unknown scales or keys raise ScaleError."""
        preset = getattr(self, check_scale(scale))
        if preset is None:
            raise ScaleError(
                f"{type(self.ci).__name__} has no {scale} preset; this notebook has: {', '.join(self.scales)}"
            )
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(self.fields))
        if unknown:
            raise ScaleError(
                f"unknown override {', '.join(map(repr, unknown))} for {type(preset).__name__}; "
                f"valid keys are: {', '.join(self.fields)}"
            )
        converted = {
            name: _coerce_override(name, value, getattr(preset, name)) for name, value in overrides.items()
        }
        for name, value in converted.items():
            check_override_range(name, value, [getattr(getattr(self, scale), name) for scale in self.scales])
        return dataclasses.replace(preset, **converted)
