"""The emulator's three HTTP listeners (API, MCS, CDN) and its Python API."""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final
from urllib.parse import parse_qsl

from media_cli.emulator.routes import (
    MAX_UPLOAD_BYTES,
    App,
    BodyError,
    FaultRule,
    Request,
    RequestBody,
    Response,
    Settings,
    default_code,
    reason,
    twilio_error,
)
from media_cli.emulator.store import Store, default_anchor, parse_datetime

LISTENERS: Final = ("api", "mcs", "cdn")
_DEBUG: Final = bool(os.environ.get("MEDIA_CLI_EMULATOR_DEBUG"))


@dataclass
class EmulatorConfig:
    """Start-up settings; ``latency_ms`` to ``url_ttl`` can change at run time (POST config)."""

    host: str = "127.0.0.1"
    port: int = 0
    seed: str | int = "none"
    latency_ms: float = 0
    max_concurrency: int = 0
    redirect_status: int = 307
    retry_after: float | None = None
    url_ttl: float = 4 * 3600.0
    now: datetime | str | None = None
    mcs_port: int = 0
    cdn_port: int = 0
    max_upload_bytes: int = MAX_UPLOAD_BYTES


class _DateCache:
    """The ``Date`` header, formatted once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def get(self) -> str:
        now = int(time.time())
        if now != self._second:
            self._value = formatdate(now, usegmt=True)
            self._second = now
        return self._value


_DATES: Final = _DateCache()


_MAX_HEADERS: Final = 100


class _Headers(dict[str, str]):
    """Request header fields, looked up case-insensitively (keys stored lower-case)."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__((k.lower(), v) for k, v in items)

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], kind: str, emulator: Emulator) -> None:
        self.kind = kind
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.reset_sockets: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would resolve the host name (getfqdn); loopback needs no DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def track(self, conn: socket.socket) -> None:
        with self.conn_lock:
            self.connections.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self.conn_lock:
            self.connections.discard(conn)

    def shutdown_request(self, request: Any) -> None:
        with self.conn_lock:
            is_reset = request in self.reset_sockets
            self.reset_sockets.discard(request)
        if is_reset:
            # SO_LINGER 0 is set: a plain close sends RST (shutdown() would send FIN first).
            self.close_request(request)
            return
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.conn_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if _DEBUG:
            traceback.print_exc(file=sys.stderr)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "media-cli-emulator"
    sys_version = ""
    server: _Server
    fields: _Headers
    raw_requestline: bytes

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.untrack(self.connection)

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:
            # Client went away mid-request or mid-response: nothing to answer.
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def parse_request(self) -> bool:
        """A lean HTTP/1.x parser: the stdlib one runs every header block through email.parser."""
        line = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = line.split()
        if len(words) != 3 or words[2] not in ("HTTP/1.1", "HTTP/1.0"):
            if not super().parse_request():
                return False
            self.fields = _Headers((k, v) for k, v in self.headers.items())
            return True
        self.requestline = line
        self.command, path, self.request_version = words
        self.path = "/" + path.lstrip("/") if path.startswith("//") else path
        fields = _Headers()
        readline = self.rfile.readline
        for _ in range(_MAX_HEADERS + 1):
            raw = readline(65537)
            if raw in (b"\r\n", b"\n", b""):
                break
            if len(raw) > 65536:
                self.send_error(431, "Line too long")
                return False
            name, sep, value = raw.decode("iso-8859-1").partition(":")
            if not sep:
                self.send_error(400, "Bad header line")
                return False
            fields[name.strip()] = value.strip()
        else:
            self.send_error(431, "Too many headers")
            return False
        self.fields = fields
        connection = fields.get("Connection", "").lower()
        if self.request_version == "HTTP/1.1":
            self.close_connection = connection == "close"
        else:
            self.close_connection = connection != "keep-alive"
        expects_continue = fields.get("Expect", "").lower() == "100-continue"
        if expects_continue and self.request_version == "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    # -- the request pipeline -------------------------------------------------

    def _sleep(self, milliseconds: float) -> None:
        if milliseconds > 0:
            self.server.emulator.stop_event.wait(milliseconds / 1000.0)

    def _dispatch(self) -> None:
        server = self.server
        app = server.emulator.app
        kind = server.kind
        method = self.command
        target = self.path
        path, _, query_string = target.partition("?")
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        headers = self.fields
        req = Request(method, path, query, headers, RequestBody(self.rfile, headers), kind, target)
        self._started = False
        if kind == "api" and path.startswith("/__emulator__/"):
            self._guarded(req, lambda: app.control(req), None)
            return
        route = app.match(kind, method, path)
        token = app.stats.begin()
        counted = kind != "cdn"
        level = app.stats.enter() if counted else 0
        outcome = "error"
        throttled = False
        try:
            settings = app.settings
            if counted and settings.max_concurrency and level > settings.max_concurrency:
                throttled = True
                app.stats.leave()
                counted = False
                extra = []
                if settings.retry_after is not None:
                    extra.append(("Retry-After", _seconds(settings.retry_after)))
                self._sleep(settings.latency_ms)
                outcome = self._send(
                    req, twilio_error(429, 20429, "Too Many Requests", extra), None
                )
                return
            rule = app.faults.pick(kind, method, target)
            if rule is not None:
                if rule.action == "reset":
                    self._reset()
                    outcome = "reset"
                    return
                if rule.action == "stall":
                    self._sleep(rule.delay_ms)
                    self.close_connection = True
                    outcome = "stall"
                    return
                if rule.action == "status":
                    self._sleep(rule.delay_ms + settings.latency_ms)
                    outcome = self._send(req, _fault_response(rule), None)
                    return
                if rule.action == "delay":
                    self._sleep(rule.delay_ms)
                    rule = None
            self._sleep(settings.latency_ms)
            handler = route.handler
            outcome = self._guarded(
                req,
                (lambda: handler(req, route.params))
                if handler is not None
                else (lambda: app.not_found_response(req)),
                rule,
            )
        finally:
            if counted:
                app.stats.leave()
            app.stats.record(route.name, outcome, throttled=throttled, token=token)

    def _guarded(self, req: Request, produce: Any, mangle: FaultRule | None) -> str:
        try:
            response: Response = produce()
        except BodyError:
            self.close_connection = True
            return "error"
        except OSError:
            raise
        except Exception:
            traceback.print_exc(file=sys.stderr)
            if self._started:
                self.close_connection = True
                return "error"
            response = twilio_error(500, 20500, "Internal Server Error")
            response.close = True
        return self._send(req, response, mangle)

    def _reset(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self.server.conn_lock:
            self.server.reset_sockets.add(self.connection)
        self.close_connection = True

    def _send(self, req: Request, resp: Response, mangle: FaultRule | None) -> str:
        if mangle is not None and mangle.action == "drop_answer":
            # The request was handled (a DELETE deleted); its answer is lost on the way.
            self._reset()
            return "drop_answer"
        body = req.body
        if not body.consumed:
            if body.can_drain_cheaply():
                try:
                    body.drain()
                except BodyError:
                    resp.close = True
            else:
                resp.close = True
        if body.broken:
            resp.close = True
        if resp.close:
            self.close_connection = True
        status = resp.status
        length = resp.content_length
        bodiless = status in (204, 304) or status < 200
        lines = [f"HTTP/1.1 {status} {reason(status)}\r\n"]
        lines += [f"{name}: {value}\r\n" for name, value in resp.headers]
        if not bodiless:
            lines.append(f"Content-Length: {length}\r\n")
        lines.append(f"Date: {_DATES.get()}\r\n")
        if self.close_connection:
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        head = "".join(lines).encode("latin-1")
        write = self.wfile.write
        self._started = True
        if req.method == "HEAD" or bodiless:
            write(head)
            return str(status)
        if mangle is None:
            if resp.stream is None:
                # One write for head and body: two small writes can stall on delayed ACKs.
                write(head + resp.body)
            else:
                write(head)
                for piece in resp.stream:
                    write(piece)
            return str(status)
        # truncate / reset_body: announce the full length, send part of the body.
        budget = mangle.bytes if mangle.bytes is not None else length // 2
        budget = max(0, min(budget, max(length - 1, 0)))
        write(head)
        pieces = resp.stream if resp.stream is not None else (resp.body,)
        for piece in pieces:
            if budget <= 0:
                break
            view = memoryview(piece)[:budget]
            write(view)
            budget -= len(view)
        if mangle.action == "reset_body":
            self._reset()
        else:
            self.close_connection = True
        return mangle.action


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _fault_response(rule: FaultRule) -> Response:
    status = rule.status
    code = rule.code if rule.code is not None else default_code(status)
    message = rule.message or reason(status)
    headers: list[tuple[str, str]] = []
    if rule.retry_after is not None:
        headers.append(("Retry-After", _seconds(rule.retry_after)))
    if status == 401:
        headers.append(("WWW-Authenticate", 'Basic realm="Twilio API"'))
    if rule.body is not None:
        # Any body at all (malformed JSON, XML, a page pointing to itself) instead of the error.
        kind = rule.content_type or "application/json"
        return Response(status, [("Content-Type", kind), *headers], rule.body.encode())
    return twilio_error(status, code, message, headers)


def _anchor(now: datetime | str | None) -> datetime:
    if now is None:
        return default_anchor()
    if isinstance(now, str):
        return parse_datetime(now)
    if now.tzinfo is None:
        return now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc)


class Emulator:
    """A running Twilio emulator: ``Emulator(EmulatorConfig(seed="none")).start()``."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        cfg = self.config
        self.anchor = _anchor(cfg.now)
        self.store = Store(self.anchor)
        defaults = Settings()
        defaults.update(
            {
                "latency_ms": cfg.latency_ms,
                "max_concurrency": cfg.max_concurrency,
                "redirect_status": cfg.redirect_status,
                "retry_after": cfg.retry_after,
                "url_ttl": cfg.url_ttl,
                "max_upload_bytes": cfg.max_upload_bytes,
            }
        )
        self.app = App(self.store, defaults, seed=cfg.seed, anchor=self.anchor)
        self.stop_event = threading.Event()
        self._servers: dict[str, _Server] = {}
        self._threads: list[threading.Thread] = []

    # -- lifecycle -------------------------------------------------------

    def start(self) -> Emulator:
        if self._servers:
            return self
        self.app.reset()
        cfg = self.config
        ports = {"api": cfg.port, "mcs": cfg.mcs_port, "cdn": cfg.cdn_port}
        try:
            for kind in LISTENERS:
                self._servers[kind] = _Server((cfg.host, ports[kind]), kind, self)
        except OSError:
            for server in self._servers.values():
                server.server_close()
            self._servers.clear()
            raise
        host = f"[{cfg.host}]" if ":" in cfg.host else cfg.host
        for kind, server in self._servers.items():
            self.app.urls[kind] = f"http://{host}:{server.server_port}"
        self.app.signer.base_url = self.app.urls["cdn"]
        for kind, server in self._servers.items():
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"emulator-{kind}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self.stop_event.set()
        for server in self._servers.values():
            server.shutdown()
        for server in self._servers.values():
            server.server_close()
            server.close_connections()
        for thread in self._threads:
            thread.join(timeout=2)
        self._servers.clear()
        self._threads.clear()
        self.store.close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self, seed: str | int | None = None) -> None:
        """What ``POST __emulator__/reset`` does, without HTTP."""
        self.app.reset(seed)

    # -- addresses -------------------------------------------------------

    @property
    def info(self) -> dict[str, str]:
        """The start-up JSON line as a dict (URLs, the main account's credentials, chat service)."""
        return self.app.info()

    @property
    def api_url(self) -> str:
        return self.app.urls["api"]

    @property
    def mcs_url(self) -> str:
        return self.app.urls["mcs"]

    @property
    def cdn_url(self) -> str:
        return self.app.urls["cdn"]
