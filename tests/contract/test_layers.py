"""The dependency rules of STYLE.md, enforced on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "media_cli"
RICH_ALLOWED = {"render.py", "progress.py", "streams.py"}
ENV_ALLOWED = {"config.py", "credentials.py", "streams.py"}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


@pytest.mark.parametrize("path", _modules(), ids=_rel)
def test_only_cli_imports_typer(path: Path) -> None:
    if _rel(path).startswith("cli/"):
        return
    assert not {n for n in _imports(path) if n.split(".")[0] in ("typer", "click")}


@pytest.mark.parametrize("path", _modules(), ids=_rel)
def test_rich_stays_in_presentation_modules(path: Path) -> None:
    rel = _rel(path)
    if rel.startswith("cli/") or rel in RICH_ALLOWED:
        return
    assert not {n for n in _imports(path) if n.split(".")[0] == "rich"}


@pytest.mark.parametrize("path", _modules(), ids=_rel)
def test_emulator_imports_only_the_standard_library(path: Path) -> None:
    if not _rel(path).startswith("emulator/"):
        return
    import sys

    for name in _imports(path):
        if name.startswith("media_cli.emulator"):
            continue
        assert name.split(".")[0] in sys.stdlib_module_names, f"{_rel(path)} imports {name}"


@pytest.mark.parametrize("path", _modules(), ids=_rel)
def test_core_modules_never_print_or_exit(path: Path) -> None:
    rel = _rel(path)
    if rel.startswith(("cli/", "emulator/")) or rel in {"__main__.py", "streams.py"}:
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in ("print", "exit", "quit"), f"{rel}:{node.lineno}"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            assert (node.value.id, node.attr) != ("sys", "exit"), f"{rel}:{node.lineno}"


@pytest.mark.parametrize("path", _modules(), ids=_rel)
def test_only_config_credentials_streams_read_the_environment(path: Path) -> None:
    rel = _rel(path)
    if rel in ENV_ALLOWED or rel.startswith("emulator/"):
        return
    source = path.read_text(encoding="utf-8")
    assert "os.environ" not in source, rel
    assert "getenv" not in source, rel
    assert "import keyring" not in source, rel


def test_command_files_do_not_import_each_other() -> None:
    verbs = {p.stem for p in (PACKAGE / "cli").glob("*.py")} - {
        "__init__", "app", "context", "options", "commands", "docs",
    }  # fmt: skip
    for path in (PACKAGE / "cli").glob("*.py"):
        if path.stem not in verbs:
            continue
        for name in _imports(path):
            if name.startswith("media_cli.cli."):
                assert name.rsplit(".", 1)[1] not in verbs, f"{path.name} imports {name}"
