"""`media-cli download` end to end: app → client → emulator → files on disk."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli_env, faults, invoke, seed, state, stats

NOW = datetime.now(timezone.utc).replace(microsecond=0)
CDN_ROUTE = "GET /{AccountSid}/{Sid}"
RESULT_KEYS = {
    "sid", "message_sid", "account_sid", "status", "error", "path", "size", "sha256",
    "content_type",
}  # fmt: skip


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def seeded(emu: dict[str, Any]) -> dict[str, Any]:
    """An old message (100 days, 2 media) and a recent one (3 days, 1 media)."""
    created = seed(
        emu,
        {
            "messages": [
                {
                    "date_sent": _iso(NOW - timedelta(days=100)),
                    "from": "+15550000001",
                    "media": [
                        {"content_type": "image/jpeg", "size": 70_000},
                        {"content_type": "audio/amr", "size": 300},
                    ],
                },
                {
                    "date_sent": _iso(NOW - timedelta(days=3)),
                    "media": [{"content_type": "video/mp4", "size": 5000}],
                },
            ]
        },
    )
    return {"emu": emu, "old": created["messages"][0], "new": created["messages"][1]}


def _truth(info: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["sid"]: m for msg in state(info)["messages"] for m in msg["media"]}


def _cdn_hits(info: dict[str, Any]) -> int:
    return sum(stats(info)["routes"].get(CDN_ROUTE, {}).values())


def _jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("fsync", [False, True], ids=["default", "fsync"])
def test_message_download_jsonl_and_rerun_skips(
    seeded: dict[str, Any], tmp_path: Path, fsync: bool
) -> None:
    emu, old = seeded["emu"], seeded["old"]
    out = tmp_path / "out"
    args = ["download", old["sid"], "-d", str(out), "--jsonl", *(["--fsync"] if fsync else [])]
    result = invoke(args, cli_env(emu, tmp_path))
    assert result.exit_code == 0, result.stderr
    rows = _jsonl(result.stdout)
    truth = _truth(emu)
    assert {r["sid"] for r in rows} == {m["sid"] for m in old["media"]}
    for row in rows:
        assert set(row) == RESULT_KEYS
        assert row["status"] == "downloaded"
        assert row["sha256"] == truth[row["sid"]]["sha256"]
        path = Path(row["path"])
        assert path.parent == out.resolve() / old["sid"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"]
    assert sorted(Path(r["path"]).suffix for r in rows) == [".amr", ".jpg"]
    assert "downloaded 2" in result.stderr
    manifest = _jsonl((out / "manifest.jsonl").read_text())
    assert {m["sid"]: m["sha256"] for m in manifest} == {r["sid"]: r["sha256"] for r in rows}

    hits = _cdn_hits(emu)
    again = invoke(args, cli_env(emu, tmp_path))
    assert again.exit_code == 0, again.stderr
    assert [r["status"] for r in _jsonl(again.stdout)] == ["skipped", "skipped"]
    assert _cdn_hits(emu) == hits
    assert "skipped 2" in again.stderr


def test_single_media_tsv(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu, old = seeded["emu"], seeded["old"]
    sid = old["media"][1]["sid"]
    result = invoke(
        ["download", old["sid"], sid, "-d", str(tmp_path / "d")], cli_env(emu, tmp_path)
    )
    assert result.exit_code == 0, result.stderr
    fields = result.stdout.rstrip("\n").split("\t")
    assert fields[:4] == [sid, old["sid"], "downloaded", "300"]
    assert fields[4].endswith(f"{sid}.amr")
    assert Path(fields[4]).stat().st_size == 300


def test_output_to_stdout_is_only_the_bytes(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu, old = seeded["emu"], seeded["old"]
    sid = old["media"][0]["sid"]
    result = invoke(["download", old["sid"], sid, "-o", "-"], cli_env(emu, tmp_path))
    assert result.exit_code == 0, result.stderr
    assert hashlib.sha256(result.stdout_bytes).hexdigest() == _truth(emu)[sid]["sha256"]
    assert len(result.stdout_bytes) == 70_000
    assert not list(tmp_path.rglob("manifest.jsonl"))


def test_output_to_file_without_manifest(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu, old = seeded["emu"], seeded["old"]
    sid = old["media"][0]["sid"]
    target = tmp_path / "pic.jpeg"
    result = invoke(
        ["download", old["sid"], sid, "-o", str(target), "--json"], cli_env(emu, tmp_path)
    )
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert row["path"] == str(target.resolve()) or Path(row["path"]) == target
    assert hashlib.sha256(target.read_bytes()).hexdigest() == _truth(emu)[sid]["sha256"]
    assert not (tmp_path / "manifest.jsonl").exists()
    exists = invoke(["download", old["sid"], sid, "-o", str(target)], cli_env(emu, tmp_path))
    assert exists.exit_code == 1
    assert "exists" in exists.stderr


def test_account_wide_older_than(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu, old = seeded["emu"], seeded["old"]
    out = tmp_path / "out"
    result = invoke(
        ["download", "--older-than", "30d", "-d", str(out), "--json", "-j", "4"],
        cli_env(emu, tmp_path),
    )
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["sid"] for r in rows} == {m["sid"] for m in old["media"]}
    assert not (out / seeded["new"]["sid"]).exists()


def test_account_wide_needs_a_filter_or_all(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu = seeded["emu"]
    refused = invoke(["download", "-d", str(tmp_path / "x")], cli_env(emu, tmp_path))
    assert refused.exit_code == 2
    assert "--all" in refused.stderr
    assert stats(emu)["total"] == 0
    everything = invoke(["download", "--all", "-d", str(tmp_path / "x")], cli_env(emu, tmp_path))
    assert everything.exit_code == 0, everything.stderr
    assert len(everything.stdout.splitlines()) == 3


def test_from_list_stdin_jsonl_from_list(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu, old = seeded["emu"], seeded["old"]
    listed = invoke(
        ["list", "--all-subaccounts", "--jsonl", "--older-than", "1d"], cli_env(emu, tmp_path)
    )
    assert listed.exit_code == 0, listed.stderr
    jpegs = "".join(line + "\n" for line in listed.stdout.splitlines() if '"image/jpeg"' in line)
    out = tmp_path / "out"
    result = invoke(
        [
            "download", "--from-list", "-", "-d", str(out), "--jsonl",
            "--layout", "{date_created:%Y/%m}/{content_type}/{sid}{ext}",
        ],
        cli_env(emu, tmp_path),
        stdin=jpegs,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    [row] = _jsonl(result.stdout)
    jpeg = old["media"][0]["sid"]
    assert row["sid"] == jpeg
    created = datetime.fromisoformat(old["date_sent"].replace("Z", "+00:00"))
    assert (
        Path(row["path"])
        == out.resolve() / created.strftime("%Y/%m") / "image_jpeg" / f"{jpeg}.jpg"
    )


def test_from_list_pairs_and_bad_line(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu, old = seeded["emu"], seeded["old"]
    pairs = "".join(f"{old['sid']} {m['sid']}\n" for m in old["media"])
    ok = invoke(
        ["download", "--from-list", "-", "-d", str(tmp_path / "o")],
        cli_env(emu, tmp_path),
        stdin=pairs,
    )
    assert ok.exit_code == 0, ok.stderr
    assert len(ok.stdout.splitlines()) == 2
    bad = invoke(
        ["download", "--from-list", "-", "-d", str(tmp_path / "o")],
        cli_env(emu, tmp_path),
        stdin=pairs + "not a sid\n",
    )
    assert bad.exit_code == 2
    assert "line 3" in bad.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--layout", "../{sid}{ext}"], "leaves"),
        (["--layout", "/etc/{sid}"], "relative"),
        (["--layout", "{sid}{nope}"], "unknown field"),
        (["--clobber", "--skip-existing"], "together"),
        (["--older-than", "3d"], "account-wide"),
    ],
)
def test_usage_errors_exit_2_before_any_request(
    seeded: dict[str, Any], tmp_path: Path, args: list[str], needle: str
) -> None:
    emu, old = seeded["emu"], seeded["old"]
    result = invoke(
        ["download", old["sid"], "-d", str(tmp_path / "o"), *args], cli_env(emu, tmp_path)
    )
    assert result.exit_code == 2, result.stderr
    assert needle in result.stderr
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").rglob("*.*"))


def test_truncated_body_fails_item_exit_1(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu, old = seeded["emu"], seeded["old"]
    jpeg = old["media"][0]["sid"]
    faults(emu, [{"listener": "cdn", "method": "GET", "path": jpeg, "action": "truncate"}])
    out = tmp_path / "out"
    result = invoke(["download", old["sid"], "-d", str(out), "--jsonl"], cli_env(emu, tmp_path))
    assert result.exit_code == 1
    rows = {r["sid"]: r for r in _jsonl(result.stdout)}
    assert rows[jpeg]["status"] == "failed"
    assert rows[jpeg]["error"]
    assert rows[old["media"][1]["sid"]]["status"] == "downloaded"
    assert not (out / old["sid"] / f"{jpeg}.jpg").exists()
    assert f"failed to download {jpeg}" in result.stderr
    assert "failed 1" in result.stderr
    manifest = _jsonl((out / "manifest.jsonl").read_text())
    assert [m["sid"] for m in manifest] == [old["media"][1]["sid"]]

    faults(emu, [])
    rerun = invoke(
        ["download", old["sid"], "-d", str(out), "--jsonl", "--resume"], cli_env(emu, tmp_path)
    )
    assert rerun.exit_code == 0, rerun.stderr
    statuses = {r["sid"]: r["status"] for r in _jsonl(rerun.stdout)}
    assert statuses == {jpeg: "downloaded", old["media"][1]["sid"]: "skipped"}
    assert stats(emu)["routes"][CDN_ROUTE].get("206") == 1  # continued the .part


def test_429_storm_succeeds(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu, old = seeded["emu"], seeded["old"]
    faults(
        emu,
        [
            {
                "listener": "api",
                "method": "GET",
                "path": "/Media/ME",
                "action": "status",
                "status": 429,
                "code": 20429,
                "times": 4,
            }
        ],
    )
    result = invoke(
        ["download", old["sid"], "-d", str(tmp_path / "o"), "-j", "2"], cli_env(emu, tmp_path)
    )
    assert result.exit_code == 0, result.stderr
    assert [line.split("\t")[2] for line in result.stdout.splitlines()] == ["downloaded"] * 2
    assert (
        stats(emu)["throttled"] >= 4
        or sum(v.get("429", 0) for v in stats(emu)["routes"].values()) == 4
    )


def test_bad_credentials_exit_4(seeded: dict[str, Any], tmp_path: Path) -> None:
    emu, old = seeded["emu"], seeded["old"]
    env = cli_env(emu, tmp_path, TWILIO_AUTH_TOKEN="wrong")
    result = invoke(
        ["download", old["sid"], old["media"][0]["sid"], "-d", str(tmp_path / "o")], env
    )
    assert result.exit_code == 4
    assert "wrong" not in result.stderr
