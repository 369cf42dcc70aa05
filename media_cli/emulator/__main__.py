"""Run the emulator: ``python -m media_cli.emulator [--port 0] [--seed demo] …``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType
from typing import Any

from media_cli.emulator.server import Emulator, EmulatorConfig
from media_cli.emulator.store import parse_datetime


def _seed(value: str) -> str | int:
    if value in ("demo", "none"):
        return value
    if value.isdigit():
        return int(value)
    raise argparse.ArgumentTypeError("use demo, none or a number of messages")


def _non_negative(kind: type[int] | type[float]) -> Any:
    def parse(value: str) -> int | float:
        try:
            number = kind(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"not a number: {value!r}") from exc
        if not number >= 0:  # also refuses nan
            raise argparse.ArgumentTypeError(f"must not be negative: {value!r}")
        return number

    return parse


def _port(value: str) -> int:
    port = int(_non_negative(int)(value))
    if port > 65535:
        raise argparse.ArgumentTypeError(f"not a port: {value!r}")
    return port


def _now(value: str) -> str:
    try:
        parse_datetime(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m media_cli.emulator",
        description="Serve a local Twilio-compatible API, MCS and CDN until SIGINT/SIGTERM.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="API port (0: any free port)")
    parser.add_argument("--mcs-port", type=_port, default=0, help="MCS port (0: any free port)")
    parser.add_argument("--cdn-port", type=_port, default=0, help="CDN port (0: any free port)")
    parser.add_argument(
        "--seed", type=_seed, default="none", help="demo, none, or N (demo data with N messages)"
    )
    parser.add_argument(
        "--latency-ms", type=_non_negative(float), default=0, help="delay added to every answer"
    )
    parser.add_argument(
        "--max-concurrency",
        type=_non_negative(int),
        default=0,
        help="429 above N requests in flight (0: no limit)",
    )
    parser.add_argument("--redirect-status", type=int, choices=(302, 307), default=307)
    parser.add_argument(
        "--retry-after",
        type=_non_negative(float),
        default=None,
        help="send Retry-After (seconds) with 429s",
    )
    parser.add_argument(
        "--url-ttl", type=float, default=4 * 3600.0, help="lifetime of signed CDN URLs (seconds)"
    )
    parser.add_argument(
        "--now", type=_now, default=None, help="anchor for demo dates (default: today 00:00 UTC)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = EmulatorConfig(
        host=args.host,
        port=args.port,
        mcs_port=args.mcs_port,
        cdn_port=args.cdn_port,
        seed=args.seed,
        latency_ms=args.latency_ms,
        max_concurrency=args.max_concurrency,
        redirect_status=args.redirect_status,
        retry_after=args.retry_after,
        url_ttl=args.url_ttl,
        now=args.now,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        # Signal handlers can only be installed from the main thread (not, say, a test runner's).
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            emulator = Emulator(config).start()
        except OSError as exc:
            print(f"emulator: cannot listen on {args.host}: {exc}", file=sys.stderr)
            return 1
        try:
            sys.stdout.write(json.dumps(emulator.info) + "\n")
            sys.stdout.flush()
            while not stop.wait(0.5):
                pass
        finally:
            emulator.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
