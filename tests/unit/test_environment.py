"""Every BOOKKIT_* variable the code, the Makefile or the device script reads is named and documented in
bookkit/environment.py."""

import re
from pathlib import Path

from bookkit import environment

ROOT = Path(__file__).resolve().parents[2]


def test_every_environment_variable_in_use_is_declared_with_its_documentation():
    files = [
        *ROOT.joinpath("bookkit").rglob("*.py"),
        ROOT / "Makefile",
        *ROOT.joinpath(".device").glob("*"),
        *ROOT.joinpath("tests", "browser").rglob("*.py"),
    ]
    used = {name for path in files for name in re.findall(r"BOOKKIT_[A-Z_]+", path.read_text())}
    declared = {variable.name for variable in environment.VARIABLES}
    assert used <= declared, f"declare these in bookkit/environment.py: {sorted(used - declared)}"
    assert all(len(variable.doc) > 20 for variable in environment.VARIABLES)


def test_the_help_text_names_every_variable(monkeypatch):
    text = environment.documentation()
    assert all(variable.name in text for variable in environment.VARIABLES)
    assert max(len(line) for line in text.splitlines()) <= 110
    monkeypatch.setenv("BOOKKIT_HEADLESS", "false")
    assert not environment.is_set_true(environment.HEADLESS)
    monkeypatch.setenv("BOOKKIT_HEADLESS", "1")
    assert environment.is_set_true(environment.HEADLESS)
