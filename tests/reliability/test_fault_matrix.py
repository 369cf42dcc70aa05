"""Fault matrix: list, download, purge --archive and upload-chat under every injected fault.

Each case names a command, the emulator fault rules, the exit code DESIGN.md promises and how
many of the two seeded media (or the one uploaded file) end up done. Every case also checks
the invariants that hold whatever happens: no traceback, a JSON error line on failure, no
file under a final name whose sha256 differs from the emulator's, and no media deleted
without a verified archive copy.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli_env, control, faults, invoke, seed, state, stats

CUTOFF = "2025-06-01"
SIZES = (3_000, 120_000)
# Fault paths are regexes searched in the request target (path and query).
LIST = r"/Media\.json"
CONTENT = r"/Media/ME[0-9a-f]{32}$"
MESSAGES = r"/Messages\.json"
DELETE = r"/Media/ME[0-9a-f]{32}\.json$"


@dataclass(frozen=True)
class Case:
    id: str
    command: str  # list | download | purge | upload
    rules: list[dict[str, Any]]
    exit: int
    done: int  # list: items printed; download: files; purge: media deleted; upload: created
    env: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    min_seconds: float = 0.0
    posts: int = 1  # upload: POSTs sent (only a 429, never processed by Twilio, is re-sent)


def rule(listener: str, action: str, path: str = "", **extra: Any) -> dict[str, Any]:
    return {"listener": listener, "action": action, "path": path, **extra}


def status(listener: str, code: int, path: str = "", **extra: Any) -> dict[str, Any]:
    return rule(listener, "status", path, status=code, **extra)


QUICK = {"MEDIA_CLI_RETRIES": "3"}
TIMEOUT = {"MEDIA_CLI_RETRIES": "2", "MEDIA_CLI_TIMEOUT": "0.5"}
STALL_MS = 1500
EXPIRE = {"url_ttl": 0.2}

CASES = [
    # -- list --------------------------------------------------------------------------------
    Case("list-ok", "list", [], 0, 2),
    Case("list-429-clears", "list", [status("api", 429, LIST, times=2)], 0, 2),
    Case(
        "list-429-retry-after",
        "list",
        [status("api", 429, LIST, times=1, retry_after=1)],
        0,
        2,
        min_seconds=0.9,
    ),
    Case("list-429-forever", "list", [status("api", 429, LIST)], 5, 0, QUICK),
    Case("list-500-clears", "list", [status("api", 500, LIST, times=2)], 0, 2, QUICK),
    Case("list-500-forever", "list", [status("api", 500, LIST)], 5, 0, QUICK),
    Case("list-502-clears", "list", [status("api", 502, LIST, times=1)], 0, 2),
    Case("list-503-forever", "list", [status("api", 503, LIST)], 5, 0, QUICK),
    Case("list-reset-clears", "list", [rule("api", "reset", LIST, times=1)], 0, 2),
    Case("list-reset-forever", "list", [rule("api", "reset", LIST)], 5, 0, QUICK),
    Case("list-reset-body-clears", "list", [rule("api", "reset_body", LIST, times=1)], 0, 2),
    Case("list-truncate-clears", "list", [rule("api", "truncate", LIST, times=1)], 0, 2),
    Case("list-truncate-forever", "list", [rule("api", "truncate", LIST)], 5, 0, QUICK),
    Case(
        "list-stall-clears",
        "list",
        [rule("api", "stall", LIST, times=1, delay_ms=STALL_MS)],
        0,
        2,
        TIMEOUT,
    ),
    Case(
        "list-stall-forever", "list", [rule("api", "stall", LIST, delay_ms=STALL_MS)], 5, 0, TIMEOUT
    ),
    Case("list-404", "list", [status("api", 404, LIST)], 3, 0),
    Case("list-401", "list", [status("api", 401, LIST)], 4, 0),
    # -- download ------------------------------------------------------------------------------
    Case("download-ok", "download", [], 0, 2),
    Case("download-429-clears", "download", [status("api", 429, CONTENT, times=2)], 0, 2),
    Case(
        "download-429-retry-after",
        "download",
        [status("api", 429, CONTENT, times=1, retry_after=1)],
        0,
        2,
        min_seconds=0.9,
    ),
    Case("download-429-forever", "download", [status("api", 429, CONTENT)], 1, 0, QUICK),
    Case("download-list-500-forever", "download", [status("api", 500, LIST)], 5, 0, QUICK),
    Case("download-cdn-502-clears", "download", [status("cdn", 502, times=1)], 0, 2),
    Case("download-cdn-503-forever", "download", [status("cdn", 503)], 1, 0, QUICK),
    Case("download-cdn-reset-clears", "download", [rule("cdn", "reset", times=1)], 0, 2),
    Case("download-reset-body-clears", "download", [rule("cdn", "reset_body", times=1)], 0, 2),
    Case("download-reset-body-forever", "download", [rule("cdn", "reset_body")], 1, 0, QUICK),
    Case("download-truncate-clears", "download", [rule("cdn", "truncate", times=1)], 0, 2),
    Case("download-truncate-forever", "download", [rule("cdn", "truncate")], 1, 0, QUICK),
    Case(
        "download-cdn-stall-clears",
        "download",
        [rule("cdn", "stall", times=1, delay_ms=STALL_MS)],
        0,
        2,
        TIMEOUT,
    ),
    Case(
        "download-url-expired-refreshed",
        "download",
        [rule("cdn", "delay", times=1, delay_ms=400)],
        0,
        2,
        config=EXPIRE,
    ),
    Case("download-cdn-403-forever", "download", [status("cdn", 403)], 1, 0),
    Case("download-404-clears", "download", [status("api", 404, CONTENT, times=2)], 0, 2),
    Case("download-404-forever", "download", [status("api", 404, CONTENT)], 1, 0),
    # -j 1: the first media completes, the second request is answered 401.
    Case(
        "download-401-mid-run",
        "download",
        [status("api", 401, CONTENT, after=1)],
        4,
        1,
        {"J": "1"},
    ),
    # -- purge --archive -------------------------------------------------------------------------
    Case("purge-ok", "purge", [], 0, 2),
    Case("purge-429-clears", "purge", [status("api", 429, DELETE, method="DELETE", times=2)], 0, 2),
    Case(
        "purge-429-retry-after",
        "purge",
        [status("api", 429, DELETE, method="DELETE", times=1, retry_after=1)],
        0,
        2,
        min_seconds=0.9,
    ),
    Case("purge-delete-500-forever", "purge", [status("api", 500, DELETE)], 1, 0, QUICK),
    Case("purge-list-503-forever", "purge", [status("api", 503, MESSAGES)], 5, 0, QUICK),
    Case("purge-delete-502-clears", "purge", [status("api", 502, DELETE, times=1)], 0, 2),
    Case("purge-delete-reset-clears", "purge", [rule("api", "reset", DELETE, times=1)], 0, 2),
    Case("purge-cdn-reset-body-clears", "purge", [rule("cdn", "reset_body", times=1)], 0, 2),
    # The archive copy cannot be completed: nothing may be deleted.
    Case("purge-cdn-truncate-forever", "purge", [rule("cdn", "truncate")], 1, 0, QUICK),
    Case("purge-cdn-403-forever", "purge", [status("cdn", 403)], 1, 0),
    Case(
        "purge-delete-stall-clears",
        "purge",
        [rule("api", "stall", DELETE, times=1, delay_ms=STALL_MS)],
        0,
        2,
        TIMEOUT,
    ),
    Case(
        "purge-url-expired-refreshed",
        "purge",
        [rule("cdn", "delay", times=1, delay_ms=400)],
        0,
        2,
        config=EXPIRE,
    ),
    Case("purge-content-404-clears", "purge", [status("api", 404, CONTENT, times=1)], 0, 2),
    Case(
        "purge-401-mid-run",
        "purge",
        [status("api", 401, DELETE, method="DELETE", after=1)],
        4,
        1,
        {"J": "1"},
    ),
    # -- upload-chat (a POST is never retried once connected, except after a 429) ----------------
    Case("upload-ok", "upload", [], 0, 1),
    Case("upload-429-clears", "upload", [status("mcs", 429, times=1)], 0, 1, posts=2),
    Case(
        "upload-429-retry-after",
        "upload",
        [status("mcs", 429, times=1, retry_after=1)],
        0,
        1,
        min_seconds=0.9,
        posts=2,
    ),
    Case("upload-429-forever", "upload", [status("mcs", 429)], 5, 0, QUICK, posts=3),
    Case("upload-500", "upload", [status("mcs", 500, times=1)], 5, 0),
    Case("upload-502", "upload", [status("mcs", 502, times=1)], 5, 0),
    Case("upload-503", "upload", [status("mcs", 503, times=1)], 5, 0),
    Case("upload-reset", "upload", [rule("mcs", "reset", times=1)], 5, 0),
    # The server stored the media, then the answer was cut: reported, not retried (no duplicate).
    Case("upload-reset-body", "upload", [rule("mcs", "reset_body", times=1)], 5, 1),
    Case("upload-truncate", "upload", [rule("mcs", "truncate", times=1)], 5, 1),
    Case(
        "upload-stall", "upload", [rule("mcs", "stall", times=1, delay_ms=STALL_MS)], 5, 0, TIMEOUT
    ),
    Case("upload-401", "upload", [status("mcs", 401)], 4, 0),
]


def _args(case: Case, message_sid: str, out: Path, upload: Path, service: str) -> list[str]:
    jobs = ["-j", case.env["J"]] if "J" in case.env else []
    if case.command == "list":
        return ["list", message_sid, "--jsonl"]
    if case.command == "download":
        return ["download", message_sid, "-d", str(out), "--jsonl", *jobs]
    if case.command == "purge":
        return ["purge", "--sent-before", CUTOFF, "--yes", "--jsonl", "--archive", str(out), *jobs]
    return ["upload-chat", str(upload), "--service", service, "--jsonl"]


def _final_files(out: Path) -> dict[str, Path]:
    """Files under final names (no .part, no manifest), by media SID (the file's stem)."""
    if not out.exists():
        return {}
    return {
        p.name.split(".")[0]: p
        for p in out.rglob("*")
        if p.is_file() and not p.name.endswith(".part") and p.name != "manifest.jsonl"
    }


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault(case: Case, emu: dict[str, Any], tmp_path: Path) -> None:
    created = seed(
        emu,
        {
            "messages": [
                {
                    "date_sent": "2025-01-01T00:00:00Z",
                    "media": [
                        {"content_type": "image/jpeg", "size": SIZES[0]},
                        {"content_type": "image/png", "size": SIZES[1]},
                    ],
                }
            ]
        },
    )["messages"][0]
    truth = {m["sid"]: m["sha256"] for msg in state(emu)["messages"] for m in msg["media"]}
    assert len(truth) == 2
    upload = tmp_path / "note.txt"
    upload.write_bytes(b"reliability " * 100)
    out = tmp_path / "out"
    if case.config:
        control(emu, "config", case.config)
    faults(emu, case.rules)
    env = cli_env(emu, tmp_path / "cfg", **{k: v for k, v in case.env.items() if k != "J"})
    args = _args(case, created["sid"], out, upload, emu["chat_service_sid"])

    started = time.monotonic()
    result = invoke(args, env)
    elapsed = time.monotonic() - started

    # The documented exit code, a clean error, never a traceback; and bounded in time.
    assert result.exit_code == case.exit, result.stderr
    assert "Traceback" not in result.stderr
    assert "unexpected" not in result.stderr
    assert elapsed >= case.min_seconds
    assert elapsed < 15
    if case.exit != 0:
        errors = [json.loads(line) for line in result.stderr.splitlines() if '"error"' in line]
        assert errors, result.stderr
        assert errors[-1]["error"]["code"]
    stdout_items = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    # Whatever happened: files under final names are complete and correct.
    files = _final_files(out)
    for sid, path in files.items():
        assert _sha(path) == truth[sid], f"{path} is corrupt"
    manifest = out / "manifest.jsonl"
    if manifest.exists():
        for line in manifest.read_text().splitlines():
            entry = json.loads(line)
            assert entry["sha256"] == truth[entry["sid"]]

    after = state(emu)
    remaining = {m["sid"] for msg in after["messages"] for m in msg["media"]}
    if case.command == "list":
        assert remaining == set(truth)
        assert {item["sid"] for item in stdout_items} <= set(truth)
        assert len(stdout_items) == case.done
    elif case.command == "download":
        assert remaining == set(truth)
        assert len(files) == case.done
        assert {i["sid"] for i in stdout_items if i["status"] == "downloaded"} == set(files)
    elif case.command == "purge":
        deleted = set(truth) - remaining
        assert len(deleted) == case.done
        # Never lose media: everything deleted has a verified archive copy.
        assert deleted <= set(files)
        assert {i["sid"] for i in stdout_items if i["status"] == "deleted"} == deleted
    else:
        assert remaining == set(truth)
        chat = after["chat_media"]
        assert len(chat) == case.done
        for item in chat:
            assert item["sha256"] == _sha(upload)
        # Every case's rule matches every MCS request, and counts them as they arrive (a
        # stalled request is recorded in stats only when the stall ends).
        rules = control(emu, "faults")["rules"]
        posts = rules[0]["matched"] if rules else _posts(emu)
        assert posts == case.posts, "an upload POST is re-sent only after a 429"


def _posts(info: dict[str, Any]) -> int:
    routes = stats(info)["routes"]
    return sum(sum(codes.values()) for route, codes in routes.items() if route.startswith("POST"))


def test_permanent_500_is_bounded_by_the_retry_budget(emu: dict[str, Any], tmp_path: Path) -> None:
    """MEDIA_CLI_RETRIES=4 with a 500 forever: exactly 4 requests, exit 5, no hang."""
    msg = seed(emu, {"messages": [{"date_sent": "2025-01-01T00:00:00Z", "media": [{"size": 10}]}]})
    message_sid = msg["messages"][0]["sid"]
    faults(emu, [status("api", 500, LIST)])
    env = cli_env(emu, tmp_path, MEDIA_CLI_RETRIES="4")
    started = time.monotonic()
    result = invoke(["list", message_sid, "--json"], env)
    assert result.exit_code == 5
    assert time.monotonic() - started < 5
    assert "gave up after 4 attempts" in result.stderr
    hits = [
        codes.get("500", 0)
        for route, codes in stats(emu)["routes"].items()
        if "Media.json" in route
    ]
    assert sum(hits) == 4
