"""Chat/Conversations media (MCS): upload checks, Content-Type, streamed bodies, saving content."""

from __future__ import annotations

import mimetypes
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from media_cli.errors import AuthError, DownloadError, MediaCliError, RateLimitError, UsageError
from media_cli.models import ChatMedia

if TYPE_CHECKING:
    from media_cli.client import MediaClient

UPLOADED: Final = "uploaded"
FAILED: Final = "failed"
DOWNLOADED: Final = "downloaded"
SKIPPED: Final = "skipped"

# Checked before the platform's mimetypes tables, which differ between systems
# (/etc/mime.types): these are the types Twilio lists for Chat/Conversations media.
CONTENT_TYPES: Final[dict[str, str]] = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".svg": "image/svg+xml",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/opus",
    ".amr": "audio/amr",
    ".wav": "audio/wav",
    ".webm": "video/webm",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".3gp": "video/3gpp",
    ".3g2": "video/3gpp2",
    ".mpeg": "video/mpeg",
    ".mpg": "video/mpeg",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".vcf": "text/vcard",
    ".vcard": "text/vcard",
    ".ics": "text/calendar",
    ".json": "application/json",
    ".xml": "application/xml",
    ".zip": "application/zip",
    ".gz": "application/gzip",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".rtf": "application/rtf",
}
# mimetypes reports `x.tar.gz` as (application/x-tar, gzip): the bytes sent are the gzip.
_ENCODING_TYPES: Final[dict[str, str]] = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}
# type "/" subtype, RFC 6838 restricted names, optional parameters; no CR/LF, no spaces.
_CONTENT_TYPE: Final = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
    r"(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=(\"[^\"\r\n]*\"|[A-Za-z0-9!#$&^_.+-]+))*$"
)
READ_CHUNK: Final = 256 * 1024


def guess_content_type(name: str) -> str | None:
    """The MIME type for a file name: the table above, then mimetypes; None when unknown."""
    suffix = Path(name).suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if encoding is not None:
        return _ENCODING_TYPES.get(encoding)
    return guessed


def check_content_type(value: str) -> str:
    """A ``--content-type`` value must look like ``type/subtype`` (parameters allowed)."""
    value = value.strip()
    if not _CONTENT_TYPE.match(value):
        raise UsageError(
            f"invalid content type {value[:60]!r}: expected type/subtype, such as image/png"
        )
    return value


def choose_content_type(name: str, override: str | None) -> str:
    """``override`` if given, else the guess from ``name``; never a silent default."""
    if override is not None:
        return check_content_type(override)
    guessed = guess_content_type(name)
    if guessed is None:
        raise UsageError(
            f"cannot tell the content type of {name!r} from its name; pass --content-type",
            hint="for example --content-type application/octet-stream",
        )
    return guessed


def check_filename(name: str) -> str:
    """The ``Filename`` sent to MCS: any text the server will store, but not empty or control."""
    if not name or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise UsageError(f"invalid file name {name[:60]!r}: empty or contains control characters")
    if len(name.encode("utf-8")) > 1024:
        raise UsageError("invalid file name: longer than 1024 bytes")
    return name


def check_upload_file(path: Path, *, max_bytes: int) -> int:
    """The size of ``path`` if it is an existing, readable regular file within ``max_bytes``."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        what = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise UsageError(f"{path}: {what}; only regular files can be uploaded")
    if not os.access(path, os.R_OK):
        raise UsageError(f"{path}: permission denied")
    if info.st_size == 0:
        raise UsageError(f"{path}: the file is empty; MCS refuses empty media")
    if info.st_size > max_bytes:
        raise UsageError(
            f"{path}: {info.st_size} bytes is over the {max_bytes} byte "
            f"({max_bytes // (1024 * 1024)} MB) limit of Chat/Conversations media",
            hint="Twilio refuses larger media; nothing was sent",
        )
    return info.st_size


@dataclass(frozen=True)
class UploadPlan:
    """One file, checked and ready to send."""

    path: Path
    filename: str
    content_type: str
    size: int


def plan_uploads(
    paths: Sequence[Path],
    *,
    max_bytes: int,
    filename: str | None = None,
    content_type: str | None = None,
) -> list[UploadPlan]:
    """Check every file before any request; ``filename`` renames a single file."""
    if not paths:
        raise UsageError("name at least one FILE to upload")
    if filename is not None and len(paths) > 1:
        raise UsageError("--filename names one file: give exactly one FILE with it")
    plans = []
    for path in paths:
        size = check_upload_file(path, max_bytes=max_bytes)
        name = check_filename(filename if filename is not None else path.name)
        # Guess from the name the server will store, falling back to the local name.
        guessed_from = name if guess_content_type(name) else path.name
        plans.append(UploadPlan(path, name, choose_content_type(guessed_from, content_type), size))
    return plans


class ProgressReader:
    """A file's first ``size`` bytes, streamed as a request body: read(n) reports to ``on_bytes``.

    ``len()`` is the Content-Length the request declares. A file that shrinks while it is sent
    raises MediaCliError rather than sending a body shorter than the declared length; one
    that grew raises too, rather than uploading only its first ``size`` bytes.
    """

    def __init__(
        self,
        fileobj: IO[bytes],
        size: int,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        self._file = fileobj
        self.size = size
        self.on_bytes = on_bytes
        self.bytes_read = 0

    def __len__(self) -> int:
        return self.size

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.bytes_read
        if left <= 0:
            return b""
        want = left if n is None or n < 0 else min(n, left)
        data = self._file.read(want)
        if not data:
            raise MediaCliError(
                f"the file shrank while it was being uploaded ({self.bytes_read} of "
                f"{self.size} bytes read)"
            )
        self.bytes_read += len(data)
        if self.bytes_read == self.size and self._grew():
            # Raised before the last bytes go out: the server never sees a whole body.
            raise MediaCliError(
                f"the file grew while it was being uploaded (it had {self.size} bytes when "
                "checked); upload it again once it is complete"
            )
        if self.on_bytes is not None:
            self.on_bytes(len(data))
        return data

    def _grew(self) -> bool:
        """True when the open file is now longer than the size it was checked at."""
        try:
            return os.fstat(self._file.fileno()).st_size > self.size
        except (AttributeError, OSError, ValueError):
            return False  # not a real file (BytesIO): nothing on disk to compare with

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ProgressReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_upload(plan: UploadPlan, on_bytes: Callable[[int], None] | None = None) -> ProgressReader:
    """Open a planned file for streaming (the caller closes it)."""
    try:
        fileobj = plan.path.open("rb")
    except OSError as exc:
        raise MediaCliError(f"{plan.path}: cannot open: {exc.strerror or exc}") from None
    return ProgressReader(fileobj, plan.size, on_bytes)


@dataclass(frozen=True)
class UploadResult:
    """The outcome for one file: the created media, or the error that stopped it."""

    plan: UploadPlan
    media: ChatMedia | None = None
    error: str | None = None

    @property
    def status(self) -> str:
        return UPLOADED if self.media is not None else FAILED

    def to_json(self) -> dict[str, Any]:
        """ChatMedia.to_json() (nulls when failed) plus ``path``, ``status`` and ``error``."""
        if self.media is not None:
            doc = self.media.to_json()
        else:
            doc = {f.name: None for f in fields(ChatMedia)}
            doc.update(
                size=self.plan.size,
                content_type=self.plan.content_type,
                filename=self.plan.filename,
                links={},
            )
        doc.update(path=str(self.plan.path), status=self.status, error=self.error)
        return doc


# Returns the byte callback for one file's progress (or None for no progress).
Tracker = Callable[[UploadPlan], "Callable[[int], None] | None"]


def upload_one(
    client: MediaClient,
    service_sid: str,
    plan: UploadPlan,
    *,
    multipart: bool = False,
    on_bytes: Callable[[int], None] | None = None,
) -> ChatMedia:
    """Stream one planned file to MCS (never held in memory).

    Once bytes were sent the upload is never retried (the POST may have created the media),
    except after a 429: Twilio never processes a request it answers 20429, so the file is
    sent again from the start after the client's backoff (honouring Retry-After).
    """
    attempts = max(1, client.retry.attempts)
    for attempt in range(1, attempts + 1):
        with open_upload(plan, on_bytes if attempt == 1 else None) as reader:
            try:
                return client.upload_chat_media(
                    service_sid,
                    reader,
                    filename=plan.filename,
                    content_type=plan.content_type,
                    size=plan.size,
                    multipart=multipart,
                )
            except RateLimitError as exc:
                if client.on_throttle is not None:
                    client.on_throttle()
                if attempt == attempts:
                    exc.message += f"; gave up after {attempts} attempts"
                    raise
                client.retry.sleep(client.retry.delay(attempt, exc.retry_after))
    raise AssertionError("unreachable")  # pragma: no cover


def upload_many(
    client: MediaClient,
    service_sid: str,
    plans: Iterable[UploadPlan],
    *,
    multipart: bool = False,
    concurrency: int = 4,
    track: Tracker | None = None,
) -> Iterator[UploadResult]:
    """Upload files concurrently; results in input order. Rejected credentials stop the run."""
    from media_cli.bulk import run_pool

    def work(plan: UploadPlan) -> UploadResult:
        on_bytes = track(plan) if track is not None else None
        try:
            media = upload_one(client, service_sid, plan, multipart=multipart, on_bytes=on_bytes)
        except AuthError:
            raise  # every file would fail alike: stop, exit 4
        except MediaCliError as exc:
            return UploadResult(plan, error=exc.message)
        return UploadResult(plan, media=media)

    yield from run_pool(plans, work, concurrency=concurrency)


# -- downloads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatDownload:
    """One chat media saved (or skipped): what ``download-chat`` prints."""

    media: ChatMedia
    status: str
    path: Path | None
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {
            "sid": self.media.sid,
            "service_sid": self.media.service_sid,
            "status": self.status,
            "error": None,
            "path": None if self.path is None else str(self.path),
            "size": self.size,
            "sha256": self.sha256,
            "content_type": self.media.content_type,
            "filename": self.media.filename,
        }


def chat_target(media: ChatMedia, directory: Path) -> Path:
    """Where ``-d DIR`` saves a chat media: the uploader's name reduced to a safe basename
    (never trusted as a path), else ``{sid}{ext}``; always inside ``directory``."""
    from media_cli.downloads import confine, extension_for, safe_filename

    fallback = f"{media.sid}{extension_for(media.content_type)}"
    name = safe_filename(media.filename, default=fallback) if media.filename else fallback
    return confine(directory, name)


def _expected_size(media: ChatMedia, declared: int | None) -> int | None:
    if media.size is not None and declared is not None and media.size != declared:
        raise DownloadError(
            f"size mismatch for {media.sid}: the metadata says {media.size} bytes, "
            f"the content {declared}"
        )
    return declared if declared is not None else media.size


def save_chat_media(
    client: MediaClient,
    media: ChatMedia,
    target: Path,
    *,
    clobber: bool = False,
    skip_existing: bool = False,
    on_bytes: Callable[[int], None] | None = None,
) -> ChatDownload:
    """Write the content to ``target.part``, check its size, then rename it to ``target``."""
    from media_cli.downloads import sha256_of, write_atomically

    if target.exists() and not clobber:
        if skip_existing:
            size, digest = sha256_of(target)
            return ChatDownload(media, SKIPPED, target, size, digest)
        raise DownloadError(f"exists: {target} (use --skip-existing or --clobber)")
    with client.open_chat_content(media) as content:
        expected = _expected_size(media, content.content_length)
        size, digest = write_atomically(
            content.iter_chunks(), target, expected_size=expected, on_bytes=on_bytes
        )
    return ChatDownload(media, DOWNLOADED, target, size, digest)


def stream_chat_media(
    client: MediaClient,
    media: ChatMedia,
    out: IO[bytes],
    *,
    on_bytes: Callable[[int], None] | None = None,
) -> ChatDownload:
    """Copy the content to a binary stream (``-o -``); a short body raises after the fact."""
    import hashlib

    digest = hashlib.sha256()
    size = 0
    with client.open_chat_content(media) as content:
        expected = _expected_size(media, content.content_length)
        for chunk in content.iter_chunks(READ_CHUNK):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
            if on_bytes is not None:
                on_bytes(len(chunk))
    out.flush()
    if expected is not None and size != expected:
        raise DownloadError(f"size mismatch for {media.sid}: got {size} bytes, expected {expected}")
    return ChatDownload(media, DOWNLOADED, None, size, digest.hexdigest())
