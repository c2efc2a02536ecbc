"""Side-by-side timing: a subject against a baseline measured in the same process, reported as a ratio.

These machines are noisy, so the two functions are timed alternately, each several times, and the ratio of
medians is what is reported; absolute times are shown only with the device named.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable

import torch


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One benchmark row: ``subject_s / baseline_s`` as measured in one run."""

    chapter: str
    name: str
    subject: str
    baseline: str
    subject_s: float
    baseline_s: float
    device: str
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.subject_s / self.baseline_s


def _synchronise(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def time_once(function: Callable[[], object], device: str = "cpu") -> float:
    _synchronise(device)
    start = time.perf_counter()
    function()
    _synchronise(device)
    return time.perf_counter() - start


def compare(
    chapter: str,
    name: str,
    subject: tuple[str, Callable[[], object]],
    baseline: tuple[str, Callable[[], object]],
    *,
    repeats: int = 5,
    device: str = "cpu",
    note: str = "",
) -> Comparison:
    """Time ``subject`` and ``baseline`` alternately ``repeats`` times after one warm-up call each."""
    (subject_label, subject_fn), (baseline_label, baseline_fn) = subject, baseline
    subject_fn()
    baseline_fn()
    subject_times, baseline_times = [], []
    for _ in range(repeats):
        subject_times.append(time_once(subject_fn, device))
        baseline_times.append(time_once(baseline_fn, device))
    return Comparison(
        chapter,
        name,
        subject_label,
        baseline_label,
        statistics.median(subject_times),
        statistics.median(baseline_times),
        device,
        note,
    )
