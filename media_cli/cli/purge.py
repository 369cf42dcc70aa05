"""`media-cli purge`: cron-safe bulk delete of media by their message's sent date."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from media_cli.cli.context import (
    ACCOUNT_FAILURE_HINT,
    AccountFailures,
    AppContext,
    output_mode,
)
from media_cli.cli.options import (
    AllSubaccountsOpt,
    FromOpt,
    JsonlOpt,
    JsonOpt,
    SentAfterOpt,
    ToOpt,
    YesOpt,
)
from media_cli.errors import ConfirmationRequiredError, MediaCliError, UsageError

if TYPE_CHECKING:
    from media_cli.bulk import AccountRefusals
    from media_cli.discovery import AccountFailure
    from media_cli.purge import Purger


def purge_media(
    ctx: typer.Context,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            metavar="DURATION",
            help="Purge media of messages sent more than this long ago: 90d, 12h, 2w.",
        ),
    ] = None,
    sent_before: Annotated[
        str | None,
        typer.Option(
            "--sent-before",
            metavar="DATE",
            help="Purge media of messages sent before this instant (UTC unless an offset "
            "is given; a bare date means 00:00:00 UTC that day).",
        ),
    ] = None,
    sent_after: SentAfterOpt = None,
    to: ToOpt = None,
    from_: FromOpt = None,
    all_subaccounts: AllSubaccountsOpt = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="List exactly what would be deleted; delete nothing."),
    ] = False,
    yes: YesOpt = False,
    max_deletes: Annotated[
        int | None,
        typer.Option(
            "--max-deletes",
            metavar="N",
            min=0,
            help="Abort before deleting anything if the plan holds more than N media.",
        ),
    ] = None,
    archive: Annotated[
        Path | None,
        typer.Option(
            "--archive",
            metavar="DIR",
            file_okay=False,
            help="Download each media into DIR (same layout and manifest.jsonl as `download`) "
            "and delete it only once its size and sha256 are verified.",
        ),
    ] = None,
    lock_file: Annotated[
        Path | None,
        typer.Option(
            "--lock-file",
            metavar="PATH",
            dir_okay=False,
            help="Lock this file instead of <config dir>/locks/<account>.lock.",
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-j",
            min=1,
            max=64,
            metavar="N",
            help="Requests in flight at once (1 to 64); halves while Twilio answers 429.",
        ),
    ] = 8,
    max_rate: Annotated[
        float | None,
        typer.Option(
            "--max-rate",
            metavar="N",
            min=0.01,
            help="At most N delete (and archive) requests per second.",
        ),
    ] = None,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """Delete the media of messages sent before a cut-off, across the account.

    The cut-off applies to the MESSAGE's date_sent (media are found through the
    Messages list), not to the media's own date_created. An upper bound
    (--older-than or --sent-before) is required. On a terminal the plan is shown
    and confirmed; elsewhere --yes is required. A lock file stops two runs on the
    same account from overlapping. Safe to re-run after an interruption: media
    already gone (404) count as such. Exit 0 only if every targeted media is gone
    (and archived, with --archive); 1 otherwise.

    Summary on stderr: deleted N, already gone N, failed N, archived N bytes, in T s.

    Examples:

      media-cli purge --older-than 90d --dry-run

      media-cli purge --older-than 90d --all-subaccounts --yes --max-deletes 100000 --jsonl

      media-cli purge --sent-before 2026-01-01 --archive /backup/media --yes --max-rate 50
    """
    from media_cli.bulk import AccountRefusals
    from media_cli.discovery import build_window, resolve_accounts
    from media_cli.lock import FileLocks, lock_path_for
    from media_cli.progress import item_progress
    from media_cli.purge import PurgePlan, Spool, iter_targets
    from media_cli.render import Column, ItemWriter
    from media_cli.timeparse import iso_utc

    app_ctx: AppContext = ctx.ensure_object(AppContext)
    mode = output_mode(app_ctx, json_flag=json_, jsonl_flag=jsonl)
    streams = app_ctx.streams
    if not older_than and not sent_before:
        raise UsageError(
            "purge needs an upper time bound: --older-than DURATION or --sent-before DATE",
            hint="a purge with no time bound would delete every media; it is refused",
        )
    window = build_window(sent_before=sent_before, sent_after=sent_after, older_than=older_than)
    if dry_run and archive is not None:
        raise UsageError("--archive and --dry-run cannot be used together")
    # Checked before any request: a cron job without --yes must not touch the account.
    if not dry_run and not yes and not streams.can_prompt:
        raise ConfirmationRequiredError(
            "refusing to purge without confirmation",
            hint="no terminal to ask on: pass --yes (and consider --max-deletes N)",
        )

    settings = app_ctx.settings()
    account_sid = app_ctx.account_sid
    with FileLocks() as locks:
        if not dry_run:
            locks.acquire([lock_file or lock_path_for(settings.config_dir, account_sid)])
        client = app_ctx.client(pool_size=2 * concurrency + 2)
        accounts = tuple(resolve_accounts(client, account_sid, all_subaccounts=all_subaccounts))
        if not dry_run and lock_file is None:
            # Also lock each subaccount, so a run on one of them alone cannot overlap.
            locks.acquire(lock_path_for(settings.config_dir, sid) for sid in accounts)
        plan = PurgePlan(window=window, accounts=accounts, to=to, from_=from_)
        streams.warn(
            f"purge plan: cut-off {iso_utc(plan.cutoff)} (message date_sent); {plan.describe()}"
        )
        failed_accounts = AccountFailures(app_ctx)

        def on_account_failure(failure: AccountFailure) -> None:
            if failure.account_sid in failed_accounts.account_sids:
                return  # refused its deletes, then its lists: reported once
            if failure.action == "read":
                # Refused deletes/downloads count as failed items; refused lists here.
                purger.summary.add_failed_account(failure.account_sid)
            failed_accounts(failure)

        refusals = AccountRefusals(account_sid, on_account_failure) if all_subaccounts else None
        purger = _purger(app_ctx, concurrency, max_rate, archive, refusals)

        columns = (
            Column("SID", "sid"),
            Column("MESSAGE", "message_sid"),
            Column("STATUS", "status"),
            Column("SENT", "date_sent", is_time=True),
            Column("ERROR", "error"),
        )
        writer = ItemWriter(streams, mode, columns, empty_message="No media to purge.")
        show_items = mode.is_json or dry_run or not streams.quiet
        try:
            if dry_run:
                for result in purger.dry_run(
                    iter_targets(
                        client,
                        plan,
                        concurrency=concurrency,
                        on_account_failure=on_account_failure,
                    )
                ):
                    writer.write(result.to_json())
                writer.finish()
                error = failed_accounts.error("the plan covers the other accounts only")
                if error is None:
                    streams.warn(purger.summary.dry_run_line())
                    return
                # Even under --quiet: the plan misses those accounts' media.
                print(purger.summary.dry_run_line(), file=streams.stderr, flush=True)
                raise error
            with Spool() as spool:
                targets = None
                if max_deletes is not None or not yes:
                    spool.fill(
                        iter_targets(
                            client,
                            plan,
                            concurrency=concurrency,
                            on_account_failure=on_account_failure,
                        )
                    )
                    purger.summary.planned = spool.count
                    span = ""
                    if spool.oldest and spool.newest:
                        span = (
                            f" (messages sent {iso_utc(spool.oldest)} to {iso_utc(spool.newest)})"
                        )
                    streams.warn(f"purge plan: {spool.count} media{span}")
                    if max_deletes is not None and spool.count > max_deletes:
                        raise MediaCliError(
                            f"the plan holds {spool.count} media, more than --max-deletes "
                            f"{max_deletes}; nothing was deleted",
                            hint="narrow the window, or raise --max-deletes",
                        )
                    if not yes and not streams.confirm(
                        f"Delete {spool.count} media of messages sent before "
                        f"{iso_utc(plan.cutoff)} in {len(accounts)} account(s)? "
                        "This cannot be undone."
                    ):
                        raise ConfirmationRequiredError("cancelled; nothing was deleted")
                    targets = spool
                total = spool.count if targets is not None else None
                with item_progress(streams, total=total, description="purging") as bar:
                    try:
                        for result in purger.run(
                            targets
                            if targets is not None
                            # Deleting while discovering: both share the one --concurrency.
                            else iter_targets(
                                client,
                                plan,
                                concurrency=concurrency,
                                gate=purger.limit,
                                on_account_failure=on_account_failure,
                            )
                        ):
                            bar.advance(result.status)
                            if show_items:
                                writer.write(result.to_json())
                            if result.status == "failed":
                                streams.warn(f"media-cli: {result.sid} not purged: {result.error}")
                    except KeyboardInterrupt:
                        # What was done so far, for the log; a rerun finishes the job.
                        print(
                            f"interrupted: {purger.summary.line()} (deletes in flight may "
                            "have completed; re-run the same command to finish)",
                            file=streams.stderr,
                            flush=True,
                        )
                        raise
                if show_items:
                    writer.finish()
        finally:
            if purger.archiver is not None:
                purger.archiver.close()
    summary = purger.summary
    if summary.is_complete:
        streams.warn(summary.line())
    else:
        # Even under --quiet: a cron job's failure report should carry the counts.
        print(summary.line(), file=streams.stderr, flush=True)
        from media_cli.errors import PartialFailureError

        total = summary.deleted + summary.already_gone + summary.failed
        first = ", ".join(summary.failed_sids)
        parts = []
        if summary.failed:
            parts.append(f"{summary.failed} of {total} media were not purged (first: {first})")
        if failed_accounts.failures:
            parts.append(f"{failed_accounts.describe()}: their media were not purged")
        raise PartialFailureError(
            "; ".join(parts),
            failed=summary.failed + len(summary.failed_accounts),
            hint="re-run the same command: it resumes where this run stopped"
            if summary.failed
            else ACCOUNT_FAILURE_HINT,
        )


def _purger(
    app_ctx: AppContext,
    concurrency: int,
    max_rate: float | None,
    archive: Path | None,
    refusals: AccountRefusals | None,
) -> Purger:
    """The Purger, with adaptive concurrency, the rate limiter and the archiver wired in."""
    from media_cli.bulk import RateLimiter, adaptive_for
    from media_cli.purge import Purger

    client = app_ctx.client()
    archiver = None
    if archive is not None:
        from media_cli.downloads import MANIFEST_NAME, Downloader

        # resume: a rerun after a kill continues a .part; skip_existing: a file renamed into
        # place just before the kill (no manifest line yet) is hashed and accepted.
        archiver = Downloader(
            client,
            directory=archive,
            manifest_path=archive / MANIFEST_NAME,
            resume=True,
            skip_existing=True,
            # The original is deleted next: the copy must survive a power loss first.
            durable=True,
        )
    return Purger(
        client,
        concurrency=concurrency,
        limit=adaptive_for(client, concurrency),
        rate=RateLimiter(max_rate) if max_rate else None,
        archiver=archiver,
        # 20009 "cannot delete yet": retried later; scaled like the client's backoff (0 in tests).
        not_yet_delay=4 * app_ctx.settings().retry_backoff,
        refusals=refusals,
    )
