"""`media-cli list` end to end: app → client → emulator."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli_env, invoke, seed, stats


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def seeded(emu: dict[str, Any]) -> dict[str, Any]:
    """Three messages: 100 days old (2 media), 10 days old (1 media), 5 days old (none)."""
    created = seed(
        emu,
        {
            "messages": [
                {
                    "date_sent": _iso(NOW - timedelta(days=100)),
                    "from": "+15550000001",
                    "media": [{"content_type": "image/png", "size": 10}] * 2,
                },
                {
                    "date_sent": _iso(NOW - timedelta(days=10)),
                    "from": "+15550000002",
                    "media": [{"content_type": "application/pdf", "size": 20}],
                },
                {"date_sent": _iso(NOW - timedelta(days=5)), "media": []},
            ]
        },
    )
    return {"emu": emu, "messages": created["messages"]}


def test_list_message_json(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu, old = seeded["emu"], seeded["messages"][0]
    result = invoke(["list", old["sid"], "--json"], cli_env(emu, tmp_path))
    assert result.exit_code == 0, result.stderr
    items = json.loads(result.stdout)
    assert sorted(i["sid"] for i in items) == sorted(m["sid"] for m in old["media"])
    assert set(items[0]) >= {
        "sid", "account_sid", "parent_sid", "message_sid", "content_type",
        "date_created", "date_updated", "uri", "content_url",
    }  # fmt: skip
    assert items[0]["date_created"].endswith("Z")
    assert items[0]["content_url"].startswith(emu["api_url"])


def test_list_empty_message_json_is_empty_array(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu, empty = seeded["emu"], seeded["messages"][2]
    result = invoke(["list", empty["sid"], "--json"], cli_env(emu, tmp_path))
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert result.stderr == ""


def test_list_message_tsv_and_jsonl(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu, old = seeded["emu"], seeded["messages"][0]
    tsv = invoke(["list", old["sid"]], cli_env(emu, tmp_path))
    assert tsv.exit_code == 0
    rows = [line.split("\t") for line in tsv.stdout.splitlines()]
    assert len(rows) == 2
    assert all(len(row) == 5 for row in rows)
    assert all(row[1] == old["sid"] and row[2] == "image/png" for row in rows)
    assert "\x1b[" not in tsv.stdout
    jsonl = invoke(["list", old["sid"], "--jsonl"], cli_env(emu, tmp_path))
    lines = jsonl.stdout.splitlines()
    assert [json.loads(line)["sid"] for line in lines] == [row[0] for row in rows]


def test_account_wide_older_than(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu, messages = seeded["emu"], seeded["messages"]
    result = invoke(["list", "--older-than", "30d", "--jsonl"], cli_env(emu, tmp_path))
    assert result.exit_code == 0, result.stderr
    sids = {json.loads(line)["sid"] for line in result.stdout.splitlines()}
    assert sids == {m["sid"] for m in messages[0]["media"]}
    everything = invoke(["list", "--json"], cli_env(emu, tmp_path))
    all_sids = {i["sid"] for i in json.loads(everything.stdout)}
    assert all_sids == {m["sid"] for msg in messages for m in msg["media"]}


def test_account_wide_exact_instant(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu, messages = seeded["emu"], seeded["messages"]
    sent = NOW - timedelta(days=10)
    just_after = invoke(
        ["list", "--sent-before", _iso(sent + timedelta(seconds=1)), "--json"],
        cli_env(emu, tmp_path),
    )
    just_at = invoke(["list", "--sent-before", _iso(sent), "--json"], cli_env(emu, tmp_path))
    with_it = {i["sid"] for i in json.loads(just_after.stdout)}
    without = {i["sid"] for i in json.loads(just_at.stdout)}
    assert with_it - without == {messages[1]["media"][0]["sid"]}


def test_account_wide_from_filter(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu, messages = seeded["emu"], seeded["messages"]
    result = invoke(["list", "--from", "+15550000002", "--json"], cli_env(emu, tmp_path))
    assert [i["sid"] for i in json.loads(result.stdout)] == [messages[1]["media"][0]["sid"]]


@pytest.mark.parametrize(
    "args",
    [
        ["list", "MMnot-a-sid"],
        ["list", "--json", "--jsonl"],
        ["list", "--page-size", "0"],
        ["list", "--page-size", "1001"],
        ["list", "--older-than", "ninety days"],
        ["list", "--sent-before", "2026-02-30"],
        ["list", "--sent-before", "2026-01-01", "--older-than", "3d"],
        ["list", "--sent-after", "2026-02-01", "--sent-before", "2026-01-01"],
        ["list", "--created-on", "2026-01-01"],
        ["list", "MM" + "0" * 32, "--older-than", "3d"],
        ["list", "--limit", "0"],
    ],
)
def test_bad_input_exits_2_before_any_request(
    emu: dict[str, Any], tmp_path: Path, args: list[str]
) -> None:
    result = invoke(args, cli_env(emu, tmp_path))
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.strip()
    assert "Traceback" not in result.stderr
    assert stats(emu)["total"] == 0


def test_not_found_json_error_line(emu: dict[str, Any], tmp_path: Path) -> None:
    missing = "MM" + "a" * 32
    result = invoke(["list", missing, "--json"], cli_env(emu, tmp_path))
    assert result.exit_code == 3
    assert result.stdout == ""
    error = json.loads(result.stderr.strip().splitlines()[-1])["error"]
    assert error["code"] == "not_found"
    assert error["twilio_code"] == 20404
    assert error["status"] == 404
    assert set(error) == {"code", "message", "twilio_code", "status", "hint"}


def test_missing_credentials_exit_4(emu: dict[str, Any], tmp_path: Path) -> None:
    env = cli_env(emu, tmp_path)
    del env["TWILIO_AUTH_TOKEN"]
    result = invoke(["list", "MM" + "a" * 32], env)
    assert result.exit_code == 4
    assert "TWILIO_AUTH_TOKEN" in result.stderr


def test_rejected_credentials_exit_4_without_leaking(emu: dict[str, Any], tmp_path: Path) -> None:
    wrong = "f" * 32
    env = cli_env(emu, tmp_path, TWILIO_AUTH_TOKEN=wrong)
    result = invoke(["--debug", "list", "MM" + "a" * 32], env)
    assert result.exit_code == 4
    assert wrong not in result.stdout + result.stderr
    assert "Authorization" not in result.stderr


def test_unreachable_api_exit_5(emu: dict[str, Any], tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = cli_env(
        emu, tmp_path, MEDIA_CLI_API_URL=f"http://127.0.0.1:{port}", MEDIA_CLI_RETRIES="2"
    )
    result = invoke(["list", "MM" + "a" * 32], env)
    assert result.exit_code == 5
    assert "media-cli: error:" in result.stderr


def test_limit_across_account(seeded: dict[str, Any], tmp_path: Path) -> None:
    result = invoke(["list", "--limit", "1", "--json"], cli_env(seeded["emu"], tmp_path))
    assert len(json.loads(result.stdout)) == 1


def test_env_credentials_over_an_explicit_profile_are_announced(
    emu: dict[str, Any], tmp_path: Path
) -> None:
    """DESIGN's order puts env before any profile: --profile does not win, and says so."""
    empty = seed(emu, {"messages": [{"date_sent": "2026-01-05T10:00:00Z", "media": []}]})
    sid = empty["messages"][0]["sid"]
    result = invoke(["--profile", "work", "list", sid, "--json"], cli_env(emu, tmp_path))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert "TWILIO_AUTH_TOKEN" in result.stderr
    assert "--profile work" in result.stderr
    assert emu["auth_token"] not in result.stderr
    quiet = invoke(["--quiet", "--profile", "work", "list", sid], cli_env(emu, tmp_path))
    assert quiet.stderr == ""


def test_json_stays_valid_when_the_listing_fails_half_way(
    emu: dict[str, Any], tmp_path: Path
) -> None:
    """--json streams its array; when a later page fails, stdout is still one JSON document."""
    from tests.support import faults

    created = seed(
        emu,
        {
            "messages": [
                {
                    "date_sent": "2026-01-05T10:00:00Z",
                    "media": [{"content_type": "image/gif", "size": 8}] * 3,
                }
            ]
        },
    )
    message = created["messages"][0]
    # The second page (it carries a PageToken) fails for good.
    faults(emu, [{"method": "GET", "path": "Media\\.json.*PageToken", "action": "status",
                  "status": 500}])  # fmt: skip
    env = cli_env(emu, tmp_path, MEDIA_CLI_RETRIES="2")
    result = invoke(["list", message["sid"], "--json", "--page-size", "2"], env)
    assert result.exit_code == 5
    items = json.loads(result.stdout)
    assert len(items) == 2
    assert {i["sid"] for i in items} <= {m["sid"] for m in message["media"]}
    error = json.loads(result.stderr.strip().splitlines()[-1])["error"]
    assert error["status"] == 500
