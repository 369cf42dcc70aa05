"""The entry point registers only the command it runs; the result must be the same app."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from media_cli.cli.app import build_app, invoked_command
from media_cli.cli.commands import COMMANDS


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ""),
        (["--help"], ""),
        (["-h"], ""),
        (["--version"], ""),
        (["--debug", "-q"], ""),
        (["list", "MM1"], "list"),
        (["--profile", "list", "download"], "download"),
        (["--api-url", "http://127.0.0.1:1", "--debug", "purge", "--yes"], "purge"),
        (["--region=ie1", "fetch"], "fetch"),
        (["auth", "status"], "auth"),
        (["lsit"], None),
        (["--", "list"], None),
        (["--debug", "--help", "list"], ""),
    ],
)
def test_invoked_command(argv: list[str], expected: str | None) -> None:
    assert invoked_command(argv) == expected


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_lean_app_gives_the_same_help(name: str) -> None:
    runner = CliRunner()
    full = runner.invoke(build_app(), [name, "--help"])
    lean = runner.invoke(build_app(only=name), [name, "--help"])
    assert full.exit_code == lean.exit_code == 0
    assert lean.stdout == full.stdout


def test_version_needs_no_command() -> None:
    result = CliRunner().invoke(build_app(only=""), ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("media-cli ")


@pytest.mark.parametrize("argv", [["--help"], []])
def test_lean_root_help_lists_the_same_commands(argv: list[str]) -> None:
    runner = CliRunner()
    full = runner.invoke(build_app(), argv)
    lean = runner.invoke(build_app(only=""), argv)
    assert lean.exit_code == full.exit_code
    assert (lean.stdout, lean.stderr) == (full.stdout, full.stderr)
    assert "download-chat" in lean.stdout + lean.stderr  # no arguments: help on stderr
