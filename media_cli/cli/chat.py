"""`media-cli upload-chat`, `fetch-chat` and `download-chat`: Chat/Conversations media (MCS)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from media_cli.cli.context import AppContext, output_mode
from media_cli.cli.options import ConcurrencyOpt, JsonlOpt, JsonOpt
from media_cli.errors import PartialFailureError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from media_cli.render import Column
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


def upload_chat_media(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE", help="Files to upload (each at most 150 MB)."),
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
    media; the exceptions are a connection that could not be opened at all (refused),
    when not one byte was sent, and a 429, which Twilio never processes. Several files
    upload concurrently (-j); with several, a failed file is reported as a result with
    status "failed" and the exit code is 1.

    Example:

      media-cli upload-chat photo.jpg notes.pdf --service "$SERVICE_SID" --json
    """
    from media_cli.client import MCS_MAX_BYTES
    from media_cli.progress import byte_callback, download_progress
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
        with byte_callback(streams, total=plan.size, description=plan.filename) as bar:
            media = upload_one(client, service, plan, multipart=multipart, on_bytes=bar.on_bytes)
        write_object(streams, mode, UploadResult(plan, media=media).to_json(), columns)
        return

    writer = ItemWriter(streams, mode, columns, empty_message="Nothing uploaded.")
    failed = 0
    with download_progress(streams, total_files=len(plans)) as display:

        def track(plan: UploadPlan) -> Callable[[int], None] | None:
            overall = display.on_bytes
            one = display.start_file(str(plan.path), plan.size)
            if overall is None or one is None:
                return overall or one

            def both(count: int) -> None:
                overall(count)
                one(count)

            return both

        results: Iterator[UploadResult] = upload_many(
            client, service, plans, multipart=multipart, concurrency=concurrency, track=track
        )
        for result in results:
            display.finish_file(str(result.plan.path), ok=result.status != FAILED)
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

      media-cli fetch-chat --json "$SERVICE_SID" "$MEDIA_SID"
    """
    from media_cli.render import write_object
    from media_cli.sids import check_sid

    app_ctx: AppContext = ctx.ensure_object(AppContext)
    mode = output_mode(app_ctx, json_flag=json_, jsonl_flag=jsonl)
    check_sid("service", service_sid)
    check_sid("media", media_sid)
    media = app_ctx.client().get_chat_media(service_sid, media_sid)
    write_object(app_ctx.streams, mode, media.to_json(), _media_columns())


def download_chat_media(
    ctx: typer.Context,
    service_sid: ServiceArg,
    media_sid: MediaArg,
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", metavar="FILE|-", help="Write to FILE, or to stdout with -."
        ),
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            "-d",
            metavar="DIR",
            help="Save into DIR as the uploaded file name made safe, else SID.ext [default: .].",
        ),
    ] = None,
    skip_existing: Annotated[
        bool, typer.Option("--skip-existing", help="Leave a file that already exists alone.")
    ] = False,
    clobber: Annotated[
        bool, typer.Option("--clobber", help="Overwrite a file that already exists.")
    ] = False,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """Download a Chat/Conversations media's bytes.

    The bytes come from the media's temporary direct link (no credentials are sent
    there), else from its /Content URL. The name the uploader chose is never used as a
    path: only its last component, made safe, inside -d DIR; without one, SID.ext. The
    file is written as NAME.part and renamed once its size is checked.

    Examples:

      media-cli download-chat "$SERVICE_SID" "$MEDIA_SID" -d media/

      media-cli download-chat "$SERVICE_SID" "$MEDIA_SID" -o - | file -
    """
    from media_cli.progress import byte_callback
    from media_cli.render import Column, human_bytes, write_object
    from media_cli.sids import check_sid
    from media_cli.uploads import chat_target, save_chat_media, stream_chat_media

    app_ctx: AppContext = ctx.ensure_object(AppContext)
    mode = output_mode(app_ctx, json_flag=json_, jsonl_flag=jsonl)
    streams = app_ctx.streams
    check_sid("service", service_sid)
    check_sid("media", media_sid)
    if output is not None and directory is not None:
        raise UsageError("give either -o/--output or -d/--dir, not both")
    if clobber and skip_existing:
        raise UsageError("--clobber and --skip-existing cannot be used together")
    if output == "-" and mode.is_json:
        raise UsageError("-o - writes the media's bytes to stdout: no --json/--jsonl")
    if output == "-" and (clobber or skip_existing):
        raise UsageError("--clobber/--skip-existing need a file, not -o -")
    raw = getattr(streams.stdout, "buffer", None) if output == "-" else None
    if output == "-" and raw is None:
        raise UsageError("stdout cannot take binary data here; use -o FILE")

    client = app_ctx.client()
    media = client.get_chat_media(service_sid, media_sid)
    with byte_callback(streams, total=media.size, description=media_sid) as bar:
        if raw is not None:
            result = stream_chat_media(client, media, raw, on_bytes=bar.on_bytes)
            streams.warn(f"downloaded {media_sid} ({human_bytes(result.size)}) to stdout")
            return
        if output is not None:
            target = Path(output)
        else:
            target = chat_target(media, directory if directory is not None else Path("."))
        result = save_chat_media(
            client,
            media,
            target,
            clobber=clobber,
            skip_existing=skip_existing,
            on_bytes=bar.on_bytes,
        )
    columns = (
        Column("SID", "sid"),
        Column("STATUS", "status"),
        Column("SIZE", "size", is_bytes=True),
        Column("PATH", "path"),
        Column("SHA256", "sha256"),
    )
    write_object(streams, mode, result.to_json(), columns)
