"""The runner on tiny fixture notebooks (tests/unit/fixtures/chapters/demo): outputs, failures, freshness."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from bookkit.__main__ import main
from bookkit.pages import write_pages
from bookkit.runner import Layout, RunnerError, RunSettings, discover, freshness, run_notebooks

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def tree(tmp_path):
    """A scratch repository: the fixture chapters, a requirements file and a stand-in bookkit package."""
    shutil.copytree(FIXTURES / "chapters", tmp_path / "chapters")
    (tmp_path / "requirements.txt").write_text("torch==2.13.0\n")
    package = tmp_path / "pkg"
    (package / "demo").mkdir(parents=True)
    (package / "core.py").write_text("X = 1\n")
    (package / "demo" / "model.py").write_text("Y = 1\n")
    (package / "other").mkdir()
    (package / "other" / "model.py").write_text("Z = 1\n")
    return Layout(repo_root=tmp_path, generated=tmp_path / "book" / "_generated", package_dir=package)


def test_discover_resolves_chapters_notebooks_and_paths(tree):
    assert [s.name for s in discover(tree, [])] == ["demo/01-passes", "demo/02-raises", "demo/03-claim-fails"]
    assert [s.name for s in discover(tree, ["demo/02-raises", "chapters/demo/01-passes.md"])] == [
        "demo/02-raises",
        "demo/01-passes",
    ]
    with pytest.raises(RunnerError, match="chapters are: demo"):
        discover(tree, ["nonexistent"])


def test_runner_writes_outputs_keeps_failures_and_skips_fresh(tree):
    sources = discover(tree, [])
    outcomes = run_notebooks(tree, sources, RunSettings(scale="ci"), jobs=2, log=lambda _: None)
    assert [o.status for o in outcomes] == ["ok", "failed", "failed"]
    passed = sources[0]
    executed = nbformat.read(tree.output(passed, "notebook"), as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "[PASS] demo.size" in printed and "threads 1" in printed and "size = 3" in printed
    record = json.loads(tree.output(passed, "record").read_text())
    assert record["status"] == "ok" and record["scale"] == "ci" and record["peak_rss_mb"] > 10
    assert 0 < record["cpu_s"] < 5 * record["wall_s"]
    metrics = json.loads(tree.output(passed, "metrics").read_text())
    assert metrics["finished"] and metrics["claims"][0]["measured"] == 3

    raised, claim_failed = outcomes[1], outcomes[2]
    assert "RuntimeError: this notebook fails on purpose" in raised.error
    assert "demo.impossible" in claim_failed.error
    for outcome in (raised, claim_failed):
        assert outcome.kept == tree.output(outcome.source, "failed_notebook") and outcome.kept.exists()
        assert not tree.output(outcome.source, "notebook").exists()
    # the failing notebook still shows every claim and its summary before raising
    shown = nbformat.read(claim_failed.kept, as_version=4)
    text = "".join(o.get("text", "") for c in shown.cells if c.cell_type == "code" for o in c.outputs)
    assert "[FAIL] demo.impossible" in text and "[PASS] demo.after" in text

    again = run_notebooks(tree, sources[:1], RunSettings(scale="ci"), log=lambda _: None)
    assert again[0].status == "skipped"
    assert freshness(tree, passed) == "fresh"

    # an edit to bookkit's core makes it stale; an edit to another chapter's code, or to a module of its own
    # chapter that it does not import, does not (which modules count: tests/unit/test_provenance.py)
    (tree.package_dir / "other" / "model.py").write_text("Z = 2\n")
    (tree.package_dir / "demo" / "model.py").write_text("Y = 2\n")
    assert freshness(tree, passed) == "fresh"
    (tree.package_dir / "core.py").write_text("X = 2\n")
    assert freshness(tree, passed) == "stale"
    (tree.package_dir / "core.py").write_text("X = 1\n")
    assert freshness(tree, passed) == "fresh"
    (tree.repo_root / "requirements.txt").write_text("torch==2.13.0\nnumpy\n")
    assert freshness(tree, passed) == "stale"

    # a failing rerun never replaces the good notebook
    good = tree.output(passed, "notebook").read_bytes()
    passed.path.write_text(passed.path.read_text().replace("nb.finish()", "raise ValueError('broken')"))
    broken = run_notebooks(tree, [passed], RunSettings(scale="ci"), log=lambda _: None)[0]
    assert broken.status == "failed" and "ValueError: broken" in broken.error
    assert tree.output(passed, "notebook").read_bytes() == good
    assert tree.output(passed, "failed_notebook").exists()

    pages = write_pages(tree)
    scorecard, status, benchmarks, full_scale, summary = (p.read_text() for p in pages)
    assert (
        "the preset size (`demo.size`)" in scorecard and "PASS</span> <small>stale</small> |" in scorecard
    )  # source edited since
    assert "demo.impossible" not in scorecard  # a failed run leaves no metrics in place of good ones
    assert "failed (ValueError: broken" in status and "demo/02-raises | missing" not in status
    assert "No benchmark has been run" in benchmarks
    assert "No full-scale run has been recorded yet." in full_scale
    assert "**1 claims pass and 0 fail**" in summary and "{figure} _generated/front/demo.png" not in summary


def test_unknown_scale_fails_before_running_anything(tree):
    with pytest.raises(ValueError, match="valid scales are: smoke, ci, gpu, full"):
        run_notebooks(tree, discover(tree, []), RunSettings(scale="paper"), log=lambda _: None)
    assert not tree.generated.exists()


@pytest.fixture
def two_chapters(tree):
    """The demo chapter and the slow one, whose presets have different fields (size; seconds)."""
    shutil.copytree(FIXTURES / "slow-chapters" / "slow", tree.chapters_dir / "slow")
    return tree


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--jobs", "0"], "--jobs must be an integer >= 1, got 0"),
        (["--threads", "0"], "--threads must be an integer >= 1"),
        (["--timeout", "-20"], "--timeout must be a positive number of seconds, got -20.0"),
        (["--timeout", "nan"], "--timeout must be a positive number"),
        (["--seed", "-1"], "--seed must be an integer from 0"),
        (["--device", "gpu"], "unknown device 'gpu'; valid choices are: auto, cpu, cuda, cuda:N"),
        (
            ["--override", "sise=5"],
            (
                "override 'sise' is not a setting of any selected notebook; valid keys are "
                "demo/01-passes: size; slow/01-sleeps: seconds"
            ),
        ),
        (["--override", "size=-5"], "demo/01-passes: override size=-5: must be > 0 (the presets use 2 to 4)"),
        (["--override", "size=1e12"], "override size=1e+12: at most 400 in magnitude"),
        (["--override", "seconds=nan"], "override seconds=nan: must be a finite number"),
        (["--override", "size=big"], "expected an int like the preset's 3"),
        (["--override", "size"], "is not of the form name=value"),
    ],
)
def test_every_argument_is_checked_before_any_kernel_starts(
    two_chapters, monkeypatch, capsys, arguments, message
):
    monkeypatch.setattr("bookkit.runner.Layout", lambda: two_chapters)
    assert main(["run", "demo/01-passes", "slow", *arguments]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1, error  # one line
    assert not list(two_chapters.generated.rglob("*.json"))  # nothing ran


def test_an_override_applies_only_to_the_notebooks_that_have_the_field(two_chapters):
    from bookkit.runner import plan_run

    sources = discover(two_chapters, ["demo/01-passes", "slow"])
    planned = plan_run(two_chapters, sources, RunSettings(overrides=(("size", "5"),)))
    assert (
        planned["demo/01-passes"].overrides == (("size", "5"),) and planned["slow/01-sleeps"].overrides == ()
    )
    # a notebook without the field runs its default settings, so its default outputs stay fresh for it
    assert planned["slow/01-sleeps"] == RunSettings()
    with pytest.raises(RunnerError, match="cannot check overrides for demo/02-raises"):
        plan_run(two_chapters, discover(two_chapters, ["demo"]), RunSettings(overrides=(("size", "5"),)))


def test_cli_rejects_unknown_targets_and_scales(capsys):
    assert main(["run", "no-such-chapter"]) == 2
    assert "unknown chapter or notebook" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "--scale", "huge"])
    assert "invalid choice: 'huge'" in capsys.readouterr().err


def test_cli_help_lists_the_notebook_parameters(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    help_text = capsys.readouterr().out
    for name in ("SCALE", "SEED", "DEVICE", "OVERRIDES", "--jobs", "--force"):
        assert name in help_text


def test_collect_records_finished_failed_stopped_and_unrun_notebooks(tree):
    from bookkit.atomic_files import write_json_atomically
    from bookkit.pages import (
        benchmarks_markdown,
        front_figure,
        front_summary_markdown,
        full_scale_markdown,
        scorecard_markdown,
    )
    from bookkit.records import collect_runs, write_record

    sources = discover(tree, [])
    run_notebooks(tree, sources[:1] + sources[2:], RunSettings(scale="ci"), log=lambda _: None)
    # a run killed at the budget leaves its "running" record and its scratch folder with the claims so far
    write_json_atomically(tree.output(sources[1], "failed_record"), {"scale": "ci", "status": "running"})
    scratch = tree.new_scratch(sources[1])
    scratch.metrics.write_text(
        json.dumps(
            {
                "scale": "ci",
                "device_name": "cpu (test)",
                "claims": [
                    {
                        "id": "demo.partial",
                        "text": "computed before the stop",
                        "measured": 0.5,
                        "op": "<",
                        "threshold": 1.0,
                        "paper": None,
                        "paper_tag": "none",
                        "required": True,
                        "passed": True,
                    }
                ],
            }
        )
    )
    record = collect_runs(tree, "ci", budget_s=60.0, note="a test")
    states = {e["notebook"]: e for e in record["notebooks"]}
    assert [states[s.name]["state"] for s in sources] == ["finished", "stopped", "failed"]
    assert [c["id"] for c in states["demo/01-passes"]["claims"]] == ["demo.size"]
    assert [c["id"] for c in states["demo/02-raises"]["claims"]] == ["demo.partial"]
    failed_claims = {c["id"]: c["passed"] for c in states["demo/03-claim-fails"]["claims"]}
    assert failed_claims["demo.impossible"] is False and failed_claims["demo.after"] is True
    assert "impossible" in states["demo/03-claim-fails"]["error"]
    # another scale sees none of these runs
    assert {e["state"] for e in collect_runs(tree, "full", None)["notebooks"]} == {"not run"}

    source, image = front_figure(tree, "demo")
    assert source.name == "demo/01-passes" and image.read_bytes().startswith(b"\x89PNG")
    summary = front_summary_markdown(tree, tree.repo_root / "book")
    assert "in the 1 notebook shown here (scale `ci`), **1 claims pass and 0 fail**" in summary

    write_record(tree.repo_root / "book" / "records" / "runs-test.json", record)
    bench = {
        "date": "2026-01-01",
        "device": "cuda:0 (Test GPU)",
        "torch": "2",
        "quick": False,
        "note": "recorded",
        "errors": {"demo": "stopped at the budget"},
        "rows": [
            {
                "chapter": "demo",
                "name": "kernel",
                "subject": "fast",
                "baseline": "slow",
                "subject_s": 0.001,
                "baseline_s": 0.004,
                "device": "cuda:0",
                "note": "",
            }
        ],
    }
    write_record(tree.repo_root / "book" / "records" / "bench-test.json", bench)
    benchmarks = benchmarks_markdown(tree)
    assert "## Recorded on cuda:0 (Test GPU)" in benchmarks and "| 0.25 |" in benchmarks
    assert "*did not finish*" in benchmarks and "stopped at the budget" in benchmarks
    page = full_scale_markdown(tree)
    assert "1 finished, 1 failed, 1 stopped" in page and "**FAIL**" in page and "`demo.partial`" in page
    summary = front_summary_markdown(tree, tree.repo_root / "book")
    assert "finished 1 of 3 notebooks and computed 3 passing and 1 failing claims" in summary
    scorecard = scorecard_markdown(tree, tree.repo_root / "book")
    assert "| full scale |" in scorecard
    assert '| 3 <small>(>= 3)</small> <span class="verdict verdict-pass">PASS</span> |' in scorecard


def test_a_kernel_that_dies_at_start_is_started_again(tmp_path, monkeypatch):
    import papermill

    from bookkit import execution

    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        raise ValueError("a cell failed")

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    source = FIXTURES / "chapters" / "demo" / "01-passes.md"
    request = {
        "source": str(source),
        "input_notebook": str(tmp_path / "in.ipynb"),
        "output_notebook": str(tmp_path / "out.ipynb"),
        "metrics": str(tmp_path / "metrics.json"),
        "parameters": {},
        "cell_timeout": 10,
    }
    result = execution.execute(request)
    assert len(calls) == 2 and result["status"] == "failed" and "a cell failed" in result["error"]
    calls.clear()
    monkeypatch.setattr(
        papermill, "execute_notebook", lambda *a, **k: (_ for _ in ()).throw(ValueError("no"))
    )
    assert "no" in execution.execute(request)["error"]


def test_longest_notebooks_start_first(tree):
    from bookkit.atomic_files import write_json_atomically
    from bookkit.runner import longest_first

    first, second, third = discover(tree, [])
    for source, kind, wall in ((first, "record", 5.0), (second, "failed_record", 50.0)):
        tree.output(source, kind).parent.mkdir(parents=True, exist_ok=True)
        write_json_atomically(tree.output(source, kind), {"wall_s": wall})
    # never run: first (its time is unknown); then the longest recorded
    assert [s.name for s in longest_first(tree, [first, second, third])] == [
        third.name,
        second.name,
        first.name,
    ]


def test_the_newest_record_that_ran_a_notebook_speaks_for_it():
    from bookkit.records import latest_entries

    def record(date, state, value):
        claim = {"id": "demo.x", "measured": value}
        return {
            "date": date,
            "devices": [date],
            "file": f"runs-{date}.json",
            "notebooks": [
                {"notebook": "demo/01", "state": state, "claims": [claim] if state != "not run" else []}
            ],
        }

    latest = latest_entries(
        [record("1", "failed", 1.0), record("2", "finished", 2.0), record("3", "not run", 3.0)]
    )
    assert latest["demo/01"]["claims"][0]["measured"] == 2.0 and latest["demo/01"]["devices"] == ["2"]


def test_the_last_attempt_is_running_while_its_runner_holds_the_lock_and_killed_after(tree):
    from bookkit.atomic_files import write_json_atomically
    from bookkit.layout import NotebookLock, last_attempt

    source = discover(tree, ["demo/01-passes"])[0]
    assert last_attempt(tree, source) is None
    write_json_atomically(
        tree.output(source, "failed_record"),
        {"status": "running", "runner_pid": 7, "started_at": "2026-01-01T00:00:00", "error": "x"},
    )
    lock = NotebookLock(tree, source)
    assert lock.try_acquire() and not NotebookLock(tree, source).try_acquire()
    attempt = last_attempt(tree, source)
    assert (
        attempt["status"] == "running" and "since 2026-01-01T00:00:00 (runner process 7)" in attempt["error"]
    )
    lock.release()
    assert last_attempt(tree, source)["status"] == "killed"
