"""The GitHub workflows never splice an expression (``${{ ... }}``) into a shell script: inputs and context
values reach ``run:`` steps through ``env:``, so a crafted input cannot run commands."""

import subprocess
from pathlib import Path

import pytest
import yaml

WORKFLOWS = sorted((Path(__file__).resolve().parents[2] / ".github" / "workflows").glob("*.yml"))


def run_steps(path):
    workflow = yaml.safe_load(path.read_text())
    for name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            if "run" in step:
                yield name, step


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_expression_is_interpolated_into_a_shell_script(path):
    for job, step in run_steps(path):
        assert "${{" not in step["run"], (
            f"{path.name}, job {job}, step {step.get('name')}: pass it through env:"
        )


def chapters_check():
    script = next(
        step["run"]
        for _, step in run_steps(WORKFLOWS[0].parent / "full-scale.yml")
        if "CHAPTERS" in step.get("env", {})
    )
    return script.split("make book")[0]  # the check, without the build


@pytest.mark.parametrize(
    ("chapters", "accepted"),
    [
        ("", True),
        ("uoro prednet/01-architecture", True),
        ("uoro; touch {marker}", False),
        ("$(touch {marker})", False),
        ("a`touch {marker}`", False),
    ],
)
def test_the_full_scale_chapters_input_is_checked_before_make_sees_it(tmp_path, chapters, accepted):
    marker = tmp_path / "owned"
    script = chapters_check() + 'echo "make book CHAPTERS=$CHAPTERS"'
    result = subprocess.run(
        ["bash", "-c", script],
        env={"CHAPTERS": chapters.format(marker=marker), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode == 0) == accepted, result.stderr
    assert not marker.exists()
