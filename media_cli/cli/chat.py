"""`media-cli upload-chat`, `fetch-chat` and `download-chat`: Chat/Conversations media (MCS)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from media_cli.cli.context import AppContext, output_mode
from media_cli.cli.options import ConcurrencyOpt, JsonlOpt, JsonOpt
from media_cli.errors import PartialFailureError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

    from media_cli.render import Column
    from media_cli.streams import Streams
    from media_cli.uploads import UploadPlan

ServiceOpt = Annotated[
    str,
    typer.Option(
        "--service", "-s", metavar="IS…", help="The Chat/Conversations service SID (IS…)."
    ),
]
ServiceArg = Annotated[str, typer.Argument(metavar="SERVICE_SID", help="IS…")]
MediaArg = Annotated[str, typer.Argument(metavar="MEDIA_SID", help="ME…")]


def _upload_columns() -> tuple[Column, ...]:
    from media_cli.render import Column

    return (
        Column("SID", "sid"),
        Column("STATUS", "status"),
        Column("SIZE", "size", is_bytes=True),
        Column("TYPE", "content_type"),
        Column("FILENAME", "filename"),
        Column("PATH", "path"),
        Column("ERROR", "error"),
    )


def _media_columns() -> tuple[Column, ...]:
    from media_cli.render import Column

    return (
        Column("SID", "sid"),
        Column("SIZE", "size", is_bytes=True),
        Column("TYPE", "content_type"),
        Column("FILENAME", "filename"),
        Column("CREATED", "date_created", is_time=True),
    )


class _Bars:
    """Rich progress bars on stderr, one per file; nothing unless stderr is a watched TTY."""

    def __init__(self, streams: Streams) -> None:
        self._progress: Any = None
        if streams.show_progress:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TransferSpeedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=streams.err_console(),
                transient=True,
            )

    def __enter__(self) -> _Bars:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def track(self, name: str, total: int | None) -> Callable[[int], None] | None:
        progress = self._progress
        if progress is None:
            return None
        task = progress.add_task(name, total=total)

        def advance(count: int) -> None:
            progress.advance(task, count)

        return advance


def _bars(streams: Streams) -> AbstractContextManager[_Bars]:
    return _Bars(streams)


def upload_chat_media(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE...", help="Files to upload (each at most 150 MB)."),
    ],
    service: ServiceOpt,
    content_type: Annotated[
        str | None,
        typer.Option(
            "--content-type",
            "-t",
            metavar="TYPE",
            help="Content-Type for every file; required when it cannot be told from the name.",
        ),
    ] = None,
    filename: Annotated[
        str | None,
        typer.Option(
            "--filename",
            metavar="NAME",
            help="The name MCS stores (default: the file's own name); one FILE only.",
        ),
    ] = None,
    multipart: Annotated[
        bool,
        typer.Option(
            "--multipart",
            help="Send multipart/form-data (as the older Chat docs show) instead of raw bytes.",
        ),
    ] = False,
    concurrency: ConcurrencyOpt = 4,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """Upload files to a Chat/Conversations service (MCS) and print the created media.

    The bytes are streamed from disk with the Content-Type guessed from the file name
    (refused if unknown: pass --content-type). Every file is checked before anything is
    sent. An upload is never retried automatically, since a POST may have created the
    media; the only exception is a connection that could not be opened at all (refused),
    when not one byte was sent. Several files upload concurrently (-j); with several, a
    failed file is reported as a result with status "failed" and the exit code is 1.

    Example:

      media-cli upload-chat photo.jpg notes.pdf --service IS0123456789abcdef0123456789abcdef
    """
    from media_cli.client import MCS_MAX_BYTES
    from media_cli.render import ItemWriter, write_object
    from media_cli.sids import check_sid
    from media_cli.uploads import (
        FAILED,
        UploadResult,
        plan_uploads,
        upload_many,
        upload_one,
    )

    app_ctx: AppContext = ctx.ensure_object(AppContext)
    mode = output_mode(app_ctx, json_flag=json_, jsonl_flag=jsonl)
    streams = app_ctx.streams
    check_sid("service", service)
    plans = plan_uploads(
        files, max_bytes=MCS_MAX_BYTES, filename=filename, content_type=content_type
    )
    client = app_ctx.client(pool_size=concurrency + 2)
    columns = _upload_columns()

    if len(plans) == 1:
        plan = plans[0]
        with _bars(streams) as bars:
            media = upload_one(
                client,
                service,
                plan,
                multipart=multipart,
                on_bytes=bars.track(plan.filename, plan.size),
            )
        write_object(streams, mode, UploadResult(plan, media=media).to_json(), columns)
        return

    writer = ItemWriter(streams, mode, columns, empty_message="Nothing uploaded.")
    failed = 0
    with _bars(streams) as bars:

        def track(plan: UploadPlan) -> Callable[[int], None] | None:
            return bars.track(plan.filename, plan.size)

        results: Iterator[UploadResult] = upload_many(
            client, service, plans, multipart=multipart, concurrency=concurrency, track=track
        )
        for result in results:
            writer.write(result.to_json())
            if result.status == FAILED:
                failed += 1
                streams.warn(f"media-cli: failed to upload {result.plan.path}: {result.error}")
    writer.finish()
    streams.warn(f"uploaded {len(plans) - failed}, failed {failed}")
    if failed:
        raise PartialFailureError(f"{failed} of {len(plans)} uploads failed", failed=failed)


def fetch_chat_media(
    ctx: typer.Context,
    service_sid: ServiceArg,
    media_sid: MediaArg,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """Show one Chat/Conversations media's metadata.

    Example:

      media-cli fetch-chat --json "$SERVICE_SID" ME0123456789abcdef0123456789abcdef
    """
    from media_cli.render import write_object
    from media_cli.sids import check_sid

    app_ctx: AppContext = ctx.ensure_object(AppContext)
    mode = output_mode(app_ctx, json_flag=json_, jsonl_flag=jsonl)
    check_sid("service", service_sid)
    check_sid("media", media_sid)
    media = app_ctx.client().get_chat_media(service_sid, media_sid)
    write_object(app_ctx.streams, mode, media.to_json(), _media_columns())


__all__ = ["UsageError", "fetch_chat_media", "upload_chat_media"]
