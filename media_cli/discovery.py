"""Account-wide media: Messages by DateSent window, then each message's media, streamed."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from media_cli.client import MediaClient
from media_cli.errors import AuthError, NotFoundError, UsageError
from media_cli.models import Media, Message
from media_cli.sids import check_sid
from media_cli.timeparse import iso_utc, now_utc, parse_duration, parse_instant

if TYPE_CHECKING:
    from media_cli.bulk import AdaptiveLimit


@dataclass(frozen=True)
class SentWindow:
    """Exact instants: ``after <= date_sent < before`` (either side may be open)."""

    before: datetime | None = None
    after: datetime | None = None

    def contains(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        if self.before is not None and moment >= self.before:
            return False
        return not (self.after is not None and moment < self.after)

    def describe(self) -> str:
        parts = []
        if self.after is not None:
            parts.append(f"sent at or after {iso_utc(self.after)}")
        if self.before is not None:
            parts.append(f"sent before {iso_utc(self.before)}")
        return " and ".join(parts) or "any time"


def build_window(
    *,
    sent_before: str | None,
    sent_after: str | None,
    older_than: str | None,
    now: datetime | None = None,
) -> SentWindow:
    """Turn the user's flags into exact instants; conflicting flags are usage errors."""
    if sent_before and older_than:
        raise UsageError("--sent-before and --older-than cannot be used together")
    before = parse_instant(sent_before, what="--sent-before") if sent_before else None
    if older_than:
        delta: timedelta = parse_duration(older_than)
        try:
            before = (now or now_utc()) - delta
        except OverflowError as exc:
            raise UsageError(f"--older-than {older_than!r} reaches before year 1") from exc
    after = parse_instant(sent_after, what="--sent-after") if sent_after else None
    if before is not None and after is not None and after >= before:
        raise UsageError(
            f"empty time window: --sent-after {iso_utc(after)} is not before {iso_utc(before)}"
        )
    return SentWindow(before=before, after=after)


@dataclass(frozen=True)
class AccountFailure:
    """A subaccount that Twilio refused (401/403: a suspended subaccount answers so); the
    run went on with the other accounts.

    ``action`` says what was refused: ``read`` (its messages or media lists), or, after its
    media were listed (a subaccount suspended mid-run), ``delete`` or ``download`` (see
    bulk.AccountRefusals).
    """

    account_sid: str
    error: AuthError
    action: str = "read"

    @property
    def what(self) -> str:
        """``could not be read``, ``refused to delete its media``, …"""
        return _FAILURE_WHAT.get(self.action, f"refused to {self.action} its media")

    @property
    def reason(self) -> str:
        """Twilio's answer, as the error carries it (a redacted path, never a secret)."""
        return self.error.message


_FAILURE_WHAT: Final = {
    "read": "could not be read",
    "delete": "refused to delete its media",
    "download": "refused to serve its media's content",
}

OnAccountFailure = Callable[[AccountFailure], None]


@dataclass(frozen=True)
class AccountScope:
    """Which messages, in which accounts: the parsed account-wide flags (--sent-before,
    --sent-after, --older-than, --to, --from, --all-subaccounts)."""

    window: SentWindow
    to: str | None = None
    from_: str | None = None
    all_subaccounts: bool = False

    def iter_media(
        self,
        client: MediaClient,
        account_sid: str,
        *,
        page_size: int | None = None,
        limit: int | None = None,
        concurrency: int = 8,
        on_account_failure: OnAccountFailure | None = None,
    ) -> Iterator[Media]:
        """Every media of the scope's messages in the account (and, with all_subaccounts, in
        each of its subaccounts); see iter_account_media."""
        return iter_account_media(
            client,
            resolve_accounts(client, account_sid, all_subaccounts=self.all_subaccounts),
            self.window,
            to=self.to,
            from_=self.from_,
            page_size=page_size,
            limit=limit,
            concurrency=concurrency,
            on_account_failure=on_account_failure,
        )


def iter_window_messages(
    client: MediaClient,
    account_sid: str,
    window: SentWindow,
    *,
    to: str | None = None,
    from_: str | None = None,
    page_size: int | None = None,
) -> Iterator[Message]:
    """Messages in the window that carry media.

    Twilio's ``DateSent<``/``DateSent>`` are inclusive GMT days, so we send the days that
    contain the instants and filter the exact instants here.
    """
    for message in client.iter_messages(
        account_sid,
        sent_before=window.before.date() if window.before else None,
        sent_after=window.after.date() if window.after else None,
        to=to,
        from_=from_,
        page_size=page_size,
    ):
        if message.num_media == 0:
            continue
        if (window.before or window.after) and not window.contains(message.date_sent):
            continue
        yield message


def iter_account_media(
    client: MediaClient,
    account_sids: Iterable[str],
    window: SentWindow,
    *,
    to: str | None = None,
    from_: str | None = None,
    page_size: int | None = None,
    limit: int | None = None,
    concurrency: int = 8,
    on_message: Callable[[Message], None] | None = None,
    gate: AdaptiveLimit | None = None,
    on_account_failure: OnAccountFailure | None = None,
) -> Iterator[Media]:
    """Every media of the matching messages, in message order, fetched ``concurrency`` ahead.

    Message pages are sequential (each names the next), but each message's media list is
    independent, so those are fetched in parallel. At most ``2 * concurrency`` messages are
    held at once: memory stays flat however large the account is. ``gate``: a limit shared
    with whoever consumes the media concurrently (purge's deletes), so that together they
    keep to one number of requests in flight.

    The first of ``account_sids`` is the account the credentials (or --account-sid) name, the
    others its subaccounts (see resolve_accounts). A 401/403 on the first always raises
    AuthError: the credentials themselves are refused. With ``on_account_failure``, a 401/403
    while reading a later account's messages or media ends that account alone: the callback
    gets an AccountFailure (in the consumer's thread) and the next account is read. Media of
    that account already yielded stay yielded.
    """
    count = 0
    ahead = max(1, concurrency) * 2

    def media_of(message: Message) -> list[Media]:
        if gate is not None:
            gate.acquire()
        ok = False
        try:
            found = list(
                client.iter_media(
                    message.account_sid, message.sid, message_date_sent=message.date_sent
                )
            )
            ok = True
            return found
        except NotFoundError:
            # Deleted since its Messages page was read (by someone else): no media left.
            ok = True
            return []
        finally:
            if gate is not None:
                gate.release(ok=ok)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for index, account_sid in enumerate(account_sids):
            pending: deque[Future[list[Media]]] = deque()
            messages = iter_window_messages(
                client, account_sid, window, to=to, from_=from_, page_size=page_size
            )
            try:
                exhausted = False
                while True:
                    while not exhausted and len(pending) < ahead:
                        message = next(messages, None)
                        if message is None:
                            exhausted = True
                            break
                        if on_message is not None:
                            on_message(message)
                        pending.append(pool.submit(media_of, message))
                    if not pending:
                        break
                    for media in pending.popleft().result():
                        yield media
                        count += 1
                        if limit is not None and count >= limit:
                            return
            except AuthError as exc:
                if index == 0 or on_account_failure is None:
                    raise
                on_account_failure(AccountFailure(account_sid, exc))
            finally:
                for future in pending:
                    future.cancel()


def resolve_accounts(
    client: MediaClient, account_sid: str, *, all_subaccounts: bool
) -> Iterator[str]:
    """The account itself, then (with ``--all-subaccounts``) each subaccount it owns that
    is not closed (Twilio still lists closed subaccounts; their resources are gone).

    Suspended subaccounts are kept: Twilio may refuse their resources (401), and that is
    reported per account (see iter_account_media's ``on_account_failure``) rather than
    skipped in silence, so that the user learns about them.
    """
    check_sid("account", account_sid)
    yield account_sid
    if not all_subaccounts:
        return
    for account in client.iter_accounts():
        if account.sid == account_sid or account.owner_account_sid != account_sid:
            continue
        if (account.status or "").lower() == "closed":
            continue
        yield account.sid
