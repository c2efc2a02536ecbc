"""Seed sweeps: the seed-list parser, the record's aggregation against a hand computation, records that
compose, the scorecard's seed column and the chapters' pass-rate table."""

import json
import math

import pytest

from bookkit.__main__ import main
from bookkit.pages import scorecard_markdown
from bookkit.runner import Layout, NotebookSource, RunSettings
from bookkit.seed_statistics import aggregate_claims, relative_margin, t_interval
from bookkit.sweep import (
    Progress,
    SweepError,
    default_record_path,
    format_seeds,
    newest_sweep_claims,
    parse_seeds,
    record_text,
    run_local,
    seed_pass_rates,
    seed_rate_cell,
    seed_role,
)


@pytest.mark.parametrize(
    ("text", "seeds"),
    [
        ("0-9", list(range(10))),
        ("0,3,5", [0, 3, 5]),
        ("0-4,7", [0, 1, 2, 3, 4, 7]),
        ("7", [7]),
        ("3, 1-2, 2", [1, 2, 3]),
        ("10-12", [10, 11, 12]),
    ],
)
def test_parse_seeds_reads_ranges_and_lists(text, seeds):
    assert parse_seeds(text) == seeds
    assert parse_seeds(format_seeds(seeds)) == seeds


@pytest.mark.parametrize("text", ["", "a", "5-2", "1,,2", "-1", "0-", "1.5"])
def test_parse_seeds_rejects_malformed_lists(text):
    with pytest.raises(SweepError):
        parse_seeds(text)


def test_format_seeds_compresses_runs():
    assert format_seeds([7, 0, 1, 2, 3, 9, 10]) == "0-3,7,9-10"


def test_seed_roles_are_preregistered():
    assert [seed_role(s) for s in (0, 4, 5, 9, 10, 42)] == [
        "calibration",
        "calibration",
        "validation",
        "validation",
        "extra",
        "extra",
    ]


def _claim(id, measured, op, threshold, passed, kind="claim"):
    return {
        "id": id,
        "text": id,
        "measured": measured,
        "op": op,
        "threshold": threshold,
        "required": True,
        "passed": passed,
        "paper": None,
        "paper_tag": "none",
        "kind": kind,
    }


def _run(seed, claims, status="ok"):
    return {
        "notebook": "demo/01-x",
        "seed": seed,
        "role": seed_role(seed),
        "status": status,
        "claims": claims,
    }


def hand_runs():
    """Seeds 0, 1 (calibration), 5 (validation), 12 (extra: the run failed before stating any claim)."""
    return [
        _run(
            5,
            [
                _claim("demo.err", 3.0, "<", 2.0, False),
                _claim("demo.band", 0.64, "in", [0.35, 0.65], True),
                _claim("demo.info", 9, "<", None, None, kind="report"),
            ],
            status="failed",
        ),
        _run(
            0,
            [
                _claim("demo.err", 1.0, "<", 2.0, True),
                _claim("demo.band", 0.5, "in", [0.35, 0.65], True),
                _claim("demo.info", 7, "<", None, None, kind="report"),
            ],
        ),
        _run(
            1,
            [
                _claim("demo.err", 1.5, "<", 2.0, True),
                _claim("demo.band", "nan", "in", [0.35, 0.65], False),
                _claim("demo.info", 8, "<", None, None, kind="report"),
            ],
        ),
        _run(12, [], status="failed"),
    ]


def test_aggregation_matches_a_hand_computation():
    err, band, info = aggregate_claims(hand_runs())
    assert [e["seed"] for e in err["seeds"]] == [0, 1, 5, 12]
    assert [e["passed"] for e in err["seeds"]] == [True, True, False, None] and err["seeds"][3]["missing"]
    assert err["passes"] == 2 and err["runs"] == 4 and err["rate"] == "2/4" and err["asserted"]
    assert err["by_role"] == {"calibration": "2/2", "validation": "0/1", "extra": "0/1"}
    # by hand: values 1, 1.5, 3; mean 11/6; s^2 = ((5/6)^2 + (1/3)^2 + (7/6)^2) / 2 = 13/12; t(0.975, 2) =
    # 4.302653
    mean, s = 11 / 6, math.sqrt(13 / 12)
    half = 4.302652729749464 * s / math.sqrt(3)
    assert err["mean"] == pytest.approx(mean, rel=1e-5) and err["std"] == pytest.approx(s, rel=1e-5)
    assert err["interval"] == pytest.approx([mean - half, mean + half], rel=1e-5)
    # margins relative to the threshold 2: (2 - 1) / 2, (2 - 1.5) / 2, (2 - 3) / 2
    assert [e["margin"] for e in err["seeds"]] == [0.5, 0.25, -0.5, None]
    assert err["margin_worst"] == -0.5 and err["margin_mean"] == pytest.approx(1 / 12, rel=1e-5)
    assert err["fragile"] is True  # the mean passes by 1/6, less than one standard deviation
    # "in": distance to the nearer edge over the half-width 0.15; NaN has no margin and no mean
    assert band["seeds"][0]["margin"] == pytest.approx(1.0) and band["seeds"][2]["margin"] == pytest.approx(
        1 / 15
    )
    assert (
        band["rate"] == "2/4" and band["mean"] == pytest.approx(0.57) and band["seeds"][1]["margin"] is None
    )
    assert (
        info["asserted"] is False and info["rate"] is None and info["kind"] == "report" and info["mean"] == 8
    )


def test_t_interval_and_margins_against_references():
    scipy_stats = pytest.importorskip("scipy.stats")
    values = [0.2, 0.4, 0.9, 0.3, 0.35]
    low, high = scipy_stats.t.interval(
        0.95, len(values) - 1, loc=sum(values) / 5, scale=scipy_stats.sem(values)
    )
    assert t_interval(values) == pytest.approx((low, high))
    assert t_interval([1.0]) is None
    assert relative_margin(0.4, ">", 0.5) == pytest.approx(-0.2)
    assert relative_margin(True, "==", True) is None and relative_margin(1.0, "<", 0) is None


def _write_record(layout, name, date, claims, scale="ci"):
    path = layout.repo_root / "book" / "records" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"kind": "seed sweep", "scale": scale, "date": date, "claims": claims}))


def _entry(notebook, id, passes, runs=10, kind="claim"):
    return {
        "id": id,
        "notebook": notebook,
        "kind": kind,
        "op": "<",
        "threshold": 1.0,
        "asserted": True,
        "passes": passes,
        "runs": runs,
        "rate": f"{passes}/{runs}",
        "by_role": {"calibration": "5/5"},
        "mean": 0.5,
        "interval": [0.4, 0.6],
        "margin_worst": 0.25,
        "seeds": [{"seed": s} for s in range(runs)],
    }


def test_newest_record_containing_a_claim_wins(tmp_path):
    layout = Layout(repo_root=tmp_path, generated=tmp_path / "gen", package_dir=tmp_path / "pkg")
    _write_record(
        layout,
        "sweep-ci-2026-01-02-demo.json",
        "2026-01-02T10:00:00+00:00",
        [_entry("demo/01-x", "demo.a", 7), _entry("demo/01-x", "demo.b", 10)],
    )
    _write_record(
        layout,
        "sweep-ci-2026-01-03-demo-01-x.json",
        "2026-01-03T10:00:00+00:00",
        [_entry("demo/01-x", "demo.a", 10)],
    )
    _write_record(
        layout,
        "sweep-smoke-2026-01-04.json",
        "2026-01-04T10:00:00+00:00",
        [_entry("demo/01-x", "demo.a", 1)],
        scale="smoke",
    )
    newest = newest_sweep_claims(layout)
    assert newest[("ci", "demo/01-x", "demo.a")]["rate"] == "10/10"
    assert newest[("ci", "demo/01-x", "demo.b")]["file"] == "sweep-ci-2026-01-02-demo.json"
    assert seed_rate_cell(newest[("ci", "demo/01-x", "demo.a")]) == "10/10"
    assert (
        seed_rate_cell(newest[("smoke", "demo/01-x", "demo.a")]) == "**1/10**" and seed_rate_cell(None) == "—"
    )
    rates = seed_pass_rates("demo", layout=layout)
    assert [c["id"] for c in rates.claims] == ["demo.a", "demo.b"]
    assert rates.summary() == repr(rates) == "2 of 2 claims pass on every seed swept (0-9, ci scale)"
    assert "| `demo.a` | 10/10 | 5/5 | — | 0.5 [0.4, 0.6] | < 1 | +25% |" in rates.table()
    assert "no seed sweep" in seed_pass_rates("other", layout=layout).summary()


def test_scorecard_shows_seed_rates_and_lists_implementation_checks_apart(tmp_path):
    layout = Layout(
        repo_root=tmp_path, generated=tmp_path / "book" / "_generated", package_dir=tmp_path / "pkg"
    )
    (tmp_path / "chapters" / "demo").mkdir(parents=True)
    (tmp_path / "chapters" / "demo" / "01-x.md").write_text("# X\n")
    metrics = {
        "claims": [
            dict(_claim("demo.a", 0.5, "<", 1.0, True), scale="ci", device="cpu"),
            dict(_claim("demo.b", 0.5, "<", 1.0, True), scale="ci", device="cpu"),
            dict(_claim("demo.same", True, "==", True, True, kind="check"), scale="ci", device="cpu"),
        ]
    }
    (layout.generated / "demo").mkdir(parents=True)
    (layout.generated / "demo" / "01-x.metrics.json").write_text(json.dumps(metrics))
    _write_record(
        layout,
        "sweep-ci-2026-01-02.json",
        "2026-01-02T10:00:00+00:00",
        [
            _entry("demo/01-x", "demo.a", 7),
            _entry("demo/01-x", "demo.b", 10),
            _entry("demo/01-x", "demo.same", 10, kind="check"),
        ],
    )
    page = scorecard_markdown(layout, tmp_path / "book")
    assert "**2 pass, 0 fail, 0 reported without a threshold.**" in page  # the check is not evidence
    assert (
        "1 of 2 swept claims pass on every seed" in page and "Implementation checks: 1 pass, 0 fail" in page
    )
    a, b, same = (
        next(line for line in page.splitlines() if f"`{i}`" in line)
        for i in ("demo.a", "demo.b", "demo.same")
    )
    assert (
        a.endswith('verdict-pass">PASS</span> | **7/10** |')
        and b.endswith('verdict-pass">PASS</span> | 10/10 |')
        and same.startswith("| demo 01 |")
    )
    assert page.index("## Implementation checks") < page.index("`demo.same`")


def test_record_path_names_scale_date_and_targets(tmp_path):
    import datetime as dt

    layout = Layout(repo_root=tmp_path, generated=tmp_path / "gen", package_dir=tmp_path / "pkg")
    day = dt.date(2026, 12, 2)
    assert default_record_path(layout, "ci", [], day).name == "sweep-ci-2026-12-02.json"
    assert default_record_path(layout, "ci", ["prednet", "uoro/01-rtrl"], day).name == (
        "sweep-ci-2026-12-02-prednet-uoro-01-rtrl.json"
    )
    six = [f"ebm-backprop/0{n}-a-notebook-with-a-long-descriptive-name" for n in (1, 2, 4, 5, 6, 7)]
    name = default_record_path(layout, "ci", [*six, "uoro"], day).name
    # spelled out, the name would have 365 characters
    assert name == "sweep-ci-2026-12-02-ebm-backprop-01-02-04-05-06-07-uoro.json"


def test_cli_rejects_bad_seed_lists_and_settings(capsys):
    assert main(["sweep", "uoro", "--seeds", "9-0"]) == 2
    assert "end is below the start" in capsys.readouterr().err
    assert main(["sweep", "uoro", "--seeds", "0", "--scheduler", "tcp://localhost:8786"]) == 2
    assert "--scheduler needs --executor dask" in capsys.readouterr().err
    assert main(["sweep", "no-such-chapter", "--seeds", "0"]) == 2
    assert "unknown chapter or notebook" in capsys.readouterr().err


def test_a_task_that_raises_is_recorded_as_a_failed_run(tmp_path, monkeypatch):
    def lost(*args, **kwargs):
        raise RuntimeError("the worker was lost")

    monkeypatch.setattr("bookkit.sweep.execute_source", lost)
    layout = Layout(repo_root=tmp_path, generated=tmp_path / "gen", package_dir=tmp_path / "pkg")
    source = NotebookSource("demo", "01-x", tmp_path / "chapters" / "demo" / "01-x.md")
    lines: list[str] = []
    runs = run_local([(layout, source, RunSettings(scale="smoke", seed=3))], 1, Progress(1, lines.append))
    assert runs[0]["status"] == "failed" and runs[0]["role"] == "calibration" and runs[0]["claims"] == []
    assert runs[0]["error"] == "RuntimeError: the worker was lost"
    assert lines[0].startswith("[1/1] FAILED demo/01-x seed 3") and "1 failed so far" in lines[0]


def test_record_text_is_the_record_with_one_line_per_seed():
    record = {
        "kind": "seed sweep",
        "scale": "ci",
        "notebooks": [
            {"notebook": "demo/01-x", "runs": [{"seed": s, "status": "ok"} for s in (0, 1, 5, 12)]},
            {"notebook": "demo/02-y", "runs": []},
        ],
        "claims": aggregate_claims(hand_runs()),
    }
    text = record_text(record)
    assert json.loads(text) == record
    lines = text.splitlines()
    assert sum(line.lstrip().startswith('{"seed": ') for line in lines) == 4 + 3 * 4
    assert '   "runs": []' in lines
