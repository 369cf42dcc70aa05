"""Purge: the plan (window, accounts, filters), archive-then-delete, and the summary.

No typer, no rich: the CLI asks, renders and summarizes; this module decides and acts.

Which date decides: the cut-off applies to the MESSAGE's ``date_sent`` (Twilio has no
account-wide media list; media are found through the Messages list filtered by DateSent),
never to a media's own ``date_created``.

Counting (``--max-deletes`` and the confirmation prompt need the size of the plan before
anything is deleted): the plan is discovered once and spooled to an anonymous temporary
file, one compact JSON line per media, while it is counted. The deletes then read the spool
back. Memory stays flat (a few hundred bytes on disk per media, nothing per media in RAM),
the account is listed only once instead of twice, and the set that was counted and shown is
exactly the set that is deleted (a second listing could differ).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Final, Protocol

from media_cli.bulk import (
    DEFAULT_NOT_YET_ATTEMPTS,
    DELETED,
    FAILED,
    SKIPPED,
    WOULD_DELETE,
    AccountRefusals,
    AdaptiveLimit,
    ItemResult,
    Later,
    RateLimiter,
    run_pool,
    try_delete,
)
from media_cli.client import MediaClient
from media_cli.discovery import OnAccountFailure, SentWindow, iter_account_media
from media_cli.errors import AuthError, MediaCliError, UsageError
from media_cli.models import Media
from media_cli.timeparse import iso_utc, parse_twilio_date

DEFAULT_NOT_YET_DELAY: Final = 2.0


@dataclass(frozen=True)
class PurgePlan:
    """What a purge targets: a sent-date window with an upper bound, accounts, filters."""

    window: SentWindow
    accounts: tuple[str, ...]
    to: str | None = None
    from_: str | None = None

    def __post_init__(self) -> None:
        if self.window.before is None:
            raise UsageError(
                "purge needs an upper time bound: --older-than or --sent-before",
                hint="a purge with no time bound would delete every media; it is refused",
            )
        if not self.accounts:
            raise UsageError("purge needs at least one account")

    @property
    def cutoff(self) -> datetime:
        before = self.window.before
        if before is None:  # pragma: no cover - __post_init__ refuses such a plan
            raise UsageError("purge needs an upper time bound")
        return before

    def describe(self) -> str:
        filters = []
        if self.to:
            filters.append(f"to {self.to}")
        if self.from_:
            filters.append(f"from {self.from_}")
        extra = f", {' and '.join(filters)}" if filters else ""
        accounts = ", ".join(self.accounts)
        return f"media of messages {self.window.describe()}{extra}, in {accounts}"


class DownloadOutcome(Protocol):
    """The parts of downloads.DownloadResult that the archive step reads."""

    @property
    def status(self) -> str: ...
    @property
    def path(self) -> Path | None: ...
    @property
    def size(self) -> int | None: ...
    @property
    def sha256(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...


class Archiver(Protocol):
    """downloads.Downloader, as the purge uses it (thread-safe)."""

    def download(self, media: Media) -> DownloadOutcome: ...
    def close(self) -> None: ...


@dataclass
class PurgeSummary:
    """Counts for the one-line summary; updated as results arrive."""

    planned: int | None = None
    deleted: int = 0
    already_gone: int = 0
    failed: int = 0
    would_delete: int = 0
    archived: int = 0
    archived_bytes: int = 0
    bytes_known: bool = False
    oldest: datetime | None = None
    newest: datetime | None = None
    seconds: float = 0.0
    failed_sids: list[str] = field(default_factory=list)
    # Subaccounts whose messages or media Twilio refused to list (their media were not
    # purged, nor counted in the plan).
    failed_accounts: list[str] = field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        """True when every targeted media is gone (and archived, when archiving), in every
        account."""
        return self.failed == 0 and not self.failed_accounts

    def add_failed_account(self, account_sid: str) -> None:
        if account_sid not in self.failed_accounts:
            self.failed_accounts.append(account_sid)

    def _accounts_part(self) -> str:
        if not self.failed_accounts:
            return ""
        return f", accounts not read {len(self.failed_accounts)}"

    def add(self, result: ItemResult) -> None:
        if result.status == DELETED:
            self.deleted += 1
        elif result.status == SKIPPED:
            self.already_gone += 1
        elif result.status == WOULD_DELETE:
            self.would_delete += 1
        elif result.status == FAILED:
            self.failed += 1
            if len(self.failed_sids) < 5:
                self.failed_sids.append(result.sid)

    def line(self) -> str:
        """``deleted N, already gone N, failed N, archived N bytes, in T s``."""
        return (
            f"deleted {self.deleted}, already gone {self.already_gone}, failed {self.failed}"
            f"{self._accounts_part()}, archived {self.archived_bytes} bytes, "
            f"in {self.seconds:.1f} s"
        )

    def dry_run_line(self) -> str:
        size = f"{self.archived_bytes} bytes" if self.bytes_known else "size unknown"
        span = ""
        if self.oldest is not None and self.newest is not None:
            span = f", messages sent {iso_utc(self.oldest)} to {iso_utc(self.newest)}"
        return f"would delete {self.would_delete} media ({size}){span}{self._accounts_part()}"


def _note_date(summary: PurgeSummary, moment: datetime | None) -> None:
    if moment is None:
        return
    if summary.oldest is None or moment < summary.oldest:
        summary.oldest = moment
    if summary.newest is None or moment > summary.newest:
        summary.newest = moment


def iter_targets(
    client: MediaClient,
    plan: PurgePlan,
    *,
    concurrency: int = 8,
    gate: AdaptiveLimit | None = None,
    on_account_failure: OnAccountFailure | None = None,
) -> Iterator[Media]:
    """The plan's media, streamed (discovery holds at most ``2 * concurrency`` messages).

    Each media is checked again against the window by its message's date_sent, and against
    the plan's accounts, so nothing outside the filter can slip through. ``gate``: the
    deletes' limit, when deleting while discovering; ``on_account_failure``: a subaccount
    that refuses (401/403) is reported there and the others are purged (see
    iter_account_media; the plan's first account is the one the credentials name).
    """
    accounts = set(plan.accounts)
    for media in iter_account_media(
        client,
        plan.accounts,
        plan.window,
        to=plan.to,
        from_=plan.from_,
        concurrency=concurrency,
        gate=gate,
        on_account_failure=on_account_failure,
    ):
        if not plan.window.contains(media.message_date_sent):
            continue
        if media.account_sid and media.account_sid not in accounts:
            continue
        yield media


def _media_to_line(media: Media) -> str:
    doc = {
        "sid": media.sid,
        "account_sid": media.account_sid,
        "parent_sid": media.parent_sid,
        "content_type": media.content_type,
        "date_created": iso_utc(media.date_created),
        "date_updated": iso_utc(media.date_updated),
        "uri": media.uri,
        "content_url": media.content_url,
        "message_date_sent": iso_utc(media.message_date_sent),
    }
    return json.dumps(doc, separators=(",", ":")) + "\n"


def _media_from_line(line: str) -> Media:
    doc: dict[str, Any] = json.loads(line)
    return Media(
        sid=doc["sid"],
        account_sid=doc["account_sid"],
        parent_sid=doc["parent_sid"],
        content_type=doc["content_type"],
        date_created=parse_twilio_date(doc["date_created"]),
        date_updated=parse_twilio_date(doc["date_updated"]),
        uri=doc["uri"],
        content_url=doc["content_url"],
        message_date_sent=parse_twilio_date(doc["message_date_sent"]),
    )


class Spool:
    """The plan written to an anonymous temp file while it is counted; read back lazily."""

    def __init__(self) -> None:
        self._file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self.count = 0
        self.oldest: datetime | None = None
        self.newest: datetime | None = None

    def fill(self, media: Iterable[Media]) -> Spool:
        for item in media:
            self._file.write(_media_to_line(item))
            self.count += 1
            moment = item.message_date_sent
            if moment is not None:
                if self.oldest is None or moment < self.oldest:
                    self.oldest = moment
                if self.newest is None or moment > self.newest:
                    self.newest = moment
        self._file.flush()
        return self

    def __iter__(self) -> Iterator[Media]:
        self._file.seek(0)
        for line in self._file:
            if line.strip():
                yield _media_from_line(line)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sha256_of(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def verify_archive(outcome: DownloadOutcome) -> str | None:
    """None when the archived file is there with the size and sha256 reported; else why not."""
    if outcome.status not in ("downloaded", "skipped"):
        return f"archive failed: {outcome.error or outcome.status}"
    if outcome.path is None or outcome.size is None or not outcome.sha256:
        return "archive failed: the download reported no path, size or sha256"
    try:
        size, sha = _sha256_of(Path(outcome.path))
    except OSError as exc:
        return f"archive failed: cannot read {outcome.path}: {exc.strerror or exc}"
    if size != outcome.size:
        return f"archive failed: {outcome.path} has {size} bytes, expected {outcome.size}"
    if sha != outcome.sha256:
        return f"archive failed: {outcome.path} does not match its sha256"
    return None


def _result(
    media: Media, status: str, error: str | None = None, *, detail: str | None = None
) -> ItemResult:
    return ItemResult(
        media.sid,
        media.message_sid,
        status,
        error,
        media.account_sid,
        detail,
        iso_utc(media.message_date_sent),
    )


@dataclass(frozen=True)
class _Attempt:
    media: Media
    attempt: int = 1


class Purger:
    """Runs a plan: dry run, or (archive then) delete each media; thread-safe summary."""

    def __init__(
        self,
        client: MediaClient,
        *,
        concurrency: int = 8,
        limit: AdaptiveLimit | None = None,
        rate: RateLimiter | None = None,
        archiver: Archiver | None = None,
        not_yet_attempts: int = DEFAULT_NOT_YET_ATTEMPTS,
        not_yet_delay: float = DEFAULT_NOT_YET_DELAY,
        refusals: AccountRefusals | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``refusals``: with --all-subaccounts, a subaccount that refuses a delete or an
        archive download (401/403) fails its media as items instead of stopping the run."""
        self.client = client
        self.concurrency = max(1, concurrency)
        self.limit = limit
        self.rate = rate
        self.archiver = archiver
        self.not_yet_attempts = max(1, not_yet_attempts)
        self.not_yet_delay = max(0.0, not_yet_delay)
        self.summary = PurgeSummary()
        self.refusals = refusals
        self._clock = clock
        self._lock = threading.Lock()

    def dry_run(self, targets: Iterable[Media]) -> Iterator[ItemResult]:
        """One ``would_delete`` per media; no request beyond discovery."""
        started = self._clock()
        try:
            for media in targets:
                result = _result(media, WOULD_DELETE)
                _note_date(self.summary, media.message_date_sent)
                self.summary.add(result)
                yield result
        finally:
            self.summary.seconds = self._clock() - started

    def run(self, targets: Iterable[Media]) -> Iterator[ItemResult]:
        """Archive (when asked) then delete each media, ``concurrency`` at a time."""
        started = self._clock()
        try:
            for result in run_pool(
                (_Attempt(media) for media in targets),
                self._purge_one,
                concurrency=self.concurrency,
                limit=self.limit,
            ):
                if self.refusals is not None:
                    self.refusals.report()
                self.summary.add(result)
                yield result
        finally:
            self.summary.seconds = self._clock() - started

    def _gate(self) -> None:
        if self.rate is not None:
            self.rate.acquire()

    def _purge_one(self, item: _Attempt) -> ItemResult | Later[_Attempt]:
        media = item.media
        account = media.account_sid
        self._note(media.message_date_sent)
        if self.refusals is not None:
            refused = self.refusals.refused(account)
            if refused is not None:
                return _result(media, FAILED, refused)
        if self.archiver is not None and item.attempt == 1:
            try:
                failure = self._archive(media)
            except AuthError as exc:
                failure = f"archive failed: {self._refuse(media, exc, 'download')}"
            if failure is not None:
                return _result(media, FAILED, failure)
        self._gate()
        try:
            outcome = try_delete(
                self.client,
                account,
                media.message_sid,
                media.sid,
                may_wait=item.attempt < self.not_yet_attempts,
            )
        except AuthError as exc:
            return _result(media, FAILED, self._refuse(media, exc, "delete"))
        if outcome is None:
            return Later(_Attempt(media, item.attempt + 1), self.not_yet_delay * item.attempt)
        return _result(media, outcome.status, outcome.error, detail=outcome.detail)

    def _refuse(self, media: Media, exc: AuthError, action: str) -> str:
        """The item's error when ``media``'s subaccount refused; re-raises ``exc`` for the
        main account (or without refusals): rejected credentials stop the run."""
        error = None
        if self.refusals is not None:
            error = self.refusals.refuse(media.account_sid, exc, action=action)
        if error is None:
            raise exc
        return error

    def _note(self, moment: datetime | None) -> None:
        with self._lock:
            _note_date(self.summary, moment)

    def _archive(self, media: Media) -> str | None:
        """Download and verify; None on success, else why the media must not be deleted."""
        if self.archiver is None:
            return None
        self._gate()
        try:
            outcome = self.archiver.download(media)
        except AuthError:
            raise
        except MediaCliError as exc:
            return f"archive failed: {exc.message}"
        failure = verify_archive(outcome)
        if failure is None:
            with self._lock:
                self.summary.archived += 1
                self.summary.archived_bytes += outcome.size or 0
                self.summary.bytes_known = True
        return failure
