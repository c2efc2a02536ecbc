"""Statistics of a claim over seeds, for the sweep record: per seed its verdict and margin to the threshold,
and over the seeds the pass count, the mean with a 95% Student-t interval and the worst margin.

Pure functions of the runs' claims (no files, no processes), so they are tested against a hand computation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

INTERVAL = (
    "95% Student-t interval of the mean over seeds: mean ± t(0.975, n-1) · s / sqrt(n), s the sample "
    "standard deviation over the n seeds with a finite value; none for n < 2 or non-numeric values"
)
MARGIN = (
    "signed distance from the threshold, positive on the passing side, relative to |threshold| "
    "(for 'in': to the interval's half-width; none for '==' or a zero threshold)"
)


def _number(value: Any) -> float | None:
    """A measured value as a float (bools count 0/1; "nan"/"inf" strings as written by the claims), or
    None."""
    if isinstance(value, (bool, int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def signed_distance(measured: Any, op: str | None, threshold: Any) -> float | None:
    """How far ``measured`` is from the threshold, positive on the passing side (None when undefined)."""
    value = _number(measured)
    if value is None or threshold is None or op in (None, "==") or not math.isfinite(value):
        return None
    if op == "in":
        low, high = threshold
        return min(value - low, high - value)
    return (float(threshold) - value) if op in ("<", "<=") else (value - float(threshold))


def relative_margin(measured: Any, op: str | None, threshold: Any) -> float | None:
    """:func:`signed_distance` over |threshold| (over the half-width for ``in``); None for a zero scale."""
    distance = signed_distance(measured, op, threshold)
    if distance is None:
        return None
    scale = (threshold[1] - threshold[0]) / 2 if op == "in" else abs(float(threshold))
    return distance / scale if scale else None


def t_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float] | None:
    """mean ± t((1+confidence)/2, n-1) · s / sqrt(n), s the sample standard deviation; None for n < 2."""
    from scipy.stats import t

    n = len(values)
    if n < 2:
        return None
    mean = sum(values) / n
    s = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(t.ppf((1 + confidence) / 2, n - 1)) * s / math.sqrt(n)
    return mean - half, mean + half


def _rounded(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.6g}")


def aggregate_claims(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per claim (notebook, id), across the runs of its notebook: per seed its value, verdict and margin;
    ``passes`` of ``runs`` (a run that failed before stating the claim counts as not passing), the same by
    seed role, the mean, standard deviation and 95% t-interval of the finite values, the worst and mean
    relative margin, and ``fragile`` (the mean passes the threshold by less than one standard deviation)."""
    seeds_by_notebook: dict[str, list[dict[str, Any]]] = {}
    for run in sorted(runs, key=lambda r: (r["notebook"], r["seed"])):
        seeds_by_notebook.setdefault(run["notebook"], []).append(run)
    aggregated: list[dict[str, Any]] = []
    for notebook, notebook_runs in seeds_by_notebook.items():
        order: list[str] = []
        definitions: dict[str, dict[str, Any]] = {}
        for run in notebook_runs:
            for claim in run["claims"]:
                if claim["id"] not in definitions:
                    order.append(claim["id"])
                    definitions[claim["id"]] = claim
        for claim_id in order:
            definition = definitions[claim_id]
            per_seed = []
            for run in notebook_runs:
                found = next((c for c in run["claims"] if c["id"] == claim_id), None)
                entry = {"seed": run["seed"], "role": run["role"]}
                if found is None:
                    entry.update(measured=None, passed=None, margin=None, missing=True)
                else:
                    entry.update(
                        measured=found["measured"],
                        passed=found["passed"],
                        margin=_rounded(relative_margin(found["measured"], found["op"], found["threshold"])),
                    )
                per_seed.append(entry)
            aggregated.append(_claim_statistics(notebook, definition, per_seed))
    return aggregated


def _claim_statistics(
    notebook: str, definition: dict[str, Any], per_seed: list[dict[str, Any]]
) -> dict[str, Any]:
    asserted = any(entry["passed"] is not None for entry in per_seed)
    passes = sum(entry["passed"] is True for entry in per_seed)
    by_role: dict[str, str] = {}
    for role in ("calibration", "validation", "extra"):
        entries = [e for e in per_seed if e["role"] == role]
        if entries and asserted:
            by_role[role] = f"{sum(e['passed'] is True for e in entries)}/{len(entries)}"
    values = [v for v in (_number(e["measured"]) for e in per_seed) if v is not None and math.isfinite(v)]
    mean = sum(values) / len(values) if values else None
    std = (
        math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        if mean is not None and len(values) > 1
        else None
    )
    interval = t_interval(values)
    margins = [e["margin"] for e in per_seed if e["margin"] is not None]
    distance = signed_distance(mean, definition["op"], definition["threshold"]) if mean is not None else None
    return {
        "id": definition["id"],
        "notebook": notebook,
        "text": definition["text"],
        "kind": definition.get("kind", "claim"),
        "op": definition["op"],
        "threshold": definition["threshold"],
        "required": definition["required"],
        "paper": definition.get("paper"),
        "paper_tag": definition.get("paper_tag"),
        "runs": len(per_seed),
        "asserted": asserted,
        "passes": passes if asserted else None,
        "rate": f"{passes}/{len(per_seed)}" if asserted else None,
        "by_role": by_role,
        "mean": _rounded(mean),
        "std": _rounded(std),
        "interval": None if interval is None else [_rounded(interval[0]), _rounded(interval[1])],
        "margin_worst": min(margins) if margins else None,
        "margin_mean": _rounded(sum(margins) / len(margins)) if margins else None,
        "fragile": None if distance is None or std is None else bool(distance < std),
        "seeds": per_seed,
    }
