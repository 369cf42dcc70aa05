"""media_cli.transport over real loopback HTTP: connection reuse and draining, replays,
timeouts, truncated and gzip bodies, streamed uploads, header and URL checks, TLS.

Every server here runs in the test on 127.0.0.1 and counts what it saw (connections accepted
and ended, requests, bytes): the assertions are about what reached the wire, not about the
pool's internals. ``LoopbackServer`` is a well-behaved HTTP/1.1 server; ``RawServer`` runs a
script per connection for the misbehaviour (closing without answering, stalling, truncating).
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import gzip
import hashlib
import io
import ipaddress
import json
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pytest

from media_cli.transport import (
    DRAIN_LIMIT,
    SEND_BLOCK,
    Headers,
    Pool,
    Proxy,
    TransportError,
    origin_of,
    proxy_for,
)

WAIT: Final = 5.0  # seconds any wait for the other side allows before the test fails
# A server gives up on a silent client only well after WAIT, so that a connection the server
# saw end was ended by the client, never by this timeout.
SERVER_IDLE: Final = 3 * WAIT


# -- a well-behaved HTTP/1.1 server ------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One request as the server read it."""

    connection: int
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        """Every value of a field, in order (a repeated field gives several)."""
        return [value for key, value in self.headers if key.lower() == name.lower()]


Route = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless a route says otherwise
    timeout = SERVER_IDLE  # a connection a test forgot ends by itself
    server: LoopbackServer
    body: bytes  # the request's, for routes

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests assert on what the server recorded."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.body = self.rfile.read(length) if length else b""
        number = self.server.number_of(self.request)
        seen = Seen(number, self.command, self.path, list(self.headers.items()), body)
        self.server.record(seen)
        route = self.server.routes.get(urlsplit(self.path).path)
        if route is None:
            self.reply(404, b"no such route")
        else:
            route(self)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _serve

    def reply(self, status: int, body: bytes, *fields: tuple[str, str]) -> None:
        """An answer with a Content-Length (the body's, unless ``fields`` give one)."""
        self.send_response(status)
        for name, value in fields:
            self.send_header(name, value)
        if not any(name.lower() == "content-length" for name, _ in fields):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class LoopbackServer(ThreadingHTTPServer):
    """Counts connections accepted and ended (after the server-side socket is closed)."""

    daemon_threads = False  # server_close() joins every handler thread
    block_on_close = True

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.port: int = self.socket.getsockname()[1]
        self.routes: dict[str, Route] = {}
        self.changed = threading.Condition()
        self.accepted = 0
        self.ended = 0
        self.requests: list[Seen] = []
        self._numbers: dict[object, int] = {}
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def server_bind(self) -> None:
        # HTTPServer.server_bind would resolve the host name (getfqdn); loopback needs no DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.socket.getsockname()[1]

    def url(self, path: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.changed:
            self.accepted += 1
            self._numbers[request] = self.accepted
            self.changed.notify_all()
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        try:
            super().shutdown_request(request)
        finally:
            with self.changed:
                self.ended += 1
                self._numbers.pop(request, None)
                self.changed.notify_all()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: some tests hang up in the middle of an answer on purpose."""

    def number_of(self, request: object) -> int:
        with self.changed:
            return self._numbers[request]

    def record(self, seen: Seen) -> None:
        with self.changed:
            self.requests.append(seen)
            self.changed.notify_all()

    def wait_until(self, predicate: Callable[[], bool]) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, WAIT)

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self._thread.join(WAIT)
        with self.changed:
            still_open = list(self._numbers)
        for request in still_open:  # wake handlers blocked on a connection a test left open
            if isinstance(request, socket.socket):
                with contextlib.suppress(OSError):  # closed already
                    request.shutdown(socket.SHUT_RDWR)
        self.server_close()


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    running = LoopbackServer().start()
    try:
        yield running
    finally:
        running.stop()


def _payload(size: int) -> bytes:
    """``size`` bytes that are not all alike (a misplaced block would show)."""
    block = hashlib.sha256(str(size).encode()).digest() * (size // 32 + 1)
    return bytes(b ^ (i & 0xFF) for i, b in enumerate(block[:size]))


def _ok(body: bytes, *fields: tuple[str, str]) -> Route:
    def route(handler: Handler) -> None:
        handler.reply(200, body, *fields)

    return route


def _then_close(body: bytes) -> Route:
    """Answer as keep-alive (no ``Connection: close``), then close the connection anyway."""

    def route(handler: Handler) -> None:
        handler.reply(200, body)
        handler.close_connection = True

    return route


# -- a server for misbehaviour -----------------------------------------------------------------


class RawConnection:
    """One accepted connection of a RawServer, with a request reader."""

    def __init__(self, server: RawServer, sock: socket.socket, number: int) -> None:
        self.server = server
        self.sock = sock
        self.number = number
        self._buffer = b""

    def read_request(self) -> str | None:
        """The next request line (its head and body read); None if the client closed first."""
        while b"\r\n\r\n" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self._buffer += chunk
            if len(self._buffer) > 1 << 20:
                raise AssertionError("a request head larger than 1 MiB")
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        while len(rest) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        self._buffer = rest[length:]
        request_line = lines[0].rsplit(" ", 1)[0]  # "GET /path", without "HTTP/1.1"
        self.server.record(request_line, rest[:length])
        return request_line

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def wait_for_eof(self) -> None:
        """Until the client closes (or SERVER_IDLE passes): a server that never answers."""
        try:
            while self.sock.recv(65536):
                pass
        except OSError:
            pass


def _answer(body: bytes, *fields: str, status: str = "200 OK", length: int | None = None) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body) if length is None else length}"]
    return ("\r\n".join([*head, *fields]) + "\r\n\r\n").encode("latin-1") + body


Script = Callable[[RawConnection], None]


class RawServer:
    """Accepts on 127.0.0.1 and runs ``script`` on each connection in its own thread."""

    def __init__(self, script: Script) -> None:
        self._script = script
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self.changed = threading.Condition()
        self.accepted = 0
        self.ended = 0
        self.requests: list[str] = []
        self.bodies: list[bytes] = []
        self._stop = threading.Event()
        self.stop_listening = threading.Event()  # a script sets it: the port then refuses
        self.not_listening = threading.Event()
        self._open: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def record(self, request_line: str, body: bytes) -> None:
        with self.changed:
            self.requests.append(request_line)
            self.bodies.append(body)
            self.changed.notify_all()

    def wait_until(self, predicate: Callable[[], bool]) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, WAIT)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            if self.stop_listening.is_set():
                self._listener.close()
                self.not_listening.set()
                return
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(SERVER_IDLE)
            with self.changed:
                self.accepted += 1
                number = self.accepted
                self._open.append(sock)
                self.changed.notify_all()
            thread = threading.Thread(target=self._run, args=(sock, number), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self, sock: socket.socket, number: int) -> None:
        try:
            self._script(RawConnection(self, sock, number))
        except OSError:
            pass
        finally:
            sock.close()
            with self.changed:
                self.ended += 1
                self.changed.notify_all()

    def close(self) -> None:
        self._stop.set()
        self._acceptor.join(WAIT)
        self._listener.close()
        with self.changed:
            still_open = list(self._open)
        for sock in still_open:
            with contextlib.suppress(OSError):  # closed already
                sock.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(WAIT)


@pytest.fixture
def raw_server() -> Iterator[Callable[[Script], RawServer]]:
    """A factory: ``raw_server(script)`` starts one; every one is closed after the test."""
    started: list[RawServer] = []

    def start(script: Script) -> RawServer:
        started.append(RawServer(script))
        return started[-1]

    try:
        yield start
    finally:
        for one in started:
            one.close()


def _get(pool: Pool, url: str) -> bytes:
    with pool.request("GET", url) as response:
        assert response.status_code == 200
        return response.content


class Chunks:
    """A body with ``read(n)`` only (no length, no seek) that records what it was asked."""

    def __init__(self, data: bytes, *, fail_after: int | None = None) -> None:
        self._data = data
        self._at = 0
        self._fail_after = fail_after
        self.asked: list[int] = []

    def read(self, n: int = -1, /) -> bytes:
        self.asked.append(n)
        if self._fail_after is not None and self._at >= self._fail_after:
            raise RuntimeError("the file shrank")
        end = len(self._data) if n < 0 else self._at + n
        chunk = self._data[self._at : end]
        self._at += len(chunk)
        return chunk


@pytest.fixture
def pool() -> Iterator[Pool]:
    made = Pool(timeout=(2, 5), user_agent="media-cli-tests/1")
    try:
        yield made
    finally:
        made.close()


# -- connection reuse and draining -------------------------------------------------------------


def test_sequential_requests_share_one_connection(server: LoopbackServer, pool: Pool) -> None:
    server.routes["/a"] = _ok(b"alpha")
    with pool.request("GET", server.url("/a")) as first:
        assert first.content == b"alpha"
        assert not first.replayed
    server.requests.clear()
    server.routes["/b"] = _ok(b"bravo")
    assert _get(pool, server.url("/a")) == b"alpha"
    assert _get(pool, server.url("/b")) == b"bravo"
    assert _get(pool, server.url("/a?again=1")) == b"alpha"
    assert server.accepted == 1
    assert [(s.connection, s.target) for s in server.requests] == [
        (1, "/a"),
        (1, "/b"),
        (1, "/a?again=1"),
    ]


def test_error_status_is_an_answer_and_keeps_the_connection(
    server: LoopbackServer, pool: Pool
) -> None:
    server.routes["/ok"] = _ok(b"fine")
    with pool.request("GET", server.url("/missing")) as response:
        assert response.status_code == 404
        assert response.reason == "Not Found"
        assert response.content == b"no such route"
    assert _get(pool, server.url("/ok")) == b"fine"
    assert server.accepted == 1


@pytest.mark.parametrize(
    ("size", "connections"),
    [(0, 1), (1000, 1), (DRAIN_LIMIT, 1), (DRAIN_LIMIT + 1, 2), (16 * DRAIN_LIMIT, 2)],
)
def test_unread_body_is_drained_on_close_only_when_small(
    server: LoopbackServer, pool: Pool, size: int, connections: int
) -> None:
    server.routes["/body"] = _ok(_payload(size))
    server.routes["/next"] = _ok(b"next")
    with pool.request("GET", server.url("/body")) as response:
        assert response.status_code == 200
        assert response.headers["Content-Length"] == str(size)
    if connections == 2:  # the client dropped the connection rather than read it all
        assert server.wait_until(lambda: server.ended == 1)
    assert _get(pool, server.url("/next")) == b"next"
    assert server.accepted == connections
    assert [s.connection for s in server.requests] == [1, connections]


@pytest.mark.parametrize(("read_first", "connections"), [(200_000 - 1000, 1), (1000, 2)])
def test_partly_read_body_is_drained_when_what_is_left_is_small(
    server: LoopbackServer, pool: Pool, read_first: int, connections: int
) -> None:
    body = _payload(200_000)
    server.routes["/body"] = _ok(body)
    server.routes["/next"] = _ok(b"next")
    got = bytearray()
    buffer = bytearray(65536)
    with pool.request("GET", server.url("/body")) as response:
        assert response.remaining == len(body)
        while len(got) < read_first:
            want = min(len(buffer), read_first - len(got))
            count = response.readinto(memoryview(buffer)[:want])
            assert count > 0
            got += buffer[:count]
        assert response.remaining == len(body) - read_first
    assert bytes(got) == body[:read_first]
    assert _get(pool, server.url("/next")) == b"next"
    assert server.accepted == connections


def _chunked(*parts: bytes) -> Route:
    def route(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for part in parts:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        handler.wfile.write(b"0\r\n\r\n")

    return route


@pytest.mark.parametrize(("read", "connections"), [(True, 1), (False, 2)])
def test_chunked_body_keeps_its_connection_only_when_read_to_its_end(
    server: LoopbackServer, pool: Pool, read: bool, connections: int
) -> None:
    server.routes["/chunked"] = _chunked(b"hello", b" ", b"world")
    server.routes["/next"] = _ok(b"next")
    with pool.request("GET", server.url("/chunked")) as response:
        assert "Content-Length" not in response.headers
        assert response.remaining is None
        if read:
            assert list(response.iter_chunks(4)) == [b"hell", b"o wo", b"rld"]
    assert _get(pool, server.url("/next")) == b"next"
    assert server.accepted == connections


def test_answer_with_connection_close_is_not_reused(
    raw_server: Callable[[Script], RawServer], pool: Pool
) -> None:
    """Even when the server, having said ``Connection: close``, keeps the connection open."""

    def script(conn: RawConnection) -> None:
        while conn.read_request() is not None:
            conn.send(_answer(b"said close", "Connection: close"))

    raw = raw_server(script)
    assert _get(pool, raw.url("/one")) == b"said close"
    assert _get(pool, raw.url("/two")) == b"said close"
    assert raw.accepted == 2
    assert raw.requests == ["GET /one", "GET /two"]


def test_http_1_0_answer_is_read_to_eof_and_not_reused(
    raw_server: Callable[[Script], RawServer], pool: Pool
) -> None:
    def script(conn: RawConnection) -> None:
        if conn.read_request() is not None:
            conn.send(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")

    raw = raw_server(script)
    assert _get(pool, raw.url("/one")) == b"until the end"
    assert _get(pool, raw.url("/two")) == b"until the end"
    assert raw.accepted == 2


def test_head_answer_has_no_body_and_keeps_the_connection(
    server: LoopbackServer, pool: Pool
) -> None:
    body = _payload(5000)
    server.routes["/file"] = _ok(body)
    url = server.url("/file")
    with pool.request("HEAD", url) as response:
        assert response.status_code == 200
        assert response.headers["Content-Length"] == "5000"
        assert response.content == b""
    with pool.request("HEAD", url) as response:
        assert list(response.iter_chunks(1024)) == []
    with pool.request("HEAD", url) as response:
        assert response.status_code == 200  # closed unread
    assert _get(pool, url) == body
    assert server.accepted == 1
    assert [s.method for s in server.requests] == ["HEAD", "HEAD", "HEAD", "GET"]


def test_connection_the_server_closed_while_idle_is_not_reused(
    server: LoopbackServer, pool: Pool
) -> None:
    server.routes["/bye"] = _then_close(b"bye")
    server.routes["/next"] = _ok(b"next")
    assert _get(pool, server.url("/bye")) == b"bye"
    assert server.wait_until(lambda: server.ended == 1)
    assert _get(pool, server.url("/next")) == b"next"
    assert server.accepted == 2
    assert [(s.connection, s.target) for s in server.requests] == [(1, "/bye"), (2, "/next")]


def _upload(handler: Handler) -> None:
    handler.reply(201, hashlib.sha256(handler.body).hexdigest().encode())


def test_streamed_post_after_the_server_closed_the_idle_connection_uses_a_new_one(
    server: LoopbackServer, pool: Pool
) -> None:
    """A streamed body is never sent twice, so this passes only if the pool notices the closed
    connection before it writes a byte on it."""
    data = _payload(2 * SEND_BLOCK + 17)
    server.routes["/bye"] = _then_close(b"bye")
    server.routes["/upload"] = _upload
    assert _get(pool, server.url("/bye")) == b"bye"
    assert server.wait_until(lambda: server.ended == 1)
    headers = {"Content-Length": str(len(data))}
    with pool.request("POST", server.url("/upload"), headers=headers, body=Chunks(data)) as sent:
        assert sent.status_code == 201
        assert sent.text == hashlib.sha256(data).hexdigest()
    assert server.accepted == 2
    posts = [s for s in server.requests if s.method == "POST"]
    assert [(s.connection, len(s.body)) for s in posts] == [(2, len(data))]
    assert posts[0].body == data


def test_every_stale_idle_connection_is_skipped(server: LoopbackServer, pool: Pool) -> None:
    server.routes["/bye"] = _then_close(b"bye")
    server.routes["/upload"] = _upload
    with (
        pool.request("GET", server.url("/bye")) as first,
        pool.request("GET", server.url("/bye")) as second,
    ):
        assert (first.content, second.content) == (b"bye", b"bye")
    assert server.accepted == 2  # open at the same time: two connections, both pooled
    assert server.wait_until(lambda: server.ended == 2)
    data = b"after two stale connections"
    headers = {"Content-Length": str(len(data))}
    with pool.request("POST", server.url("/upload"), headers=headers, body=Chunks(data)) as sent:
        assert sent.status_code == 201
    assert server.accepted == 3
    assert server.requests[-1].body == data


# -- replays -------------------------------------------------------------------------------------


def _answers_once_then_hangs_up(conn: RawConnection) -> None:
    """The first connection answers one request, then reads the next and closes unanswered
    (a keep-alive timeout racing the client); later connections answer everything."""
    if conn.number == 1:
        if conn.read_request() is not None:
            conn.send(_answer(b"first"))
            conn.read_request()
        return
    while conn.read_request() is not None:
        conn.send(_answer(b"fresh"))


@pytest.mark.parametrize("method", ["GET", "DELETE", "OPTIONS"])
def test_idempotent_request_is_replayed_once_on_a_new_connection(
    raw_server: Callable[[Script], RawServer], pool: Pool, method: str
) -> None:
    raw = raw_server(_answers_once_then_hangs_up)
    assert _get(pool, raw.url("/first")) == b"first"
    with pool.request(method, raw.url("/again")) as response:
        assert response.status_code == 200
        assert response.content == b"fresh"
        assert response.replayed  # the server may have carried out the first attempt too
    assert raw.accepted == 2
    assert raw.requests == ["GET /first", f"{method} /again", f"{method} /again"]


@pytest.mark.parametrize(
    ("method", "streamed"),
    [("POST", False), ("PUT", False), ("PATCH", False), ("GET", True), ("DELETE", True)],
)
def test_request_that_cannot_be_replayed_fails_when_the_reused_connection_drops(
    raw_server: Callable[[Script], RawServer], pool: Pool, method: str, streamed: bool
) -> None:
    """Not idempotent, or its streamed body is spent: the server may have acted on it."""
    raw = raw_server(_answers_once_then_hangs_up)
    assert _get(pool, raw.url("/first")) == b"first"
    body = Chunks(b"payload") if streamed else b"payload"
    with pytest.raises(TransportError) as caught:
        pool.request(method, raw.url("/again"), headers={"Content-Length": "7"}, body=body)
    assert caught.value.connected is True
    assert "closed the connection without answering" in str(caught.value)
    time.sleep(0.2)  # room for a wrong second attempt to show
    assert raw.accepted == 1
    assert raw.requests == ["GET /first", f"{method} /again"]
    assert raw.bodies[1] == b"payload"


def test_read_timeout_on_a_reused_connection_is_not_replayed(
    raw_server: Callable[[Script], RawServer],
) -> None:
    """A slow answer is no sign of a connection the server closed: the request may be running."""

    def script(conn: RawConnection) -> None:
        if conn.read_request() is not None:
            conn.send(_answer(b"first"))
            if conn.read_request() is not None:
                conn.wait_for_eof()

    raw = raw_server(script)
    pool = Pool(timeout=(2, 0.5))
    try:
        assert _get(pool, raw.url("/first")) == b"first"
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            pool.request("GET", raw.url("/slow"))
        elapsed = time.monotonic() - started
    finally:
        pool.close()
    assert caught.value.connected is True
    assert "timed out" in str(caught.value)
    assert elapsed < 1.5  # one read timeout, not two
    time.sleep(0.2)
    assert raw.accepted == 1
    assert raw.requests == ["GET /first", "GET /slow"]


def test_a_request_is_replayed_at_most_once(
    raw_server: Callable[[Script], RawServer], pool: Pool
) -> None:
    def script(conn: RawConnection) -> None:
        if conn.read_request() is not None and conn.number == 1:
            conn.send(_answer(b"first"))
            conn.read_request()
        # every request after the first is read and left unanswered

    raw = raw_server(script)
    assert _get(pool, raw.url("/first")) == b"first"
    with pytest.raises(TransportError) as caught:
        pool.request("GET", raw.url("/again"))
    assert caught.value.connected is True
    time.sleep(0.2)
    assert raw.accepted == 2
    assert raw.requests == ["GET /first", "GET /again", "GET /again"]


def test_replay_that_cannot_connect_still_says_the_request_was_sent(
    raw_server: Callable[[Script], RawServer], pool: Pool
) -> None:
    """The DELETE reached the server on the reused connection (which may have acted on it);
    that the replay then finds the port closed does not make it unsent."""

    def script(conn: RawConnection) -> None:
        if conn.read_request() is None:
            return
        conn.send(_answer(b"first"))
        if conn.read_request() is not None:  # the DELETE: stop listening, then hang up
            conn.server.stop_listening.set()
            conn.server.not_listening.wait(WAIT)

    raw = raw_server(script)
    assert _get(pool, raw.url("/first")) == b"first"
    with pytest.raises(TransportError) as caught:
        pool.request("DELETE", raw.url("/media/ME1"))
    assert raw.requests == ["GET /first", "DELETE /media/ME1"]
    assert "cannot connect" in str(caught.value)
    assert caught.value.connected is True


# -- failures below HTTP -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_refused_port_is_an_error_before_any_connection(pool: Pool, method: str) -> None:
    body = Chunks(b"never read")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))  # bound but not listening: a connect is refused
        port = holder.getsockname()[1]
        url = f"http://127.0.0.1:{port}/media/ME1?Signature=secret-token"
        with pytest.raises(TransportError) as caught:
            pool.request(method, url, headers={"Content-Length": "10"}, body=body)
    assert caught.value.connected is False
    assert caught.value.proxied is False
    message = str(caught.value)
    assert f"cannot connect to 127.0.0.1:{port}" in message
    assert "secret-token" not in message
    assert "/media" not in message
    assert body.asked == []


def test_server_that_never_answers_is_a_read_timeout(
    raw_server: Callable[[Script], RawServer],
) -> None:
    def script(conn: RawConnection) -> None:
        if conn.read_request() is not None:
            conn.wait_for_eof()

    raw = raw_server(script)
    pool = Pool(timeout=(2, 0.5))
    try:
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            pool.request("GET", raw.url("/slow"))
        elapsed = time.monotonic() - started
    finally:
        pool.close()
    assert caught.value.connected is True
    assert "timed out" in str(caught.value)
    assert 0.4 <= elapsed < 2.0
    assert raw.requests == ["GET /slow"]
    assert raw.wait_until(lambda: raw.ended == 1)  # the client dropped the connection


@pytest.mark.parametrize("how", ["readinto", "close"])
def test_body_that_stalls_times_out_and_drops_its_connection(
    raw_server: Callable[[Script], RawServer], how: str
) -> None:
    def script(conn: RawConnection) -> None:
        while (line := conn.read_request()) is not None:
            if line.endswith("/next"):
                conn.send(_answer(b"next"))
            else:
                conn.send(_answer(b"0123456789", length=100))  # 90 bytes never come
                conn.wait_for_eof()
                return

    raw = raw_server(script)
    pool = Pool(timeout=(2, 0.5))
    try:
        started = time.monotonic()
        with pool.request("GET", raw.url("/stall")) as response:
            if how == "readinto":
                with pytest.raises(TransportError) as caught:
                    response.readinto(bytearray(100))
                assert caught.value.connected is True
                assert "timed out" in str(caught.value)
        # close() gave up on the drain after the read timeout, without raising
        assert time.monotonic() - started < 2.0
        assert raw.wait_until(lambda: raw.ended == 1)
        assert _get(pool, raw.url("/next")) == b"next"
    finally:
        pool.close()
    assert raw.accepted == 2


def _truncating(conn: RawConnection) -> None:
    """Answers /ok; anything else gets 400 of the 1000 bytes it announces, then a close."""
    while (line := conn.read_request()) is not None:
        if line.endswith("/ok"):
            conn.send(_answer(b"fine"))
        else:
            conn.send(_answer(b"x" * 400, length=1000))
            return


def test_truncated_body_read_whole_is_a_transport_error(
    raw_server: Callable[[Script], RawServer], pool: Pool
) -> None:
    raw = raw_server(_truncating)
    with pool.request("GET", raw.url("/cut")) as response:
        assert response.status_code == 200
        with pytest.raises(TransportError) as caught:
            response.json()
    assert caught.value.connected is True
    assert "after 400 bytes" in str(caught.value)
    assert _get(pool, raw.url("/ok")) == b"fine"
    assert raw.accepted == 2


def test_truncated_body_streamed_is_a_transport_error(
    raw_server: Callable[[Script], RawServer], pool: Pool
) -> None:
    raw = raw_server(_truncating)
    buffer = bytearray(1000)
    with pool.request("GET", raw.url("/cut")) as response:
        assert response.readinto(buffer) == 400
        assert response.remaining == 600
        with pytest.raises(TransportError) as caught:
            response.readinto(buffer)
    assert caught.value.connected is True
    assert "closed 600 bytes before the end of the body" in str(caught.value)
    with pool.request("GET", raw.url("/cut")) as response, pytest.raises(TransportError):
        b"".join(response.iter_chunks(256))
    assert _get(pool, raw.url("/ok")) == b"fine"
    assert raw.accepted == 3


def test_truncated_small_body_closed_unread_drops_its_connection_quietly(
    raw_server: Callable[[Script], RawServer], pool: Pool
) -> None:
    raw = raw_server(_truncating)
    with pool.request("GET", raw.url("/cut")) as response:
        assert response.status_code == 200
    assert _get(pool, raw.url("/ok")) == b"fine"
    assert raw.accepted == 2


# -- bodies received -----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "GZIP"])
def test_gzip_encoded_json_is_decoded(server: LoopbackServer, pool: Pool, encoding: str) -> None:
    document = {"sid": "ME1", "sizes": [1, 2, 3], "name": "café", "padding": "x" * 5000}
    encoded = gzip.compress(json.dumps(document).encode())
    fields = (("Content-Type", "application/json"), ("Content-Encoding", encoding))
    server.routes["/doc"] = _ok(encoded, *fields)
    with pool.request("GET", server.url("/doc")) as response:
        assert response.headers["Content-Length"] == str(len(encoded))
        assert response.json() == document
    assert server.requests[0].header("Accept-Encoding") == ["gzip"]


def test_body_that_is_not_gzip_is_a_transport_error(server: LoopbackServer, pool: Pool) -> None:
    server.routes["/bad"] = _ok(b"not gzip at all", ("Content-Encoding", "gzip"))
    server.routes["/next"] = _ok(b"next")
    with (
        pool.request("GET", server.url("/bad")) as response,
        pytest.raises(TransportError) as caught,
    ):
        response.json()
    assert caught.value.connected is True
    assert "not valid gzip" in str(caught.value)
    assert _get(pool, server.url("/next")) == b"next"
    assert server.accepted == 1  # the body was read to its end: the connection is fine


def test_json_of_a_body_that_is_not_json_is_a_value_error(
    server: LoopbackServer, pool: Pool
) -> None:
    server.routes["/html"] = _ok(b"<html>busy</html>", ("Content-Type", "text/html"))
    with (
        pool.request("GET", server.url("/html")) as response,
        pytest.raises(ValueError, match="Expecting value"),
    ):
        response.json()


@pytest.mark.parametrize(
    ("content_type", "body", "text"),
    [
        ("text/plain; charset=ISO-8859-1", "café".encode("latin-1"), "café"),
        ('text/plain; format=flowed; charset="utf-16"', "ok €".encode("utf-16"), "ok €"),
        ("text/plain", "naïve".encode(), "naïve"),
        ("text/plain; charset=no-such-codec", "über".encode(), "über"),
        ("text/plain; charset=utf-8", b"bad \xff byte", "bad \ufffd byte"),
    ],
)
def test_text_honours_the_charset(
    server: LoopbackServer, pool: Pool, content_type: str, body: bytes, text: str
) -> None:
    server.routes["/text"] = _ok(body, ("Content-Type", content_type))
    with pool.request("GET", server.url("/text")) as response:
        assert response.text == text


# -- requests sent -------------------------------------------------------------------------------


def test_default_and_caller_headers_are_sent(server: LoopbackServer, pool: Pool) -> None:
    server.routes["/a"] = _ok(b"a")
    assert _get(pool, server.url("/a")) == b"a"
    with pool.request("POST", server.url("/a"), body=b"abc") as response:
        assert response.status_code == 200
    with pool.request("POST", server.url("/a"), headers={"X-Trace": "t-1"}) as response:
        assert response.status_code == 200
    with pool.request("GET", server.url("/a"), headers={"Accept-Encoding": "identity"}) as got:
        assert got.status_code == 200
    get, post, empty_post, identity = server.requests
    assert get.header("Host") == [f"127.0.0.1:{server.port}"]
    assert get.header("User-Agent") == ["media-cli-tests/1"]
    assert get.header("Accept") == ["*/*"]
    assert get.header("Accept-Encoding") == ["gzip"]
    assert get.header("Content-Length") == []
    assert (post.header("Content-Length"), post.body) == (["3"], b"abc")
    assert (empty_post.header("Content-Length"), empty_post.body) == (["0"], b"")
    assert empty_post.header("X-Trace") == ["t-1"]
    assert identity.header("Accept-Encoding") == ["identity"]


def test_caller_header_replaces_a_default_whatever_its_case(
    server: LoopbackServer, pool: Pool
) -> None:
    server.routes["/a"] = _ok(b"a")
    headers = {"accept-encoding": "identity", "user-agent": "other/2", "content-length": "3"}
    with pool.request("POST", server.url("/a"), headers=headers, body=b"abc") as response:
        assert response.status_code == 200
    (seen,) = server.requests
    assert seen.header("Accept-Encoding") == ["identity"]
    assert seen.header("User-Agent") == ["other/2"]
    assert seen.header("Content-Length") == ["3"]


@pytest.mark.parametrize(
    ("path", "params", "target"),
    [
        ("/q?a=1", {"b": "x y&z"}, "/q?a=1&b=x+y%26z"),
        ("/q", {"c": "é/ü", "d": "1"}, "/q?c=%C3%A9%2F%C3%BC&d=1"),
        ("", {"e": "2"}, "/?e=2"),
        ("/q?a=1", None, "/q?a=1"),
        ("/q", {}, "/q"),
        ("/q?a=1#fragment", {"b": "2"}, "/q?a=1&b=2"),
    ],
)
def test_params_are_encoded_and_appended_to_the_query(
    server: LoopbackServer, pool: Pool, path: str, params: dict[str, str] | None, target: str
) -> None:
    with pool.request("GET", server.url(path), params=params) as response:
        assert response.status_code == 404  # no route: only the target matters
    assert [s.target for s in server.requests] == [target]


def test_streamed_body_is_sent_whole_in_blocks(server: LoopbackServer, pool: Pool) -> None:
    data = _payload(2 * SEND_BLOCK + 12345)
    server.routes["/upload"] = _upload
    body = Chunks(data)
    headers = {"Content-Length": str(len(data)), "Content-Type": "application/octet-stream"}
    with pool.request("POST", server.url("/upload"), headers=headers, body=body) as response:
        assert response.status_code == 201
        assert response.text == hashlib.sha256(data).hexdigest()
    (seen,) = server.requests
    assert seen.header("Content-Length") == [str(len(data))]
    assert seen.body == data
    assert len(body.asked) >= 3
    assert all(0 < n <= SEND_BLOCK for n in body.asked)  # never read(-1): never all in memory


def test_file_body_with_a_lower_case_content_length_is_sent(
    server: LoopbackServer, pool: Pool, tmp_path: Path
) -> None:
    data = _payload(300_000)
    path = tmp_path / "media.bin"
    path.write_bytes(data)
    server.routes["/upload"] = _upload
    with (
        path.open("rb") as handle,
        pool.request(
            "PUT", server.url("/upload"), headers={"content-length": str(len(data))}, body=handle
        ) as response,
    ):
        assert response.text == hashlib.sha256(data).hexdigest()
    assert server.requests[0].body == data
    assert server.requests[0].header("Content-Length") == [str(len(data))]


def test_streamed_body_without_content_length_is_refused(
    server: LoopbackServer, pool: Pool
) -> None:
    server.routes["/a"] = _ok(b"a")
    body = Chunks(b"data")
    with pytest.raises(ValueError, match="Content-Length"):
        pool.request("POST", server.url("/upload"), body=body)
    with pytest.raises(ValueError, match="Content-Length"):
        pool.request("PUT", server.url("/upload"), body=io.BytesIO(b"data"))
    assert body.asked == []
    assert _get(pool, server.url("/a")) == b"a"
    assert [s.target for s in server.requests] == ["/a"]  # nothing was sent before


def test_error_of_a_streamed_body_propagates_and_drops_the_connection(
    server: LoopbackServer, pool: Pool
) -> None:
    size = 3 * SEND_BLOCK
    server.routes["/upload"] = _upload
    server.routes["/a"] = _ok(b"a")
    assert _get(pool, server.url("/a")) == b"a"  # a pooled connection the upload reuses
    body = Chunks(_payload(size), fail_after=SEND_BLOCK)
    with pytest.raises(RuntimeError, match="shrank"):
        pool.request(
            "POST", server.url("/upload"), headers={"Content-Length": str(size)}, body=body
        )
    assert server.wait_until(lambda: server.ended == 1)
    assert _get(pool, server.url("/a")) == b"a"
    assert server.accepted == 2
    assert [(s.connection, s.method, len(s.body)) for s in server.requests] == [
        (1, "GET", 0),
        (1, "POST", SEND_BLOCK),
        (2, "GET", 0),
    ]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Note": "a\r\nX-Injected: 1"},
        {"X-Note": "a\nX-Injected: 1"},
        {"X-Note": "trailing\r"},
        {"X-Note\r\nX-Injected": "1"},
    ],
)
def test_header_with_a_line_break_is_refused(
    server: LoopbackServer, pool: Pool, headers: dict[str, str]
) -> None:
    server.routes["/a"] = _ok(b"a")
    with pytest.raises(ValueError, match="line break"):
        pool.request("GET", server.url("/a"), headers=headers)
    assert _get(pool, server.url("/a")) == b"a"
    assert [s.target for s in server.requests] == ["/a"]
    assert server.requests[0].header("X-Injected") == []


def test_user_agent_with_a_line_break_is_refused(server: LoopbackServer) -> None:
    pool = Pool(user_agent="media-cli\r\nX-Injected: 1")
    try:
        with pytest.raises(ValueError, match="line break"):
            pool.request("GET", server.url("/a"))
    finally:
        pool.close()
    assert server.requests == []


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("ftp://127.0.0.1/file", r"not an http\(s\) URL: ftp"),
        ("file:///etc/hosts", r"not an http\(s\) URL: file"),
        ("/relative/path", r"not an http\(s\) URL: no scheme"),
        ("http:///no-host", "no host"),
        ("http://127.0.0.1:99999/", "out of range"),
        ("http://127.0.0.1:port/", "port"),
    ],
)
def test_url_that_is_not_http_is_refused(pool: Pool, url: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        pool.request("GET", url)
    with pytest.raises(ValueError, match=match):
        origin_of(url)


# (A tab or line break is dropped by urlsplit, as WHATWG URL parsing does, so not refused.)
@pytest.mark.parametrize("path", ["/a b", "/nul\x00", "/del\x7f", "/ok?q=a b"])
def test_url_with_spaces_or_control_characters_is_refused_before_connecting(
    server: LoopbackServer, pool: Pool, path: str
) -> None:
    with pytest.raises(ValueError, match="spaces or control characters"):
        pool.request("GET", server.url(path))
    assert server.accepted == 0


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://127.0.0.1/x", ("http", "127.0.0.1", 80)),
        ("HTTPS://LocalHost/x?y=1#z", ("https", "localhost", 443)),
        ("http://[::1]:8080/", ("http", "::1", 8080)),
        ("https://user:secret@127.0.0.1:8443", ("https", "127.0.0.1", 8443)),
    ],
)
def test_origin_of(url: str, origin: tuple[str, str, int]) -> None:
    assert origin_of(url) == origin


# -- headers received ----------------------------------------------------------------------------


def test_headers_are_case_insensitive_and_join_repeated_fields() -> None:
    headers = Headers(
        [("Set-Cookie", "a=1"), ("Content-Type", "text/plain"), ("set-cookie", "b=2")]
    )
    assert headers["SET-COOKIE"] == "a=1, b=2"
    assert headers["content-type"] == "text/plain"
    assert list(headers) == ["Set-Cookie", "Content-Type"]
    assert len(headers) == 2
    assert "CONTENT-type" in headers
    not_a_name: object = 5
    assert not_a_name not in headers
    assert headers.get("Location") is None
    assert dict(headers) == {"Set-Cookie": "a=1, b=2", "Content-Type": "text/plain"}
    with pytest.raises(KeyError):
        headers["location"]


def test_response_headers_from_the_wire(server: LoopbackServer, pool: Pool) -> None:
    fields = (("X-Multi", "one"), ("x-multi", "two"), ("Retry-After", "3"))
    server.routes["/h"] = _ok(b"h", *fields)
    with pool.request("GET", server.url("/h")) as response:
        assert response.headers["X-MULTI"] == "one, two"
        assert response.headers["retry-after"] == "3"
        assert response.headers["content-length"] == "1"
        assert "X-Multi" in list(response.headers)


# -- the pool ------------------------------------------------------------------------------------


def test_close_closes_idle_connections(server: LoopbackServer) -> None:
    server.routes["/a"] = _ok(b"a")
    pool = Pool(timeout=(2, 5))
    try:
        assert _get(pool, server.url("/a")) == b"a"
        time.sleep(0.2)
        assert server.ended == 0  # idle in the pool, still open
    finally:
        pool.close()
    assert server.wait_until(lambda: server.ended == 1)


def test_response_closed_after_its_pool_closes_its_connection(server: LoopbackServer) -> None:
    server.routes["/a"] = _ok(b"a")
    pool = Pool(timeout=(2, 5))
    try:
        with pool.request("GET", server.url("/a")) as response:
            pool.close()
            assert response.content == b"a"  # read to its end, yet not pooled any more
    finally:
        pool.close()
    assert server.wait_until(lambda: server.ended == 1)


def test_pool_dropped_without_close_closes_its_connections(server: LoopbackServer) -> None:
    server.routes["/a"] = _ok(b"a")
    pool = Pool(timeout=(2, 5))
    assert _get(pool, server.url("/a")) == b"a"
    time.sleep(0.2)
    assert server.ended == 0
    del pool
    gc.collect()
    assert server.wait_until(lambda: server.ended == 1)


def test_maxsize_bounds_the_idle_connections(server: LoopbackServer) -> None:
    server.routes["/a"] = _ok(b"a")
    pool = Pool(maxsize=2, timeout=(2, 5))
    try:
        url = server.url("/a")
        with (
            pool.request("GET", url) as one,
            pool.request("GET", url) as two,
            pool.request("GET", url) as three,
        ):
            assert [one.content, two.content, three.content] == [b"a", b"a", b"a"]
        assert server.accepted == 3
        assert server.wait_until(lambda: server.ended == 1)  # the third was not kept
        for _ in range(4):
            assert _get(pool, url) == b"a"
        assert server.accepted == 3
        assert {s.connection for s in server.requests[3:]} <= {1, 2}
    finally:
        pool.close()


def test_threads_share_a_pool(server: LoopbackServer, pool: Pool) -> None:
    def echo(handler: Handler) -> None:
        handler.reply(200, urlsplit(handler.path).query.encode())

    server.routes["/echo"] = echo
    threads, rounds = 8, 10
    results: dict[int, list[bytes]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(threads, timeout=WAIT)

    def work(number: int) -> None:
        try:
            start.wait()
            results[number] = [
                _get(pool, server.url(f"/echo?n={number}-{i}")) for i in range(rounds)
            ]
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(WAIT * 2)
    assert not any(worker.is_alive() for worker in workers)
    assert errors == []
    assert results == {n: [f"n={n}-{i}".encode() for i in range(rounds)] for n in range(threads)}
    assert len(server.requests) == threads * rounds
    assert 1 <= server.accepted <= threads


# -- TLS -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificates:
    ca: Path
    chain: Path
    key: Path


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A throw-away CA and a certificate it signed for 127.0.0.1 and TUNNELLED."""
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "media-cli test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName(TUNNELLED)]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    files = Certificates(directory / "ca.pem", directory / "chain.pem", directory / "key.pem")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@pytest.fixture
def tls_server(certificates: Certificates) -> Iterator[LoopbackServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates.chain, certificates.key)
    running = LoopbackServer(tls=context).start()
    try:
        yield running
    finally:
        running.stop()


def test_https_is_verified_against_the_system_store_and_kept_alive(
    tls_server: LoopbackServer, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca))  # the system store, for OpenSSL
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    tls_server.routes["/secure"] = _ok(b"over tls")
    pool = Pool(timeout=(2, 5))
    try:
        assert _get(pool, tls_server.url("/secure", "https")) == b"over tls"
        assert _get(pool, tls_server.url("/secure", "https")) == b"over tls"
    finally:
        pool.close()
    assert tls_server.accepted == 1
    assert len(tls_server.requests) == 2


def test_https_with_an_unknown_authority_fails_before_any_request(
    tls_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    tls_server.routes["/secure"] = _ok(b"over tls")
    pool = Pool(timeout=(2, 5))
    try:
        with pytest.raises(TransportError) as caught:
            pool.request("GET", tls_server.url("/secure", "https"))
    finally:
        pool.close()
    assert caught.value.connected is False
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert tls_server.requests == []


def test_https_to_a_plain_http_server_fails_before_any_request(
    server: LoopbackServer, pool: Pool
) -> None:
    server.routes["/a"] = _ok(b"a")
    with pytest.raises(TransportError) as caught:
        pool.request("GET", server.url("/a", "https"))
    assert caught.value.connected is False
    assert server.requests == []


# -- HTTPS through a proxy ----------------------------------------------------------------------

# A name under the reserved .test domain: the pool never resolves it (only the proxy is
# connected to) and the test proxy below sends every tunnel to a loopback port.
TUNNELLED: Final = "api.media-cli.test"


class ConnectProxy:
    """A CONNECT-only proxy on 127.0.0.1 that tunnels every request to one loopback port,
    records each CONNECT (target and headers) and can refuse with 407."""

    def __init__(self, upstream_port: int, *, require: str | None = None) -> None:
        self.upstream_port = upstream_port
        self.require = require  # the Proxy-Authorization value to insist on
        self.connects: list[tuple[str, dict[str, str]]] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    def url(self, userinfo: str = "") -> str:
        return f"http://{userinfo}127.0.0.1:{self.port}"

    def start(self) -> ConnectProxy:
        self._acceptor.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._acceptor.join(WAIT)
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(WAIT)
        with self._lock:
            for sock in self._sockets:
                sock.close()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            with self._lock:
                self._sockets.append(client)
                self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(SERVER_IDLE)
        reader = client.makefile("rb")
        request_line = reader.readline(65536).decode("latin-1").strip()
        headers: dict[str, str] = {}
        while (line := reader.readline(65536).decode("latin-1").strip()) != "":
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        method, _, rest = request_line.partition(" ")
        target = rest.rpartition(" ")[0]
        with self._lock:
            self.connects.append((target, headers))
        if method != "CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        if self.require is not None and headers.get("proxy-authorization") != self.require:
            client.sendall(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
            )
            return
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=WAIT)
        upstream.settimeout(SERVER_IDLE)
        with self._lock:
            self._sockets.append(upstream)
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        pending = reader.peek() if hasattr(reader, "peek") else b""
        if pending:
            upstream.sendall(reader.read(len(pending)))
        back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
        with self._lock:
            self._threads.append(back)
        back.start()
        _pipe(client, upstream)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy until either side closes (bounded by the sockets' timeouts)."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def tls_trusted(certificates: Certificates, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


@pytest.fixture
def proxy(tls_server: LoopbackServer) -> Iterator[ConnectProxy]:
    running = ConnectProxy(tls_server.port).start()
    try:
        yield running
    finally:
        running.stop()


def test_https_goes_through_the_proxy_in_one_kept_alive_tunnel(
    tls_server: LoopbackServer, proxy: ConnectProxy, tls_trusted: None
) -> None:
    tls_server.routes["/2010-04-01/x"] = _ok(b"tunnelled")
    pool = Pool(
        timeout=(2, 5), user_agent="media-cli-tests/1", proxy_env={"HTTPS_PROXY": proxy.url()}
    )
    url = f"https://{TUNNELLED}:{tls_server.port}/2010-04-01/x"
    try:
        assert _get(pool, url) == b"tunnelled"
        assert _get(pool, url) == b"tunnelled"
    finally:
        pool.close()
    # One CONNECT for both requests, to the origin's name and port; TLS was verified against
    # that name (the certificate names TUNNELLED), and the proxy saw no request inside.
    assert [target for target, _ in proxy.connects] == [f"{TUNNELLED}:{tls_server.port}"]
    assert "proxy-authorization" not in proxy.connects[0][1]
    assert tls_server.accepted == 1
    assert [seen.target for seen in tls_server.requests] == ["/2010-04-01/x"] * 2
    assert tls_server.requests[0].header("Host") == [f"{TUNNELLED}:{tls_server.port}"]


def test_proxy_credentials_go_to_the_proxy_only_and_never_into_errors(
    tls_server: LoopbackServer, tls_trusted: None
) -> None:
    import base64

    expected = "Basic " + base64.b64encode(b"ops user:s3cr/t").decode()
    running = ConnectProxy(tls_server.port, require=expected).start()
    tls_server.routes["/y"] = _ok(b"ok")
    url = f"https://{TUNNELLED}:{tls_server.port}/y"
    try:
        good = Pool(timeout=(2, 5), proxy_env={"https_proxy": running.url("ops%20user:s3cr%2Ft@")})
        try:
            assert _get(good, url) == b"ok"
        finally:
            good.close()
        bad = Pool(timeout=(2, 5), proxy_env={"https_proxy": running.url("ops:wrong-pass@")})
        try:
            with pytest.raises(TransportError) as caught:
                bad.request("GET", url)
        finally:
            bad.close()
    finally:
        running.stop()
    assert tls_server.requests[0].header("Proxy-Authorization") == []  # not sent inside
    assert caught.value.connected is False  # the origin never saw the request
    assert caught.value.proxied is True
    assert "407" in str(caught.value)
    assert f"through the proxy 127.0.0.1:{running.port}" in str(caught.value)
    assert "wrong-pass" not in str(caught.value)
    assert "wrong-pass" not in repr(caught.value)


def test_plain_http_and_loopback_are_never_proxied(server: LoopbackServer) -> None:
    server.routes["/z"] = _ok(b"direct")
    env = {"HTTPS_PROXY": "http://127.0.0.1:9", "ALL_PROXY": "http://127.0.0.1:9"}
    pool = Pool(timeout=(2, 5), proxy_env=env)
    try:
        assert _get(pool, server.url("/z")) == b"direct"  # port 9 would refuse
    finally:
        pool.close()


@pytest.mark.parametrize(
    ("origin", "env", "expected"),
    [
        (("https", "api.twilio.com", 443), {}, None),
        (("https", "api.twilio.com", 443), {"HTTPS_PROXY": "http://p:3128"}, ("p", 3128)),
        (("https", "api.twilio.com", 443), {"https_proxy": "p:3128"}, ("p", 3128)),
        (("https", "api.twilio.com", 443), {"ALL_PROXY": "http://p"}, ("p", 1080)),
        (("http", "api.twilio.com", 80), {"HTTPS_PROXY": "http://p:3128"}, None),
        (("https", "127.0.0.1", 443), {"HTTPS_PROXY": "http://p:3128"}, None),
        (("https", "::1", 443), {"HTTPS_PROXY": "http://p:3128"}, None),
        (("https", "localhost", 443), {"HTTPS_PROXY": "http://p:3128"}, None),
        (("https", "api.twilio.com", 443), {"HTTPS_PROXY": "http://p", "NO_PROXY": "*"}, None),
        (
            ("https", "api.twilio.com", 443),
            {"HTTPS_PROXY": "http://p", "NO_PROXY": "example.com, twilio.com"},
            None,
        ),
        (
            ("https", "api.twilio.com", 443),
            {"HTTPS_PROXY": "http://p", "no_proxy": ".twilio.com"},
            None,
        ),
        (
            ("https", "nottwilio.com", 443),
            {"HTTPS_PROXY": "http://p", "NO_PROXY": "twilio.com"},
            ("p", 1080),
        ),
        (
            ("https", "api.twilio.com", 443),
            {"HTTPS_PROXY": "http://p", "NO_PROXY": "api.twilio.com:8443"},
            ("p", 1080),
        ),
        (
            ("https", "api.twilio.com", 8443),
            {"HTTPS_PROXY": "http://p", "NO_PROXY": "api.twilio.com:8443"},
            None,
        ),
        (("https", "10.1.2.3", 443), {"HTTPS_PROXY": "http://p", "NO_PROXY": "10.0.0.0/8"}, None),
        (
            ("https", "11.1.2.3", 443),
            {"HTTPS_PROXY": "http://p", "NO_PROXY": "10.0.0.0/8"},
            ("p", 1080),
        ),
    ],
)
def test_proxy_for(
    origin: tuple[str, str, int], env: dict[str, str], expected: tuple[str, int] | None
) -> None:
    # Pure: nothing is connected to or resolved.
    got = proxy_for(origin, env)
    assert (None if got is None else (got.host, got.port)) == expected


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("https://p:3128", "only http:// proxies"),
        ("socks5://p:1080", "only http:// proxies"),
        ("http://p:notaport", "bad port"),
        ("http://:3128", "names no host"),
    ],
)
def test_bad_proxy_urls_are_refused(value: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        proxy_for(("https", "api.twilio.com", 443), {"HTTPS_PROXY": value})


def test_proxy_repr_hides_the_password() -> None:
    got = proxy_for(("https", "api.twilio.com", 443), {"HTTPS_PROXY": "http://u:hunter2@p:3128"})
    assert isinstance(got, Proxy)
    assert got.authorization is not None
    assert "hunter2" not in repr(got)
    assert "hunter2" not in got.where
