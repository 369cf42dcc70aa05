"""Bounded worker pool with per-item results (deletes share it with purge)."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from media_cli.client import MediaClient
from media_cli.discovery import AccountFailure, OnAccountFailure
from media_cli.errors import ApiError, AuthError, MediaCliError, NotFoundError
from media_cli.sidlist import MediaRef

DELETED: Final = "deleted"
SKIPPED: Final = "skipped"
FAILED: Final = "failed"
WOULD_DELETE: Final = "would_delete"
# Twilio's "cannot delete yet" (HTTP 400/409): the media is still in use; try again later.
CANNOT_DELETE_YET: Final = 20009

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class ItemResult:
    """The outcome for one media: what the JSON modes print per item."""

    sid: str
    message_sid: str
    status: str
    error: str | None = None
    account_sid: str | None = None
    detail: str | None = None
    # purge: the message's date_sent (ISO 8601 UTC), the date that put the media in the plan.
    date_sent: str | None = None

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "sid": self.sid,
            "message_sid": self.message_sid,
            "status": self.status,
            "error": self.error,
        }
        if self.detail is not None:
            doc["detail"] = self.detail
        if self.date_sent is not None:
            doc["account_sid"] = self.account_sid
            doc["date_sent"] = self.date_sent
        return doc


@dataclass(frozen=True)
class Later(Generic[T]):
    """Returned by a pool's work function: run ``item`` again after ``delay`` seconds."""

    item: T
    delay: float


def is_cannot_delete_yet(exc: BaseException) -> bool:
    """True for Twilio error 20009 ("cannot delete yet"): worth retrying later."""
    return isinstance(exc, ApiError) and exc.twilio_code == CANNOT_DELETE_YET


class AdaptiveLimit:
    """How many requests may be in flight: AIMD, like TCP's congestion window.

    Every 429 halves the limit (at most once per ``cooldown`` seconds, so one burst of 429s
    counts once); every ``grow_after`` successes without a 429 add one, up to ``maximum``.
    """

    def __init__(
        self,
        maximum: int,
        *,
        minimum: int = 1,
        grow_after: int = 8,
        cooldown: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.maximum = max(1, maximum)
        self.minimum = max(1, min(minimum, self.maximum))
        self.limit = self.maximum
        self.grow_after = grow_after
        self.cooldown = cooldown
        self.lowest = self.limit
        self._clock = clock
        self._in_flight = 0
        self._streak = 0
        self._last_cut = float("-inf")
        self._cond = threading.Condition()

    def acquire(self) -> None:
        with self._cond:
            while self._in_flight >= self.limit:
                self._cond.wait()
            self._in_flight += 1

    def release(self, *, ok: bool = True) -> None:
        with self._cond:
            self._in_flight -= 1
            if ok:
                self._streak += 1
                if self._streak >= self.grow_after and self.limit < self.maximum:
                    self.limit += 1
                    self._streak = 0
            self._cond.notify_all()

    def on_throttle(self) -> None:
        with self._cond:
            self._streak = 0
            now = self._clock()
            if now - self._last_cut < self.cooldown:
                return
            self._last_cut = now
            self.limit = max(self.minimum, self.limit // 2)
            self.lowest = min(self.lowest, self.limit)


class RateLimiter:
    """At most ``rate`` starts per second, spaced evenly (``--max-rate``)."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._next = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        delay = start - now
        if delay > 0:
            time.sleep(delay)


MAX_DELAYED: Final = 10_000


def run_pool(
    items: Iterable[T],
    work: Callable[[T], R | Later[T]],
    *,
    concurrency: int,
    limit: AdaptiveLimit | None = None,
    rate: RateLimiter | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[R]:
    """Apply ``work`` to each item with at most ``concurrency`` in flight; results in order.

    Items are pulled lazily, so a huge input holds only ``2 * concurrency`` at a time.
    ``limit`` (shrinks on 429, grows back) and ``rate`` (starts per second) gate each item.
    ``work`` may return ``Later(item, delay)`` instead of a result: the item is queued again
    after the delay (without holding a worker while it waits) and its result comes later, out
    of input order. The caller bounds how often that happens (the item carries its attempt).
    """
    ahead = max(1, concurrency) * 2

    def gated(item: T) -> R | Later[T]:
        if rate is not None:
            rate.acquire()
        if limit is None:
            return work(item)
        limit.acquire()
        ok = False
        try:
            result = work(item)
            ok = True
            return result
        finally:
            limit.release(ok=ok)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        pending: deque[Future[R | Later[T]]] = deque()
        # (due time, tie-breaker, item): items waiting to be run again.
        delayed: list[tuple[float, int, T]] = []
        order = itertools.count()
        source = iter(items)
        exhausted = False
        try:
            while True:
                now = clock()
                while delayed and delayed[0][0] <= now and len(pending) < ahead:
                    pending.append(pool.submit(gated, heapq.heappop(delayed)[2]))
                # While many items wait to be retried (Twilio answering 20009 to most of a
                # plan), take no new ones: memory stays bounded by MAX_DELAYED.
                while not exhausted and len(pending) < ahead and len(delayed) < MAX_DELAYED:
                    try:
                        item = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    pending.append(pool.submit(gated, item))
                if not pending:
                    if not delayed:
                        return
                    sleep(max(0.0, delayed[0][0] - clock()))
                    continue
                outcome = pending.popleft().result()
                if isinstance(outcome, Later):
                    heapq.heappush(
                        delayed, (clock() + max(0.0, outcome.delay), next(order), outcome.item)
                    )
                    continue
                yield outcome
        finally:
            for future in pending:
                future.cancel()


def adaptive_for(client: MediaClient, concurrency: int) -> AdaptiveLimit:
    """An AdaptiveLimit that the client's 429s shrink."""
    limit = AdaptiveLimit(concurrency)
    client.on_throttle = limit.on_throttle
    return limit


class AccountRefusals:
    """Subaccounts that refused a request in the middle of an --all-subaccounts bulk run: a
    401/403 on a DELETE or a content download after the account's media were listed (Twilio
    answers so once a subaccount is suspended, for instance mid-run). Shared by the workers.

    The media whose request was refused fails as an item. Its account is then refused for
    the rest of the run: each of its other media fails at once, without a request (refused()
    gives the item's error), since a suspended account refuses them all alike and 100,000
    media would otherwise cost 100,000 refused calls. Each such account becomes one
    AccountFailure, handed to ``on_account_failure`` by report() in the thread that calls it
    (the consumer of the results, never a worker).

    A refusal for ``main_account_sid`` (the account the credentials or --account-sid name)
    is never recorded: refuse() returns None and the caller re-raises, so that rejected
    credentials still stop the run (exit 4).
    """

    def __init__(
        self, main_account_sid: str, on_account_failure: OnAccountFailure | None = None
    ) -> None:
        self.main_account_sid = main_account_sid
        self.on_account_failure = on_account_failure
        self._refused: dict[str, AuthError] = {}
        self._unreported: list[AccountFailure] = []
        self._lock = threading.Lock()

    def refused(self, account_sid: str) -> str | None:
        """The item error for a media of an account already refused; None if it was not."""
        with self._lock:
            error = self._refused.get(account_sid)
        if error is None:
            return None
        return f"not tried: subaccount {account_sid} refused an earlier request: {error.message}"

    def refuse(self, account_sid: str, error: AuthError, *, action: str) -> str | None:
        """Record a refusal (``action``: delete or download); the failed item's error, or None
        when the account is the main one (or unknown) and the caller must re-raise."""
        if not account_sid or account_sid == self.main_account_sid:
            return None
        with self._lock:
            if account_sid not in self._refused:
                self._refused[account_sid] = error
                self._unreported.append(AccountFailure(account_sid, error, action))
        return error.message

    @property
    def account_sids(self) -> list[str]:
        with self._lock:
            return list(self._refused)

    def report(self) -> None:
        """Hand each newly refused account to ``on_account_failure`` (in this thread)."""
        with self._lock:
            failures, self._unreported = self._unreported, []
        if self.on_account_failure is not None:
            for failure in failures:
                self.on_account_failure(failure)

    def reporting(self, results: Iterable[R]) -> Iterator[R]:
        """``results`` unchanged, reporting newly refused accounts before each one."""
        for result in results:
            self.report()
            yield result
        self.report()


@dataclass(frozen=True)
class DeleteOutcome:
    """What one DELETE came to: deleted, skipped (already gone) or failed."""

    status: str
    error: str | None = None
    detail: str | None = None


ALREADY_GONE_DETAIL: Final = "already gone"
LOST_ANSWER_DETAIL: Final = "the first answer was lost; the retry found it gone"


def try_delete(
    client: MediaClient, account_sid: str, message_sid: str, media_sid: str, *, may_wait: bool
) -> DeleteOutcome | None:
    """Delete one media; None when Twilio says "cannot delete yet" (20009) and ``may_wait``.

    A 404 means it is already gone: reported as skipped, not failed; unless an earlier
    attempt's answer was lost, in which case that attempt deleted it: reported as deleted.
    Rejected credentials fail every item alike, so AuthError stops the run (exit 4) instead
    of failing one item.
    """
    try:
        client.delete_media(account_sid, message_sid, media_sid)
    except NotFoundError as exc:
        if exc.after_lost_answer:
            return DeleteOutcome(DELETED, detail=LOST_ANSWER_DETAIL)
        return DeleteOutcome(SKIPPED, detail=ALREADY_GONE_DETAIL)
    except AuthError:
        raise
    except MediaCliError as exc:
        if may_wait and is_cannot_delete_yet(exc):
            return None
        return DeleteOutcome(FAILED, exc.message)
    return DeleteOutcome(DELETED)


DEFAULT_NOT_YET_ATTEMPTS: Final = 5


@dataclass(frozen=True)
class DeleteAttempt:
    ref: MediaRef
    attempt: int = 1


def delete_one(
    client: MediaClient,
    account_sid: str,
    item: DeleteAttempt,
    *,
    not_yet_attempts: int = DEFAULT_NOT_YET_ATTEMPTS,
    not_yet_delay: float = 2.0,
) -> ItemResult | Later[DeleteAttempt]:
    """`delete`'s work function for run_pool: 20009 comes back later, with a growing delay."""
    ref = item.ref
    account = ref.account_sid or account_sid
    outcome = try_delete(
        client, account, ref.message_sid, ref.sid, may_wait=item.attempt < not_yet_attempts
    )
    if outcome is None:
        return Later(DeleteAttempt(ref, item.attempt + 1), not_yet_delay * item.attempt)
    return ItemResult(
        ref.sid, ref.message_sid, outcome.status, outcome.error, account, outcome.detail
    )
