"""Seed sweeps that execute: two seeds at smoke scale through the local pool and through Dask (a
LocalCluster),
on a fixture notebook whose claim passes for seed 0 and fails for seed 1, and Ctrl-C (or SIGTERM) stopping
every notebook process and kernel of either executor."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from bookkit.atomic_files import write_json_atomically
from bookkit.runner import Layout, RunSettings, discover
from bookkit.sweep import default_record_path, newest_sweep_claims, run_sweep, sweep_is_stale

FIXTURES = Path(__file__).parent / "fixtures" / "sweep"


@pytest.fixture
def tree(tmp_path):
    """A scratch repository holding the sweep fixture chapter ``seeds``."""
    shutil.copytree(FIXTURES, tmp_path / "chapters")
    (tmp_path / "requirements.txt").write_text("torch==2.13.0\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "core.py").write_text("X = 1\n")
    return Layout(
        repo_root=tmp_path, generated=tmp_path / "book" / "_generated", package_dir=tmp_path / "pkg"
    )


def check_two_seed_record(tree, record, executor):
    claims = {c["id"]: c for c in record["claims"]}
    assert claims["seeds.seed_is_zero"]["rate"] == "1/2" and claims["seeds.size"]["rate"] == "2/2"
    assert [e["passed"] for e in claims["seeds.seed_is_zero"]["seeds"]] == [True, False]
    assert claims["seeds.same_preset"]["kind"] == "check" and claims["seeds.seed_squared"]["kind"] == "report"
    assert claims["seeds.seed_squared"]["rate"] is None and claims["seeds.seed_squared"]["mean"] == 0.5
    assert record["roles"] == {"calibration": [0, 1], "validation": [], "extra": []}
    assert record["executor"] == executor and record["scale"] == "smoke"
    runs = record["notebooks"][0]["runs"]
    assert [(r["seed"], r["status"], r["reused"]) for r in runs] == [(0, "ok", False), (1, "failed", False)]
    assert "seeds.seed_is_zero" in runs[1]["error"]
    # each seed has its own outputs (the failed run kept for reading); the book's own outputs are untouched
    sweeps = tree.generated / "sweeps" / "smoke"
    assert (sweeps / "seed-0" / "seeds" / "01-seeded.ipynb").exists()
    assert (sweeps / "seed-1" / "seeds" / "01-seeded.failed.ipynb").exists()
    assert not (tree.generated / "seeds").exists()


def test_local_sweep_over_two_seeds_and_reuse_of_fresh_runs(tree):
    lines: list[str] = []
    record = run_sweep(
        tree,
        ["seeds/01-seeded"],
        [0, 1],
        RunSettings(scale="smoke"),
        executor="local",
        jobs=2,
        log=lines.append,
    )
    check_two_seed_record(tree, record, "local")
    assert any(line.startswith("[2/2]") and "1 failed so far" in line and "ETA" in line for line in lines)
    again = run_sweep(tree, ["seeds/01-seeded"], [0], RunSettings(scale="smoke"), log=lines.append)
    assert again["notebooks"][0]["runs"][0]["reused"] and again["claims"][0]["rate"] == "1/1"
    # the scorecard marks a sweep stale once the notebook changed since it ran
    write_json_atomically(default_record_path(tree, "smoke", ["seeds/01-seeded"]), record)
    entry = newest_sweep_claims(tree)[("smoke", "seeds/01-seeded", "seeds.seed_is_zero")]
    source = discover(tree, ["seeds/01-seeded"])[0]
    assert entry["rate"] == "1/2" and not sweep_is_stale(tree, source, entry)
    source.path.write_text(source.path.read_text() + "\nA sentence added to the prose.\n")
    assert sweep_is_stale(tree, source, entry)


def test_dask_sweep_over_two_seeds_on_a_local_cluster(tree):
    pytest.importorskip("distributed")
    record = run_sweep(
        tree,
        ["seeds/01-seeded"],
        [0, 1],
        RunSettings(scale="smoke"),
        executor="dask",
        jobs=2,
        log=lambda _: None,
    )
    check_two_seed_record(tree, record, "dask")


INTERRUPTED = """
import sys
from pathlib import Path

from bookkit.runner import Layout, RunSettings
from bookkit.sweep import run_sweep

root = Path(sys.argv[1])
layout = Layout(repo_root=root, generated=root / "book" / "_generated", package_dir=root / "pkg")
try:
    run_sweep(layout, ["seeds/02-waits"], [0], RunSettings(scale="smoke"), executor=sys.argv[2], jobs=1)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
"""


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize(("executor", "stop"), [("local", signal.SIGTERM), ("dask", signal.SIGINT)])
def test_ctrl_c_or_sigterm_stops_every_notebook_and_kernel(tree, executor, stop):
    markers = tree.repo_root / "markers"
    markers.mkdir()
    environment = {**os.environ, "BOOKKIT_TEST_MARKER": str(markers)}
    sweep = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED, str(tree.repo_root), executor],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not (markers / "kernel-0.pid").exists():
            assert sweep.poll() is None and time.monotonic() < deadline, (
                sweep.stdout.read() if sweep.stdout else ""
            )
            time.sleep(0.2)
        time.sleep(0.5)  # the pid is written
        kernel = int((markers / "kernel-0.pid").read_text())
        workers = psutil.Process(sweep.pid).children(recursive=True)
        assert kernel in [p.pid for p in workers]
        sweep.send_signal(stop)
        output, _ = sweep.communicate(timeout=60)
    finally:
        if sweep.poll() is None:
            sweep.kill()
    assert sweep.returncode == 130 and "interrupted" in output
    assert all(_gone(p.pid) for p in workers)
