"""The installed entry points start in a fresh process, and a mistyped command is an error."""

from __future__ import annotations

import subprocess
import sys

from media_cli import __version__


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "media_cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_every_command() -> None:
    proc = _run("--help")
    assert proc.returncode == 0, proc.stderr
    for command in ("list", "fetch", "delete", "emulator"):
        assert f"  {command} " in proc.stdout
    assert "\x1b[" not in proc.stdout


def test_version() -> None:
    proc = _run("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"media-cli {__version__}"


def test_mistyped_command_exits_2() -> None:
    proc = _run("lsit")
    assert proc.returncode == 2
    assert "No such command" in proc.stderr
    assert proc.stdout == ""


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from media_cli.cli.app import app\n"
        "heavy = [m for m in ('requests', 'keyring', 'dateutil', 'rich.progress',"
        " 'media_cli.emulator.server', 'media_cli.client', 'media_cli.transport', 'http.client')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
