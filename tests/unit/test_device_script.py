"""The GPU machine's script, `.device/record.sh`, in its dry run (DRY_RUN=1: smoke scale on the CPU) with the
runner replaced by a stand-in that records its arguments: every result lands in $OUT, the notebooks are handed
over longest predicted first, and a run that overruns its deadline is stopped and still collected."""

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from bookkit import gpu_plan
from bookkit.layout import Layout

ROOT = Layout().repo_root
SCRIPT = ROOT / ".device" / "record.sh"

STAND_IN = """#!/usr/bin/env bash
# python, except that `-m bookkit run ...` records its arguments and sleeps $FAKE_RUN_S seconds
if [ "$1" = -m ] && [ "$2" = bookkit ] && [ "$3" = run ]; then
  shift 3
  echo "$@" > "$FAKE_LOG"
  sleep "${FAKE_RUN_S:-0}"
  exit 0
fi
exec PYTHON_EXECUTABLE "$@"
"""


def dry_run(
    tmp_path: Path, run_seconds: float, budget: int
) -> tuple[subprocess.CompletedProcess, Path, Path]:
    python = tmp_path / "python"
    python.write_text(STAND_IN.replace("PYTHON_EXECUTABLE", sys.executable))
    python.chmod(0o755)
    out, log = tmp_path / "out", tmp_path / "run-args.txt"
    environment = {
        **os.environ,
        "DRY_RUN": "1",
        "OUT": str(out),
        "PYTHON": str(python),
        "BOOKKIT_GENERATED": str(tmp_path / "generated"),
        "FAKE_LOG": str(log),
        "FAKE_RUN_S": str(run_seconds),
        "RUN_BUDGET": str(budget),
    }
    done = subprocess.run(
        ["bash", str(SCRIPT)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return done, out, log


@pytest.fixture(scope="module")
def overrun(tmp_path_factory):
    """One dry run whose stand-in runner overruns a 3 s deadline (the script's whole path in one run)."""
    return dry_run(tmp_path_factory.mktemp("dry"), run_seconds=120, budget=3)


def test_a_run_past_its_deadline_is_stopped_and_still_collected(overrun):
    done, _, _ = overrun
    assert done.returncode == 0, done.stdout + done.stderr
    assert "smoke run exited with 124" in done.stdout and "collect exited with 0" in done.stdout, done.stdout
    assert done.stdout.rstrip().endswith("done")


def test_dry_run_leaves_the_plan_the_record_and_the_logs_in_out(overrun):
    _, out, _ = overrun
    record = json.loads((out / "runs-smoke.json").read_text())
    assert record["scale"] == "smoke" and record["budget_s"] == 3
    assert len(record["notebooks"]) == len(Layout().all_sources())
    plan = json.loads((out / "gpu-plan.json").read_text())
    assert plan["makespan_s"] <= gpu_plan.BOOK_BUDGET_S
    with tarfile.open(out / "logs.tgz") as logs:
        assert {"logs/run.log", "logs/collect.log", "logs/gpu-plan.md"} <= set(logs.getnames())
    assert (out / "generated.tgz").exists() and not (out / "logs").exists()


def test_dry_run_hands_the_runner_every_notebook_longest_predicted_first_on_the_cpu(overrun):
    _, out, log = overrun
    arguments = log.read_text().split()
    plan = json.loads((out / "gpu-plan.json").read_text())
    longest_first = [p["notebook"] for p in sorted(plan["notebooks"], key=lambda p: -p["seconds"])]
    assert arguments[: len(longest_first)] == longest_first
    tail = ["--scale", "smoke", "--device", "cpu", "--jobs", "2", "--force", "--no-pages"]
    assert arguments[len(longest_first) :] == tail
