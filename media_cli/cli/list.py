"""`media-cli list`: media of one message, or across the account by date."""

from __future__ import annotations

from typing import Annotated

import typer

from media_cli.cli.context import AccountFailures, AppContext, output_mode
from media_cli.cli.options import (
    AllSubaccountsOpt,
    FromOpt,
    JsonlOpt,
    JsonOpt,
    LimitOpt,
    OlderThanOpt,
    PageSizeOpt,
    SentAfterOpt,
    SentBeforeOpt,
    ToOpt,
)
from media_cli.errors import UsageError


def list_media(
    ctx: typer.Context,
    message_sid: Annotated[
        str | None,
        typer.Argument(
            metavar="MESSAGE_SID", help="List this message's media (else: across the account)."
        ),
    ] = None,
    created_on: Annotated[
        str | None,
        typer.Option("--created-on", metavar="DAY", help="Media created on this GMT day."),
    ] = None,
    created_before: Annotated[
        str | None,
        typer.Option(
            "--created-before", metavar="DAY", help="Media created on or before this GMT day."
        ),
    ] = None,
    created_after: Annotated[
        str | None,
        typer.Option(
            "--created-after", metavar="DAY", help="Media created on or after this GMT day."
        ),
    ] = None,
    sent_before: SentBeforeOpt = None,
    sent_after: SentAfterOpt = None,
    older_than: OlderThanOpt = None,
    to: ToOpt = None,
    from_: FromOpt = None,
    all_subaccounts: AllSubaccountsOpt = False,
    limit: LimitOpt = None,
    page_size: PageSizeOpt = None,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-j",
            min=1,
            max=64,
            metavar="N",
            help="Messages whose media are listed at once (account-wide listing).",
        ),
    ] = 8,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """List media, newest messages first.

    With MESSAGE_SID: that message's media (--created-* filter by GMT day).
    Without: media across the account, found through its Messages
    (--sent-before/--sent-after/--older-than, --to, --from).

    Examples:

      media-cli list MM0123456789abcdef0123456789abcdef

      media-cli list --older-than 30d --jsonl | jq -r .sid
    """
    from media_cli.discovery import AccountScope, build_window
    from media_cli.render import MEDIA_COLUMNS, ItemWriter
    from media_cli.sids import check_sid
    from media_cli.timeparse import parse_day

    app_ctx: AppContext = ctx.ensure_object(AppContext)
    mode = output_mode(app_ctx, json_flag=json_, jsonl_flag=jsonl)
    failed_accounts = AccountFailures(app_ctx)
    if page_size is not None and not 1 <= page_size <= 1000:
        raise UsageError("--page-size must be between 1 and 1000")
    if message_sid is not None:
        check_sid("message", message_sid)
        if sent_before or sent_after or older_than or to or from_ or all_subaccounts:
            raise UsageError(
                "--sent-*, --older-than, --to, --from and --all-subaccounts apply to the "
                "account-wide listing; with a MESSAGE_SID use --created-on/-before/-after"
            )
        if created_on and (created_before or created_after):
            raise UsageError(
                "--created-on cannot be combined with --created-before/--created-after"
            )
        on = parse_day(created_on, what="--created-on") if created_on else None
        before = parse_day(created_before, what="--created-before") if created_before else None
        after = parse_day(created_after, what="--created-after") if created_after else None
        if before and after and after > before:
            raise UsageError("empty window: --created-after is later than --created-before")
        client = app_ctx.client()
        items = client.iter_media(
            app_ctx.account_sid,
            message_sid,
            created_on=on,
            created_before=before,
            created_after=after,
            page_size=page_size,
            limit=limit,
        )
    else:
        if created_on or created_before or created_after:
            raise UsageError("--created-on/-before/-after need a MESSAGE_SID")
        window = build_window(sent_before=sent_before, sent_after=sent_after, older_than=older_than)
        scope = AccountScope(window, to=to, from_=from_, all_subaccounts=all_subaccounts)
        client = app_ctx.client(pool_size=concurrency + 2)
        items = scope.iter_media(
            client,
            app_ctx.account_sid,
            page_size=page_size,
            limit=limit,
            concurrency=concurrency,
            on_account_failure=failed_accounts,
        )
    writer = ItemWriter(app_ctx.streams, mode, MEDIA_COLUMNS)
    for media in items:
        writer.write(media.to_json())
    writer.finish()
    error = failed_accounts.error("the other accounts' media were listed")
    if error is not None:
        raise error
