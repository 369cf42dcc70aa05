"""In-memory state of the emulator: accounts, messages, media, chat media and their content."""

from __future__ import annotations

import base64
import bisect
import contextlib
import hashlib
import os
import random
import re
import shutil
import string
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Final, Protocol

CHUNK_SIZE: Final = 256 * 1024
"""Size of the pieces content is written in (large pieces keep throughput close to curl's)."""

PATTERN_SIZE: Final = 64 * 1024
DAY: Final = 86400

_DAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)

_MAGIC: Final[dict[str, tuple[bytes, bytes]]] = {
    "image/jpeg": (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
        b"\xff\xd9",
    ),
    "image/png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\x00\x00\x00\x00IEND\xaeB`\x82"),
    "image/gif": (b"GIF89a", b";"),
    "application/pdf": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b"\n%%EOF\n"),
    "video/mp4": (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", b""),
    "text/vcard": (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Demo Contact\r\nNOTE:", b"\r\nEND:VCARD\r\n"),
    "audio/amr": (b"#!AMR\n", b""),
}

_PRINTABLE: Final = (string.ascii_letters + string.digits + " .,-\n").encode()
_TEXT_TABLE: Final = bytes(_PRINTABLE[i % len(_PRINTABLE)] for i in range(256))

_DAY_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ---------------------------------------------------------------------------
# Time helpers


def utc_timestamp(value: datetime) -> int:
    """Whole seconds since the epoch; a naive datetime is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp() // 1)


def rfc2822(ts: int) -> str:
    """``Fri, 24 May 2019 17:44:46 +0000``, the way Twilio writes dates (locale-independent)."""
    t = datetime.fromtimestamp(ts, timezone.utc)
    return (
        f"{_DAYS[t.weekday()]}, {t.day:02d} {_MONTHS[t.month - 1]} {t.year:04d} "
        f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} +0000"
    )


def http_date(ts: int) -> str:
    """``Fri, 24 May 2019 17:44:46 GMT`` for Last-Modified and Date headers."""
    return rfc2822(ts)[:-5] + "GMT"


def iso8601(ts: int) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: str) -> datetime:
    """Parse ``YYYY-MM-DD``, ISO 8601 or RFC 2822 into an aware UTC datetime."""
    text = value.strip()
    if not text:
        raise ValueError("empty date")
    if _DAY_RE.match(text):
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    parsed: datetime | None = None
    try:
        # Python 3.10's fromisoformat does not know the "Z" suffix.
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        raise ValueError(f"not a date: {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError as exc:  # 0001-01-01T00:30+01:00 or 9999-12-31T23:00-05:00
        raise ValueError(f"not a date: {value!r}") from exc


def parse_day(value: str) -> date:
    """The GMT day a filter value names (Twilio ignores the time of day in date filters)."""
    return parse_datetime(value).date()


def day_start(day: date) -> int:
    return utc_timestamp(datetime(day.year, day.month, day.day, tzinfo=timezone.utc))


def default_anchor() -> datetime:
    """Today's UTC midnight: demo dates are relative to it so a day's runs agree."""
    now = datetime.now(timezone.utc)
    return datetime(now.year, now.month, now.day, tzinfo=timezone.utc)


def new_hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


# ---------------------------------------------------------------------------
# Content: bytes served by the CDN and MCS, never all held in memory


class Content(Protocol):
    size: int

    def iter_range(self, start: int, end: int) -> Iterator[bytes | memoryview]:
        """Yield the bytes in ``[start, end)`` in pieces of at most CHUNK_SIZE."""
        ...

    def sha256(self) -> str: ...

    def etag(self) -> str: ...

    def discard(self) -> None: ...


class GeneratedContent:
    """Deterministic bytes: a magic header for the type, a pattern from the key, a trailer."""

    __slots__ = ("_digest", "_head", "_tail", "content_type", "key", "size")

    def __init__(self, key: str, size: int, content_type: str) -> None:
        self.key = key
        self.size = max(0, int(size))
        self.content_type = content_type
        head, tail = _MAGIC.get(content_type.split(";")[0].strip().lower(), (b"", b""))
        if len(head) + len(tail) > self.size:
            head, tail = head[: self.size], b""
        self._head = head
        self._tail = tail
        self._digest: str | None = None

    def _pattern(self, length: int) -> bytes:
        # randbytes(n) is a prefix of randbytes(m) for n <= m (both multiples of 4), so a small
        # media's bytes are those a large one with the same key would start with.
        seed = int.from_bytes(hashlib.sha256(self.key.encode()).digest()[:16], "big")
        pattern = random.Random(seed).randbytes((length + 3) & ~3)[:length]
        if self.content_type.startswith("text/"):
            pattern = pattern.translate(_TEXT_TABLE)
        return pattern

    def iter_range(self, start: int, end: int) -> Iterator[bytes | memoryview]:
        end = min(end, self.size)
        if start >= end:
            return
        head_end = len(self._head)
        tail_start = self.size - len(self._tail)
        pos = start
        if pos < head_end:
            stop = min(end, head_end)
            yield self._head[pos:stop]
            pos = stop
        body_end = min(end, tail_start)
        if pos < body_end:
            body_length = tail_start - head_end
            if body_length <= PATTERN_SIZE:
                view = memoryview(self._pattern(body_length))
                yield view[pos - head_end : body_end - head_end]
                pos = body_end
            else:
                pattern = self._pattern(PATTERN_SIZE)
                span = min(body_end - pos, CHUNK_SIZE)
                tile = memoryview(pattern * ((PATTERN_SIZE + span) // PATTERN_SIZE + 1))
                while pos < body_end:
                    offset = (pos - head_end) % PATTERN_SIZE
                    count = min(CHUNK_SIZE, body_end - pos)
                    yield tile[offset : offset + count]
                    pos += count
        if pos < end:
            yield self._tail[pos - tail_start : end - tail_start]

    def sha256(self) -> str:
        if self._digest is None:
            digest = hashlib.sha256()
            for piece in self.iter_range(0, self.size):
                digest.update(piece)
            self._digest = digest.hexdigest()
        return self._digest

    def etag(self) -> str:
        tag = hashlib.sha1(  # noqa: S324 - an ETag, not a security boundary
            f"{self.key}:{self.size}:{self.content_type}".encode()
        ).hexdigest()
        return f'"{tag}"'

    def discard(self) -> None:
        return None


class BytesContent:
    """Small content given inline (``content_b64`` in POST seed)."""

    __slots__ = ("_digest", "data", "size")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)
        self._digest = hashlib.sha256(data).hexdigest()

    def iter_range(self, start: int, end: int) -> Iterator[bytes | memoryview]:
        view = memoryview(self.data)
        end = min(end, self.size)
        for pos in range(start, end, CHUNK_SIZE):
            yield view[pos : min(end, pos + CHUNK_SIZE)]

    def sha256(self) -> str:
        return self._digest

    def etag(self) -> str:
        return f'"{self._digest[:32]}"'

    def discard(self) -> None:
        return None


class FileContent:
    """Uploaded content, spooled to a temporary file while it arrived."""

    __slots__ = ("_digest", "path", "size")

    def __init__(self, path: str, size: int, digest: str) -> None:
        self.path = path
        self.size = size
        self._digest = digest

    def iter_range(self, start: int, end: int) -> Iterator[bytes | memoryview]:
        end = min(end, self.size)
        with open(self.path, "rb") as handle:
            handle.seek(start)
            pos = start
            while pos < end:
                piece = handle.read(min(CHUNK_SIZE, end - pos))
                if not piece:
                    return
                yield piece
                pos += len(piece)

    def sha256(self) -> str:
        return self._digest

    def etag(self) -> str:
        return f'"{self._digest[:32]}"'

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.path)


# ---------------------------------------------------------------------------
# Records


ACCOUNT_STATUSES: Final = ("active", "suspended", "closed")
"""Twilio's account statuses; only an active account's resources answer (see authorize)."""


@dataclass
class Account:
    sid: str
    auth_token: str
    friendly_name: str
    parent_sid: str | None
    date_created: int
    status: str = "active"

    @property
    def is_active(self) -> bool:
        return self.status == "active"


@dataclass
class ApiKey:
    sid: str
    secret: str
    account_sid: str
    friendly_name: str


@dataclass
class ChatService:
    sid: str
    account_sid: str
    friendly_name: str


@dataclass(eq=False)
class Media:
    sid: str
    account_sid: str
    parent_sid: str
    content_type: str
    date_created: int
    date_updated: int
    content: Content
    seq: int


@dataclass(eq=False)
class Message:
    sid: str
    account_sid: str
    date_sent: int
    date_created: int
    date_updated: int
    to: str
    from_: str
    body: str
    direction: str = "inbound"
    status: str = "received"
    num_segments: str = "1"
    price: str | None = None
    price_unit: str = "USD"
    messaging_service_sid: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    media: list[Media] = field(default_factory=list)

    @property
    def key(self) -> tuple[int, str]:
        return (self.date_sent, self.sid)


@dataclass(eq=False)
class ChatMedia:
    sid: str
    account_sid: str
    service_sid: str
    content_type: str
    filename: str | None
    author: str
    date_created: int
    content: Content


class _AccountIndex:
    """One account's message keys ``(date_sent, sid)`` ascending; sorted lazily after bulk adds."""

    __slots__ = ("dirty", "keys")

    def __init__(self) -> None:
        self.keys: list[tuple[int, str]] = []
        self.dirty = False

    def add(self, key: tuple[int, str]) -> None:
        if self.keys and not self.dirty and key < self.keys[-1]:
            self.dirty = True
        self.keys.append(key)

    def sorted_keys(self) -> list[tuple[int, str]]:
        if self.dirty:
            self.keys.sort()
            self.dirty = False
        return self.keys

    def remove(self, key: tuple[int, str]) -> None:
        keys = self.sorted_keys()
        i = bisect.bisect_left(keys, key)
        if i < len(keys) and keys[i] == key:
            del keys[i]


class SeedError(ValueError):
    """A POST seed body that cannot be applied."""


@dataclass(frozen=True)
class Page:
    items: list[Any]
    has_next: bool


# ---------------------------------------------------------------------------
# The store

_DEMO_TYPES: Final[tuple[tuple[str, int, int, int], ...]] = (
    # content type, weight, min size, max size
    ("image/jpeg", 40, 20_000, 400_000),
    ("image/png", 14, 8_000, 600_000),
    ("image/gif", 10, 30_000, 900_000),
    ("application/pdf", 10, 20_000, 500_000),
    ("video/mp4", 6, 300_000, 2_500_000),
    ("text/vcard", 12, 180, 1_500),
    ("audio/amr", 8, 4_000, 60_000),
)
_DEMO_NUMBER: Final = "+15017122661"
_DEMO_CUSTOMERS: Final = tuple(f"+1415555{n:04d}" for n in (101, 117, 123, 142, 166, 189, 203, 230))
_DEMO_BODIES: Final = (
    "Here is the photo",
    "Receipt attached",
    "See attached",
    "Your order has shipped",
    "Thanks!",
    "Can you send the invoice?",
    "Contact card",
    "Voice note",
    "",
)


class Store:
    """All emulator state, guarded by one re-entrant lock (``store.lock``)."""

    def __init__(self, anchor: datetime | None = None) -> None:
        self.lock = threading.RLock()
        self.anchor = anchor or default_anchor()
        self._tmpdir: str | None = None
        self._init_empty()

    # -- lifecycle -----------------------------------------------------

    def _init_empty(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.api_keys: dict[str, ApiKey] = {}
        self.services: dict[str, ChatService] = {}
        self.messages: dict[str, Message] = {}
        self.media: dict[str, Media] = {}
        self.chat_media: dict[str, ChatMedia] = {}
        self._index: dict[str, _AccountIndex] = {}
        self._message_tombstones: dict[str, tuple[int, str]] = {}
        self._media_tombstones: dict[str, int] = {}
        self._seq = 0
        self._rng = random.Random("media-cli-emulator-runtime")
        self.main_account_sid = ""
        self.api_key_sid = ""
        self.chat_service_sid = ""

    def reset(self, seed: str | int = "none", anchor: datetime | None = None) -> None:
        """Back to the base accounts, then apply ``seed`` ("none", "demo" or a message count)."""
        with self.lock:
            for item in list(self.media.values()) + list(self.chat_media.values()):
                item.content.discard()
            self._init_empty()
            if anchor is not None:
                self.anchor = anchor
            self._add_base_accounts()
            if seed == "demo":
                self._seed_demo(None)
            elif seed == "none":
                pass
            elif isinstance(seed, int) or (isinstance(seed, str) and seed.isdigit()):
                self._seed_demo(int(seed))
            else:
                raise SeedError(f"unknown seed {seed!r}: use demo, none or a number")

    def close(self) -> None:
        with self.lock:
            for item in list(self.media.values()) + list(self.chat_media.values()):
                item.content.discard()
            self._init_empty()
            if self._tmpdir is not None:
                shutil.rmtree(self._tmpdir, ignore_errors=True)
                self._tmpdir = None

    def tmpdir(self) -> str:
        with self.lock:
            if self._tmpdir is None:
                self._tmpdir = tempfile.mkdtemp(prefix="media-cli-emulator-")
            return self._tmpdir

    def new_sid(self, prefix: str) -> str:
        with self.lock:
            while True:
                sid = prefix + new_hex(self._rng)
                if sid not in self.messages and sid not in self.media and sid not in self.accounts:
                    return sid

    # -- base data -----------------------------------------------------

    def _add_base_accounts(self) -> None:
        rng = random.Random("media-cli-emulator-base")
        created = utc_timestamp(datetime(2020, 1, 15, 9, 30, tzinfo=timezone.utc))
        main = Account("AC" + new_hex(rng), new_hex(rng), "media-cli demo", None, created)
        self.accounts[main.sid] = main
        self.main_account_sid = main.sid
        key = ApiKey("SK" + new_hex(rng), new_hex(rng), main.sid, "media-cli demo key")
        self.api_keys[key.sid] = key
        self.api_key_sid = key.sid
        service = ChatService("IS" + new_hex(rng), main.sid, "media-cli demo chat")
        self.services[service.sid] = service
        self.chat_service_sid = service.sid
        for i, name in enumerate(("Support", "Marketing", "Archive"), start=1):
            sub = Account("AC" + new_hex(rng), new_hex(rng), name, main.sid, created + i * DAY)
            self.accounts[sub.sid] = sub

    @property
    def main_account(self) -> Account:
        return self.accounts[self.main_account_sid]

    @property
    def api_key(self) -> ApiKey:
        return self.api_keys[self.api_key_sid]

    def subaccounts(self, parent_sid: str) -> list[Account]:
        with self.lock:
            subs = [a for a in self.accounts.values() if a.parent_sid == parent_sid]
        return sorted(subs, key=lambda a: (a.date_created, a.sid))

    def _seed_demo(self, count: int | None) -> None:
        rng = random.Random("media-cli-demo")
        anchor = utc_timestamp(self.anchor)
        subs = self.subaccounts(self.main_account_sid)
        plan = [(self.main_account_sid, 320 if count is None else count)]
        plan += [(sub.sid, n) for sub, n in zip(subs, (40, 25, 12), strict=False)]
        types = list(_DEMO_TYPES)
        weights = [t[1] for t in _DEMO_TYPES]
        messaging_service = "MG" + new_hex(rng)
        for account_sid, n in plan:
            for _ in range(n):
                date_sent = anchor - rng.randrange(60, 400 * DAY)
                inbound = rng.random() < 0.6
                customer = rng.choice(_DEMO_CUSTOMERS)
                n_media = 0 if rng.random() < 0.3 else rng.choice((1, 1, 1, 1, 2, 2, 3, 5))
                sid = ("MM" if n_media else "SM") + new_hex(rng)
                message = Message(
                    sid=sid,
                    account_sid=account_sid,
                    date_sent=date_sent,
                    date_created=date_sent - (0 if inbound else rng.randrange(0, 4)),
                    date_updated=date_sent,
                    to=_DEMO_NUMBER if inbound else customer,
                    from_=customer if inbound else _DEMO_NUMBER,
                    body=rng.choice(_DEMO_BODIES),
                    direction="inbound" if inbound else "outbound-api",
                    status="received" if inbound else "delivered",
                    price="-0.02000" if n_media else "-0.00790",
                    messaging_service_sid=None if inbound else messaging_service,
                )
                self._insert_message(message)
                for _ in range(n_media):
                    ctype, _w, low, high = rng.choices(types, weights)[0]
                    size = rng.randrange(low, high)
                    created = date_sent
                    if rng.random() < 0.03:
                        # Media created on another GMT day than the message was sent.
                        created = date_sent + rng.randrange(DAY, 3 * DAY)
                    media_sid = "ME" + new_hex(rng)
                    self._insert_media(
                        message, media_sid, ctype, created, GeneratedContent(media_sid, size, ctype)
                    )

    # -- mutation ------------------------------------------------------

    def _insert_message(self, message: Message) -> None:
        self.messages[message.sid] = message
        self._message_tombstones.pop(message.sid, None)
        self._index.setdefault(message.account_sid, _AccountIndex()).add(message.key)

    def _insert_media(
        self, message: Message, sid: str, content_type: str, created: int, content: Content
    ) -> Media:
        self._seq += 1
        media = Media(
            sid=sid,
            account_sid=message.account_sid,
            parent_sid=message.sid,
            content_type=content_type,
            date_created=created,
            date_updated=created,
            content=content,
            seq=self._seq,
        )
        message.media.append(media)
        self.media[sid] = media
        return media

    def add_account(
        self,
        sid: str | None = None,
        auth_token: str | None = None,
        parent_sid: str | None = None,
        friendly_name: str | None = None,
        status: str | None = None,
    ) -> Account:
        with self.lock:
            if sid is not None and not re.fullmatch(r"AC[0-9a-fA-F]{32}", sid):
                raise SeedError(f"bad account sid {sid!r}")
            if status is not None and status not in ACCOUNT_STATUSES:
                raise SeedError(f"bad account status {status!r}: use {', '.join(ACCOUNT_STATUSES)}")
            if parent_sid is not None and parent_sid not in self.accounts:
                raise SeedError(f"unknown parent_sid {parent_sid!r}")
            sid = sid or self.new_sid("AC")
            existing = self.accounts.get(sid)
            account = Account(
                sid=sid,
                auth_token=auth_token or (existing.auth_token if existing else new_hex(self._rng)),
                friendly_name=friendly_name or (existing.friendly_name if existing else sid),
                parent_sid=parent_sid
                if parent_sid is not None
                else (existing.parent_sid if existing else None),
                date_created=existing.date_created if existing else utc_timestamp(self.anchor),
                status=status or (existing.status if existing else "active"),
            )
            self.accounts[sid] = account
            return account

    def add_message(self, spec: dict[str, Any]) -> Message:
        """Add one message described like POST seed's ``messages`` items."""
        with self.lock:
            account_sid = str(spec.get("account_sid") or self.main_account_sid)
            if account_sid not in self.accounts:
                raise SeedError(f"unknown account_sid {account_sid!r}")
            media_specs = spec.get("media") or []
            if not isinstance(media_specs, list):
                raise SeedError("media must be a list")
            sid = spec.get("sid")
            if sid is None:
                sid = self.new_sid("MM" if media_specs else "SM")
            if not re.fullmatch(r"(SM|MM)[0-9a-fA-F]{32}", str(sid)):
                raise SeedError(f"bad message sid {sid!r}")
            if sid in self.messages:
                raise SeedError(f"message {sid} already exists")
            date_sent = _seed_time(spec.get("date_sent"), utc_timestamp(datetime.now(timezone.utc)))
            direction = str(spec.get("direction", "inbound"))
            message = Message(
                sid=str(sid),
                account_sid=account_sid,
                date_sent=date_sent,
                date_created=_seed_time(spec.get("date_created"), date_sent),
                date_updated=date_sent,
                to=str(spec.get("to", _DEMO_NUMBER)),
                from_=str(spec.get("from", _DEMO_CUSTOMERS[0])),
                body=str(spec.get("body", "")),
                direction=direction,
                status=str(
                    spec.get("status", "received" if direction == "inbound" else "delivered")
                ),
                price=spec.get("price"),
            )
            prepared = [self._prepare_media(m, date_sent) for m in media_specs]
            self._insert_message(message)
            for media_sid, ctype, created, content in prepared:
                self._insert_media(message, media_sid, ctype, created, content)
            return message

    def _prepare_media(self, spec: Any, date_sent: int) -> tuple[str, str, int, Content]:
        if not isinstance(spec, dict):
            raise SeedError("each media must be an object")
        sid = spec.get("sid") or self.new_sid("ME")
        if not re.fullmatch(r"ME[0-9a-fA-F]{32}", str(sid)) or sid in self.media:
            raise SeedError(f"bad or duplicate media sid {sid!r}")
        ctype = str(spec.get("content_type", "image/jpeg"))
        content: Content
        if spec.get("content_b64") is not None:
            try:
                content = BytesContent(base64.b64decode(str(spec["content_b64"]), validate=True))
            except ValueError as exc:
                raise SeedError(f"bad content_b64: {exc}") from exc
        else:
            size = spec.get("size", 1024)
            if not isinstance(size, int) or size < 0:
                raise SeedError(f"bad size {size!r}")
            content = GeneratedContent(str(sid), size, ctype)
        return str(sid), ctype, _seed_time(spec.get("date_created"), date_sent), content

    def generate(self, spec: dict[str, Any]) -> tuple[int, int]:
        """Bulk-add ``messages`` evenly spread over ``[start, end]`` (newest at ``end``)."""
        with self.lock:
            account_sid = str(spec.get("account_sid") or self.main_account_sid)
            if account_sid not in self.accounts:
                raise SeedError(f"unknown account_sid {account_sid!r}")
            count = _nonneg_int(spec.get("messages", 100), "messages")
            per = _nonneg_int(spec.get("media_per_message", 1), "media_per_message")
            size = _nonneg_int(spec.get("media_size", 1024), "media_size")
            ctype = str(spec.get("content_type", "image/jpeg"))
            end = _seed_time(spec.get("end"), utc_timestamp(self.anchor))
            start = _seed_time(spec.get("start"), end - 400 * DAY)
            if start > end:
                raise SeedError("start is after end")
            rng = random.Random(f"generate:{account_sid}:{len(self.messages)}:{self._seq}")
            step = (end - start) / count if count else 0.0
            for i in range(count):
                date_sent = end - int(i * step)
                sid = ("MM" if per else "SM") + new_hex(rng)
                while sid in self.messages:
                    sid = ("MM" if per else "SM") + new_hex(rng)
                message = Message(
                    sid=sid,
                    account_sid=account_sid,
                    date_sent=date_sent,
                    date_created=date_sent,
                    date_updated=date_sent,
                    to=_DEMO_NUMBER,
                    from_=_DEMO_CUSTOMERS[i % len(_DEMO_CUSTOMERS)],
                    body=f"Generated message {i}",
                )
                self._insert_message(message)
                for _ in range(per):
                    media_sid = "ME" + new_hex(rng)
                    content = GeneratedContent(media_sid, size, ctype)
                    self._insert_media(message, media_sid, ctype, date_sent, content)
            return count, count * per

    def delete_message(self, sid: str) -> Message | None:
        with self.lock:
            message = self.messages.pop(sid, None)
            if message is None:
                return None
            self._message_tombstones[sid] = message.key
            self._index[message.account_sid].remove(message.key)
            for media in message.media:
                self.media.pop(media.sid, None)
                self._media_tombstones[media.sid] = media.seq
                media.content.discard()
            message.media = []
            return message

    def delete_media(self, sid: str) -> Media | None:
        with self.lock:
            media = self.media.pop(sid, None)
            if media is None:
                return None
            message = self.messages.get(media.parent_sid)
            if message is not None:
                message.media = [m for m in message.media if m.sid != sid]
            self._media_tombstones[sid] = media.seq
            media.content.discard()
            return media

    def add_chat_media(
        self,
        service_sid: str,
        content_type: str,
        filename: str | None,
        content: Content,
        now: int,
    ) -> ChatMedia:
        with self.lock:
            service = self.services[service_sid]
            item = ChatMedia(
                sid=self.new_sid("ME"),
                account_sid=service.account_sid,
                service_sid=service_sid,
                content_type=content_type,
                filename=filename,
                author="system",
                date_created=now,
                content=content,
            )
            self.chat_media[item.sid] = item
            return item

    # -- queries ---------------------------------------------------------

    def message_key(self, sid: str) -> tuple[int, str] | None:
        """Sort key of a message, even one deleted since (page tokens outlive their message)."""
        with self.lock:
            message = self.messages.get(sid)
            if message is not None:
                return message.key
            return self._message_tombstones.get(sid)

    def media_seq(self, sid: str) -> int | None:
        with self.lock:
            media = self.media.get(sid)
            if media is not None:
                return media.seq
            return self._media_tombstones.get(sid)

    def page_messages(
        self,
        account_sid: str,
        *,
        since: int | None,
        until: int | None,
        to: str | None,
        from_: str | None,
        page_size: int,
        after: tuple[int, str] | None = None,
        before: tuple[int, str] | None = None,
        skip: int = 0,
    ) -> Page:
        """Messages newest first with ``since <= date_sent < until``.

        ``after`` starts below a key (next page), ``before`` ends above a key (previous page).
        """
        with self.lock:
            index = self._index.get(account_sid)
            if index is None:
                return Page([], False)
            keys = index.sorted_keys()
            lo = 0 if since is None else bisect.bisect_left(keys, (since, ""))
            hi = len(keys) if until is None else bisect.bisect_left(keys, (until, ""))
            messages = self.messages

            def matches(message: Message) -> bool:
                return (to is None or message.to == to) and (
                    from_ is None or message.from_ == from_
                )

            if before is not None:
                lo = max(lo, bisect.bisect_right(keys, before))
                found: list[Message] = []
                for i in range(lo, hi):
                    message = messages[keys[i][1]]
                    if matches(message):
                        found.append(message)
                        if len(found) == page_size:
                            break
                found.reverse()
                return Page(found, True)
            if after is not None:
                hi = min(hi, bisect.bisect_left(keys, after))
            items: list[Message] = []
            for i in range(hi - 1, lo - 1, -1):
                message = messages[keys[i][1]]
                if not matches(message):
                    continue
                if skip:
                    skip -= 1
                    continue
                if len(items) == page_size:
                    return Page(items, True)
                items.append(message)
            return Page(items, False)

    def state(self, account_sid: str | None = None) -> dict[str, Any]:
        with self.lock:
            accounts = [
                a for a in self.accounts.values() if account_sid is None or a.sid == account_sid
            ]
            messages = [
                m
                for m in self.messages.values()
                if account_sid is None or m.account_sid == account_sid
            ]
            messages.sort(key=lambda m: (m.account_sid, -m.date_sent, m.sid))
            chat = [
                c
                for c in self.chat_media.values()
                if account_sid is None or c.account_sid == account_sid
            ]
            snapshot = [(m, list(m.media)) for m in messages]
        return {
            "accounts": [
                {
                    "sid": a.sid,
                    "friendly_name": a.friendly_name,
                    "parent_sid": a.parent_sid,
                    "auth_token": a.auth_token,
                    "status": a.status,
                }
                for a in accounts
            ],
            "messages": [
                {
                    "sid": m.sid,
                    "account_sid": m.account_sid,
                    "date_sent": iso8601(m.date_sent),
                    "to": m.to,
                    "from": m.from_,
                    "num_media": str(len(media)),
                    "media": [
                        {
                            "sid": x.sid,
                            "content_type": x.content_type,
                            "size": x.content.size,
                            "sha256": x.content.sha256(),
                            "date_created": iso8601(x.date_created),
                        }
                        for x in media
                    ],
                }
                for m, media in snapshot
            ],
            "chat_media": [
                {
                    "sid": c.sid,
                    "account_sid": c.account_sid,
                    "service_sid": c.service_sid,
                    "content_type": c.content_type,
                    "filename": c.filename,
                    "size": c.content.size,
                    "sha256": c.content.sha256(),
                    "date_created": iso8601(c.date_created),
                }
                for c in chat
            ],
        }


def _seed_time(value: Any, default: int) -> int:
    if value is None:
        return default
    if not isinstance(value, str):
        raise SeedError(f"dates are ISO 8601 strings, got {value!r}")
    try:
        return utc_timestamp(parse_datetime(value))
    except ValueError as exc:
        raise SeedError(str(exc)) from exc


def _nonneg_int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SeedError(f"{name} must be a non-negative integer")
    return value


def day_bounds(day: date) -> tuple[int, int]:
    start = day_start(day)
    return start, start + DAY


def shift_days(day: date, days: int) -> date:
    return day + timedelta(days=days)
