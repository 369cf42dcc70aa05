"""`media-cli emulator`: start the bundled Twilio-compatible server on loopback."""

from __future__ import annotations

from typing import Annotated

import typer


def run_emulator(
    host: Annotated[
        str,
        typer.Option("--host", metavar="HOST", help="Address to listen on (keep it on loopback)."),
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            "--port", min=0, max=65535, metavar="PORT", help="API port; 0 picks a free one."
        ),
    ] = 0,
    seed: Annotated[
        str,
        typer.Option(
            "--seed",
            metavar="SEED",
            help="demo (deterministic sample data), none, or a number of messages.",
        ),
    ] = "demo",
    latency_ms: Annotated[
        int, typer.Option("--latency-ms", min=0, metavar="MS", help="Added to every response.")
    ] = 0,
    max_concurrency: Annotated[
        int,
        typer.Option(
            "--max-concurrency",
            min=0,
            metavar="N",
            help="Answer 429 (20429) above this many in flight; 0: off.",
        ),
    ] = 0,
    redirect_status: Annotated[
        int,
        typer.Option(
            "--redirect-status", metavar="302|307", help="302 or 307 for content redirects."
        ),
    ] = 307,
    retry_after: Annotated[
        int | None,
        typer.Option(
            "--retry-after", min=0, metavar="S", help="Send Retry-After: S with each 429."
        ),
    ] = None,
    url_ttl: Annotated[
        float,
        typer.Option(
            "--url-ttl", min=0.1, metavar="SECONDS", help="Lifetime of signed CDN URLs, seconds."
        ),
    ] = 14400.0,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            metavar="DATE",
            help="Anchor of the demo seed's dates (default: today 00:00 UTC).",
        ),
    ] = None,
) -> None:
    """Start the bundled Twilio emulator: API, MCS and CDN listeners on loopback.

    Prints one JSON line with the URLs and demo credentials, then serves until
    Ctrl-C or SIGTERM. Control endpoints live under {api_url}/__emulator__/.

    Example:

      media-cli emulator --seed demo --latency-ms 20 > emu.json &
    """
    from media_cli.emulator.__main__ import main as emulator_main

    argv = [
        "--host", host,
        "--port", str(port),
        "--seed", seed,
        "--latency-ms", str(latency_ms),
        "--max-concurrency", str(max_concurrency),
        "--redirect-status", str(redirect_status),
        "--url-ttl", str(url_ttl),
    ]  # fmt: skip
    if retry_after is not None:
        argv += ["--retry-after", str(retry_after)]
    if now is not None:
        argv += ["--now", now]
    raise typer.Exit(emulator_main(argv))
