"""`media-cli purge` end to end against the emulator: cut-off, safety, faults, archive, lock."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from media_cli.lock import FileLocks, lock_path_for
from tests.support import cli_env, faults, invoke, media_sids, seed, state, stats

CUTOFF = "2026-01-10T12:00:00Z"

# (message date_sent, media date_created or None, media count, expected to be purged)
SENT_DATES: list[tuple[str, str | None, int, bool]] = [
    ("2026-01-10T11:59:55Z", None, 2, True),  # a few seconds before the cut-off
    ("2026-01-10T12:00:00Z", None, 1, False),  # exactly at it: kept (before is exclusive)
    ("2026-01-10T12:00:05Z", None, 1, False),  # a few seconds after
    ("2026-01-10T00:00:01Z", None, 1, True),  # same GMT day, early
    ("2026-01-10T23:59:59Z", None, 1, False),  # same GMT day, late
    ("2026-01-09T08:00:00Z", None, 1, True),
    ("2025-06-01T00:00:00Z", None, 3, True),
    ("2026-02-01T00:00:00Z", None, 1, False),
    # The message's date decides, never the media's own date_created:
    ("2026-01-05T10:00:00Z", "2026-03-01T00:00:00Z", 1, True),
    ("2026-02-02T10:00:00Z", "2025-01-01T00:00:00Z", 1, False),
]


def _seed_around_cutoff(info: dict[str, Any], account_sid: str | None = None) -> set[str]:
    """Seed media on both sides of CUTOFF; returns the SIDs that a purge must delete."""
    messages: list[dict[str, Any]] = []
    for sent, created, count, _ in SENT_DATES:
        media: list[dict[str, Any]] = []
        for i in range(count):
            item: dict[str, Any] = {"content_type": "image/png", "size": 100 + i}
            if created:
                item["date_created"] = created
            media.append(item)
        msg: dict[str, Any] = {"date_sent": sent, "media": media}
        if account_sid:
            msg["account_sid"] = account_sid
        messages.append(msg)
    # A message with no media before the cut-off: skipped, never listed.
    messages.append({"date_sent": "2025-12-01T00:00:00Z", "media": []})
    if account_sid:
        messages[-1]["account_sid"] = account_sid
    created_msgs = seed(info, {"messages": messages})["messages"]
    doomed: set[str] = set()
    for (_, _, _, purged), msg in zip(SENT_DATES, created_msgs, strict=False):
        if purged:
            doomed |= {m["sid"] for m in msg["media"]}
    return doomed


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _deletes(info: dict[str, Any]) -> int:
    routes: dict[str, dict[str, int]] = stats(info)["routes"]
    return sum(sum(codes.values()) for route, codes in routes.items() if route.startswith("DELETE"))


def test_purge_deletes_exactly_the_media_before_the_cutoff(
    emu: dict[str, Any], tmp_path: Path
) -> None:
    doomed = _seed_around_cutoff(emu)
    before = media_sids(emu)
    result = invoke(["purge", "--sent-before", CUTOFF, "--yes", "--jsonl"], cli_env(emu, tmp_path))
    assert result.exit_code == 0, result.stderr
    docs = _lines(result.stdout)
    assert {d["sid"] for d in docs} == doomed
    assert {d["status"] for d in docs} == {"deleted"}
    assert all(set(d) >= {"sid", "message_sid", "status", "error"} for d in docs)
    assert media_sids(emu) == before - doomed
    assert "2026-01-10T12:00:00Z" in result.stderr  # the exact cut-off is in the plan
    assert f"deleted {len(doomed)}, already gone 0, failed 0, archived 0 bytes, in " in (
        result.stderr
    )
    # A rerun converges: nothing left to delete, exit 0.
    again = invoke(["purge", "--sent-before", CUTOFF, "--yes", "--jsonl"], cli_env(emu, tmp_path))
    assert again.exit_code == 0, again.stderr
    assert again.stdout == ""
    assert media_sids(emu) == before - doomed


def test_dry_run_lists_exactly_the_would_be_set(emu: dict[str, Any], tmp_path: Path) -> None:
    doomed = _seed_around_cutoff(emu)
    before = media_sids(emu)
    result = invoke(
        ["purge", "--sent-before", CUTOFF, "--dry-run", "--json"], cli_env(emu, tmp_path)
    )
    assert result.exit_code == 0, result.stderr
    docs = json.loads(result.stdout)
    assert {d["sid"] for d in docs} == doomed
    assert len(docs) == len(doomed)
    assert {d["status"] for d in docs} == {"would_delete"}
    assert all(d["date_sent"] < CUTOFF for d in docs)
    assert media_sids(emu) == before
    assert _deletes(emu) == 0
    assert f"would delete {len(doomed)} media" in result.stderr
    assert "2025-06-01T00:00:00Z to 2026-01-10T11:59:55Z" in result.stderr
    tsv = invoke(["purge", "--sent-before", CUTOFF, "--dry-run"], cli_env(emu, tmp_path))
    assert tsv.exit_code == 0
    rows = [line.split("\t") for line in tsv.stdout.splitlines()]
    assert {row[0] for row in rows} == doomed
    assert {row[2] for row in rows} == {"would_delete"}


def test_older_than_uses_now(emu: dict[str, Any], tmp_path: Path) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    old, recent = (now - timedelta(days=d) for d in (91, 89))
    created = seed(
        emu,
        {
            "messages": [
                {"date_sent": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "media": [{"size": 10}]}
                for t in (old, recent)
            ]
        },
    )["messages"]
    result = invoke(["purge", "--older-than", "90d", "--yes", "--jsonl"], cli_env(emu, tmp_path))
    assert result.exit_code == 0, result.stderr
    assert [d["sid"] for d in _lines(result.stdout)] == [created[0]["media"][0]["sid"]]
    assert media_sids(emu) == {created[1]["media"][0]["sid"]}


def test_no_time_bound_is_refused(emu: dict[str, Any], tmp_path: Path) -> None:
    _seed_around_cutoff(emu)
    result = invoke(["purge", "--sent-after", "2020-01-01", "--yes"], cli_env(emu, tmp_path))
    assert result.exit_code == 2
    assert "upper time bound" in result.stderr
    assert stats(emu)["total"] == 0


def test_no_tty_without_yes_refuses_before_any_request(emu: dict[str, Any], tmp_path: Path) -> None:
    _seed_around_cutoff(emu)
    before = media_sids(emu)
    requests_before = stats(emu)["total"]
    result = invoke(["purge", "--sent-before", CUTOFF, "--jsonl"], cli_env(emu, tmp_path))
    assert result.exit_code == 2
    err = json.loads(result.stderr.strip().splitlines()[-1])
    assert err["error"]["code"] == "confirmation_required"
    assert "--yes" in err["error"]["hint"]
    assert result.stdout == ""
    assert stats(emu)["total"] == requests_before
    assert media_sids(emu) == before


def test_max_deletes_aborts_with_nothing_deleted(emu: dict[str, Any], tmp_path: Path) -> None:
    doomed = _seed_around_cutoff(emu)
    before = media_sids(emu)
    env = cli_env(emu, tmp_path)
    result = invoke(
        ["purge", "--sent-before", CUTOFF, "--yes", "--max-deletes", str(len(doomed) - 1)], env
    )
    assert result.exit_code == 1
    assert f"the plan holds {len(doomed)} media" in result.stderr
    assert media_sids(emu) == before
    assert _deletes(emu) == 0
    ok = invoke(
        ["purge", "--sent-before", CUTOFF, "--yes", "--max-deletes", str(len(doomed)), "--jsonl"],
        env,
    )
    assert ok.exit_code == 0, ok.stderr
    assert media_sids(emu) == before - doomed


def test_lock_held_makes_a_second_run_exit_1(emu: dict[str, Any], tmp_path: Path) -> None:
    _seed_around_cutoff(emu)
    before = media_sids(emu)
    env = cli_env(emu, tmp_path)
    with FileLocks() as held:
        held.acquire([lock_path_for(tmp_path, emu["account_sid"])])
        result = invoke(["purge", "--sent-before", CUTOFF, "--yes"], env)
        assert result.exit_code == 1
        assert "another purge is running" in result.stderr
        custom = tmp_path / "cron.lock"
        held.acquire([custom])
        second = invoke(
            ["purge", "--sent-before", CUTOFF, "--yes", "--lock-file", str(custom)], env
        )
        assert second.exit_code == 1
        assert "locked" in second.stderr
    assert media_sids(emu) == before
    assert _deletes(emu) == 0
    # Released: the next run goes ahead.
    assert invoke(["purge", "--sent-before", CUTOFF, "--yes"], env).exit_code == 0


@pytest.mark.parametrize(
    "rule",
    [
        {"action": "status", "status": 429, "code": 20429, "times": 6},
        {"action": "status", "status": 500, "code": 20500, "times": 4},
        {"action": "reset", "times": 4},
        {"action": "status", "status": 503, "code": 20503, "probability": 0.3},
    ],
    ids=["429", "500", "reset", "503-random"],
)
def test_same_end_state_under_faults(
    emu: dict[str, Any], tmp_path: Path, rule: dict[str, Any]
) -> None:
    doomed = _seed_around_cutoff(emu)
    before = media_sids(emu)
    faults(emu, [{"listener": "api", "method": "*", "path": "/Messages", **rule}])
    env = cli_env(emu, tmp_path)
    result = invoke(["purge", "--sent-before", CUTOFF, "--yes", "--jsonl", "-j", "4"], env)
    # Faults are retried by the client; with a random fault a second run must finish the job.
    if result.exit_code != 0:
        result = invoke(["purge", "--sent-before", CUTOFF, "--yes", "--jsonl"], env)
    assert result.exit_code == 0, result.stderr
    assert media_sids(emu) == before - doomed


def test_404_on_delete_counts_as_already_gone(emu: dict[str, Any], tmp_path: Path) -> None:
    doomed = _seed_around_cutoff(emu)
    faults(
        emu,
        [
            {
                "method": "DELETE",
                "path": "/Media/",
                "action": "status",
                "status": 404,
                "code": 20404,
                "times": 2,
            }
        ],
    )
    result = invoke(["purge", "--sent-before", CUTOFF, "--yes", "--jsonl"], cli_env(emu, tmp_path))
    assert result.exit_code == 0, result.stderr
    gone = [d for d in _lines(result.stdout) if d["status"] == "skipped"]
    assert len(gone) == 2
    assert {d["detail"] for d in gone} == {"already gone"}
    assert f"deleted {len(doomed) - 2}, already gone 2, failed 0" in result.stderr


def test_cannot_delete_yet_is_retried_later(emu: dict[str, Any], tmp_path: Path) -> None:
    doomed = _seed_around_cutoff(emu)
    before = media_sids(emu)
    faults(
        emu,
        [
            {
                "method": "DELETE",
                "path": "/Media/",
                "action": "status",
                "status": 409,
                "code": 20009,
                "message": "Cannot delete this resource before it is complete",
                "times": 3,
            }
        ],
    )
    result = invoke(["purge", "--sent-before", CUTOFF, "--yes", "--jsonl"], cli_env(emu, tmp_path))
    assert result.exit_code == 0, result.stderr
    assert {d["status"] for d in _lines(result.stdout)} == {"deleted"}
    assert media_sids(emu) == before - doomed


def test_cannot_delete_yet_forever_fails_with_exit_1(emu: dict[str, Any], tmp_path: Path) -> None:
    doomed = _seed_around_cutoff(emu)
    before = media_sids(emu)
    victim = sorted(doomed)[0]
    faults(
        emu,
        [{"method": "DELETE", "path": victim, "action": "status", "status": 400, "code": 20009}],
    )
    result = invoke(["purge", "--sent-before", CUTOFF, "--yes", "--jsonl"], cli_env(emu, tmp_path))
    assert result.exit_code == 1
    failed = [d for d in _lines(result.stdout) if d["status"] == "failed"]
    assert [d["sid"] for d in failed] == [victim]
    assert media_sids(emu) == (before - doomed) | {victim}
    deletes_of_victim = sum(
        sum(codes.values())
        for route, codes in stats(emu)["routes"].items()
        if route.startswith("DELETE")
    )
    assert deletes_of_victim >= len(doomed) - 1 + 5  # bounded attempts on the victim


def test_all_subaccounts(emu: dict[str, Any], tmp_path: Path) -> None:
    sub = "AC" + "5" * 32
    seed(
        emu, {"accounts": [{"sid": sub, "auth_token": "b" * 32, "parent_sid": emu["account_sid"]}]}
    )
    doomed_main = _seed_around_cutoff(emu)
    doomed_sub = _seed_around_cutoff(emu, sub)
    before = media_sids(emu)
    env = cli_env(emu, tmp_path)
    only_main = invoke(["purge", "--sent-before", CUTOFF, "--yes", "--jsonl"], env)
    assert only_main.exit_code == 0, only_main.stderr
    assert media_sids(emu) == before - doomed_main
    result = invoke(
        ["purge", "--sent-before", CUTOFF, "--yes", "--jsonl", "--all-subaccounts"], env
    )
    assert result.exit_code == 0, result.stderr
    docs = _lines(result.stdout)
    assert {d["sid"] for d in docs} == doomed_sub
    assert {d["account_sid"] for d in docs} == {sub}
    assert media_sids(emu) == before - doomed_main - doomed_sub
    assert (tmp_path / "locks" / f"{sub}.lock").exists()


def test_quiet_prints_nothing_on_success(emu: dict[str, Any], tmp_path: Path) -> None:
    doomed = _seed_around_cutoff(emu)
    before = media_sids(emu)
    result = invoke(["--quiet", "purge", "--sent-before", CUTOFF, "--yes"], cli_env(emu, tmp_path))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == ""
    assert media_sids(emu) == before - doomed


def test_archive_then_delete(emu: dict[str, Any], tmp_path: Path) -> None:
    doomed = _seed_around_cutoff(emu)
    expected = {
        m["sid"]: m["sha256"]
        for msg in state(emu)["messages"]
        for m in msg["media"]
        if m["sid"] in doomed
    }
    archive = tmp_path / "archive"
    result = invoke(
        ["purge", "--sent-before", CUTOFF, "--yes", "--jsonl", "--archive", str(archive)],
        cli_env(emu, tmp_path / "cfg"),
    )
    assert result.exit_code == 0, result.stderr
    files = {
        p.stem: p for p in archive.rglob("ME*") if p.is_file() and not p.name.endswith(".part")
    }
    assert set(files) == doomed
    for sid, path in files.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == expected[sid]
    manifest = _lines((archive / "manifest.jsonl").read_text())
    assert {d["sid"] for d in manifest} == doomed
    assert media_sids(emu).isdisjoint(doomed)
    total = sum(p.stat().st_size for p in files.values())
    assert f"archived {total} bytes" in result.stderr


def test_archive_failure_keeps_the_media(emu: dict[str, Any], tmp_path: Path) -> None:
    doomed = _seed_around_cutoff(emu)
    victim = sorted(doomed)[0]
    # The CDN's signed URL carries the media SID: truncate that one media's body, always.
    faults(emu, [{"listener": "cdn", "method": "GET", "path": victim, "action": "truncate"}])
    archive = tmp_path / "archive"
    result = invoke(
        ["purge", "--sent-before", CUTOFF, "--yes", "--jsonl", "--archive", str(archive)],
        cli_env(emu, tmp_path / "cfg"),
    )
    assert result.exit_code == 1
    statuses = {d["sid"]: d["status"] for d in _lines(result.stdout)}
    assert statuses[victim] == "failed"
    assert all(status == "deleted" for sid, status in statuses.items() if sid != victim)
    remaining = media_sids(emu)
    assert victim in remaining
    assert remaining.isdisjoint(doomed - {victim})
    assert "failed 1" in result.stderr


def _invoke_tty(args: list[str], env: dict[str, str], answer: str) -> tuple[Result, str]:
    """Run with an injected terminal (stdin, stdout, stderr look like a TTY); (result, stderr)."""
    import io

    from typer.testing import CliRunner

    from media_cli.cli.app import app
    from media_cli.cli.context import AppContext
    from media_cli.streams import Streams

    streams = Streams.for_test(tty=True, stdin=answer)
    result = CliRunner().invoke(app, args, env=env, obj=AppContext(streams), catch_exceptions=False)
    assert isinstance(streams.stderr, io.StringIO)
    return result, streams.stderr.getvalue()


@pytest.mark.parametrize(("answer", "is_deleted"), [("y\n", True), ("n\n", False)])
def test_tty_shows_the_plan_and_asks(
    emu: dict[str, Any], tmp_path: Path, answer: str, is_deleted: bool
) -> None:
    doomed = _seed_around_cutoff(emu)
    before = media_sids(emu)
    result, err = _invoke_tty(
        ["purge", "--sent-before", "2026-01-10T13:00:00+01:00"], cli_env(emu, tmp_path), answer
    )
    assert "cut-off 2026-01-10T12:00:00Z" in err
    assert f"Delete {len(doomed)} media of messages sent before 2026-01-10T12:00:00Z" in err
    assert emu["account_sid"] in err
    if is_deleted:
        assert result.exit_code == 0, err
        assert media_sids(emu) == before - doomed
        assert "purging" in err  # the progress bar, on the terminal's stderr
    else:
        assert result.exit_code == 2
        assert media_sids(emu) == before
        assert _deletes(emu) == 0


def test_max_rate_spaces_the_deletes(emu: dict[str, Any], tmp_path: Path) -> None:
    doomed = _seed_around_cutoff(emu)
    rate = 25.0
    started = time.monotonic()
    result = invoke(
        ["purge", "--sent-before", CUTOFF, "--yes", "--max-rate", str(rate), "-j", "8"],
        cli_env(emu, tmp_path),
    )
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    assert media_sids(emu).isdisjoint(doomed)
    assert elapsed >= (len(doomed) - 1) / rate * 0.9
