"""Twilio-shaped request handlers of the three listeners and the ``/__emulator__/`` controls."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import random
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from http import HTTPStatus
from typing import Any, Final, Protocol
from urllib.parse import quote
from xml.sax.saxutils import escape

from media_cli.emulator.store import (
    CHUNK_SIZE,
    DAY,
    Account,
    ChatMedia,
    Content,
    FileContent,
    Media,
    Message,
    SeedError,
    Store,
    day_start,
    http_date,
    iso8601,
    parse_datetime,
    parse_day,
    rfc2822,
    utc_timestamp,
)

API_VERSION: Final = "2010-04-01"
MAX_PAGE_SIZE: Final = 1000
DEFAULT_PAGE_SIZE: Final = 50
MAX_UPLOAD_BYTES: Final = 150 * 1024 * 1024
"""Twilio's MCS limit, 150 MB (157,286,400 bytes)."""

_DRAIN_LIMIT: Final = 1024 * 1024
_CONTROL_BODY_LIMIT: Final = 64 * 1024 * 1024
_JSON: Final = "application/json; charset=utf-8"
_XML: Final = "application/xml; charset=utf-8"

_S3_AUTH_MESSAGE: Final = (
    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
    "Signature query string parameter or the Authorization header should be specified"
)


# ---------------------------------------------------------------------------
# Requests and responses


class BodyError(Exception):
    """The request body could not be read (bad chunked framing, early end)."""


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...

    def readline(self, size: int = ..., /) -> bytes: ...


class RequestBody:
    """Streams a request body (Content-Length or chunked) without holding it in memory."""

    def __init__(self, rfile: Readable, headers: Mapping[str, str]) -> None:
        self._rfile = rfile
        encoding = (headers.get("Transfer-Encoding") or "").lower()
        self.chunked = "chunked" in encoding
        length = headers.get("Content-Length")
        self.length: int | None = None
        if not self.chunked and length is not None:
            try:
                self.length = max(0, int(length))
            except ValueError:
                self.length = 0
        self.consumed = not self.chunked and not self.length
        self.broken = False

    @property
    def present(self) -> bool:
        return self.chunked or bool(self.length)

    def iter_chunks(self, size: int = CHUNK_SIZE) -> Iterator[bytes]:
        if self.consumed:
            return
        self.consumed = True
        self.broken = True  # until the end is reached cleanly
        if self.chunked:
            yield from self._iter_chunked(size)
        else:
            remaining = self.length or 0
            while remaining:
                piece = self._rfile.read(min(size, remaining))
                if not piece:
                    raise BodyError("request body ended early")
                remaining -= len(piece)
                yield piece
        self.broken = False

    def _iter_chunked(self, size: int) -> Iterator[bytes]:
        while True:
            line = self._rfile.readline(1024)
            if not line.endswith(b"\n"):
                raise BodyError("bad chunk header")
            try:
                remaining = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError as exc:
                raise BodyError("bad chunk size") from exc
            if remaining == 0:
                while self._rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return
            while remaining:
                piece = self._rfile.read(min(size, remaining))
                if not piece:
                    raise BodyError("request body ended early")
                remaining -= len(piece)
                yield piece
            self._rfile.readline(1024)

    def read_all(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        for piece in self.iter_chunks():
            total += len(piece)
            if total > limit:
                raise BodyError("request body too large")
            parts.append(piece)
        return b"".join(parts)

    def drain(self) -> int:
        total = 0
        for piece in self.iter_chunks():
            total += len(piece)
        return total

    def can_drain_cheaply(self) -> bool:
        return not self.chunked and (self.length or 0) <= _DRAIN_LIMIT


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: RequestBody
    listener: str
    target: str


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: Iterable[bytes | memoryview] | None = None
    length: int | None = None
    close: bool = False

    @property
    def content_length(self) -> int:
        return (
            self.length if self.stream is not None and self.length is not None else len(self.body)
        )


def json_response(
    status: int, payload: Any, headers: list[tuple[str, str]] | None = None
) -> Response:
    body = json.dumps(payload).encode()
    return Response(status, [("Content-Type", _JSON), *(headers or [])], body)


def twilio_error(
    status: int,
    code: int,
    message: str,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    """Twilio's error body, exactly ``{"code", "message", "more_info", "status"}``."""
    return json_response(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        headers,
    )


def twilio_xml_error(status: int, code: int, message: str) -> Response:
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>\n<TwilioResponse><RestException>"
        f"<Code>{code}</Code><Message>{escape(message)}</Message>"
        f"<MoreInfo>https://www.twilio.com/docs/errors/{code}</MoreInfo>"
        f"<Status>{status}</Status></RestException></TwilioResponse>"
    )
    return Response(status, [("Content-Type", _XML)], body.encode())


def default_code(status: int) -> int:
    return 20003 if status == 401 else 20000 + status


def not_found(path: str) -> Response:
    return twilio_error(404, 20404, f"The requested resource {path} was not found")


def unauthorized() -> Response:
    response = twilio_error(
        401, 20003, "Authenticate", [("WWW-Authenticate", 'Basic realm="Twilio API"')]
    )
    return response


def bad_request(message: str) -> Response:
    return twilio_error(400, 20001, message)


def s3_error(status: int, code: str, message: str, extra: str = "") -> Response:
    request_id = os.urandom(8).hex().upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{extra}"
        f"<RequestId>{request_id}</RequestId></Error>"
    )
    return Response(status, [("Content-Type", "application/xml")], body.encode())


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


# ---------------------------------------------------------------------------
# Runtime settings, stats, faults


@dataclass
class Settings:
    latency_ms: float = 0.0
    max_concurrency: int = 0
    redirect_status: int = 307
    retry_after: float | None = None
    url_ttl: float = 4 * 3600.0
    max_upload_bytes: int = MAX_UPLOAD_BYTES

    def update(self, values: Mapping[str, Any]) -> None:
        unknown = set(values) - set(asdict(self))
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        merged = {**asdict(self), **values}
        checked = Settings(
            latency_ms=_number(merged["latency_ms"], "latency_ms"),
            max_concurrency=int(_number(merged["max_concurrency"], "max_concurrency")),
            redirect_status=int(_number(merged["redirect_status"], "redirect_status")),
            retry_after=None
            if merged["retry_after"] is None
            else _number(merged["retry_after"], "retry_after"),
            url_ttl=_number(merged["url_ttl"], "url_ttl", allow_negative=True),
            max_upload_bytes=int(_number(merged["max_upload_bytes"], "max_upload_bytes")),
        )
        if checked.redirect_status not in (302, 307):
            raise ValueError("redirect_status must be 302 or 307")
        for key, value in asdict(checked).items():
            setattr(self, key, value)


def _number(value: Any, name: str, *, allow_negative: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    if value < 0 and not allow_negative:
        raise ValueError(f"{name} must not be negative")
    return float(value) if isinstance(value, float) else value


class Stats:
    """Requests by route and status, in-flight count and its peak, throttled count."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._next_token = 0
        self._open: set[int] = set()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.routes: dict[str, dict[str, int]] = {}
            self.inflight = 0
            self.peak = 0
            self.throttled = 0

    def begin(self) -> int:
        """A request arrived; ``record`` with the returned token ends it."""
        with self._lock:
            token = self._next_token
            self._next_token += 1
            self._open.add(token)
            return token

    def enter(self) -> int:
        with self._lock:
            self.inflight += 1
            self.peak = max(self.peak, self.inflight)
            return self.inflight

    def leave(self) -> None:
        with self._lock:
            self.inflight -= 1

    def record(
        self, route: str, outcome: str, *, throttled: bool = False, token: int | None = None
    ) -> None:
        with self._lock:
            self.total += 1
            by_status = self.routes.setdefault(route, {})
            by_status[outcome] = by_status.get(outcome, 0) + 1
            if throttled:
                self.throttled += 1
            self._open.discard(token if token is not None else -1)
            self._lock.notify_all()

    def snapshot(self, *, settle: float = 0.0) -> dict[str, Any]:
        """The counts; with ``settle``, first wait (bounded) for the requests that arrived
        before this call to be counted: a client that just got its answer sees it counted,
        and requests that keep arriving meanwhile do not hold the answer up.
        """
        with self._lock:
            horizon = self._next_token
            self._lock.wait_for(
                lambda: not any(token < horizon for token in self._open), timeout=settle
            )
            return {
                "total": self.total,
                "routes": {route: dict(counts) for route, counts in self.routes.items()},
                "peak_concurrency": self.peak,
                "throttled": self.throttled,
                "in_flight": self.inflight,
            }


FAULT_ACTIONS: Final = (
    "status",
    "reset",
    "reset_body",
    "truncate",
    "delay",
    "stall",
    "drop_answer",
)


@dataclass
class FaultRule:
    action: str
    listener: str = "*"
    method: str = "*"
    path: str = ""
    status: int = 500
    code: int | None = None
    message: str | None = None
    retry_after: float | None = None
    delay_ms: float = 0.0
    times: int | None = None
    probability: float = 1.0
    after: int = 0
    bytes: int | None = None
    body: str | None = None
    content_type: str | None = None
    matched: int = 0
    fired: int = 0
    _pattern: re.Pattern[str] | None = None

    @classmethod
    def from_json(cls, raw: Any) -> FaultRule:
        if not isinstance(raw, dict):
            raise ValueError("a rule is an object")
        allowed = {
            "action", "listener", "method", "path", "status", "code", "message",
            "retry_after", "delay_ms", "times", "probability", "after", "bytes",
            "body", "content_type",
        }  # fmt: skip
        unknown = set(raw) - allowed
        if unknown:
            raise ValueError(f"unknown rule keys: {', '.join(sorted(unknown))}")
        action = raw.get("action", "status")
        if action not in FAULT_ACTIONS:
            raise ValueError(f"action must be one of {', '.join(FAULT_ACTIONS)}")
        listener = str(raw.get("listener", "*"))
        if listener not in ("*", "api", "mcs", "cdn"):
            raise ValueError("listener must be api, mcs, cdn or *")
        try:
            rule = cls(
                action=action,
                listener=listener,
                method=str(raw.get("method", "*")).upper(),
                path=str(raw.get("path", "")),
                status=int(raw.get("status", 500)),
                code=None if raw.get("code") is None else int(raw["code"]),
                message=None if raw.get("message") is None else str(raw["message"]),
                retry_after=None if raw.get("retry_after") is None else float(raw["retry_after"]),
                delay_ms=float(raw.get("delay_ms", 0)),
                times=None if raw.get("times") is None else int(raw["times"]),
                probability=float(raw.get("probability", 1.0)),
                after=int(raw.get("after", 0)),
                bytes=None if raw.get("bytes") is None else int(raw["bytes"]),
                body=None if raw.get("body") is None else str(raw["body"]),
                content_type=None if raw.get("content_type") is None else str(raw["content_type"]),
            )
            rule._pattern = re.compile(rule.path)
        except (TypeError, ValueError, re.error) as exc:
            raise ValueError(f"bad rule: {exc}") from exc
        return rule

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_pattern", None)
        return data


class FaultEngine:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._rng = random.Random("media-cli-emulator-faults")

    def set_rules(self, raw: Any) -> None:
        if not isinstance(raw, list):
            raise ValueError("rules must be a list")
        rules = [FaultRule.from_json(item) for item in raw]
        with self._lock:
            self._rules = rules
            self._rng = random.Random("media-cli-emulator-faults")

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.to_json() for rule in self._rules]

    def pick(self, listener: str, method: str, target: str) -> FaultRule | None:
        """The first rule that matches and fires for this request (counters updated)."""
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if rule.listener not in ("*", listener):
                    continue
                if rule.method not in ("*", method):
                    continue
                if rule._pattern is not None and not rule._pattern.search(target):
                    continue
                rule.matched += 1
                if rule.matched <= rule.after:
                    continue
                if rule.times is not None and rule.fired >= rule.times:
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                return rule
        return None


class UrlSigner:
    """Signed, expiring CDN URLs: ``{cdn}/{AccountSid}/{MediaSid}?Expires=…&Signature=…``."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self.base_url = ""

    def _signature(self, path: str, expires: str) -> str:
        return hmac.new(self._secret, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, path: str, ttl: float) -> str:
        expires = f"{time.time() + ttl:.3f}"
        return f"{self.base_url}{path}?Expires={expires}&Signature={self._signature(path, expires)}"

    def check(self, path: str, query: Mapping[str, str]) -> str:
        """``ok``, ``missing``, ``bad`` or ``expired``."""
        expires = query.get("Expires")
        signature = query.get("Signature")
        if not expires or not signature:
            return "missing"
        if not hmac.compare_digest(self._signature(path, expires), signature):
            return "bad"
        try:
            deadline = float(expires)
        except ValueError:
            return "bad"
        return "ok" if time.time() <= deadline else "expired"


# ---------------------------------------------------------------------------
# Rendering


def message_json(message: Message) -> dict[str, Any]:
    base = f"/{API_VERSION}/Accounts/{message.account_sid}/Messages/{message.sid}"
    return {
        "account_sid": message.account_sid,
        "api_version": API_VERSION,
        "body": message.body,
        "date_created": rfc2822(message.date_created),
        "date_sent": rfc2822(message.date_sent),
        "date_updated": rfc2822(message.date_updated),
        "direction": message.direction,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "from": message.from_,
        "messaging_service_sid": message.messaging_service_sid,
        "num_media": str(len(message.media)),
        "num_segments": message.num_segments,
        "price": message.price,
        "price_unit": message.price_unit,
        "sid": message.sid,
        "status": message.status,
        "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
        "to": message.to,
        "uri": f"{base}.json",
    }


def media_uri(media: Media, ext: str = ".json") -> str:
    return (
        f"/{API_VERSION}/Accounts/{media.account_sid}/Messages/{media.parent_sid}"
        f"/Media/{media.sid}{ext}"
    )


def media_json(media: Media) -> dict[str, Any]:
    return {
        "account_sid": media.account_sid,
        "content_type": media.content_type,
        "date_created": rfc2822(media.date_created),
        "date_updated": rfc2822(media.date_updated),
        "parent_sid": media.parent_sid,
        "sid": media.sid,
        "uri": media_uri(media),
    }


def media_xml(media: Media) -> bytes:
    fields = (
        ("Sid", media.sid),
        ("AccountSid", media.account_sid),
        ("ParentSid", media.parent_sid),
        ("ContentType", media.content_type),
        ("DateCreated", rfc2822(media.date_created)),
        ("DateUpdated", rfc2822(media.date_updated)),
        ("Uri", media_uri(media, ".xml")),
    )
    inner = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields)
    return (
        f"<?xml version='1.0' encoding='UTF-8'?>\n<TwilioResponse><Media>{inner}</Media>"
        "</TwilioResponse>"
    ).encode()


_ACCOUNT_SUBRESOURCES: Final = (
    ("addresses", "Addresses"),
    ("applications", "Applications"),
    ("available_phone_numbers", "AvailablePhoneNumbers"),
    ("balance", "Balance"),
    ("calls", "Calls"),
    ("conferences", "Conferences"),
    ("incoming_phone_numbers", "IncomingPhoneNumbers"),
    ("keys", "Keys"),
    ("messages", "Messages"),
    ("notifications", "Notifications"),
    ("outgoing_caller_ids", "OutgoingCallerIds"),
    ("queues", "Queues"),
    ("recordings", "Recordings"),
    ("signing_keys", "SigningKeys"),
    ("transcriptions", "Transcriptions"),
    ("usage", "Usage"),
)


def account_json(account: Account) -> dict[str, Any]:
    base = f"/{API_VERSION}/Accounts/{account.sid}"
    return {
        "auth_token": account.auth_token,
        "date_created": rfc2822(account.date_created),
        "date_updated": rfc2822(account.date_created),
        "friendly_name": account.friendly_name,
        "owner_account_sid": account.parent_sid or account.sid,
        "sid": account.sid,
        "status": account.status,
        "subresource_uris": {key: f"{base}/{name}.json" for key, name in _ACCOUNT_SUBRESOURCES},
        "type": "Full",
        "uri": f"{base}.json",
    }


def list_uri(
    base: str, filters: list[tuple[str, str]], page_size: int, page: int, token: str | None
) -> str:
    parts = [f"{quote(key, safe='')}={quote(value, safe='')}" for key, value in filters]
    parts += [f"PageSize={page_size}", f"Page={page}"]
    if token:
        parts.append(f"PageToken={quote(token, safe='')}")
    return f"{base}?{'&'.join(parts)}"


def envelope(
    key: str,
    items: list[dict[str, Any]],
    *,
    base: str,
    filters: list[tuple[str, str]],
    page_size: int,
    page: int,
    token: str | None,
    next_token: str | None,
    prev_token: str | None,
) -> dict[str, Any]:
    """Twilio's list envelope, with exactly its keys in its order."""
    start = page * page_size
    return {
        "first_page_uri": list_uri(base, filters, page_size, 0, None),
        "end": start + len(items) - 1 if items else start,
        "previous_page_uri": list_uri(base, filters, page_size, page - 1, prev_token)
        if page > 0
        else None,
        key: items,
        "uri": list_uri(base, filters, page_size, page, token),
        "page_size": page_size,
        "start": start,
        "next_page_uri": list_uri(base, filters, page_size, page + 1, next_token)
        if next_token
        else None,
        "page": page,
    }


# ---------------------------------------------------------------------------
# Content serving (CDN and MCS /Content)


def parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """``(first, last)`` inclusive, ``"unsatisfiable"``, or None to ignore the header."""
    value = header.strip()
    if not value.lower().startswith("bytes="):
        return None
    spec = value[6:].strip()
    if "," in spec:
        return None  # multiple ranges: answer the whole representation
    first_text, sep, last_text = spec.partition("-")
    if not sep:
        return None
    first_text, last_text = first_text.strip(), last_text.strip()
    try:
        if not first_text:
            suffix = int(last_text)
            if suffix <= 0 or size == 0:
                return "unsatisfiable"
            return max(0, size - suffix), size - 1
        first = int(first_text)
        last = int(last_text) if last_text else None
    except ValueError:
        return None
    if first < 0 or (last is not None and last < first):
        return None
    if first >= size:
        return "unsatisfiable"
    return first, size - 1 if last is None else min(last, size - 1)


def serve_content(
    req: Request,
    content: Content,
    content_type: str,
    modified: int,
    extra: list[tuple[str, str]] | None = None,
) -> Response:
    etag = content.etag()
    headers = [
        ("Content-Type", content_type),
        ("ETag", etag),
        ("Last-Modified", http_date(modified)),
        ("Accept-Ranges", "bytes"),
        ("Cache-Control", "private, max-age=86400"),
        *(extra or []),
    ]
    none_match = req.headers.get("If-None-Match")
    if none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in none_match.split(",")]
        if "*" in tags or etag in tags:
            return Response(304, [h for h in headers if h[0] != "Content-Type"])
    size = content.size
    range_header = req.headers.get("Range")
    if_range = req.headers.get("If-Range")
    if range_header and (if_range is None or if_range.strip() in (etag, http_date(modified))):
        parsed = parse_range(range_header, size)
        if parsed == "unsatisfiable":
            response = s3_error(
                416,
                "InvalidRange",
                "The requested range is not satisfiable",
                f"<RangeRequested>{escape(range_header)}</RangeRequested>"
                f"<ActualObjectSize>{size}</ActualObjectSize>",
            )
            response.headers.append(("Content-Range", f"bytes */{size}"))
            return response
        if isinstance(parsed, tuple):
            first, last = parsed
            headers.append(("Content-Range", f"bytes {first}-{last}/{size}"))
            return Response(
                206, headers, stream=content.iter_range(first, last + 1), length=last - first + 1
            )
    return Response(200, headers, stream=content.iter_range(0, size), length=size)


# ---------------------------------------------------------------------------
# Multipart upload parsing (streamed)


class MultipartError(ValueError):
    pass


_PARAM: Final = re.compile(r';\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    """``main; name=value; name="quoted; value"`` (a ``;`` inside quotes is part of the value)."""
    main, _, _ = value.partition(";")
    params: dict[str, str] = {}
    for name, raw in _PARAM.findall(value[len(main) :]):
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace('\\"', '"')  # browsers send a backslash as is
        params[name.lower()] = raw
    return main.strip().lower(), params


def stream_multipart(
    chunks: Iterator[bytes], boundary: bytes, sink: Callable[[bytes | bytearray], None]
) -> dict[str, str]:
    """Write the first file part's content to ``sink``; return its headers (lower-case names).

    The body is consumed to its end; only a window of one chunk plus the boundary is buffered.
    """
    buf = bytearray()
    exhausted = False

    def fill() -> bool:
        nonlocal exhausted
        if exhausted:
            return False
        try:
            buf.extend(next(chunks))
        except StopIteration:
            exhausted = True
            return False
        return True

    opening = b"--" + boundary
    while (at := buf.find(opening)) < 0:
        if len(buf) > len(opening):
            del buf[: len(buf) - len(opening)]
        if not fill():
            raise MultipartError("no multipart boundary found")
    del buf[: at + len(opening)]
    marker = b"\r\n--" + boundary
    chosen: dict[str, str] | None = None
    while True:
        while len(buf) < 2:
            if not fill():
                raise MultipartError("multipart body ended early")
        if buf[:2] == b"--":
            break
        while (eol := buf.find(b"\r\n")) < 0:
            if not fill():
                raise MultipartError("multipart body ended early")
        del buf[: eol + 2]
        while (end := buf.find(b"\r\n\r\n")) < 0:
            if len(buf) > 16384 or not fill():
                raise MultipartError("bad part headers")
        headers: dict[str, str] = {}
        for line in bytes(buf[:end]).decode("utf-8", "replace").split("\r\n"):
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        del buf[: end + 4]
        _disp, params = _header_params(headers.get("content-disposition", ""))
        is_file = "filename" in params or params.get("name") in ("media", "file")
        take = chosen is None and is_file
        if take:
            chosen = {**headers, **{f"param:{k}": v for k, v in params.items()}}
        keep = len(marker) - 1
        while True:
            hit = buf.find(marker)
            if hit >= 0:
                if take:
                    sink(buf[:hit])
                del buf[: hit + len(marker)]
                break
            if len(buf) > keep:
                if take:
                    sink(buf[: len(buf) - keep])
                del buf[: len(buf) - keep]
            if not fill():
                raise MultipartError("multipart body ended early")
    for _ in chunks:
        pass
    if chosen is None:
        raise MultipartError("no file part in the multipart body")
    return chosen


# ---------------------------------------------------------------------------
# The application


Handler = Callable[[Request, dict[str, str]], Response]


@dataclass(frozen=True)
class Route:
    name: str
    handler: Handler | None
    params: dict[str, str]


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/.]+)", re.escape(template))
    return re.compile(f"^{pattern}$")


class App:
    """Routes requests of the three listeners; owns settings, stats and fault rules."""

    def __init__(
        self,
        store: Store,
        defaults: Settings,
        *,
        seed: str | int = "none",
        anchor: datetime | None = None,
    ) -> None:
        self.store = store
        self.defaults = defaults
        self.settings = Settings(**asdict(defaults))
        self.stats = Stats()
        self.faults = FaultEngine()
        self.signer = UrlSigner(os.urandom(32))
        self.seed = seed
        self.anchor = anchor
        self.urls: dict[str, str] = {"api": "", "mcs": "", "cdn": ""}
        prefix = f"/{API_VERSION}/Accounts/{{AccountSid}}"
        msg = f"{prefix}/Messages/{{MessageSid}}"
        api: list[tuple[str, str, Handler]] = [
            ("GET", f"/{API_VERSION}/Accounts.json", self.list_accounts),
            ("GET", f"{prefix}.json", self.fetch_account),
            ("GET", f"{prefix}/Messages.json", self.list_messages),
            ("GET", f"{prefix}/Messages/{{Sid}}.json", self.fetch_message),
            ("DELETE", f"{prefix}/Messages/{{Sid}}.json", self.delete_message),
            ("GET", f"{msg}/Media.json", self.list_media),
            ("GET", f"{msg}/Media/{{Sid}}.json", self.fetch_media),
            ("DELETE", f"{msg}/Media/{{Sid}}.json", self.delete_media),
            ("GET", f"{msg}/Media/{{Sid}}.xml", self.fetch_media_xml),
            ("GET", f"{msg}/Media/{{Sid}}", self.media_content),
            ("HEAD", f"{msg}/Media/{{Sid}}", self.media_content),
            ("DELETE", f"{msg}/Media/{{Sid}}", self.delete_media),
        ]
        service = "/v1/Services/{ServiceSid}/Media"
        mcs: list[tuple[str, str, Handler]] = [
            ("POST", service, self.upload_chat_media),
            ("GET", f"{service}/{{Sid}}", self.fetch_chat_media),
            ("DELETE", f"{service}/{{Sid}}", self.delete_chat_media),
            ("GET", f"{service}/{{Sid}}/Content", self.chat_media_content),
            ("HEAD", f"{service}/{{Sid}}/Content", self.chat_media_content),
        ]
        cdn: list[tuple[str, str, Handler]] = [
            ("GET", "/{AccountSid}/{Sid}", self.cdn_content),
            ("HEAD", "/{AccountSid}/{Sid}", self.cdn_content),
        ]
        self._routes: dict[str, list[tuple[str, str, re.Pattern[str], Handler]]] = {
            name: [
                (method, template, _compile(template), handler)
                for method, template, handler in table
            ]
            for name, table in (("api", api), ("mcs", mcs), ("cdn", cdn))
        }
        self._control: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("POST", "reset"): self.control_reset,
            ("GET", "config"): self.control_get_config,
            ("POST", "config"): self.control_config,
            ("POST", "seed"): self.control_seed,
            ("GET", "faults"): self.control_get_faults,
            ("POST", "faults"): self.control_faults,
            ("GET", "state"): self.control_state,
            ("GET", "stats"): self.control_stats,
        }

    # -- routing -------------------------------------------------------

    def match(self, listener: str, method: str, path: str) -> Route:
        allowed = False
        route_name = ""
        for route_method, template, pattern, handler in self._routes[listener]:
            found = pattern.match(path)
            if found is None:
                continue
            if route_method == method:
                return Route(f"{method} {template}", handler, found.groupdict())
            allowed = True
            route_name = route_name or template
        if allowed:
            return Route(f"{method} {route_name}", self.method_not_allowed, {})
        return Route(f"{method} (unmatched)", None, {})

    def method_not_allowed(self, req: Request, params: dict[str, str]) -> Response:
        return twilio_error(405, 20004, "Method not allowed")

    def not_found_response(self, req: Request) -> Response:
        if req.listener == "cdn":
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        return not_found(req.path)

    # -- auth ----------------------------------------------------------

    def principal(self, req: Request) -> Account | None:
        header = req.headers.get("Authorization")
        if not header or header[:6].lower() != "basic ":
            return None
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        if not sep:
            return None
        store = self.store
        account = store.accounts.get(user)
        if account is not None:
            if hmac.compare_digest(account.auth_token.encode(), password.encode()):
                return account
            return None
        key = store.api_keys.get(user)
        if key is not None and hmac.compare_digest(key.secret.encode(), password.encode()):
            return store.accounts.get(key.account_sid)
        return None

    def can_act_on(self, principal: Account, account_sid: str) -> bool:
        if principal.sid == account_sid:
            return True
        target = self.store.accounts.get(account_sid)
        return target is not None and target.parent_sid == principal.sid

    def authorize(
        self, req: Request, account_sid: str, *, resources: bool = True
    ) -> Response | None:
        """None if the request may go on; else the 401. ``resources``: the request reads or
        changes the account's resources (Messages, Media), which a suspended or closed account
        refuses to everyone; its own record (``GET /Accounts/{sid}.json``) stays readable."""
        principal = self.principal(req)
        if principal is None or not self.can_act_on(principal, account_sid):
            return unauthorized()
        if resources:
            target = self.store.accounts.get(account_sid)
            if target is not None and not target.is_active:
                return unauthorized()
        return None

    # -- API: accounts ---------------------------------------------------

    def list_accounts(self, req: Request, params: dict[str, str]) -> Response:
        principal = self.principal(req)
        if principal is None:
            return unauthorized()
        paging = _paging(req.query)
        if isinstance(paging, Response):
            return paging
        page_size, page, token = paging
        filters: list[tuple[str, str]] = [
            (k, req.query[k]) for k in ("FriendlyName", "Status") if k in req.query
        ]
        with self.store.lock:
            visible = [principal, *self.store.subaccounts(principal.sid)]
            wanted = dict(filters)
            rows = [
                a
                for a in visible
                if ("FriendlyName" not in wanted or a.friendly_name == wanted["FriendlyName"])
                and ("Status" not in wanted or a.status == wanted["Status"])
            ]
            sids = [a.sid for a in rows]
            window = _window_by_token(sids, token, page_size, page)
            if isinstance(window, Response):
                return window
            lo, hi, has_next = window
            items = [account_json(a) for a in rows[lo:hi]]
        return json_response(
            200,
            envelope(
                "accounts",
                items,
                base=f"/{API_VERSION}/Accounts.json",
                filters=filters,
                page_size=page_size,
                page=page,
                token=token,
                next_token=f"PA{sids[hi - 1]}" if has_next and hi > lo else None,
                prev_token=f"PB{sids[lo]}" if hi > lo else None,
            ),
        )

    def fetch_account(self, req: Request, params: dict[str, str]) -> Response:
        denied = self.authorize(req, params["AccountSid"], resources=False)
        if denied:
            return denied
        with self.store.lock:
            return json_response(200, account_json(self.store.accounts[params["AccountSid"]]))

    # -- API: messages ---------------------------------------------------

    def list_messages(self, req: Request, params: dict[str, str]) -> Response:
        account_sid = params["AccountSid"]
        denied = self.authorize(req, account_sid)
        if denied:
            return denied
        paging = _paging(req.query)
        if isinstance(paging, Response):
            return paging
        page_size, page, token = paging
        query = req.query
        filters: list[tuple[str, str]] = []
        for key in ("To", "From"):
            if key in query:
                filters.append((key, query[key]))
        bounds = _date_bounds(query, "DateSent", filters)
        if isinstance(bounds, Response):
            return bounds
        since, until = bounds
        after: tuple[int, str] | None = None
        before: tuple[int, str] | None = None
        skip = 0
        if token:
            anchor = self.store.message_key(token[2:]) if token[:2] in ("PA", "PB") else None
            if anchor is None:
                return bad_request(f"Invalid PageToken {token}")
            after, before = (anchor, None) if token.startswith("PA") else (None, anchor)
        else:
            skip = page * page_size
        with self.store.lock:
            result = self.store.page_messages(
                account_sid,
                since=since,
                until=until,
                to=query.get("To"),
                from_=query.get("From"),
                page_size=page_size,
                after=after,
                before=before,
                skip=skip,
            )
            items = [message_json(m) for m in result.items]
        return json_response(
            200,
            envelope(
                "messages",
                items,
                base=f"/{API_VERSION}/Accounts/{account_sid}/Messages.json",
                filters=filters,
                page_size=page_size,
                page=page,
                token=token,
                next_token=f"PA{items[-1]['sid']}" if result.has_next and items else None,
                prev_token=f"PB{items[0]['sid']}" if items else None,
            ),
        )

    def _message(self, account_sid: str, sid: str) -> Message | None:
        message = self.store.messages.get(sid)
        if message is None or message.account_sid != account_sid:
            return None
        return message

    def fetch_message(self, req: Request, params: dict[str, str]) -> Response:
        denied = self.authorize(req, params["AccountSid"])
        if denied:
            return denied
        with self.store.lock:
            message = self._message(params["AccountSid"], params["Sid"])
            if message is None:
                return not_found(req.path)
            return json_response(200, message_json(message))

    def delete_message(self, req: Request, params: dict[str, str]) -> Response:
        denied = self.authorize(req, params["AccountSid"])
        if denied:
            return denied
        with self.store.lock:
            if self._message(params["AccountSid"], params["Sid"]) is None:
                return not_found(req.path)
            self.store.delete_message(params["Sid"])
        return Response(204)

    # -- API: media ------------------------------------------------------

    def list_media(self, req: Request, params: dict[str, str]) -> Response:
        account_sid = params["AccountSid"]
        denied = self.authorize(req, account_sid)
        if denied:
            return denied
        paging = _paging(req.query)
        if isinstance(paging, Response):
            return paging
        page_size, page, token = paging
        filters: list[tuple[str, str]] = []
        bounds = _date_bounds(req.query, "DateCreated", filters)
        if isinstance(bounds, Response):
            return bounds
        since, until = bounds
        with self.store.lock:
            message = self._message(account_sid, params["MessageSid"])
            if message is None:
                return not_found(req.path)
            rows = [
                m
                for m in message.media
                if (since is None or m.date_created >= since)
                and (until is None or m.date_created < until)
            ]
            if token:
                seq = self.store.media_seq(token[2:]) if token[:2] in ("PA", "PB") else None
                if seq is None:
                    return bad_request(f"Invalid PageToken {token}")
                if token.startswith("PA"):
                    rows = [m for m in rows if m.seq > seq]
                    chosen, has_next = rows[:page_size], len(rows) > page_size
                else:
                    chosen, has_next = [m for m in rows if m.seq < seq][-page_size:], True
            else:
                start = page * page_size
                chosen = rows[start : start + page_size]
                has_next = len(rows) > start + page_size
            items = [media_json(m) for m in chosen]
        return json_response(
            200,
            envelope(
                "media_list",
                items,
                base=f"/{API_VERSION}/Accounts/{account_sid}/Messages/{params['MessageSid']}/Media.json",
                filters=filters,
                page_size=page_size,
                page=page,
                token=token,
                next_token=f"PA{chosen[-1].sid}" if has_next and chosen else None,
                prev_token=f"PB{chosen[0].sid}" if chosen else None,
            ),
        )

    def _media(self, params: dict[str, str]) -> Media | None:
        media = self.store.media.get(params["Sid"])
        if (
            media is None
            or media.parent_sid != params["MessageSid"]
            or media.account_sid != params["AccountSid"]
        ):
            return None
        return media

    def fetch_media(self, req: Request, params: dict[str, str]) -> Response:
        denied = self.authorize(req, params["AccountSid"])
        if denied:
            return denied
        with self.store.lock:
            media = self._media(params)
            if media is None:
                return not_found(req.path)
            return json_response(200, media_json(media))

    def fetch_media_xml(self, req: Request, params: dict[str, str]) -> Response:
        if self.authorize(req, params["AccountSid"]) is not None:
            response = twilio_xml_error(401, 20003, "Authenticate")
            response.headers.append(("WWW-Authenticate", 'Basic realm="Twilio API"'))
            return response
        with self.store.lock:
            media = self._media(params)
            if media is None:
                return twilio_xml_error(
                    404, 20404, f"The requested resource {req.path} was not found"
                )
            return Response(200, [("Content-Type", _XML)], media_xml(media))

    def media_content(self, req: Request, params: dict[str, str]) -> Response:
        denied = self.authorize(req, params["AccountSid"])
        if denied:
            return denied
        with self.store.lock:
            media = self._media(params)
            if media is None:
                return not_found(req.path)
            location = self.signer.sign(f"/{media.account_sid}/{media.sid}", self.settings.url_ttl)
        return Response(
            self.settings.redirect_status,
            [("Location", location), ("Cache-Control", "no-cache")],
        )

    def delete_media(self, req: Request, params: dict[str, str]) -> Response:
        denied = self.authorize(req, params["AccountSid"])
        if denied:
            return denied
        with self.store.lock:
            if self._media(params) is None:
                return not_found(req.path)
            self.store.delete_media(params["Sid"])
        return Response(204)

    # -- CDN -------------------------------------------------------------

    def cdn_content(self, req: Request, params: dict[str, str]) -> Response:
        if "Authorization" in req.headers:
            return s3_error(
                400,
                "InvalidArgument",
                _S3_AUTH_MESSAGE,
                "<ArgumentName>Authorization</ArgumentName>",
            )
        verdict = self.signer.check(req.path, req.query)
        if verdict == "missing":
            return s3_error(
                403,
                "AccessDenied",
                "Query-string authentication requires the Signature and Expires parameters",
            )
        if verdict == "bad":
            return s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        if verdict == "expired":
            return s3_error(
                403,
                "AccessDenied",
                "Request has expired",
                f"<Expires>{escape(req.query.get('Expires', ''))}</Expires>"
                f"<ServerTime>{time.time():.3f}</ServerTime>",
            )
        with self.store.lock:
            media = self.store.media.get(params["Sid"])
            chat = self.store.chat_media.get(params["Sid"]) if media is None else None
        if media is not None and media.account_sid == params["AccountSid"]:
            return serve_content(req, media.content, media.content_type, media.date_created)
        if chat is not None and chat.account_sid == params["AccountSid"]:
            return serve_content(
                req, chat.content, chat.content_type, chat.date_created, _disposition(chat.filename)
            )
        return s3_error(404, "NoSuchKey", "The specified key does not exist.")

    # -- MCS -------------------------------------------------------------

    def _service_access(self, req: Request, service_sid: str) -> Response | None:
        principal = self.principal(req)
        if principal is None:
            return unauthorized()
        service = self.store.services.get(service_sid)
        if service is None:
            return not_found(req.path)
        if not self.can_act_on(principal, service.account_sid):
            return unauthorized()
        return None

    def chat_media_json(self, item: ChatMedia) -> dict[str, Any]:
        base = f"/v1/Services/{item.service_sid}/Media/{item.sid}"
        stamp = iso8601(item.date_created)
        return {
            "sid": item.sid,
            "account_sid": item.account_sid,
            "service_sid": item.service_sid,
            "size": item.content.size,
            "content_type": item.content_type,
            "filename": item.filename,
            "author": item.author,
            "category": "media",
            "date_created": stamp,
            "date_upload_updated": stamp,
            "date_updated": stamp,
            "message_sid": None,
            "channel_sid": None,
            "url": base,
            "links": {
                "content": f"{base}/Content",
                "content_direct_temporary": self.signer.sign(
                    f"/{item.account_sid}/{item.sid}", self.settings.url_ttl
                ),
            },
        }

    def upload_chat_media(self, req: Request, params: dict[str, str]) -> Response:
        denied = self._service_access(req, params["ServiceSid"])
        if denied:
            return denied
        limit = self.settings.max_upload_bytes
        too_large = twilio_error(
            413, 20413, f"Media exceeds the maximum allowed size of {limit} bytes"
        )
        declared = req.body.length
        if declared is not None and declared > limit:
            if declared > 4 * limit:
                too_large.close = True  # not worth reading; the connection is dropped
            else:
                req.body.drain()
            return too_large
        ctype_header = req.headers.get("Content-Type") or "application/octet-stream"
        main_type, ctype_params = _header_params(ctype_header)
        filename = req.query.get("Filename") or None
        directory = self.store.tmpdir()
        fd, path = _mkstemp(directory)
        digest = hashlib.sha256()
        size = 0
        over = False
        with os.fdopen(fd, "wb") as handle:

            def sink(piece: bytes | bytearray) -> None:
                nonlocal size, over
                size += len(piece)
                if size > limit:
                    over = True
                    return
                digest.update(piece)
                handle.write(piece)

            try:
                if main_type == "multipart/form-data":
                    boundary = ctype_params.get("boundary")
                    if not boundary:
                        req.body.drain()
                        os.unlink(path)
                        return bad_request("multipart/form-data without a boundary")
                    part = stream_multipart(req.body.iter_chunks(), boundary.encode(), sink)
                    content_type = part.get("content-type") or "application/octet-stream"
                    filename = filename or part.get("param:filename") or None
                else:
                    content_type = ctype_header
                    for piece in req.body.iter_chunks():
                        sink(piece)
            except MultipartError as exc:
                os.unlink(path)
                return bad_request(f"Bad multipart body: {exc}")
            except BodyError:
                os.unlink(path)
                raise
        if over:
            os.unlink(path)
            return too_large
        if size == 0:
            os.unlink(path)
            return bad_request("Media content is empty")
        item = self.store.add_chat_media(
            params["ServiceSid"],
            content_type,
            filename,
            FileContent(path, size, digest.hexdigest()),
            int(time.time()),
        )
        return json_response(201, self.chat_media_json(item))

    def _chat_item(self, req: Request, params: dict[str, str]) -> ChatMedia | Response:
        denied = self._service_access(req, params["ServiceSid"])
        if denied:
            return denied
        item = self.store.chat_media.get(params["Sid"])
        if item is None or item.service_sid != params["ServiceSid"]:
            return not_found(req.path)
        return item

    def fetch_chat_media(self, req: Request, params: dict[str, str]) -> Response:
        item = self._chat_item(req, params)
        if isinstance(item, Response):
            return item
        return json_response(200, self.chat_media_json(item))

    def delete_chat_media(self, req: Request, params: dict[str, str]) -> Response:
        item = self._chat_item(req, params)
        if isinstance(item, Response):
            return item
        with self.store.lock:
            self.store.chat_media.pop(item.sid, None)
        item.content.discard()
        return Response(204)

    def chat_media_content(self, req: Request, params: dict[str, str]) -> Response:
        item = self._chat_item(req, params)
        if isinstance(item, Response):
            return item
        return serve_content(
            req, item.content, item.content_type, item.date_created, _disposition(item.filename)
        )

    # -- controls ----------------------------------------------------------

    def control(self, req: Request) -> Response:
        name = req.path[len("/__emulator__/") :].strip("/")
        handler = self._control.get((req.method, name))
        if handler is None:
            if any(key[1] == name for key in self._control):
                return twilio_error(405, 20004, "Method not allowed")
            return not_found(req.path)
        try:
            return handler(req)
        except (ValueError, SeedError) as exc:
            return bad_request(str(exc))

    def _json_body(self, req: Request) -> dict[str, Any]:
        raw = req.body.read_all(_CONTROL_BODY_LIMIT)
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"body is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError("body must be a JSON object")
        return data

    def info(self) -> dict[str, str]:
        store = self.store
        with store.lock:
            return {
                "api_url": self.urls["api"],
                "mcs_url": self.urls["mcs"],
                "cdn_url": self.urls["cdn"],
                "account_sid": store.main_account_sid,
                "auth_token": store.main_account.auth_token,
                "api_key": store.api_key.sid,
                "api_secret": store.api_key.secret,
                "chat_service_sid": store.chat_service_sid,
            }

    def reset(self, seed: str | int | None = None, anchor: datetime | None = None) -> None:
        self.store.reset(self.seed if seed is None else seed, anchor or self.anchor)
        self.faults.clear()
        self.stats.reset()
        self.settings = Settings(**asdict(self.defaults))

    def control_reset(self, req: Request) -> Response:
        body = self._json_body(req)
        seed = body.get("seed", "none")
        if not isinstance(seed, (str, int)) or isinstance(seed, bool):
            raise ValueError("seed must be demo, none or a number")
        anchor = parse_datetime(body["now"]) if body.get("now") else None
        self.reset(seed, anchor)
        return json_response(200, self.info())

    def control_get_config(self, req: Request) -> Response:
        return json_response(200, asdict(self.settings))

    def control_config(self, req: Request) -> Response:
        self.settings.update(self._json_body(req))
        return json_response(200, asdict(self.settings))

    def control_seed(self, req: Request) -> Response:
        body = self._json_body(req)
        unknown = set(body) - {"accounts", "messages", "generate"}
        if unknown:
            raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
        answer: dict[str, Any] = {"accounts": [], "messages": []}
        store = self.store
        with store.lock:
            for spec in body.get("accounts") or []:
                if not isinstance(spec, dict):
                    raise ValueError("each account must be an object")
                account = store.add_account(
                    sid=spec.get("sid"),
                    auth_token=spec.get("auth_token"),
                    parent_sid=spec.get("parent_sid"),
                    friendly_name=spec.get("friendly_name"),
                    status=spec.get("status"),
                )
                answer["accounts"].append(
                    {
                        "sid": account.sid,
                        "auth_token": account.auth_token,
                        "parent_sid": account.parent_sid,
                        "friendly_name": account.friendly_name,
                        "status": account.status,
                    }
                )
            for spec in body.get("messages") or []:
                if not isinstance(spec, dict):
                    raise ValueError("each message must be an object")
                message = store.add_message(spec)
                answer["messages"].append(
                    {
                        "sid": message.sid,
                        "account_sid": message.account_sid,
                        "date_sent": iso8601(message.date_sent),
                        "num_media": str(len(message.media)),
                        "media": [
                            {
                                "sid": m.sid,
                                "content_type": m.content_type,
                                "size": m.content.size,
                                "date_created": iso8601(m.date_created),
                                "uri": media_uri(m),
                            }
                            for m in message.media
                        ],
                    }
                )
            if body.get("generate") is not None:
                spec = body["generate"]
                if not isinstance(spec, dict):
                    raise ValueError("generate must be an object")
                messages, media = store.generate(spec)
                answer["generated"] = {"messages": messages, "media": media}
        return json_response(200, answer)

    def control_get_faults(self, req: Request) -> Response:
        return json_response(200, {"rules": self.faults.rules()})

    def control_faults(self, req: Request) -> Response:
        body = self._json_body(req)
        self.faults.set_rules(body.get("rules", []))
        return json_response(200, {"rules": self.faults.rules()})

    def control_state(self, req: Request) -> Response:
        return json_response(200, self.store.state(req.query.get("account_sid")))

    def control_stats(self, req: Request) -> Response:
        return json_response(200, self.stats.snapshot(settle=0.5))


# ---------------------------------------------------------------------------
# Helpers


def _disposition(filename: str | None) -> list[tuple[str, str]]:
    """``inline; filename="…"`` with printable ASCII, plus RFC 6266 ``filename*`` carrying the
    exact name when it had to be changed (non-ASCII, control characters, quotes, backslashes):
    header bytes are Latin-1 on the wire and field values may not hold control characters."""
    if not filename:
        return []
    safe = "".join(c if " " <= c < "\x7f" and c not in '"\\' else "_" for c in filename)
    if safe == filename:
        return [("Content-Disposition", f'inline; filename="{safe}"')]
    encoded = quote(filename, safe="")
    return [("Content-Disposition", f"inline; filename=\"{safe}\"; filename*=UTF-8''{encoded}")]


def _mkstemp(directory: str) -> tuple[int, str]:
    return tempfile.mkstemp(prefix="upload-", dir=directory)


def _paging(query: Mapping[str, str]) -> tuple[int, int, str | None] | Response:
    try:
        page_size = int(query.get("PageSize", DEFAULT_PAGE_SIZE))
        page = int(query.get("Page", 0))
    except ValueError:
        return bad_request("PageSize and Page must be integers")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        return bad_request(f"PageSize must be between 1 and {MAX_PAGE_SIZE}")
    if page < 0:
        return bad_request("Page must not be negative")
    return page_size, page, query.get("PageToken") or None


_DATE_FILTER_ALIASES: Final = {"<=": "<", ">=": ">"}


def _date_bounds(
    query: Mapping[str, str], name: str, filters: list[tuple[str, str]]
) -> tuple[int | None, int | None] | Response:
    """GMT-day bounds ``since <= t < until`` from ``Name``, ``Name<`` and ``Name>``."""
    since: int | None = None
    until: int | None = None
    for suffix in ("", "<", ">", "<=", ">="):
        key = name + suffix
        if key not in query:
            continue
        value = query[key]
        try:
            day = parse_day(value)
        except ValueError:
            return bad_request(f"Invalid {key}: {value!r} is not a date")
        canonical = _DATE_FILTER_ALIASES.get(suffix, suffix)
        filters.append((name + canonical, value))
        start = day_start(day)
        if canonical in ("", ">"):
            since = start if since is None else max(since, start)
        if canonical in ("", "<"):
            until = start + DAY if until is None else min(until, start + DAY)
    return since, until


def _window_by_token(
    sids: list[str], token: str | None, page_size: int, page: int
) -> tuple[int, int, bool] | Response:
    if token:
        if token[:2] not in ("PA", "PB") or token[2:] not in sids:
            return bad_request(f"Invalid PageToken {token}")
        at = sids.index(token[2:])
        if token.startswith("PA"):
            lo = at + 1
            hi = min(len(sids), lo + page_size)
        else:
            hi = at
            lo = max(0, hi - page_size)
        return lo, hi, hi < len(sids)
    lo = min(len(sids), page * page_size)
    hi = min(len(sids), lo + page_size)
    return lo, hi, hi < len(sids)


__all__ = [
    "App",
    "Request",
    "RequestBody",
    "Response",
    "Settings",
    "reason",
    "twilio_error",
    "utc_timestamp",
]
