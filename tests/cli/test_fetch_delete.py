"""`media-cli fetch` and `media-cli delete` end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli_env, invoke, media_sids, seed, stats

DELETE_ROUTE = "DELETE /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{Sid}.json"


@pytest.fixture
def message(emu: dict[str, Any]) -> dict[str, Any]:
    created = seed(
        emu,
        {
            "messages": [
                {
                    "date_sent": "2026-01-05T10:00:00Z",
                    "media": [{"content_type": "image/gif", "size": 64}] * 3,
                }
            ]
        },
    )
    msg: dict[str, Any] = created["messages"][0]
    return msg


def test_fetch_json_and_xml(emu: dict[str, Any], message: dict[str, Any], tmp_path: Path) -> None:
    sid = message["media"][0]["sid"]
    result = invoke(["fetch", message["sid"], sid, "--json"], cli_env(emu, tmp_path))
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["sid"] == sid
    assert doc["message_sid"] == message["sid"]
    assert doc["content_type"] == "image/gif"
    xml = invoke(["fetch", message["sid"], sid, "--xml"], cli_env(emu, tmp_path))
    assert xml.exit_code == 0
    assert xml.stdout.lstrip().startswith("<?xml") or "<TwilioResponse>" in xml.stdout


def test_fetch_rejects_bad_sid(emu: dict[str, Any], tmp_path: Path) -> None:
    result = invoke(["fetch", "MM" + "a" * 32, "ME123"], cli_env(emu, tmp_path))
    assert result.exit_code == 2
    assert stats(emu)["total"] == 0


def test_delete_without_tty_needs_yes(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    sid = message["media"][0]["sid"]
    result = invoke(["delete", message["sid"], sid], cli_env(emu, tmp_path))
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert sid in media_sids(emu)


def test_delete_with_yes_and_already_gone(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    first, second = message["media"][0]["sid"], message["media"][1]["sid"]
    result = invoke(
        ["delete", message["sid"], first, second, "--yes", "--jsonl"], cli_env(emu, tmp_path)
    )
    assert result.exit_code == 0, result.stderr
    statuses = {d["sid"]: d["status"] for d in map(json.loads, result.stdout.splitlines())}
    assert statuses == {first: "deleted", second: "deleted"}
    assert media_sids(emu) == {message["media"][2]["sid"]}
    again = invoke(["delete", message["sid"], first, "--yes", "--json"], cli_env(emu, tmp_path))
    assert again.exit_code == 0
    assert json.loads(again.stdout)[0]["status"] == "skipped"


def test_delete_from_stdin_jsonl(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    env = cli_env(emu, tmp_path)
    listing = invoke(["list", message["sid"], "--jsonl"], env)
    result = invoke(["delete", "-", "--yes", "--json"], env, stdin=listing.stdout)
    assert result.exit_code == 0, result.stderr
    assert {d["status"] for d in json.loads(result.stdout)} == {"deleted"}
    assert media_sids(emu) == set()


def test_delete_failure_exits_1(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    from tests.support import faults

    sid = message["media"][0]["sid"]
    faults(
        emu, [{"method": "DELETE", "path": sid, "action": "status", "status": 400, "code": 21620}]
    )
    result = invoke(["delete", message["sid"], sid, "--yes", "--json"], cli_env(emu, tmp_path))
    assert result.exit_code == 1
    assert json.loads(result.stdout)[0]["status"] == "failed"
    assert sid in media_sids(emu)


def test_delete_retries_cannot_delete_yet(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    """Twilio's 20009 ("cannot delete yet") is tried again later, a bounded number of times."""
    from tests.support import faults

    first, second = message["media"][0]["sid"], message["media"][1]["sid"]
    faults(
        emu,
        [
            {"method": "DELETE", "path": first, "action": "status", "status": 409,
             "code": 20009, "times": 2},
            {"method": "DELETE", "path": second, "action": "status", "status": 409,
             "code": 20009},
        ],
    )  # fmt: skip
    result = invoke(
        ["delete", message["sid"], first, second, "--yes", "--json"], cli_env(emu, tmp_path)
    )
    assert result.exit_code == 1
    statuses = {d["sid"]: d["status"] for d in json.loads(result.stdout)}
    assert statuses == {first: "deleted", second: "failed"}
    assert media_sids(emu) == {second, message["media"][2]["sid"]}
    deletes = sum(
        counts.get("409", 0)
        for route, counts in stats(emu)["routes"].items()
        if route.startswith("DELETE")
    )
    assert deletes == 2 + 5  # two refusals for the first, five attempts for the second


def test_a_delete_whose_answer_was_lost_is_reported_deleted_not_already_gone(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    # The emulator deletes the media, then resets the connection instead of answering 204;
    # the retry's 404 means the first attempt did it.
    from tests.support import faults

    lost, kept_gone = message["media"][0]["sid"], message["media"][1]["sid"]
    faults(
        emu,
        [
            {
                "listener": "api",
                "method": "DELETE",
                "path": lost,
                "action": "drop_answer",
                "times": 1,
            }
        ],
    )
    # kept_gone is deleted beforehand by someone else: a plain 404, "already gone".
    first = invoke(["delete", message["sid"], kept_gone, "--yes"], cli_env(emu, tmp_path))
    assert first.exit_code == 0, first.stderr
    result = invoke(
        ["delete", message["sid"], lost, kept_gone, "--yes", "--jsonl"], cli_env(emu, tmp_path)
    )
    assert result.exit_code == 0, result.stderr
    rows = {row["sid"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert rows[lost]["status"] == "deleted"
    assert "answer was lost" in rows[lost]["detail"]
    assert rows[kept_gone]["status"] == "skipped"
    assert rows[kept_gone]["detail"] == "already gone"
    assert lost not in media_sids(emu)
    deletes = stats(emu)["routes"][DELETE_ROUTE]
    assert deletes.get("drop_answer") == 1  # the first attempt was carried out, unanswered
    assert deletes.get("404") == 2  # kept_gone, and the retry of lost
