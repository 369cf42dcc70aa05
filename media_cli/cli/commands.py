"""Registers each verb under its explicit name (one verb, one file)."""

from __future__ import annotations

import importlib
from typing import Final

import typer

# name -> (module, attribute, kind). Typer converts every registered command's signature on
# each run, so the entry point registers only the command it is about to run.
COMMANDS: Final[dict[str, tuple[str, str, str]]] = {
    "auth": ("media_cli.cli.auth", "auth_app", "group"),
    "list": ("media_cli.cli.list", "list_media", "command"),
    "fetch": ("media_cli.cli.fetch", "fetch_media", "command"),
    "download": ("media_cli.cli.download", "download_media", "command"),
    "delete": ("media_cli.cli.delete", "delete_media", "command"),
    "purge": ("media_cli.cli.purge", "purge_media", "command"),
    "emulator": ("media_cli.cli.emulator", "run_emulator", "command"),
    "upload-chat": ("media_cli.cli.chat", "upload_chat_media", "command"),
    "fetch-chat": ("media_cli.cli.chat", "fetch_chat_media", "command"),
    "download-chat": ("media_cli.cli.chat", "download_chat_media", "command"),
}


def register(app: typer.Typer, *, only: str | None = None) -> None:
    """Register every command, or just ``only`` (``""``: none, for ``--version``)."""
    for name, (module, attribute, kind) in COMMANDS.items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(module), attribute)
        if kind == "group":
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
