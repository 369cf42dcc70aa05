"""`media-cli download`: content of one media, a message's media, or media across the account."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from media_cli.cli.context import AccountFailures, AppContext, output_mode
from media_cli.cli.options import (
    AllSubaccountsOpt,
    FromOpt,
    JsonlOpt,
    JsonOpt,
    OlderThanOpt,
    SentAfterOpt,
    SentBeforeOpt,
    ToOpt,
)
from media_cli.errors import NotFoundError, PartialFailureError, UsageError

if TYPE_CHECKING:
    from media_cli.models import Media

_LAYOUT_HELP = (
    "Where each file goes under -d: a template with {account_sid} {message_sid} {sid} {ext} "
    "{content_type} {date_created} {date_sent}; dates take a strftime spec, "
    "e.g. {date_created:%Y/%m/%d}/{sid}{ext}. It must stay inside -d."
)


def download_media(
    ctx: typer.Context,
    message_sid: Annotated[
        str | None,
        typer.Argument(
            metavar="MESSAGE_SID",
            help="Download this message's media (else: across the account, or --from-list).",
        ),
    ] = None,
    media_sid: Annotated[
        str | None,
        typer.Argument(metavar="MEDIA_SID", help="Only this media of the message."),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE|-",
            help="Write the one media named by MESSAGE_SID MEDIA_SID to FILE (- for stdout).",
        ),
    ] = None,
    directory: Annotated[
        Path,
        typer.Option("--dir", "-d", metavar="DIR", help="Download into this directory."),
    ] = Path("."),
    layout: Annotated[
        str | None, typer.Option("--layout", metavar="TEMPLATE", help=_LAYOUT_HELP)
    ] = None,
    from_list: Annotated[
        str | None,
        typer.Option(
            "--from-list",
            metavar="FILE|-",
            help="Read the media to download from FILE or stdin (-): `list --jsonl` output, "
            "'MESSAGE_SID MEDIA_SID' lines, or media SIDs when MESSAGE_SID is given.",
        ),
    ] = None,
    sent_before: SentBeforeOpt = None,
    sent_after: SentAfterOpt = None,
    older_than: OlderThanOpt = None,
    to: ToOpt = None,
    from_: FromOpt = None,
    all_subaccounts: AllSubaccountsOpt = False,
    all_media: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Download every media of the account (required without a date/--to/--from "
            "filter).",
        ),
    ] = False,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-j",
            min=1,
            max=64,
            metavar="N",
            help="Files downloaded at once; fewer while Twilio answers 429.",
        ),
    ] = 8,
    skip_existing: Annotated[
        bool,
        typer.Option(
            "--skip-existing",
            help="Keep files that already exist (files the manifest shows complete are always "
            "kept).",
        ),
    ] = False,
    clobber: Annotated[
        bool, typer.Option("--clobber", help="Overwrite files that already exist.")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help=(
                "Continue interrupted NAME.part files with a Range request (one whose last "
                "bytes differ from the media's is downloaded again)."
            ),
        ),
    ] = False,
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            metavar="FILE",
            help="Record completed files here [default: DIR/manifest.jsonl].",
        ),
    ] = None,
    no_manifest: Annotated[
        bool, typer.Option("--no-manifest", help="Do not read or write a manifest.")
    ] = False,
    fsync: Annotated[
        bool,
        typer.Option(
            "--fsync",
            help="Sync each file and manifest line to disk before moving on, so completed "
            "files survive a power loss (slower: waits for the disk).",
        ),
    ] = False,
    not_found_retries: Annotated[
        int,
        typer.Option(
            "--not-found-tries",
            min=1,
            max=20,
            metavar="N",
            help="Tries for a media that answers 404 (new media can 404 for a few seconds).",
        ),
    ] = 3,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """Download media content: one file, a message's media, or media across the account.

    Files go under -d by --layout (default {message_sid}/{sid}{ext}), through NAME.part and
    a size check, and are recorded in DIR/manifest.jsonl: a rerun skips completed files.
    Without MESSAGE_SID, an account-wide download needs a filter (--sent-before,
    --sent-after, --older-than, --to, --from) or --all.

    Examples:

      media-cli download MM0123456789abcdef0123456789abcdef -d media/

      media-cli download MM0123456789abcdef0123456789abcdef ME0123456789abcdef0123456789abcdef -o -

      media-cli download --older-than 90d -d archive/ -j 16

      media-cli list --jsonl | jq -c 'select(.content_type=="image/jpeg")' |
      media-cli download --from-list - -d jpegs/
    """
    import time

    from media_cli.bulk import AccountRefusals, adaptive_for, run_pool
    from media_cli.discovery import AccountScope, build_window
    from media_cli.downloads import (
        DEFAULT_LAYOUT,
        FAILED,
        MANIFEST_NAME,
        NOT_FOUND,
        Downloader,
        DownloadResult,
        media_for,
        media_from_lines,
        stream_media,
    )
    from media_cli.progress import byte_callback, download_progress
    from media_cli.render import Column, ItemWriter, human_bytes
    from media_cli.sids import check_sid

    app_ctx: AppContext = ctx.ensure_object(AppContext)
    mode = output_mode(app_ctx, json_flag=json_, jsonl_flag=jsonl)
    streams = app_ctx.streams
    filters = bool(sent_before or sent_after or older_than or to or from_)

    # -- flags ------------------------------------------------------------------------
    if clobber and skip_existing:
        raise UsageError("--clobber and --skip-existing cannot be used together")
    if manifest is not None and no_manifest:
        raise UsageError("--manifest and --no-manifest cannot be used together")
    if message_sid is not None:
        check_sid("message", message_sid)
    if media_sid is not None:
        check_sid("media", media_sid)
    if (message_sid is not None or from_list is not None) and (
        filters or all_subaccounts or all_media
    ):
        raise UsageError(
            "--sent-*, --older-than, --to, --from, --all-subaccounts and --all apply to the "
            "account-wide download, not to MESSAGE_SID or --from-list"
        )
    if from_list is not None and media_sid is not None:
        raise UsageError("give either MEDIA_SID or --from-list, not both")
    if message_sid is None and from_list is None and not filters and not all_media:
        raise UsageError(
            "refusing to download every media of the account without a filter",
            hint="add --older-than/--sent-before/--sent-after/--to/--from, or pass --all",
        )
    if output is not None:
        if media_sid is None:
            raise UsageError("-o/--output needs exactly one media: MESSAGE_SID MEDIA_SID")
        if layout is not None:
            raise UsageError("--layout applies to -d downloads, not to -o")
        if output == "-" and mode.is_json:
            raise UsageError("-o - writes the media's bytes to stdout: no --json/--jsonl")
        if output == "-" and (resume or clobber or skip_existing or manifest is not None):
            raise UsageError("--resume/--clobber/--skip-existing/--manifest need a file, not -o -")

    client = app_ctx.client(pool_size=concurrency + 2)
    account_sid = app_ctx.account_sid

    # -- one media to stdout ----------------------------------------------------------
    if output == "-" and message_sid is not None and media_sid is not None:
        media = media_for(client, account_sid, message_sid, media_sid)
        raw = getattr(streams.stdout, "buffer", None)
        if raw is None:
            raise UsageError("stdout cannot take binary data here; use -o FILE")
        with byte_callback(streams, total=None, description=media_sid) as bar:
            result = stream_media(
                client, media, raw, on_bytes=bar.on_bytes, not_found_retries=not_found_retries
            )
        streams.warn(f"downloaded {media_sid} ({human_bytes(result.size)}) to stdout")
        return

    # -- what to download -------------------------------------------------------------
    failed_accounts = AccountFailures(app_ctx)
    # A subaccount refusing its content mid-run fails its media, not the run (exit 4 stays
    # for the account the credentials name).
    refusals = AccountRefusals(account_sid, failed_accounts) if all_subaccounts else None
    items: Iterable[Media]
    if from_list is not None:
        lines = streams.stdin if from_list == "-" else _open_list(from_list)
        items = media_from_lines(client, lines, account_sid=account_sid, message_sid=message_sid)
    elif message_sid is not None and media_sid is not None:
        items = [media_for(client, account_sid, message_sid, media_sid)]
    elif message_sid is not None:
        items = client.iter_media(account_sid, message_sid)
    else:
        window = build_window(sent_before=sent_before, sent_after=sent_after, older_than=older_than)
        scope = AccountScope(window, to=to, from_=from_, all_subaccounts=all_subaccounts)
        items = scope.iter_media(
            client, account_sid, concurrency=concurrency, on_account_failure=failed_accounts
        )

    target_file = Path(output) if output is not None else None
    base = target_file.parent if target_file is not None else directory
    manifest_path: Path | None = None
    if manifest is not None:
        manifest_path = manifest
    elif not no_manifest and target_file is None:
        manifest_path = directory / MANIFEST_NAME
    columns = (
        Column("SID", "sid"),
        Column("MESSAGE", "message_sid"),
        Column("STATUS", "status"),
        Column("SIZE", "size", is_bytes=True),
        Column("PATH", "path"),
    )
    writer = ItemWriter(streams, mode, columns, empty_message="No media found.")
    counts = {"downloaded": 0, "skipped": 0, "failed": 0}
    total_bytes = 0
    failures: list[DownloadResult] = []
    started = time.monotonic()
    with download_progress(streams) as display:
        downloader = Downloader(
            client,
            directory=base,
            layout=layout or DEFAULT_LAYOUT,
            manifest_path=manifest_path,
            clobber=clobber,
            skip_existing=skip_existing,
            resume=resume,
            on_bytes=display.on_bytes,
            on_start=display.start_file if display.enabled else None,
            not_found_retries=not_found_retries,
            durable=fsync,
            refusals=refusals,
        )
        restore = _cancel_on_interrupt(downloader.cancel)
        try:
            if target_file is not None:
                results: Iterable[DownloadResult] = [
                    downloader.download_to(media, target_file) for media in items
                ]
            else:
                results = run_pool(
                    items,
                    downloader.download,
                    concurrency=concurrency,
                    limit=adaptive_for(client, concurrency),
                )
                if refusals is not None:
                    results = refusals.reporting(results)
            for result in results:
                counts[result.status] = counts.get(result.status, 0) + 1
                if result.status == "downloaded":
                    total_bytes += result.size or 0
                display.finish_file(result.media.sid, ok=result.status != FAILED)
                writer.write(result.to_json())
                if result.status == FAILED:
                    failures.append(result)
        finally:
            restore()
            downloader.close()
    writer.finish()
    for failure in failures:
        streams.warn(f"media-cli: failed to download {failure.media.sid}: {failure.error}")
    elapsed = time.monotonic() - started
    accounts_part = f", {failed_accounts.describe()}" if failed_accounts.failures else ""
    streams.warn(
        f"downloaded {counts['downloaded']} ({total_bytes / 1048576:.1f} MiB), "
        f"skipped {counts['skipped']}, failed {counts['failed']}{accounts_part} "
        f"in {elapsed:.1f} s"
    )
    if media_sid is not None and failures and failures[0].error == NOT_FOUND:
        # One named media that does not exist: exit 3, like fetch and -o -.
        raise NotFoundError(
            f"media {media_sid} of message {message_sid} was not found",
            status=404,
            twilio_code=20404,
        )
    if counts["failed"] and failed_accounts.failures:
        raise PartialFailureError(
            f"{counts['failed']} of {sum(counts.values())} downloads failed, and "
            f"{failed_accounts.describe()}",
            failed=counts["failed"] + len(failed_accounts.failures),
        )
    if counts["failed"]:
        raise PartialFailureError(
            f"{counts['failed']} of {sum(counts.values())} downloads failed",
            failed=counts["failed"],
        )
    error = failed_accounts.error("the other accounts' media were downloaded")
    if error is not None:
        raise error


def _open_list(path: str) -> Iterator[str]:
    """Lines of a --from-list file, read lazily; a missing file is a usage error."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 -- closed when the lines run out
    except OSError as exc:
        raise UsageError(f"--from-list {path!r}: {exc.strerror}") from exc
    with handle:
        yield from handle


def _cancel_on_interrupt(cancel: Callable[[], None]) -> Callable[[], None]:
    """On Ctrl-C, stop the workers' downloads first (so the pool does not wait for them),
    then interrupt as usual; returns the function that restores the previous handler."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum: int, frame: object) -> None:
        cancel()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_interrupt)

    def restore() -> None:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)

    return restore
