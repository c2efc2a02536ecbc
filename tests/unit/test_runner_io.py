"""The runner on a full disk and a read-only output folder: a summary and a failed outcome, never a traceback,
a truncated log or a scratch folder left behind; the last good outputs stay as they were.

A real full disk and a real read-only folder are small tmpfs mounts (skipped where mounting needs a
privilege the test does not have; root ignores file permissions, so ``chmod`` cannot stand in); a full disk at
the moment the outputs are filed is simulated by failing that write.
"""

import errno
import shutil
import subprocess
from pathlib import Path

import pytest

from bookkit.__main__ import main
from bookkit.layout import Layout, last_attempt
from bookkit.runner import RunSettings, discover, execute_source, run_notebooks, summary_table

FIXTURES = Path(__file__).parent / "fixtures"


def make_tree(root: Path, generated: Path) -> Layout:
    shutil.copytree(FIXTURES / "chapters", root / "chapters")
    (root / "requirements.txt").write_text("torch==2.13.0\n")
    (root / "pkg").mkdir()
    (root / "pkg" / "core.py").write_text("X = 1\n")
    return Layout(repo_root=root, generated=generated, package_dir=root / "pkg")


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs, unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounting = ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)]
    if shutil.which("mount") is None or subprocess.run(mounting, capture_output=True, check=False).returncode:
        pytest.skip("mounting a tmpfs needs a privilege this test does not have")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> None:
    with open(folder / "filler", "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC  # noqa: PT017 (the fixture fills the disk; not the test's claim)


def test_a_full_disk_fails_the_run_cleanly_and_keeps_the_good_outputs(
    tmp_path, small_disk, monkeypatch, capsys
):
    tree = make_tree(tmp_path / "repo", small_disk / "generated")
    source = discover(tree, ["demo/01-passes"])[0]
    assert run_notebooks(tree, [source], RunSettings(), log=lambda _: None)[0].status == "ok"
    good = {kind: tree.output(source, kind).read_bytes() for kind in ("notebook", "metrics", "record", "log")}
    fill(small_disk)
    outcome = run_notebooks(tree, [source], RunSettings(), force=True, log=lambda _: None)[0]
    assert outcome.status == "failed" and "No space left on device" in outcome.error
    assert "FAILED demo/01-passes: could not write the outputs: No space left on device" in summary_table(
        [outcome]
    )
    assert {kind: tree.output(source, kind).read_bytes() for kind in good} == good  # the log is not truncated
    assert tree.scratches(source) == []
    # the command line: a summary and exit code 1, no traceback
    monkeypatch.setattr("bookkit.runner.Layout", lambda: tree)
    assert main(["run", "demo/01-passes", "--force", "--no-pages"]) == 1
    captured = capsys.readouterr()
    assert "No space left on device" in captured.out and "Traceback" not in captured.out + captured.err


def test_a_read_only_output_folder_is_refused_before_any_kernel_starts(
    tmp_path, small_disk, monkeypatch, capsys
):
    tree = make_tree(tmp_path / "repo", small_disk / "generated")
    source = discover(tree, ["demo/01-passes"])[0]
    tree.generated.mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    monkeypatch.setattr("bookkit.runner.Layout", lambda: tree)
    assert main(["run", "demo/01-passes", "--no-pages"]) == 2
    assert "is not writable (Read-only file system)" in capsys.readouterr().err
    # called directly (as the seed sweep does), one notebook fails with the reason, nothing raises
    outcome = execute_source(tree, source, RunSettings())
    assert outcome.status == "failed" and "Read-only file system" in outcome.error


def test_a_disk_that_fills_while_the_outputs_are_filed_replaces_nothing(tmp_path, monkeypatch):
    from bookkit import runner

    tree = make_tree(tmp_path, tmp_path / "book" / "_generated")
    source = discover(tree, ["demo/01-passes"])[0]
    assert run_notebooks(tree, [source], RunSettings(), log=lambda _: None)[0].status == "ok"
    good = {kind: tree.output(source, kind).read_bytes() for kind in ("notebook", "metrics", "record")}
    real_write = runner.write_json_atomically

    def full_for_the_new_record(path, payload):
        if Path(path).name == "record.json":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real_write(path, payload)

    monkeypatch.setattr(runner, "write_json_atomically", full_for_the_new_record)
    outcome = run_notebooks(tree, [source], RunSettings(), force=True, log=lambda _: None)[0]
    assert outcome.status == "failed" and "then could not write the outputs: No space left" in outcome.error
    assert {kind: tree.output(source, kind).read_bytes() for kind in good} == good
    assert tree.scratches(source) == []
    attempt = last_attempt(tree, source)
    assert attempt["status"] == "failed" and "No space left" in attempt["error"]
