"""Naming, layout, resume, ``.part`` + rename, size and sha256 checks, and the manifest."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import queue
import re
import stat
import string
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, Final, Protocol

from media_cli.errors import (
    ApiError,
    AuthError,
    DownloadError,
    MediaCliError,
    NotFoundError,
    UsageError,
)
from media_cli.models import Media
from media_cli.timeparse import iso_utc, parse_twilio_date

if TYPE_CHECKING:
    from media_cli.bulk import AccountRefusals
    from media_cli.client import Content, MediaClient

DOWNLOADED: Final = "downloaded"
SKIPPED: Final = "skipped"
FAILED: Final = "failed"

DEFAULT_LAYOUT: Final = "{message_sid}/{sid}{ext}"
MANIFEST_NAME: Final = "manifest.jsonl"
PART_SUFFIX: Final = ".part"
CHUNK_SIZE: Final = 512 * 1024
# The error of a media that still answers 404 once its retries are spent.
NOT_FOUND: Final = "not found"
MAX_NAME_BYTES: Final = 200
LINK_REFRESHES: Final = 2
BODY_ATTEMPTS: Final = 2
WRITEBACK_EVERY: Final = 16 * 1024 * 1024
RESUME_OVERLAP: Final = 64 * 1024
_CDN_OK_STATUSES: Final = frozenset({401, 403, 416})

LAYOUT_FIELDS: Final = {
    "account_sid": "the account (AC…)",
    "message_sid": "the message (MM…/SM…)",
    "sid": "the media (ME…)",
    "ext": "the extension from the Content-Type, with its dot (.jpg)",
    "content_type": "the Content-Type with '/' as '_' (image_jpeg)",
    "date_created": "when the media was created (UTC); strftime spec: {date_created:%Y/%m/%d}",
    "date_sent": "when its message was sent (UTC; the media's date when unknown)",
}

_EXTENSIONS: Final = {
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/pjpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/bmp": ".bmp",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/tiff": ".tiff",
    "audio/amr": ".amr",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/ogg": ".ogg",
    "audio/wav": ".wav",
    "text/vcard": ".vcf",
    "text/x-vcard": ".vcf",
    "text/directory": ".vcf",
    "text/plain": ".txt",
    "text/csv": ".csv",
    "text/calendar": ".ics",
    "video/mp4": ".mp4",
    "video/3gpp": ".3gp",
    "video/quicktime": ".mov",
    "application/pdf": ".pdf",
    "application/octet-stream": ".bin",
}
_EXT_SHAPE: Final = re.compile(r"^\.[A-Za-z0-9]{1,10}$")
_WINDOWS_RESERVED: Final = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"COM{i}" for i in range(10)]
    + [f"LPT{i}" for i in range(10)]
    + ["COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³"]
)
_WINDOWS_BAD_CHARS: Final = re.compile(r'[<>:"|?*]')


# -- names -------------------------------------------------------------------------------


def safe_filename(name: str, *, default: str = "file") -> str:
    """A server- or uploader-supplied name reduced to a safe basename.

    No directory part (``/`` and ``\\`` both count), no leading dots (no hidden files, no
    ``..``), no NUL or control characters, no characters Windows refuses, no Windows device
    name (CON, NUL, COM1…), at most 200 UTF-8 bytes (the extension is kept). Empty → default.
    """
    text = unicodedata.normalize("NFC", str(name))
    text = "".join(
        "_" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )
    text = text.replace("\\", "/")
    parts = [p for p in text.split("/") if p.strip(" .")]
    text = parts[-1] if parts else ""
    text = _WINDOWS_BAD_CHARS.sub("_", text)
    # Dots and spaces interleave (". .x"): strip them together, or a hidden ".x" survives.
    text = re.sub(r"^[\s.]+|[\s.]+$", "", text)
    if not text:
        return default
    stem = text.split(".", 1)[0].strip().upper()
    if stem in _WINDOWS_RESERVED:
        text = "_" + text
    return _bound_length(text, MAX_NAME_BYTES)


def _bound_length(text: str, limit: int) -> str:
    if len(text.encode("utf-8")) <= limit:
        return text
    stem, dot, ext = text.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8")) > 16:
        stem, ext = text, ""
    suffix = f".{ext}" if ext else ""
    room = limit - len(suffix.encode("utf-8"))
    encoded = stem.encode("utf-8")[:room]
    cut = encoded.decode("utf-8", errors="ignore").rstrip(" .")
    return (cut or "file") + suffix


def extension_for(content_type: str | None) -> str:
    """The file extension (with its dot) for a Content-Type; ``.bin`` when unknown."""
    if not content_type:
        return ".bin"
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in _EXTENSIONS:
        return _EXTENSIONS[kind]
    guessed = mimetypes.guess_extension(kind, strict=False)
    if guessed and _EXT_SHAPE.match(guessed):
        return guessed.lower()
    return ".bin"


# -- layout ----------------------------------------------------------------------------


class _When:
    """A date field: formats with a strftime spec, ISO-like without one; ``unknown`` if None."""

    def __init__(self, value: datetime | None) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        if self.value is None:
            return "unknown"
        value = self.value.astimezone(timezone.utc)
        return value.strftime(spec) if spec else value.strftime("%Y-%m-%dT%H%M%SZ")


def layout_fields(layout: str) -> set[str]:
    """The field names a layout template uses; unknown or positional fields are usage errors."""
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(layout))
    except ValueError as exc:
        raise UsageError(f"--layout {layout!r}: {exc}") from exc
    for _literal, field_name, _spec, conversion in parsed:
        if field_name is None:
            continue
        if conversion:
            raise UsageError(f"--layout: conversions like !{conversion} are not supported")
        if field_name not in LAYOUT_FIELDS:
            known = ", ".join("{" + f + "}" for f in LAYOUT_FIELDS)
            raise UsageError(
                f"--layout: unknown field {{{field_name}}}", hint=f"the fields are {known}"
            )
        names.add(field_name)
    return names


def render_layout(layout: str, media: Media, *, content_type: str | None = None) -> str:
    """The relative path (``/``-separated) of a media under the download directory.

    Every value is made safe first (no separators, no leading dots); only the template
    itself (and a date's strftime spec) may add directories.
    """
    layout_fields(layout)
    kind = content_type or media.content_type
    values: dict[str, Any] = {
        "account_sid": safe_filename(media.account_sid, default="account"),
        "message_sid": safe_filename(media.message_sid, default="message"),
        "sid": safe_filename(media.sid, default="media"),
        "ext": extension_for(kind),
        "content_type": safe_filename((kind or "unknown").replace("/", "_"), default="unknown"),
        "date_created": _When(media.date_created),
        "date_sent": _When(media.message_date_sent or media.date_created),
    }
    try:
        rendered = layout.format_map(values)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise UsageError(f"--layout {layout!r}: {exc}") from exc
    return rendered


def confine(directory: Path, relative: str) -> Path:
    """``directory / relative``, refusing anything that leaves ``directory`` (usage error)."""
    text = relative.replace("\\", "/")
    pure = PurePosixPath(text)
    if not text or pure.is_absolute() or re.match(r"^[A-Za-z]:", text):
        raise UsageError(f"the layout gives {relative!r}: paths must be relative to -d")
    parts = [p for p in pure.parts if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        raise UsageError(f"the layout gives {relative!r}, which leaves the download directory")
    if any(p.startswith(".") or "\x00" in p for p in parts):
        raise UsageError(f"the layout gives {relative!r}: no hidden or NUL path components")
    base = directory.resolve()
    target = base.joinpath(*parts).resolve()
    if not target.is_relative_to(base) or target == base:
        raise UsageError(f"the layout gives {relative!r}, which leaves the download directory")
    return target


def check_layout(layout: str, directory: Path) -> None:
    """Fail early (exit 2) on a template with unknown fields or one that escapes ``directory``."""
    sample = Media(
        sid="ME" + "0" * 32,
        account_sid="AC" + "0" * 32,
        parent_sid="MM" + "0" * 32,
        content_type="image/jpeg",
        date_created=datetime(2000, 1, 1, tzinfo=timezone.utc),
        date_updated=None,
        uri="",
        content_url="",
    )
    confine(directory, render_layout(layout, sample))


# -- writing ---------------------------------------------------------------------------


def part_path(target: Path) -> Path:
    return target.with_name(target.name + PART_SUFFIX)


def _noop(_count: int) -> None:
    return None


# Bodies at least this large are hashed on a helper thread while the next chunk is read and
# written (hashlib releases the GIL on large buffers); smaller ones are hashed inline.
THREADED_HASH_FROM: Final = 8 * 1024 * 1024
# Chunks queued for the hash thread, at most; it holds one more while it hashes it.
HASH_QUEUE: Final = 8
# Buffers a download reads into and passes on without copying (see read_chunks).
RING_SIZE: Final = HASH_QUEUE + 4

Chunk = bytes | bytearray | memoryview


class _Hasher:
    """sha256 over chunks, optionally on a helper thread fed through a bounded queue."""

    def __init__(self, *, threaded: bool) -> None:
        self.digest = hashlib.sha256()
        self._queue: queue.Queue[Chunk | None] | None = None
        self._thread: threading.Thread | None = None
        if threaded:
            self._queue = queue.Queue(maxsize=HASH_QUEUE)
            self._thread = threading.Thread(
                target=self._run, args=(self._queue,), name="sha256", daemon=True
            )
            self._thread.start()

    def _run(self, chunks: queue.Queue[Chunk | None]) -> None:
        update = self.digest.update
        while (chunk := chunks.get()) is not None:
            update(chunk)

    def update(self, chunk: Chunk) -> None:
        if self._queue is None:
            self.digest.update(chunk)
        else:
            self._queue.put(chunk)

    def hexdigest(self) -> str:
        """Waits for the helper thread to hash everything queued, then the hex digest."""
        self.close()
        return self.digest.hexdigest()

    def close(self) -> None:
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = None


class Body(Protocol):
    """A streamed body: what read_chunks needs of a Content."""

    @property
    def remaining(self) -> int | None: ...

    def readinto(self, buffer: memoryview, /) -> int: ...


def hashes_on_a_thread(expected_size: int | None, resume_from: int = 0) -> bool:
    """Whether write_atomically hashes this body on its helper thread (else inline)."""
    return max(expected_size or 0, resume_from) >= THREADED_HASH_FROM


def read_chunks(
    content: Body, size: int = CHUNK_SIZE, *, ring_size: int = RING_SIZE
) -> Iterator[memoryview]:
    """The body of ``content`` as views into a ring of ``ring_size`` reused buffers: no copy.

    A view stays valid until ``ring_size - 1`` more have been taken. write_atomically writes
    each chunk before it asks for the next, and its hash thread holds at most HASH_QUEUE + 1,
    so with RING_SIZE no buffer it can still read is refilled; when it hashes inline
    (hashes_on_a_thread is False) one buffer is enough. Other consumers must copy what they
    keep. A buffer is no larger than the body left when it is made.
    """
    ring: list[memoryview] = []
    taken = 0
    while (left := content.remaining) != 0:
        if len(ring) < max(1, ring_size):
            buffer = memoryview(bytearray(size if left is None else max(1, min(size, left))))
            ring.append(buffer)
        else:
            buffer = ring[taken % len(ring)]
        taken += 1
        count = content.readinto(buffer)
        if not count:
            return
        yield buffer[:count]


def write_atomically(
    chunks: Iterable[Chunk],
    target: Path,
    *,
    expected_size: int | None,
    on_bytes: Callable[[int], None] | None = None,
    resume_from: int = 0,
    before_replace: Callable[[int, str], None] | None = None,
    durable: bool = False,
) -> tuple[int, str]:
    """Write to ``target.part`` then ``os.replace``; returns (size, sha256 hex).

    ``resume_from`` > 0 keeps that many bytes of an existing ``.part`` (they are hashed
    first) and appends. ``expected_size`` is the full size. A short write raises
    DownloadError and keeps the ``.part`` (a later ``--resume`` continues it); a long one
    removes it. Either way no final file is created. The sha256 is computed while streaming.

    The rename makes the file appear whole or not at all, whatever happens to the process.
    ``durable`` also fsyncs it before the rename, so it survives a power loss too: `purge
    --archive` needs that before it deletes the original; `download` offers it as --fsync
    (like curl and wget, it does not sync by default: the sync costs as long as the disk
    takes to write the whole file).
    """
    report = on_bytes or _noop
    part = part_path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = _Hasher(threaded=hashes_on_a_thread(expected_size, resume_from))
    try:
        size = _write_part(
            chunks, part, digest, expected_size, report, resume_from=resume_from, durable=durable
        )
    finally:
        digest.close()  # the helper thread ends on every path
    if expected_size is not None and size != expected_size:
        if size > expected_size:
            part.unlink(missing_ok=True)
        raise DownloadError(
            f"size mismatch for {target.name}: got {size} bytes, expected {expected_size}"
        )
    hexdigest = digest.hexdigest()
    if before_replace is not None:
        before_replace(size, hexdigest)
    os.replace(part, target)
    return size, hexdigest


def _write_part(
    chunks: Iterable[Chunk],
    part: Path,
    digest: _Hasher,
    expected_size: int | None,
    report: Callable[[int], None],
    *,
    resume_from: int,
    durable: bool,
) -> int:
    """Write (or continue) ``part``, hashing as it goes; returns the bytes it now holds."""
    size = 0
    handle: IO[bytes]
    if resume_from > 0:
        # Never through a symlink: a .part planted as a link would have its target written.
        fd = os.open(part, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
        handle = os.fdopen(fd, "r+b")
        try:
            while size < resume_from:
                block = handle.read(min(CHUNK_SIZE, resume_from - size))
                if not block:
                    break
                digest.update(block)
                size += len(block)
            if size != resume_from:
                handle.close()
                raise DownloadError(f"{part.name} is shorter than {resume_from} bytes")
            handle.seek(size)
            handle.truncate()
        except BaseException:
            handle.close()
            raise
    else:
        # A fresh file, never an existing one (O_EXCL does not follow a planted symlink).
        part.unlink(missing_ok=True)
        handle = open(part, "xb")  # noqa: SIM115 -- closed in the finally below
    try:
        write = handle.write
        update = digest.update
        flushed = size
        for chunk in chunks:
            if not chunk:
                continue
            write(chunk)
            update(chunk)
            size += len(chunk)
            report(len(chunk))
            if expected_size is not None and size > expected_size:
                break
            if durable and size - flushed >= WRITEBACK_EVERY:
                handle.flush()
                _start_writeback(handle.fileno(), flushed, size - flushed)
                flushed = size
        handle.flush()
        if durable:
            os.fsync(handle.fileno())
    finally:
        handle.close()
    return size


# fdatasync skips metadata that reading the data back does not need; macOS has only fsync.
_datasync: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing a range to disk now, without waiting for it.

    On Linux, POSIX_FADV_DONTNEED starts asynchronous writeback of the range's dirty pages
    (and drops clean ones from the page cache): the fsync before the rename then finds
    little left to do, and a 512 MiB download does not fill the page cache.
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    try:
        advise(fd, offset, length, os.POSIX_FADV_DONTNEED)
    except OSError:
        return


def sha256_of(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(CHUNK_SIZE):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


# -- results and manifest ---------------------------------------------------------------


@dataclass(frozen=True)
class DownloadResult:
    """The outcome for one media: what the JSON modes print per item."""

    media: Media
    status: str  # "downloaded" | "skipped" | "failed"
    path: Path | None
    size: int | None
    sha256: str | None
    error: str | None
    content_type: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "sid": self.media.sid,
            "message_sid": self.media.message_sid,
            "account_sid": self.media.account_sid or None,
            "status": self.status,
            "error": self.error,
            "path": None if self.path is None else str(self.path),
            "size": self.size,
            "sha256": self.sha256,
            "content_type": self.content_type or self.media.content_type,
        }


@dataclass(frozen=True)
class ManifestEntry:
    sid: str
    path: str
    size: int
    sha256: str
    status: str
    content_type: str | None


class Manifest:
    """``manifest.jsonl``: one line per completed media (fsync'd when ``durable``)."""

    def __init__(self, path: Path, *, durable: bool = False) -> None:
        self.path = path
        self.durable = durable
        self.entries: dict[str, ManifestEntry] = {}
        self._lock = threading.Lock()
        self._handle: IO[str] | None = None
        if path.exists():
            self._read()

    def _read(self) -> None:
        with self.path.open("r", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                try:
                    doc = json.loads(line)
                except ValueError:
                    continue  # a torn last line after kill -9: ignore it
                if not isinstance(doc, dict):
                    continue
                sid, rel, size, digest = (
                    doc.get("sid"),
                    doc.get("path"),
                    doc.get("size"),
                    doc.get("sha256"),
                )
                if not (
                    isinstance(sid, str)
                    and isinstance(rel, str)
                    and isinstance(size, int)
                    and isinstance(digest, str)
                    and doc.get("status") in (DOWNLOADED, SKIPPED)
                ):
                    continue
                ctype = doc.get("content_type")
                self.entries[sid] = ManifestEntry(
                    sid,
                    rel,
                    size,
                    digest,
                    str(doc["status"]),
                    ctype if isinstance(ctype, str) else None,
                )

    def get(self, sid: str) -> ManifestEntry | None:
        return self.entries.get(sid)  # one dict read: atomic, no need to wait for a writer

    def append(
        self, media: Media, rel: str, size: int, digest: str, status: str, ctype: str | None
    ) -> None:
        doc = {
            "account_sid": media.account_sid or None,
            "message_sid": media.message_sid,
            "sid": media.sid,
            "content_type": ctype,
            "date_created": iso_utc(media.date_created),
            "path": rel,
            "size": size,
            "sha256": digest,
            "status": status,
        }
        line = json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n"
        with self._lock:
            if self._handle is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._handle = self.path.open("a", encoding="utf-8")
                if not _ends_a_line(self.path):
                    # A crash left a torn last line: end it, or this entry would join it.
                    self._handle.write("\n")
            self._handle.write(line)
            self._handle.flush()
            fd = self._handle.fileno()
            self.entries[media.sid] = ManifestEntry(media.sid, rel, size, digest, status, ctype)
        if self.durable:
            # Outside the lock: workers' syncs overlap (the filesystem batches them into one
            # journal commit) instead of queueing behind each other. Our line is flushed, so
            # the sync covers it; close() only runs once every worker has returned.
            _datasync(fd)

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None


def _ends_a_line(path: Path) -> bool:
    """True when ``path`` is empty or its last byte is a newline."""
    with path.open("rb") as handle:
        if handle.seek(0, os.SEEK_END) == 0:
            return True
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


# -- the downloader ------------------------------------------------------------------------


def parse_content_range(value: str | None) -> tuple[int, int, int | None] | None:
    """``bytes START-END/TOTAL`` → (start, end, total or None); None when malformed."""
    if not value:
        return None
    match = re.fullmatch(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", value)
    if not match:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    total = None if match.group(3) == "*" else int(match.group(3))
    if end < start or (total is not None and end >= total):
        return None
    return start, end, total


class _Failed(Exception):
    """One media failed; the message is the per-item error."""


class Downloader:
    """Downloads media into a directory by layout, resumably; thread-safe, one per run."""

    def __init__(
        self,
        client: MediaClient,
        *,
        directory: Path,
        layout: str = DEFAULT_LAYOUT,
        manifest_path: Path | None,
        clobber: bool = False,
        skip_existing: bool = False,
        resume: bool = False,
        on_bytes: Callable[[int], None] | None = None,
        not_found_retries: int = 3,
        not_found_delay: float = 0.7,
        on_start: Callable[[str, int | None], Callable[[int], None] | None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        durable: bool = False,
        refusals: AccountRefusals | None = None,
    ) -> None:
        """``refusals``: with --all-subaccounts, a subaccount that refuses a content download
        (401/403) fails its media as items instead of stopping the run (see download())."""
        if clobber and skip_existing:
            raise UsageError("--clobber and --skip-existing cannot be used together")
        self.client = client
        self.directory = directory
        self.base = directory.resolve()
        self.layout = layout
        self.fields = layout_fields(layout)
        # A whole {sid} (no spec such as {sid:.4}) makes every media's path its own.
        self._unique_paths = any(
            name == "sid" and not spec for _, name, spec, _ in string.Formatter().parse(layout)
        )
        check_layout(layout, directory)
        # durable: each file and manifest line is fsync'd (survives a power loss).
        self.durable = durable
        self.manifest = (
            Manifest(manifest_path, durable=durable) if manifest_path is not None else None
        )
        self.clobber = clobber
        self.skip_existing = skip_existing
        self.resume = resume
        self.on_bytes = on_bytes
        self.on_start = on_start
        self.not_found_retries = max(1, not_found_retries)
        self.not_found_delay = not_found_delay
        self.sleep = sleep
        self.refusals = refusals
        self._lock = threading.Lock()
        self._claimed: dict[Path, str] = {}
        # Media being downloaded now: a second copy of one (a list naming it twice) waits for
        # the first, then finds it in the manifest, instead of writing the same .part at once.
        self._busy: set[str] = set()
        self._idle = threading.Condition(self._lock)
        self._cancelled = threading.Event()

    # -- public ----------------------------------------------------------------------

    def download(self, media: Media) -> DownloadResult:
        """Download one media. Per-item failures become a "failed" result; AuthError stops,
        unless ``refusals`` takes it (a subaccount's refusal: that media fails, and so do the
        account's later media, without a request)."""
        if self.refusals is not None:
            refused = self.refusals.refused(media.account_sid)
            if refused is not None:
                return DownloadResult(media, FAILED, None, None, None, refused)
        try:
            with self._only_one(media.sid):
                return self._download(media)
        except AuthError as exc:
            error = None
            if self.refusals is not None:
                error = self.refusals.refuse(media.account_sid, exc, action="download")
            if error is None:
                raise
            return DownloadResult(media, FAILED, None, None, None, error)
        except _Failed as exc:
            return DownloadResult(media, FAILED, None, None, None, str(exc))
        except (MediaCliError, OSError) as exc:
            message = exc.message if isinstance(exc, MediaCliError) else _os_message(exc)
            return DownloadResult(media, FAILED, None, None, None, message)

    def download_to(self, media: Media, target: Path) -> DownloadResult:
        """Download one media to an exact path (``-o FILE``), with the same guarantees."""
        try:
            with self._only_one(media.sid):
                return self._download(media, explicit=target)
        except AuthError:
            raise
        except _Failed as exc:
            return DownloadResult(media, FAILED, None, None, None, str(exc))
        except (MediaCliError, OSError) as exc:
            message = exc.message if isinstance(exc, MediaCliError) else _os_message(exc)
            return DownloadResult(media, FAILED, None, None, None, message)

    def cancel(self) -> None:
        """Stop every download in flight at its next chunk (their .part files stay)."""
        self._cancelled.set()

    def close(self) -> None:
        if self.manifest is not None:
            self.manifest.close()

    @contextmanager
    def _only_one(self, sid: str) -> Iterator[None]:
        """Hold ``sid`` while it downloads; another download of it waits until it is done."""
        with self._idle:
            while sid in self._busy:
                if self._cancelled.is_set():
                    raise _Failed("interrupted")
                self._idle.wait(0.2)
            self._busy.add(sid)
        try:
            yield
        finally:
            with self._idle:
                self._busy.discard(sid)
                self._idle.notify_all()

    def _chunks(self, content: Content, ring_size: int) -> Iterator[memoryview]:
        cancelled = self._cancelled.is_set
        for chunk in read_chunks(content, ring_size=ring_size):
            if cancelled():
                raise _Failed("interrupted")
            yield chunk

    def __enter__(self) -> Downloader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------

    def _target_for(self, media: Media, content_type: str | None) -> Path:
        return confine(self.directory, render_layout(self.layout, media, content_type=content_type))

    def _rel(self, target: Path) -> str:
        try:
            return target.relative_to(self.base).as_posix()
        except ValueError:
            return str(target)

    def _needs_metadata(self, media: Media) -> bool:
        return ("date_created" in self.fields or "date_sent" in self.fields) and (
            media.date_created is None
        )

    def _from_manifest(self, media: Media) -> DownloadResult | None:
        if self.manifest is None or self.clobber:
            return None
        entry = self.manifest.get(media.sid)
        if entry is None:
            return None
        try:
            path = confine(self.directory, entry.path)
        except UsageError:
            return None
        try:
            on_disk = path.stat().st_size
        except OSError:
            return None
        if on_disk != entry.size or not self._layout_agrees(media, entry):
            return None
        return DownloadResult(
            media, SKIPPED, path, entry.size, entry.sha256, None, entry.content_type
        )

    def _layout_agrees(self, media: Media, entry: ManifestEntry) -> bool:
        """False when this run's --layout puts the media somewhere other than the manifest's
        path (a rerun with another layout downloads it there); True when that cannot be told
        without a metadata request (a date field with no date known)."""
        if self._needs_metadata(media):
            return True
        kinds = {media.content_type, entry.content_type} - {None}
        for kind in kinds or {None}:
            try:
                if self._rel(self._target_for(media, kind)) == entry.path:
                    return True
            except UsageError:
                return True
        return False

    def _existing(self, media: Media, target: Path, ctype: str | None) -> DownloadResult | None:
        """What to do when the final file already exists (None: download over it)."""
        if not target.exists():
            return None
        if self.clobber:
            return None
        if self.skip_existing:
            size, digest = sha256_of(target)
            if self.manifest is not None:
                self.manifest.append(media, self._rel(target), size, digest, SKIPPED, ctype)
            return DownloadResult(media, SKIPPED, target, size, digest, None, ctype)
        raise _Failed(f"exists: {target} (use --skip-existing or --clobber)")

    def _claim(self, target: Path, sid: str) -> None:
        if self._unique_paths:
            return  # no two media share a SID: nothing to remember (millions of paths)
        with self._lock:
            owner = self._claimed.setdefault(target, sid)
        if owner == sid:
            return
        raise _Failed(f"the layout maps {owner} and {sid} to {target}; include {{sid}} in it")

    def _download(self, media: Media, *, explicit: Path | None = None) -> DownloadResult:
        if self._cancelled.is_set():
            raise _Failed("interrupted")
        if explicit is None:
            skipped = self._from_manifest(media)
            if skipped is not None:
                return skipped
            if self._needs_metadata(media):
                media = self._with_metadata(media)
        target: Path | None = explicit
        if target is None and media.content_type:
            target = self._target_for(media, media.content_type)
        if target is not None:
            self._claim(target, media.sid)
            done = self._existing(media, target, media.content_type)
            if done is not None:
                return done
        start = 0
        if self.resume and target is not None:
            start = _part_size(target)
        attempts = 0
        while True:
            attempts += 1
            if attempts > BODY_ATTEMPTS + 2:
                raise _Failed("the server kept answering inconsistent ranges")
            # A resumed range starts up to RESUME_OVERLAP bytes (at most half the .part) early:
            # they must equal the end of the .part, or it holds other bytes (another media's,
            # a damaged file) and is not continued.
            overlap = min(start // 2, RESUME_OVERLAP)
            content = self._open(media, start - overlap)
            try:
                begin, expected = self._check_range(content, start - overlap)
                if begin < 0:  # the server ignored or refused the range: restart from 0
                    content.close()
                    start = 0
                    continue
                if overlap and target is not None:
                    try:
                        same = _overlap_matches(content, part_path(target), start, overlap)
                    except MediaCliError:
                        continue  # the connection dropped: try again (attempts are bounded)
                    if not same:
                        content.close()
                        start = 0
                        continue
                ctype = content.content_type or media.content_type
                if target is None:
                    target = self._target_for(media, ctype)
                    self._claim(target, media.sid)
                    done = self._existing(media, target, ctype)
                    if done is not None:
                        return done
                    if self.resume:
                        resumable = _part_size(target)
                        if resumable > 0:
                            content.close()
                            start = resumable
                            continue
                callback = self.on_bytes
                if self.on_start is not None:
                    callback = _both(callback, self.on_start(media.sid, expected))
                record = None if explicit is not None else self._recorder(media, target, ctype)
                try:
                    threaded = hashes_on_a_thread(expected, start)
                    size, digest = write_atomically(
                        self._chunks(content, RING_SIZE if threaded else 1),
                        target,
                        expected_size=expected,
                        on_bytes=callback,
                        resume_from=start,
                        before_replace=record,
                        durable=self.durable,
                    )
                except DownloadError as exc:
                    part = _part_size(target)
                    if attempts < BODY_ATTEMPTS and part < (expected or 0):
                        start = part
                        continue
                    raise _Failed(exc.message) from exc
                except MediaCliError as exc:
                    part = _part_size(target)
                    if attempts < BODY_ATTEMPTS:
                        # The connection dropped: continue where it stopped. A small body
                        # arrives in one read, so nothing may have been written: from 0 then.
                        start = part
                        continue
                    raise _Failed(exc.message) from exc
            finally:
                content.close()
            break
        return DownloadResult(media, DOWNLOADED, target, size, digest, None, ctype)

    def _recorder(
        self, media: Media, target: Path, ctype: str | None
    ) -> Callable[[int, str], None] | None:
        """The manifest entry, written before the rename: a kill -9 between the two leaves an
        entry whose file is missing (downloaded again), never a complete file the manifest
        does not know (which a rerun would refuse as "exists")."""
        manifest = self.manifest
        if manifest is None:
            return None
        rel = self._rel(target)

        def record(size: int, digest: str) -> None:
            manifest.append(media, rel, size, digest, DOWNLOADED, ctype)

        return record

    def _with_metadata(self, media: Media) -> Media:
        try:
            full = self.client.get_media(media.account_sid, media.message_sid, media.sid)
        except NotFoundError:
            return media  # the content request reports it (after its retries)
        return Media(
            sid=media.sid,
            account_sid=full.account_sid or media.account_sid,
            parent_sid=media.parent_sid,
            content_type=full.content_type or media.content_type,
            date_created=full.date_created,
            date_updated=full.date_updated,
            uri=full.uri or media.uri,
            content_url=media.content_url,
            message_date_sent=media.message_date_sent,
        )

    def _open(self, media: Media, start: int) -> Content:
        return open_media_content(
            self.client,
            media,
            start=start,
            not_found_retries=self.not_found_retries,
            not_found_delay=self.not_found_delay,
            sleep=self.sleep,
        )

    @staticmethod
    def _check_range(content: Content, start: int) -> tuple[int, int | None]:
        """(offset the body starts at, full expected size); offset -1 means "restart at 0"."""
        status = content.status
        if start > 0 and status == 206:
            parsed = parse_content_range(content.headers.get("Content-Range"))
            if parsed is None or parsed[0] != start:
                return -1, None
            total = parsed[2]
            if total is None:
                length = content.content_length
                total = start + length if length is not None else None
            return start, total
        if status == 416 or status == 206:
            return -1, None
        return 0, content.content_length


def open_media_content(
    client: MediaClient,
    media: Media,
    *,
    start: int = 0,
    not_found_retries: int = 3,
    not_found_delay: float = 0.7,
    sleep: Callable[[float], None] = time.sleep,
) -> Content:
    """Open a media's content: a brief retry on 404 (new media), a fresh link on expiry.

    Like ``MediaClient.open_content`` (the API answers a redirect to a signed URL on the
    CDN, which gets no Authorization header), but a 401/403 from the CDN means the signed
    link expired, so the API is asked for a fresh one (up to twice) instead of failing the
    run as rejected credentials. A 401/403 from the API itself raises AuthError.
    Raises DownloadError("not found") once the 404 retries are spent.
    """
    url = media.content_url or (
        f"{client.api_url}{client.media_path(media.account_sid, media.message_sid, media.sid)}"
    )
    not_found = 0
    expired = 0
    while True:
        try:
            content = _open_once(client, url, start)
        except NotFoundError as exc:
            not_found += 1
            if not_found >= max(1, not_found_retries):
                raise DownloadError(NOT_FOUND) from exc
            sleep(not_found_delay)
            continue
        if content is not None:
            return content
        expired += 1
        if expired > LINK_REFRESHES:
            raise DownloadError("the signed content link was refused (HTTP 403) after refreshes")


def _open_once(client: MediaClient, url: str, start: int) -> Content | None:
    """One API request plus its redirects; None when the CDN refused the signed link."""
    from urllib.parse import urljoin

    from media_cli.client import REDIRECT_STATUSES, Content

    headers = {"Accept-Encoding": "identity"}
    if start > 0:
        headers["Range"] = f"bytes={start}-"
    response = client.request("GET", url, headers=headers, stream=True)
    hops = 0
    while response.status_code in REDIRECT_STATUSES:
        location = response.headers.get("Location")
        status = response.status_code
        response.close()
        hops += 1
        if not location or hops > 5:
            raise ApiError("the content request answered a bad redirect", status=status)
        url = urljoin(url, location)
        # The signed URL is on another host: the client adds no Authorization there.
        response = client.request(
            "GET", url, headers=headers, stream=True, ok_statuses=_CDN_OK_STATUSES
        )
        if response.status_code in (401, 403):
            response.close()
            return None
    return Content(response=response, url=url, start=start)


def stream_media(
    client: MediaClient,
    media: Media,
    out: IO[bytes],
    *,
    on_bytes: Callable[[int], None] | None = None,
    not_found_retries: int = 3,
    not_found_delay: float = 0.7,
    sleep: Callable[[float], None] = time.sleep,
) -> DownloadResult:
    """Copy one media's bytes to a binary stream (``-o -``); raises on any failure.

    Bytes already written cannot be taken back, so a short body raises DownloadError after
    the fact (the caller exits 1).
    """
    report = on_bytes or _noop
    digest = hashlib.sha256()
    size = 0
    try:
        opened = open_media_content(
            client,
            media,
            not_found_retries=not_found_retries,
            not_found_delay=not_found_delay,
            sleep=sleep,
        )
    except DownloadError as exc:
        if isinstance(exc.__cause__, NotFoundError):
            raise exc.__cause__ from None  # one media, not found: exit 3 like fetch
        raise
    with opened as content:
        expected = content.content_length
        ctype = content.content_type or media.content_type
        for chunk in content.iter_chunks(CHUNK_SIZE):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
            report(len(chunk))
    out.flush()
    if expected is not None and size != expected:
        raise DownloadError(f"size mismatch: got {size} bytes, expected {expected}")
    return DownloadResult(media, DOWNLOADED, None, size, digest.hexdigest(), None, ctype)


def media_for(client: MediaClient, account_sid: str, message_sid: str, media_sid: str) -> Media:
    """A Media addressed by SIDs alone (no metadata request): enough to download it."""
    path = client.media_path(account_sid, message_sid, media_sid)
    return Media(
        sid=media_sid,
        account_sid=account_sid,
        parent_sid=message_sid,
        content_type=None,
        date_created=None,
        date_updated=None,
        uri=f"{path}.json",
        content_url=f"{client.api_url}{path}",
    )


def media_from_lines(
    client: MediaClient, lines: Iterable[str], *, account_sid: str, message_sid: str | None = None
) -> Iterator[Media]:
    """Media named on stdin (see sidlist); JSONL from ``list --jsonl`` keeps its type and date.

    The content URL is always rebuilt from the SIDs and the configured API URL: a URL in the
    input is never followed (credentials go only to the configured API).
    """
    from media_cli.sidlist import parse_media_refs

    for line_no, line in enumerate(lines, start=1):
        try:
            refs = list(parse_media_refs([line], message_sid=message_sid))
        except UsageError as exc:
            raise UsageError(
                exc.message.replace("stdin line 1:", f"stdin line {line_no}:")
            ) from exc
        for ref in refs:
            media = media_for(client, ref.account_sid or account_sid, ref.message_sid, ref.sid)
            stripped = line.lstrip("\ufeff").strip()
            if stripped.startswith("{"):
                doc = json.loads(stripped)
                ctype = doc.get("content_type")
                created = doc.get("date_created")
                media = Media(
                    sid=media.sid,
                    account_sid=media.account_sid,
                    parent_sid=media.parent_sid,
                    content_type=ctype if isinstance(ctype, str) and ctype else None,
                    date_created=parse_twilio_date(created) if isinstance(created, str) else None,
                    date_updated=None,
                    uri=media.uri,
                    content_url=media.content_url,
                )
            yield media


def _overlap_matches(content: Content, part: Path, start: int, overlap: int) -> bool:
    """Whether the body's next ``overlap`` bytes equal ``part``'s bytes before ``start``."""
    got = bytearray(overlap)
    view = memoryview(got)
    filled = 0
    while filled < overlap:
        count = content.readinto(view[filled:])
        if not count:
            return False
        filled += count
    try:
        # Never through a symlink, as when the .part is continued.
        fd = os.open(part, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    with os.fdopen(fd, "rb") as handle:
        handle.seek(start - overlap)
        return handle.read(overlap) == got


def _part_size(target: Path) -> int:
    """The bytes of ``target``'s .part to resume from; 0 if none or not a regular file."""
    try:
        info = part_path(target).lstat()
    except OSError:
        return 0
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


def _both(
    first: Callable[[int], None] | None, second: Callable[[int], None] | None
) -> Callable[[int], None] | None:
    if first is None:
        return second
    if second is None:
        return first

    def call(count: int) -> None:
        first(count)
        second(count)

    return call


def _os_message(exc: OSError) -> str:
    return f"{exc.strerror or type(exc).__name__}" + (f": {exc.filename}" if exc.filename else "")


__all__ = [
    "DEFAULT_LAYOUT",
    "DownloadResult",
    "Downloader",
    "Manifest",
    "extension_for",
    "media_for",
    "media_from_lines",
    "safe_filename",
    "stream_media",
    "write_atomically",
]
