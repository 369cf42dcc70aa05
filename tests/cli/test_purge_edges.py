"""purge, delete and list at their edges: time zones, closed subaccounts, lost messages, locks."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from media_cli.errors import EXIT_USAGE, LockedError, UsageError
from media_cli.lock import FileLocks, lock_path_for
from media_cli.models import Message
from media_cli.timeparse import parse_instant
from tests.support import cli_env, control, faults, invoke, make_client, media_sids, seed, stats


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-10 00:00 CET",  # dateutil does not know it: it used to be silently UTC
        "2026-01-10 00:00 PST",
        "2026-01-10 00:00 UTC+1",  # POSIX sign: dateutil reads it as 01:00 UTC, not 23:00
        "2026-01-10 00:00 GMT-5",
    ],
)
def test_ambiguous_or_unknown_time_zones_are_refused(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(UsageError, match="--sent-before") as info:
            parse_instant(text, what="--sent-before")
    assert info.value.exit_code == EXIT_USAGE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-10 00:00 +0100", "2026-01-09T23:00:00+00:00"),
        ("Sat, 10 Jan 2026 00:00:00 GMT", "2026-01-10T00:00:00+00:00"),
        ("2026-01-10 00:00 UTC", "2026-01-10T00:00:00+00:00"),
    ],
)
def test_explicit_offsets_and_utc_names_still_parse(text: str, expected: str) -> None:
    assert parse_instant(text).isoformat() == expected


def test_purge_with_an_unknown_zone_deletes_nothing(emu: dict[str, Any], tmp_path: Path) -> None:
    # 2026-01-10 00:00 CET is 2026-01-09T23:00Z: a message sent at 23:30Z is after the
    # cut-off the operator meant. Read as UTC it was purged.
    seed(emu, {"messages": [{"date_sent": "2026-01-09T23:30:00Z", "media": [{"size": 10}]}]})
    before = media_sids(emu)
    result = invoke(
        ["purge", "--sent-before", "2026-01-10 00:00 CET", "--yes", "--jsonl"],
        cli_env(emu, tmp_path),
    )
    assert result.exit_code == EXIT_USAGE, result.stderr
    assert result.stdout == ""
    assert media_sids(emu) == before


def _old_media(info: dict[str, Any], account_sid: str) -> set[str]:
    created = seed(
        info,
        {
            "messages": [
                {"account_sid": account_sid, "date_sent": "2025-01-01T00:00:00Z", "media": [{}]}
            ]
        },
    )
    return {m["sid"] for msg in created["messages"] for m in msg["media"]}


def test_all_subaccounts_skips_closed_subaccounts(emu: dict[str, Any], tmp_path: Path) -> None:
    # Twilio keeps listing a closed subaccount (status "closed") in Accounts.json; its
    # resources are gone or refused. A nightly purge must not act on it (nor die on it).
    closed = "AC" + "c" * 32
    seed(
        emu,
        {"accounts": [{"sid": closed, "auth_token": "c" * 32, "parent_sid": emu["account_sid"]}]},
    )
    main_doomed = _old_media(emu, emu["account_sid"])
    closed_media = _old_media(emu, closed)
    page = make_client(emu).get_json(f"{emu['api_url']}/2010-04-01/Accounts.json")
    for account in page["accounts"]:
        if account["sid"] == closed:
            account["status"] = "closed"
    faults(
        emu,
        [
            {
                "listener": "api",
                "method": "GET",
                "path": r"/Accounts\.json",
                "status": 200,
                "body": json.dumps(page),
            }
        ],
    )
    before = media_sids(emu)
    result = invoke(
        ["purge", "--sent-before", "2026-01-01", "--all-subaccounts", "--yes", "--jsonl"],
        cli_env(emu, tmp_path),
    )
    assert result.exit_code == 0, result.stderr
    assert {json.loads(line)["sid"] for line in result.stdout.splitlines()} == main_doomed
    assert media_sids(emu) == before - main_doomed
    assert closed_media <= media_sids(emu)


def test_num_media_missing_is_unknown_not_zero() -> None:
    base = {"sid": "MM" + "1" * 32, "account_sid": "AC" + "1" * 32}
    assert Message.from_api({**base, "num_media": "0"}).num_media == 0
    assert Message.from_api({**base, "num_media": "2"}).num_media == 2
    # Missing, null or malformed: unknown, so discovery lists the media instead of skipping.
    assert Message.from_api(base).num_media != 0
    assert Message.from_api({**base, "num_media": None}).num_media != 0
    assert Message.from_api({**base, "num_media": "x"}).num_media != 0


def test_a_message_deleted_while_purging_is_skipped(emu: dict[str, Any], tmp_path: Path) -> None:
    # Messages can be deleted by someone else between the Messages page and the media list
    # (an app's own clean-up, a retention policy): Twilio answers 404 for its media list.
    # That message has no media left to purge; the run must carry on with the others.
    gone = seed(emu, {"messages": [{"date_sent": "2025-01-02T00:00:00Z", "media": [{}]}]})[
        "messages"
    ][0]["sid"]
    doomed = _old_media(emu, emu["account_sid"])
    faults(emu, [{"method": "GET", "path": f"/Messages/{gone}/Media", "status": 404}])
    result = invoke(
        ["purge", "--sent-before", "2026-01-01", "--yes", "--jsonl"], cli_env(emu, tmp_path)
    )
    assert result.exit_code == 0, result.stderr
    assert {json.loads(line)["sid"] for line in result.stdout.splitlines()} == doomed
    assert not doomed & media_sids(emu)


def test_streaming_purge_keeps_to_its_concurrency(emu: dict[str, Any], tmp_path: Path) -> None:
    # With --yes and no --max-deletes, media are deleted while discovery still lists the
    # next messages' media. --concurrency is "requests in flight at once": both count.
    seed(
        emu,
        {
            "messages": [
                {"date_sent": f"2025-01-{day:02d}T00:00:00Z", "media": [{}]} for day in range(1, 29)
            ]
        },
    )
    control(emu, "config", {"latency_ms": 30})
    result = invoke(
        ["purge", "--sent-before", "2026-01-01", "--yes", "--jsonl", "-j", "3"],
        cli_env(emu, tmp_path),
    )
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 28
    # 3 media lists or deletes, plus the one Messages page the main thread may be reading.
    assert stats(emu)["peak_concurrency"] <= 3 + 1


def test_one_account_one_lock_whatever_the_case_of_its_sid(tmp_path: Path) -> None:
    # check_sid accepts upper-case hex; "ACAB…" and "ACab…" name one account, and two
    # cron entries spelling it differently must still exclude each other.
    upper, lower = "AC" + "AB" * 16, "AC" + "ab" * 16
    assert lock_path_for(tmp_path, upper) == lock_path_for(tmp_path, lower)
    assert lock_path_for(tmp_path, lower) != lock_path_for(tmp_path, "AC" + "cd" * 16)
    with FileLocks() as first:
        first.acquire([lock_path_for(tmp_path, upper)])
        with pytest.raises(LockedError):
            FileLocks().acquire([lock_path_for(tmp_path, lower)])
