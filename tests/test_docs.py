"""Every setting and every command is documented in the README (datasette's habit)."""

from __future__ import annotations

from pathlib import Path

import typer.main

from watcher.cli import app
from watcher.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_environment_setting_is_in_the_readme() -> None:
    missing = [f"WATCHER_{name.upper()}" for name in Settings.model_fields
               if f"WATCHER_{name.upper()}" not in README]
    assert missing == []


def test_every_command_is_in_the_readme() -> None:
    group = typer.main.get_command(app)
    commands = sorted(group.commands)  # type: ignore[attr-defined]
    assert "check" in commands
    missing = [name for name in commands if f"watcher {name}" not in README]
    assert missing == []


def test_the_readme_begins_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    assert "make run" in first_block
    assert "make test" in first_block
