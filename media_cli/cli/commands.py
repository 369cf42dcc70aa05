"""Registers each verb under its explicit name (one verb, one file)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from media_cli.cli.auth import auth_app
    from media_cli.cli.chat import download_chat_media, fetch_chat_media, upload_chat_media
    from media_cli.cli.delete import delete_media
    from media_cli.cli.download import download_media
    from media_cli.cli.emulator import run_emulator
    from media_cli.cli.fetch import fetch_media
    from media_cli.cli.list import list_media
    from media_cli.cli.purge import purge_media

    app.add_typer(auth_app, name="auth")
    app.command("list")(list_media)
    app.command("fetch")(fetch_media)
    app.command("download")(download_media)
    app.command("delete")(delete_media)
    app.command("purge")(purge_media)
    app.command("emulator")(run_emulator)
    app.command("upload-chat")(upload_chat_media)
    app.command("fetch-chat")(fetch_chat_media)
    app.command("download-chat")(download_chat_media)
