"""Purge core without a server: the plan, the spool, re-queueing, summaries, locks, archives."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from media_cli.bulk import FAILED, ItemResult, Later, run_pool
from media_cli.discovery import SentWindow, build_window
from media_cli.errors import LockedError, UsageError
from media_cli.lock import FileLocks, lock_path_for
from media_cli.models import Media
from media_cli.purge import PurgePlan, PurgeSummary, Spool, verify_archive

AC = "AC" + "a" * 32
CUT = datetime(2026, 1, 10, 12, 0, 0, tzinfo=timezone.utc)


def _media(n: int, sent: datetime | None) -> Media:
    sid = f"ME{n:032x}"
    msg = f"MM{n:032x}"
    return Media(
        sid=sid,
        account_sid=AC,
        parent_sid=msg,
        content_type="image/png",
        date_created=datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        date_updated=None,
        uri=f"/2010-04-01/Accounts/{AC}/Messages/{msg}/Media/{sid}.json",
        content_url=f"http://127.0.0.1:1/2010-04-01/Accounts/{AC}/Messages/{msg}/Media/{sid}",
        message_date_sent=sent,
    )


def test_plan_needs_an_upper_bound() -> None:
    with pytest.raises(UsageError, match="upper time bound"):
        PurgePlan(window=SentWindow(after=CUT), accounts=(AC,))
    plan = PurgePlan(window=SentWindow(before=CUT), accounts=(AC,), to="+1555")
    assert plan.cutoff == CUT
    assert "2026-01-10T12:00:00Z" in plan.describe()
    assert "to +1555" in plan.describe()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-10T12:00:00Z", CUT),
        ("2026-01-10 12:00", CUT),  # no offset: UTC
        ("2026-01-10T14:00:00+02:00", CUT),  # an offset is honoured
    ],
)
def test_cutoff_parsing(text: str, expected: datetime) -> None:
    window = build_window(sent_before=text, sent_after=None, older_than=None)
    assert window.before == expected


def test_window_boundary_is_exclusive() -> None:
    window = SentWindow(before=CUT)
    assert window.contains(CUT.replace(second=0, minute=59, hour=11))
    assert not window.contains(CUT)
    assert not window.contains(None)


def test_spool_counts_and_round_trips(tmp_path: Path) -> None:
    items = [_media(i, datetime(2025, 12, i + 1, tzinfo=timezone.utc)) for i in range(5)]
    with Spool() as spool:
        spool.fill(iter(items))
        assert spool.count == 5
        assert spool.oldest == datetime(2025, 12, 1, tzinfo=timezone.utc)
        assert spool.newest == datetime(2025, 12, 5, tzinfo=timezone.utc)
        assert list(spool) == items
        assert [m.message_date_sent for m in spool] == [m.message_date_sent for m in items]
        assert list(spool) == items  # readable twice


def test_run_pool_requeues_later_items() -> None:
    attempts: dict[int, int] = {}
    lock = threading.Lock()
    slept: list[float] = []

    def work(item: tuple[int, int]) -> str | Later[tuple[int, int]]:
        n, attempt = item
        with lock:
            attempts[n] = attempt
        if n % 3 == 0 and attempt < 3:
            return Later((n, attempt + 1), 0.0)
        return f"{n}:{attempt}"

    results = list(run_pool(((n, 1) for n in range(10)), work, concurrency=3, sleep=slept.append))
    assert sorted(results) == sorted(f"{n}:{3 if n % 3 == 0 else 1}" for n in range(10))
    assert len(results) == 10
    # Items that are not re-queued keep their input order.
    plain = [r for r in results if not r.startswith(("0:", "3:", "6:", "9:"))]
    assert plain == [f"{n}:1" for n in range(10) if n % 3]


def test_run_pool_waits_for_delayed_items() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    def work(attempt: int) -> int | Later[int]:
        return attempt if attempt >= 2 else Later(attempt + 1, 5.0)

    assert list(run_pool([1], work, concurrency=1, sleep=sleep, clock=lambda: now[0])) == [2]
    assert slept == [5.0]


def test_run_pool_takes_no_new_items_while_many_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twilio answering 20009 to everything must not pull the whole plan into memory."""
    import media_cli.bulk as bulk

    monkeypatch.setattr(bulk, "MAX_DELAYED", 5)
    now = [0.0]
    pulled: list[int] = []
    waiting_at_pull: list[int] = []
    waiting = [0]

    def source() -> Iterator[tuple[int, int]]:
        for n in range(40):
            pulled.append(n)
            waiting_at_pull.append(waiting[0])
            yield (n, 1)

    def sleep(seconds: float) -> None:
        now[0] += seconds

    def work(item: tuple[int, int]) -> int | Later[tuple[int, int]]:
        n, attempt = item
        if attempt == 1:
            with lock:
                waiting[0] += 1
            return Later((n, 2), 1.0)
        with lock:
            waiting[0] -= 1
        return n

    lock = threading.Lock()
    results = list(run_pool(source(), work, concurrency=1, sleep=sleep, clock=lambda: now[0]))
    assert sorted(results) == list(range(40))
    # Each new item was taken while at most MAX_DELAYED (+ the two in flight) were waiting.
    assert max(waiting_at_pull) <= 5 + 2


def test_summary_line_and_counts() -> None:
    summary = PurgeSummary()
    summary.add(ItemResult("ME1", "MM1", "deleted"))
    summary.add(ItemResult("ME2", "MM1", "skipped", detail="already gone"))
    summary.add(ItemResult("ME3", "MM1", FAILED, "boom"))
    summary.archived_bytes = 1234
    summary.seconds = 2.04
    assert summary.line() == "deleted 1, already gone 1, failed 1, archived 1234 bytes, in 2.0 s"
    assert not summary.is_complete
    assert summary.failed_sids == ["ME3"]


def test_summary_counts_accounts_that_could_not_be_read() -> None:
    summary = PurgeSummary()
    summary.add(ItemResult("ME1", "MM1", "deleted"))
    assert summary.is_complete
    summary.add_failed_account(AC)
    summary.add_failed_account(AC)  # one account, however often it is reported
    assert not summary.is_complete
    assert summary.failed_accounts == [AC]
    assert summary.line() == (
        "deleted 1, already gone 0, failed 0, accounts not read 1, archived 0 bytes, in 0.0 s"
    )
    assert summary.dry_run_line() == "would delete 0 media (size unknown), accounts not read 1"


def test_locks_are_exclusive_and_released(tmp_path: Path) -> None:
    path = lock_path_for(tmp_path, AC)
    assert path == tmp_path / "locks" / f"{AC}.lock"
    with FileLocks() as first:
        first.acquire([path])
        second = FileLocks()
        with pytest.raises(LockedError, match="another purge") as info:
            second.acquire([path])
        assert f"pid {os.getpid()}" in info.value.message
    with FileLocks() as third:
        third.acquire([path])  # released when the first closed
        assert third.paths == (path,)


@dataclass
class _Outcome:
    status: str
    path: Path | None
    size: int | None
    sha256: str | None
    error: str | None = None


def test_verify_archive(tmp_path: Path) -> None:
    data = b"\x89PNG" + bytes(range(200))
    file = tmp_path / "a.png"
    file.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    assert verify_archive(_Outcome("downloaded", file, len(data), sha)) is None
    assert verify_archive(_Outcome("skipped", file, len(data), sha)) is None
    failed = verify_archive(_Outcome("failed", None, None, None, "truncated"))
    assert failed is not None
    assert "truncated" in failed
    size_mismatch = verify_archive(_Outcome("downloaded", file, len(data) + 1, sha))
    assert size_mismatch is not None
    assert "bytes" in size_mismatch
    sha_mismatch = verify_archive(_Outcome("downloaded", file, len(data), "0" * 64))
    assert sha_mismatch is not None
    assert "sha256" in sha_mismatch
    missing = verify_archive(_Outcome("downloaded", tmp_path / "gone", 1, sha))
    assert missing is not None
