"""HTTP/1.1 over the standard library: a thread-safe keep-alive pool and streamed responses.

media-cli makes simple requests (no cookies, no proxies, no automatic redirects, retries in
its own loop), so it does not need requests/urllib3, whose imports cost ~0.1 s on every
command. This module is that small subset over ``http.client``:

- one pool of idle keep-alive connections per origin (scheme, host, port), safe to share
  between threads; a connection that the server closed while idle is never reused;
- connect and read timeouts, TLS verified against the system's CA store (and certifi's
  bundle when it is installed);
- HTTPS through the proxy named by ``HTTPS_PROXY`` (a CONNECT tunnel: the proxy sees the
  host name, never the request or its credentials), except for ``NO_PROXY`` hosts and
  loopback; plain http is never proxied (it only goes to loopback or an ``--insecure`` host);
- bodies sent from ``bytes`` or streamed from anything with ``read(n)``;
- responses read whole (``json()``, ``text``) or streamed (``readinto``, ``iter_chunks``);
  a response read to its end gives its connection back to the pool.

Every failure is a :class:`TransportError`; ``connected`` tells whether a connection was
ever open, i.e. whether a byte of the request could have reached the server.
"""

from __future__ import annotations

import http.client
import json
import select
import socket
import threading
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import unquote, urlencode, urlsplit

if TYPE_CHECKING:
    import ssl

SEND_BLOCK: Final = 256 * 1024
# A response nobody read to the end is drained (and its connection kept) when this little
# is left: a redirect's or an error's body, not a media's.
DRAIN_LIMIT: Final = 64 * 1024
# Idempotent requests that fail on a reused connection before any answer are sent again on
# a new one: the server may have closed it while it sat in the pool.
_REPLAYABLE: Final = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


class TransportError(Exception):
    """The request or its answer failed below HTTP (connect, TLS, timeout, connection lost).

    ``connected`` is False when no connection could be opened (refused, DNS, connect
    timeout): the server cannot have seen any of the request.
    """

    def __init__(self, message: str, *, connected: bool, proxied: bool = False) -> None:
        super().__init__(message)
        self.connected = connected
        self.proxied = proxied  # the connection was to be made through a proxy


class Headers(Mapping[str, str]):
    """Response headers, looked up case-insensitively; repeated fields joined with ", "."""

    __slots__ = ("_items",)

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        items: dict[str, tuple[str, str]] = {}
        for name, value in pairs:
            key = name.lower()
            if key in items:
                items[key] = (items[key][0], f"{items[key][1]}, {value}")
            else:
                items[key] = (name, value)
        self._items = items

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


Origin = tuple[str, str, int]


def origin_of(url: str) -> Origin:
    """(scheme, lower-case host, port) of an http(s) URL; ValueError for anything else."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {scheme or 'no scheme'}")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError("the URL has no host")
    port = parts.port or (443 if scheme == "https" else 80)  # ValueError for a bad port
    return scheme, host, port


@dataclass(frozen=True)
class Proxy:
    """An HTTP proxy for CONNECT tunnels; ``repr`` and ``where`` never show its password."""

    host: str
    port: int
    authorization: str | None = None  # the Proxy-Authorization value, from the URL's user info

    @property
    def where(self) -> str:
        return _where(("http", self.host, self.port))

    def __repr__(self) -> str:
        return f"Proxy({self.where}{', with credentials' if self.authorization else ''})"


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _no_proxy_matches(host: str, port: int, entries: str) -> bool:
    """curl's NO_PROXY: ``*``, host names (a suffix match on whole labels), ``host:port``,
    IP addresses and CIDR ranges; comma- or space-separated."""
    import ipaddress

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for raw in entries.replace(" ", ",").split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else ("", "", "")
        if name and entry_port.isdigit():
            if int(entry_port) != port:
                continue
            entry = name
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry.strip("[]"), strict=False):
                    return True
            except ValueError:
                pass
            continue
        entry = entry.lstrip(".")
        if host == entry or host.endswith("." + entry):
            return True
    return False


def proxy_for(origin: Origin, env: Mapping[str, str]) -> Proxy | None:
    """The proxy an origin is reached through, from ``env`` (curl's variables), or None.

    Only https origins are proxied, never loopback or ``NO_PROXY`` hosts. ValueError for a
    proxy URL that is not ``http://host[:port]`` (default port 1080, as curl's).
    """
    scheme, host, port = origin
    if scheme != "https" or _is_loopback(host):
        return None
    if _no_proxy_matches(host, port, env.get("no_proxy") or env.get("NO_PROXY") or ""):
        return None
    url = next(
        (
            env[name].strip()
            for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
            if env.get(name, "").strip()
        ),
        "",
    )
    if not url:
        return None
    if "://" not in url:
        url = f"http://{url}"
    parts = urlsplit(url)
    if parts.scheme.lower() != "http":
        raise ValueError(f"HTTPS_PROXY: only http:// proxies are supported, not {parts.scheme}://")
    try:
        proxy_port = parts.port or 1080
    except ValueError as exc:
        raise ValueError("HTTPS_PROXY has a bad port") from exc
    if not parts.hostname:
        raise ValueError("HTTPS_PROXY names no host")
    authorization = None
    if parts.username is not None:
        import base64

        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        authorization = "Basic " + base64.b64encode(pair).decode()
    return Proxy(parts.hostname.lower(), proxy_port, authorization)


def _target(url: str, params: Mapping[str, str] | None) -> str:
    parts = urlsplit(url)
    target = parts.path or "/"
    query = parts.query
    if params:
        extra = urlencode(params)
        query = f"{query}&{extra}" if query else extra
    target = f"{target}?{query}" if query else target
    if any(c <= " " or c == "\x7f" for c in target):
        # http.client would refuse it only after connecting; say so before, and for good.
        raise ValueError("the URL contains spaces or control characters")
    return target


def _where(origin: Origin) -> str:
    host = f"[{origin[1]}]" if ":" in origin[1] else origin[1]
    return f"{host}:{origin[2]}"


def _describe(exc: BaseException) -> str:
    """One short line for an OS/TLS/HTTP failure (never a URL: signed ones carry tokens)."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(exc, http.client.IncompleteRead):
        return f"the connection closed after {len(exc.partial)} bytes of the body"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


class Response:
    """One HTTP answer. Read it whole (``content``, ``json()``, ``text``) or stream it
    (``readinto``, ``iter_chunks``); ``close()`` gives a finished connection back to the pool."""

    def __init__(
        self, pool: Pool, origin: Origin, conn: http.client.HTTPConnection, raw: Any
    ) -> None:
        self._pool = pool
        self._origin = origin
        self._conn: http.client.HTTPConnection | None = conn
        self._raw: http.client.HTTPResponse = raw
        self.status_code: int = raw.status
        self.reason: str = raw.reason
        self.headers = Headers(raw.getheaders())
        self._content: bytes | None = None
        # Sent a second time, on a new connection, after the first attempt got no answer:
        # the server may have carried out the first one too.
        self.replayed = False

    # -- whole bodies --------------------------------------------------------

    @property
    def content(self) -> bytes:
        if self._content is None:
            try:
                body = self._raw.read()
            except (OSError, http.client.HTTPException) as exc:
                self._discard()
                raise TransportError(
                    f"reading the answer from {_where(self._origin)} failed: {_describe(exc)}",
                    connected=True,
                ) from exc
            if self.headers.get("Content-Encoding", "").strip().lower() == "gzip":
                import gzip

                try:
                    body = gzip.decompress(body)
                except (OSError, EOFError) as exc:
                    self.close()
                    raise TransportError(
                        f"the answer from {_where(self._origin)} is not valid gzip",
                        connected=True,
                    ) from exc
            self._content = body
            self.close()
        return self._content

    def json(self) -> Any:
        """The body as JSON; ValueError if it is not JSON."""
        return json.loads(self.content)

    @property
    def text(self) -> str:
        charset = "utf-8"
        for part in self.headers.get("Content-Type", "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    # -- streamed bodies -------------------------------------------------------

    @property
    def remaining(self) -> int | None:
        """Bytes of the body not read yet, when the server declared its length."""
        return self._raw.length

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Fill ``buffer`` with the next bytes of the body; 0 at its end.

        TransportError if the connection fails or closes before the declared length.
        """
        try:
            count = self._raw.readinto(buffer)
        except (OSError, http.client.HTTPException) as exc:
            self._discard()
            raise TransportError(
                f"connection to {_where(self._origin)} lost while reading: {_describe(exc)}",
                connected=True,
            ) from exc
        if not count and len(buffer) and self._raw.length:
            missing = self._raw.length
            self._discard()
            raise TransportError(
                f"the connection to {_where(self._origin)} closed {missing} bytes before the "
                "end of the body",
                connected=True,
            )
        return count

    def iter_chunks(self, size: int) -> Iterator[bytes]:
        """The body in ``bytes`` of at most ``size`` (fewer at its end)."""
        buffer = bytearray(size)
        view = memoryview(buffer)
        while count := self.readinto(buffer):
            yield bytes(view[:count])

    # -- the connection ----------------------------------------------------------

    def close(self) -> None:
        """Give the connection back if the body was read (or is short enough to drain)."""
        conn = self._conn
        if conn is None:
            return
        raw = self._raw
        if not raw.isclosed():
            left = raw.length
            if left is not None and left <= DRAIN_LIMIT and not raw.will_close:
                try:
                    raw.read()
                except (OSError, http.client.HTTPException):
                    self._discard()
                    return
            else:
                self._discard()
                return
        self._conn = None
        if raw.will_close:
            conn.close()
        else:
            self._pool.put_back(self._origin, conn)

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        self._raw.close()
        if conn is not None:
            conn.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Pool:
    """Keep-alive connections per origin, shared by threads (each used by one at a time)."""

    def __init__(
        self,
        *,
        maxsize: int = 16,
        timeout: tuple[float, float] = (10.0, 60.0),
        user_agent: str = "",
        proxy_env: Mapping[str, str] | None = None,
    ) -> None:
        """``proxy_env``: HTTPS_PROXY/NO_PROXY and the like, as curl reads them (none: no proxy)."""
        self.maxsize = max(1, maxsize)
        self.timeout = timeout
        self.user_agent = user_agent
        self._proxy_env = dict(proxy_env or {})
        self._idle: dict[Origin, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None
        self._closed = False
        # A pool dropped without close() still closes its idle sockets.
        weakref.finalize(self, _close_idle, self._idle, self._lock)

    # -- connections -------------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext:
        with self._lock:
            if self._tls is None:
                import ssl

                context = ssl.create_default_context()  # also reads SSL_CERT_FILE/SSL_CERT_DIR
                try:
                    import certifi

                    context.load_verify_locations(cafile=certifi.where())
                except (ImportError, OSError):
                    pass  # the system's CA store alone
                self._tls = context
            return self._tls

    def _take(self, origin: Origin) -> http.client.HTTPConnection | None:
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    return None
                conn = idle.pop()
            if _still_open(conn):
                return conn
            conn.close()

    def _new(self, origin: Origin) -> http.client.HTTPConnection:
        scheme, host, port = origin
        connect_timeout = self.timeout[0]
        proxy = proxy_for(origin, self._proxy_env)
        conn: http.client.HTTPConnection
        if scheme == "https":
            context = self._tls_context()
            if proxy is None:
                conn = http.client.HTTPSConnection(
                    host, port, timeout=connect_timeout, context=context
                )
            else:
                # Connect to the proxy, CONNECT host:port, then TLS with the origin's name.
                conn = http.client.HTTPSConnection(
                    proxy.host, proxy.port, timeout=connect_timeout, context=context
                )
                tunnel_headers = {"User-Agent": self.user_agent}
                if proxy.authorization:
                    tunnel_headers["Proxy-Authorization"] = proxy.authorization
                conn.set_tunnel(host, port, headers=tunnel_headers)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=connect_timeout)
        via = f" through the proxy {proxy.where}" if proxy is not None else ""
        try:
            conn.connect()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise TransportError(
                f"cannot connect to {_where(origin)}{via}: {_describe(exc)}",
                connected=False,
                proxied=proxy is not None,
            ) from exc
        if conn.sock is not None:
            conn.sock.settimeout(self.timeout[1])
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def put_back(self, origin: Origin, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if not self._closed:
                idle = self._idle.setdefault(origin, [])
                if len(idle) < self.maxsize:
                    idle.append(conn)
                    return
        conn.close()

    def close(self) -> None:
        """Close every idle connection; responses still open close theirs themselves."""
        self._closed = True
        _close_idle(self._idle, self._lock)

    # -- requests ---------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | Readable | IO[bytes] | None = None,
    ) -> Response:
        """Send one request and read the status line and headers; the body is left to read.

        ValueError for a URL that is not http(s); TransportError for any failure below HTTP.
        """
        origin = origin_of(url)
        target = _target(url, params)
        fields = {"User-Agent": self.user_agent, "Accept": "*/*", "Accept-Encoding": "gzip"}
        for name, value in (headers or {}).items():
            for default in [k for k in fields if k.lower() == name.lower()]:
                del fields[default]  # the caller's field replaces ours, whatever its case
            fields[name] = value
        has_length = any(k.lower() == "content-length" for k in fields)
        if isinstance(body, bytes):
            if not has_length:
                fields["Content-Length"] = str(len(body))
        elif body is None:
            if method in ("POST", "PUT", "PATCH") and not has_length:
                fields["Content-Length"] = "0"
        elif not has_length:
            raise ValueError("a streamed body needs a Content-Length header")
        for name, value in fields.items():
            if any(c in name or c in value for c in "\r\n"):
                raise ValueError(f"header {name!r} contains a line break")
        replayable = method in _REPLAYABLE and (body is None or isinstance(body, bytes))
        conn = self._take(origin)
        reused = conn is not None
        replaying = False
        while True:
            if conn is None:
                try:
                    conn = self._new(origin)
                except TransportError as exc:
                    # The first attempt reached the server: it may have acted on it.
                    exc.connected = exc.connected or replaying
                    raise
            try:
                raw = self._send(conn, method, target, fields, body)
            except BaseException as exc:
                conn.close()
                if not isinstance(exc, OSError | http.client.HTTPException):
                    raise  # the body's own error (a file that shrank), or KeyboardInterrupt
                if reused and replayable and _before_any_answer(exc):
                    conn, reused, replaying = None, False, True
                    continue
                raise TransportError(
                    f"{method} to {_where(origin)} failed: {_describe(exc)}", connected=True
                ) from exc
            response = Response(self, origin, conn, raw)
            response.replayed = replaying
            return response

    @staticmethod
    def _send(
        conn: http.client.HTTPConnection,
        method: str,
        target: str,
        fields: Mapping[str, str],
        body: bytes | Readable | IO[bytes] | None,
    ) -> http.client.HTTPResponse:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in fields.items():
            conn.putheader(name, value)
        if isinstance(body, bytes):
            conn.endheaders(body)
        else:
            conn.endheaders()
            if body is not None:
                while block := body.read(SEND_BLOCK):
                    conn.send(block)
        return conn.getresponse()


def _close_idle(idle: dict[Origin, list[http.client.HTTPConnection]], lock: threading.Lock) -> None:
    with lock:
        conns = [conn for group in idle.values() for conn in group]
        idle.clear()
    for conn in conns:
        conn.close()


def _still_open(conn: http.client.HTTPConnection) -> bool:
    """False if an idle connection was closed by the server (readable means EOF or junk)."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return not poller.poll(0)
        readable, _, _ = select.select([sock], [], [], 0)  # Windows: no poll()
    except (OSError, ValueError):
        return False
    return not readable


def _before_any_answer(exc: BaseException) -> bool:
    """The failures of a connection the server had closed: nothing was answered."""
    return isinstance(
        exc,
        http.client.RemoteDisconnected
        | ConnectionResetError
        | BrokenPipeError
        | ConnectionAbortedError,
    )


__all__ = [
    "Headers",
    "Pool",
    "Proxy",
    "Readable",
    "Response",
    "TransportError",
    "origin_of",
    "proxy_for",
]
