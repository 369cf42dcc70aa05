"""`media-cli fetch`: one media's metadata (JSON fields or Twilio's XML)."""

from __future__ import annotations

from typing import Annotated

import typer

from media_cli.cli.context import AppContext, output_mode
from media_cli.cli.options import JsonlOpt, JsonOpt
from media_cli.errors import UsageError


def fetch_media(
    ctx: typer.Context,
    message_sid: Annotated[str, typer.Argument(metavar="MESSAGE_SID", help="SM… or MM…")],
    media_sid: Annotated[str, typer.Argument(metavar="MEDIA_SID", help="ME…")],
    xml: Annotated[
        bool, typer.Option("--xml", help="Print Twilio's XML representation as it is.")
    ] = False,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """Show one media's metadata.

    Example:

      media-cli fetch --json MM0123456789abcdef0123456789abcdef ME0123456789abcdef0123456789abcdef
    """
    from media_cli.render import MEDIA_COLUMNS, write_object
    from media_cli.sids import check_sid

    app_ctx: AppContext = ctx.ensure_object(AppContext)
    mode = output_mode(app_ctx, json_flag=json_, jsonl_flag=jsonl)
    if xml and mode.is_json:
        raise UsageError("--xml cannot be combined with --json or --jsonl")
    check_sid("message", message_sid)
    check_sid("media", media_sid)
    client = app_ctx.client()
    if xml:
        text = client.get_media_xml(app_ctx.account_sid, message_sid, media_sid)
        app_ctx.streams.stdout.write(text if text.endswith("\n") else text + "\n")
        app_ctx.streams.stdout.flush()
        return
    media = client.get_media(app_ctx.account_sid, message_sid, media_sid)
    write_object(app_ctx.streams, mode, media.to_json(), MEDIA_COLUMNS)
