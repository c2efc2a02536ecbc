import json
import math

import pytest

from bookkit.claims import ClaimBook, ClaimError, ClaimsFailed, compare, format_value


def book(tmp_path, scale="ci"):
    return ClaimBook("demo/01-x", scale, "cpu", tmp_path / "metrics.json", {"seed": 0})


@pytest.mark.parametrize(
    ("measured", "op", "threshold", "expected"),
    [
        (0.3, "<", 0.5, True),
        (0.5, "<", 0.5, False),
        (0.5, "<=", 0.5, True),
        (2, ">", 1, True),
        (1, ">=", 2, False),
        (True, "==", True, True),
        (0.4, "in", (0.35, 0.65), True),
        (0.7, "in", (0.35, 0.65), False),
        (math.nan, "<", 1.0, False),
        (math.nan, ">", 1.0, False),
    ],
)
def test_compare_implements_each_operator(measured, op, threshold, expected):
    assert compare(measured, op, threshold) is expected


def test_claim_prints_ours_paper_and_threshold(tmp_path, capsys):
    claims = book(tmp_path)
    claims.claim(
        "demo.ratio",
        0.41234,
        op="<",
        threshold={"ci": 0.75, "full": 0.5},
        paper=0.12,
        paper_tag="paper, unconfirmed",
        text="MSE ratio",
    )
    line = capsys.readouterr().out.strip()
    assert line == (
        "[PASS] demo.ratio: MSE ratio | ours 0.4123 | paper 0.12 (paper, unconfirmed) | pass if < 0.75 at ci"
    )


def test_metrics_json_is_written_after_each_claim(tmp_path):
    claims = book(tmp_path)
    claims.claim("demo.a", 1.0, op=">", threshold=0.5, text="a")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert [c["id"] for c in metrics["claims"]] == ["demo.a"] and metrics["finished"] is False
    claims.claim("demo.b", 2.0, op=">", threshold=0.5, text="b")
    claims.finish()
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert [c["passed"] for c in metrics["claims"]] == [True, True] and metrics["finished"] is True
    assert not list(tmp_path.glob(".*tmp"))


def test_finish_raises_only_after_every_claim_is_shown(tmp_path, capsys):
    claims = book(tmp_path)
    claims.claim("demo.bad", 0.9, op="<", threshold=0.5, text="fails")
    claims.claim("demo.good", 0.1, op="<", threshold=0.5, text="passes")
    claims.claim("demo.optional", 0.9, op="<", threshold=0.5, text="informative", required=False)
    with pytest.raises(ClaimsFailed, match=r"1 required claim\(s\) failed.*demo.bad"):
        claims.finish()
    out = capsys.readouterr().out
    assert "FAIL  demo.bad" in out and "PASS  demo.good" in out and "FAIL  demo.optional" in out


def test_smoke_scale_reports_without_asserting(tmp_path):
    claims = book(tmp_path, scale="smoke")
    record = claims.claim("demo.x", 100.0, op="<", threshold=0.5, text="too small a run")
    assert record.passed is None and record.status == "INFO"
    asserted = claims.claim(
        "demo.y", 100.0, op="<", threshold={"smoke": 1e3}, text="explicit smoke threshold"
    )
    assert asserted.passed is True
    claims.finish()


def test_scale_missing_from_threshold_mapping_is_not_asserted(tmp_path):
    record = book(tmp_path).claim("demo.z", 5.0, op="<", threshold={"full": 1.0}, text="full only")
    assert record.passed is None


def test_timing_values_are_elided_from_the_summary(tmp_path):
    claims = book(tmp_path)
    claims.claim("demo.speed", 2.345, op="<", threshold=3.0, text="ratio of times", timing=True)
    assert "(timing)" in claims.summary() and "2.345" not in claims.summary()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"op": "~"}, "valid operators"),
        ({"paper_tag": "rumour"}, "valid tags"),
        ({"threshold": {"huge": 1.0}}, "valid scales"),
        ({"op": "in", "threshold": (1.0,)}, "low, high"),
    ],
)
def test_invalid_claims_are_rejected(tmp_path, kwargs, match):
    arguments = {"op": "<", "threshold": 1.0, "text": "t", **kwargs}
    with pytest.raises(ClaimError, match=match):
        book(tmp_path).claim("demo.bad", 0.5, **arguments)


def test_duplicate_claim_ids_are_rejected(tmp_path):
    claims = book(tmp_path)
    claims.claim("demo.a", 1, op=">", threshold=0, text="a")
    with pytest.raises(ClaimError, match="already"):
        claims.claim("demo.a", 1, op=">", threshold=0, text="a")


def test_format_value_is_short_and_exact_for_integers():
    assert format_value(0.123456) == "0.1235" and format_value(12) == "12" and format_value(True) == "yes"
    assert format_value(3.2e-15) == "3.2e-15" and format_value([0.5, 2]) == "[0.5, 2]"


def test_non_finite_values_are_compared_then_recorded_as_strings(tmp_path):
    import torch

    claims = book(tmp_path)
    diverged = claims.claim(
        "demo.diverged", torch.tensor(float("inf")), op=">", threshold=1.0, text="diverges"
    )
    broken = claims.claim("demo.nan", float("nan"), op="<", threshold=1.0, text="nan never passes")
    assert diverged.passed is True and broken.passed is False
    recorded = json.loads((tmp_path / "metrics.json").read_text())["claims"]
    assert [c["measured"] for c in recorded] == ["inf", "nan"]


def test_checks_and_reports_are_recorded_apart_from_claims(tmp_path, capsys):
    claims = book(tmp_path)
    claims.claim("demo.evidence", 0.3, op="<", threshold=0.5, text="evidence")
    claims.check("demo.identity", 1e-16, op="<", threshold=1e-12, text="RTRL equals BPTT")
    claims.report("demo.shown", 0.25, text="a value worth showing", paper=0.2)
    claims.claim("demo.old_report", 7, op="<", threshold={}, text="the old spelling of a report")
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("[PASS] (implementation check) demo.identity: RTRL equals BPTT | ours 1e-16")
    assert (
        lines[2]
        == "[INFO] demo.shown: a value worth showing | ours 0.25 | paper 0.2 (paper) | not asserted at ci"
    )
    assert lines[3].startswith("[INFO] demo.old_report:")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert [c["kind"] for c in metrics["claims"]] == ["claim", "check", "report", "report"]
    assert [c["passed"] for c in metrics["claims"]] == [True, True, None, None]


def test_a_failing_implementation_check_fails_the_notebook(tmp_path):
    claims = book(tmp_path)
    claims.check("demo.identity", 1e-3, op="<", threshold=1e-12, text="RTRL equals BPTT")
    with pytest.raises(ClaimsFailed, match=r"demo\.identity"):
        claims.finish()
