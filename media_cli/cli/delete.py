"""`media-cli delete`: delete named media."""

from __future__ import annotations

from typing import Annotated

import typer

from media_cli.cli.context import AppContext, output_mode
from media_cli.cli.options import ConcurrencyOpt, JsonlOpt, JsonOpt, YesOpt
from media_cli.errors import ConfirmationRequiredError, PartialFailureError, UsageError


def delete_media(
    ctx: typer.Context,
    message_sid: Annotated[
        str,
        typer.Argument(
            metavar="MESSAGE_SID|-",
            help="The message (SM…/MM…), or - to read 'MESSAGE_SID MEDIA_SID' lines or "
            "`list --jsonl` output from stdin.",
        ),
    ],
    media_sids: Annotated[
        list[str] | None,
        typer.Argument(metavar="MEDIA_SID", help="Media SIDs (ME…), or - to read them from stdin."),
    ] = None,
    yes: YesOpt = False,
    concurrency: ConcurrencyOpt = 4,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """Delete media. Asks first on a terminal; elsewhere --yes is required.

    A media that is already gone (404) is reported as skipped, not as a failure.

    Examples:

      media-cli delete MM0123456789abcdef0123456789abcdef ME0123456789abcdef0123456789abcdef

      media-cli list MM0123456789abcdef0123456789abcdef --jsonl | media-cli delete - --yes
    """
    from media_cli.bulk import FAILED, DeleteAttempt, adaptive_for, delete_one, run_pool
    from media_cli.render import RESULT_COLUMNS, ItemWriter
    from media_cli.sidlist import MediaRef, parse_media_refs
    from media_cli.sids import check_sid

    app_ctx: AppContext = ctx.ensure_object(AppContext)
    mode = output_mode(app_ctx, json_flag=json_, jsonl_flag=jsonl)
    streams = app_ctx.streams
    sids = list(media_sids or [])
    refs: list[MediaRef]
    if message_sid == "-":
        if sids:
            raise UsageError("with '-' as MESSAGE_SID, give no media SIDs: they come from stdin")
        refs = list(parse_media_refs(streams.stdin))
    else:
        check_sid("message", message_sid)
        if sids == ["-"]:
            refs = list(parse_media_refs(streams.stdin, message_sid=message_sid))
        elif not sids:
            raise UsageError("name at least one MEDIA_SID (or - to read them from stdin)")
        else:
            refs = [MediaRef(message_sid, check_sid("media", sid)) for sid in sids]
    if not refs:
        raise UsageError("no media to delete were given")

    if not yes:
        if not streams.can_prompt:
            raise ConfirmationRequiredError(
                f"refusing to delete {len(refs)} media without confirmation",
                hint="no terminal to ask on: pass --yes to delete without asking",
            )
        if not streams.confirm(f"Delete {len(refs)} media? This cannot be undone."):
            raise ConfirmationRequiredError("cancelled; nothing was deleted")

    client = app_ctx.client(pool_size=concurrency + 2)
    account_sid = app_ctx.account_sid
    writer = ItemWriter(streams, mode, RESULT_COLUMNS, empty_message="Nothing deleted.")
    counts: dict[str, int] = {}
    retry_delay = 4 * app_ctx.settings().retry_backoff  # between "cannot delete yet" tries
    for result in run_pool(
        (DeleteAttempt(ref) for ref in refs),
        lambda item: delete_one(client, account_sid, item, not_yet_delay=retry_delay),
        concurrency=concurrency,
        limit=adaptive_for(client, concurrency),
    ):
        counts[result.status] = counts.get(result.status, 0) + 1
        writer.write(result.to_json())
        if result.status == FAILED:
            streams.warn(f"media-cli: failed to delete {result.sid}: {result.error}")
    writer.finish()
    summary = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
    streams.warn(summary)
    if counts.get(FAILED):
        raise PartialFailureError(
            f"{counts[FAILED]} of {len(refs)} deletes failed", failed=counts[FAILED]
        )
