"""The runner left alone for hours: signals, a killed runner, a killed kernel, two runners on one notebook.

Each test runs the runner in its own process on ``fixtures/slow-chapters/slow/01-sleeps``, a notebook that
states a claim, writes its kernel's and worker's process ids to ``pids.txt`` and then sleeps.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bookkit.layout import Layout, last_attempt
from bookkit.records import collect_runs
from bookkit.runner import RunSettings, discover, run_notebooks

FIXTURES = Path(__file__).parent / "fixtures"

RUNNER = """
import sys
from pathlib import Path
from bookkit.runner import Layout, RunSettings, StopRequest, discover, run_notebooks, summary_table
root = Path(sys.argv[1])
layout = Layout(repo_root=root, generated=root / "book" / "_generated", package_dir=root / "pkg")
overrides = tuple(tuple(kv.split("=")) for kv in sys.argv[2:])
stop = StopRequest()
outcomes = run_notebooks(
    layout, discover(layout, []), RunSettings(overrides=overrides), force=True, stop=stop
)
print(summary_table(outcomes), flush=True)
finished = all(o.status in ("ok", "skipped") for o in outcomes)
sys.exit(128 + stop.signal if stop.signal else 0 if finished else 1)
"""


@pytest.fixture
def slow(tmp_path):
    shutil.copytree(FIXTURES / "slow-chapters", tmp_path / "chapters")
    (tmp_path / "requirements.txt").write_text("torch==2.13.0\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "core.py").write_text("X = 1\n")
    layout = Layout(
        repo_root=tmp_path, generated=tmp_path / "book" / "_generated", package_dir=tmp_path / "pkg"
    )
    return layout, discover(layout, [])[0]


def start_runner(layout, *overrides):
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(layout.repo_root), *overrides],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_pids(source, runner, timeout=120.0):
    """(kernel, worker) once the notebook has started its sleep."""
    pids = source.path.parent / "pids.txt"
    deadline = time.monotonic() + timeout
    while not pids.exists():
        assert runner.poll() is None, runner.stdout.read()
        assert time.monotonic() < deadline, "the notebook never started"
        time.sleep(0.2)
    kernel, worker = map(int, pids.read_text().split())
    return kernel, worker


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until_dead(pids, timeout=20.0):
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return [pid for pid in pids if alive(pid)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_runner_stops_worker_and_kernel_and_is_recorded_as_stopped(slow, signum):
    layout, source = slow
    runner = start_runner(layout)
    kernel, worker = wait_for_pids(source, runner)
    runner.send_signal(signum)
    output, _ = runner.communicate(timeout=60)
    assert runner.returncode == 128 + signum, output
    assert wait_until_dead([kernel, worker]) == []
    assert not layout.output(source, "notebook").exists()  # an interrupted run is never promoted
    record = json.loads(layout.output(source, "failed_record").read_text())
    assert record["status"] == "stopped" and signal.Signals(signum).name in record["error"]
    claims = json.loads(layout.output(source, "failed_metrics").read_text())["claims"]
    assert [c["id"] for c in claims] == ["slow.started"]
    assert layout.scratches(source) == []
    assert f"STOPPED {source.name}" in output
    entry = collect_runs(layout, "ci", None)["notebooks"][0]
    assert entry["state"] == "stopped" and [c["id"] for c in entry["claims"]] == ["slow.started"]


def test_a_killed_runner_takes_its_worker_and_kernel_with_it_and_leaves_a_record(slow):
    layout, source = slow
    # an older failed attempt's notebook and claims: the new attempt replaces them, whatever becomes of it
    for kind in ("failed_notebook", "failed_metrics"):
        layout.output(source, kind).parent.mkdir(parents=True, exist_ok=True)
        layout.output(source, kind).write_text('{"claims": [{"id": "slow.stale"}]}')
    runner = start_runner(layout)
    kernel, worker = wait_for_pids(source, runner)
    runner.kill()
    runner.communicate(timeout=30)
    assert wait_until_dead([kernel, worker]) == []
    attempt = last_attempt(layout, source)
    assert attempt["status"] == "killed" and "did not finish" in attempt["error"]
    assert (
        not layout.output(source, "failed_metrics").exists()
        and not layout.output(source, "failed_notebook").exists()
    )
    entry = collect_runs(layout, "ci", None)["notebooks"][0]  # the claims it computed before the kill
    assert entry["state"] == "stopped" and [c["id"] for c in entry["claims"]] == ["slow.started"]
    assert len(layout.scratches(source)) == 1
    # the next attempt removes the killed one's scratch folder, and its success clears the failed record
    (source.path.parent / "pids.txt").unlink()
    outcome = run_notebooks(
        layout, [source], RunSettings(overrides=(("seconds", "0.1"),)), log=lambda _: None
    )[0]
    assert outcome.status == "ok", outcome.error
    assert layout.scratches(source) == [] and last_attempt(layout, source) is None


def test_a_killed_kernel_fails_the_run_and_keeps_the_good_outputs(slow):
    layout, source = slow
    settings = RunSettings(overrides=(("seconds", "0.1"),))
    assert run_notebooks(layout, [source], settings, log=lambda _: None)[0].status == "ok"
    good = layout.output(source, "notebook").read_bytes()
    (source.path.parent / "pids.txt").unlink()
    runner = start_runner(layout)
    kernel, worker = wait_for_pids(source, runner)
    os.kill(kernel, signal.SIGKILL)
    output, _ = runner.communicate(timeout=120)
    assert runner.returncode == 1, output
    assert wait_until_dead([worker]) == []
    assert layout.output(source, "notebook").read_bytes() == good
    record = json.loads(layout.output(source, "failed_record").read_text())
    assert record["status"] == "failed" and "ead" in record["error"]  # DeadKernelError: Kernel died
    assert layout.scratches(source) == []


def test_two_runners_on_one_notebook_run_it_once(slow):
    layout, source = slow
    first = start_runner(layout, "seconds=15")
    wait_for_pids(source, first)
    second = start_runner(layout, "seconds=15")
    outputs = [process.communicate(timeout=180)[0] for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert (source.path.parent / "runs.log").read_text().count("started") == 1
    assert "skipped" in outputs[1]
    assert json.loads(layout.output(source, "record").read_text())["status"] == "ok"
