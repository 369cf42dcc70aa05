"""Completions, man page and README are generated from the app and cover every command."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from media_cli.cli.app import app
from media_cli.cli.docs import (
    ENVIRONMENT,
    REFERENCE_END,
    REFERENCE_START,
    CommandDoc,
    command_tree,
    generated_files,
    readme_reference,
)

ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[")
TREE = command_tree()
COMMANDS = [c for c in TREE.walk() if c.path]


def _ids(c: CommandDoc) -> str:
    return c.key


@pytest.mark.parametrize(("rel", "text"), sorted(generated_files(TREE).items()))
def test_generated_files_are_fresh(rel: str, text: str) -> None:
    committed = (ROOT / rel).read_text(encoding="utf-8")
    assert committed == text, f"{rel} is stale: run `make docs` and commit the result"


def test_readme_reference_is_fresh() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = readme.index(REFERENCE_START), readme.index(REFERENCE_END)
    committed = readme[start : end + len(REFERENCE_END)]
    assert committed == readme_reference(TREE), "README reference is stale: run `make docs`"


def test_generator_is_deterministic() -> None:
    assert generated_files(command_tree()) == generated_files(command_tree())


def test_tree_has_every_registered_command() -> None:
    keys = {c.key for c in COMMANDS}
    expected = {"list", "fetch", "download", "delete", "purge", "emulator"}
    expected |= {"upload-chat", "fetch-chat", "download-chat"}
    expected |= {"auth", "auth login", "auth status", "auth logout"}
    assert expected <= keys


@pytest.mark.parametrize("cmd", [TREE, *COMMANDS], ids=lambda c: c.key or "root")
def test_every_command_and_option_is_documented(cmd: CommandDoc) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    man = (ROOT / "man/media-cli.1").read_text(encoding="utf-8")
    man_plain = man.replace("\\-", "-")
    for path in (cmd.key,) if cmd.path else ():
        assert f"media-cli {path}" in readme, f"README lacks `media-cli {path}`"
        assert f'.SS "{path}"' in man_plain, f"man page lacks a section for {path}"
    for opt in cmd.options:
        for name in opt.all_names:
            assert f"`{name}`" in readme, f"README reference lacks {name} of {cmd.name}"
            assert f"\\fB{name}\\fR" in man_plain, f"man page lacks {name} of {cmd.name}"


@pytest.mark.parametrize("script", ["media-cli.bash", "_media-cli", "media-cli.fish"])
def test_completions_cover_every_command_and_option(script: str) -> None:
    text = (ROOT / "completions" / script).read_text(encoding="utf-8")
    for cmd in COMMANDS:
        assert re.search(rf"\b{re.escape(cmd.path[-1])}\b", text), f"{script}: {cmd.key}"
        for opt in cmd.options:
            long = opt.long.lstrip("-")
            assert long in text, f"{script} lacks {opt.long} of {cmd.name}"


def test_man_page_lists_every_environment_variable_the_code_reads() -> None:
    sources = [
        p
        for p in (ROOT / "media_cli").rglob("*.py")
        if "emulator" not in p.parts and p.name != "docs.py"
    ]
    pattern = re.compile(r"""["']((?:TWILIO|MEDIA_CLI)_[A-Z_]+|XDG_CONFIG_HOME)["']""")
    read = {m for p in sources for m in pattern.findall(p.read_text(encoding="utf-8"))}
    documented = {name for name, _ in ENVIRONMENT}
    assert read, "the scan found no environment variables at all"
    assert read <= documented, f"undocumented: {sorted(read - documented)}"
    man = (ROOT / "man/media-cli.1").read_text(encoding="utf-8")
    for name in documented | {"NO_COLOR", "FORCE_COLOR"}:
        assert f"\\fB{name}\\fR" in man


def test_man_page_sections() -> None:
    man = (ROOT / "man/media-cli.1").read_text(encoding="utf-8")
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "ENVIRONMENT", "FILES"):
        assert f".SH {section}\n" in man
    for section in ("EXIT STATUS", "EXAMPLES", "SEE ALSO"):
        assert f".SH {section}\n" in man
    for code in ("0", "1", "2", "3", "4", "5", "130"):
        assert f".TP\n\\fB{code}\\fR\n" in man


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_man_page_renders_without_warnings() -> None:
    proc = subprocess.run(
        ["groff", "-ww", "-z", "-man", str(ROOT / "man/media-cli.1")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stderr == ""


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_completes(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text('[profiles."work"]\naccount_sid = "AC1"\n[profiles.ops]\n')
    (tmp_path / "archive").mkdir()
    script = ROOT / "completions/media-cli.bash"
    cases = {
        "media-cli ''": "list fetch download delete purge emulator upload-chat fetch-chat "
        "download-chat auth",
        "media-cli --profile ''": "work ops",
        "media-cli --profile = w": "work",
        "media-cli --profile work auth ''": "login status logout",
        "media-cli --region ''": "us1 ie1 au1",
        "media-cli auth login --ed": "--edge",
        "media-cli purge --older-than 9": "90d",
        "media-cli purge --archive arc": "archive",
        "media-cli emulator --seed = n": "none",
        "media-cli list --page": "--page-size",
    }
    body = [f"source {script}"]
    for words in cases:
        body.append(
            f"COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); _media_cli; "
            'echo "${COMPREPLY[*]}"'
        )
    proc = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", "\n".join(body)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MEDIA_CLI_CONFIG_DIR": str(config)},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == list(cases.values())


@pytest.mark.parametrize(("shell", "script"), [("zsh", "_media-cli"), ("fish", "media-cli.fish")])
def test_other_completions_parse(shell: str, script: str) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    proc = subprocess.run(
        [shell, "-n", str(ROOT / "completions" / script)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("cmd", [TREE, *COMMANDS], ids=lambda c: c.key or "root")
def test_help_reads_well_at_80_columns(cmd: CommandDoc) -> None:
    result = CliRunner().invoke(app, [*cmd.path, "--help"], env={"COLUMNS": "80"}, color=False)
    assert result.exit_code == 0
    out = result.stdout
    assert not ANSI.search(out)
    long_lines = [line for line in out.splitlines() if len(line) > 80]
    assert not long_lines
    assert "Example" in out
    assert "<str>" not in out.split("Arguments:")[-1].split("Options:")[-1]
    assert "<int" not in out
    assert "<float" not in out
