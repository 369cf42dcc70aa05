"""--all-subaccounts when one subaccount refuses (401/403, as Twilio answers for a suspended
one): list, download and purge finish the other accounts, report that one and exit 1; a
refusal on the account the credentials name still stops the run with exit 4."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from tests.support import cli_env, faults, invoke, media_sids, seed, state, stats

CUTOFF = "2026-01-01"
OLD = "2025-03-01T10:00:00Z"
NEW = "2026-02-01T10:00:00Z"
HOWS = ["suspended", "fault-401", "fault-403"]


def _seed_media(info: dict[str, Any], account_sid: str, date_sent: str, count: int) -> set[str]:
    created = seed(
        info,
        {
            "messages": [
                {
                    "account_sid": account_sid,
                    "date_sent": date_sent,
                    "media": [{"content_type": "image/png", "size": 300 + i} for i in range(2)],
                }
                for _ in range(count)
            ]
        },
    )
    return {m["sid"] for msg in created["messages"] for m in msg["media"]}


def _refuse(info: dict[str, Any], account_sid: str, how: str) -> None:
    """Make Twilio refuse the account's messages and media."""
    if how == "suspended":
        seed(info, {"accounts": [{"sid": account_sid, "status": "suspended"}]})
    else:
        status = int(how.rsplit("-", 1)[1])
        faults(
            info,
            [{"listener": "api", "path": f"/Accounts/{account_sid}/", "status": status}],
        )


@pytest.fixture
def world(emu: dict[str, Any]) -> dict[str, Any]:
    """The main account and its three subaccounts, each with old media (before CUTOFF) and
    new media; the second subaccount (between two others) is the one that will refuse."""
    main = emu["account_sid"]
    subs = [a["sid"] for a in state(emu)["accounts"] if a["parent_sid"] == main]
    assert len(subs) == 3
    refused = subs[1]
    old: dict[str, set[str]] = {}
    new: dict[str, set[str]] = {}
    for index, sid in enumerate([main, *subs]):
        old[sid] = _seed_media(emu, sid, OLD, 2 + index)
        new[sid] = _seed_media(emu, sid, NEW, 1)
    others = [sid for sid in [main, *subs] if sid != refused]
    return {
        "emu": emu,
        "main": main,
        "subs": subs,
        "refused": refused,
        "others": others,
        "old": old,
        "new": new,
        "old_elsewhere": set().union(*(old[sid] for sid in others)),
    }


def _jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _json_errors(stderr: str) -> list[dict[str, Any]]:
    """The ``{"error": {...}}`` lines of stderr (other lines are human summaries)."""
    return [json.loads(line)["error"] for line in stderr.splitlines() if line.startswith("{")]


def _check_reported(result: Result, world: dict[str, Any], status: int | None = None) -> None:
    """Exit 1, one JSON error line naming the refused account, then the run's summary error;
    never a secret."""
    emu = world["emu"]
    assert result.exit_code == 1, result.stderr
    errors = _json_errors(result.stderr)
    per_account = [e for e in errors if e.get("account_sid")]
    assert len(per_account) == 1, result.stderr
    [failure] = per_account
    assert failure["account_sid"] == world["refused"]
    assert failure["code"] == "unauthorized"
    assert failure["status"] in ((401, 403) if status is None else (status,))
    assert world["refused"] in failure["message"]
    assert set(failure) >= {"code", "message", "twilio_code", "status", "hint"}
    assert errors[-1]["code"] == "partial_failure"
    assert world["refused"] in errors[-1]["message"]
    for secret in (emu["auth_token"], emu["api_secret"]):
        assert secret not in result.stderr
        assert secret not in result.stdout


# -- list ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", HOWS)
def test_list_jsonl_lists_the_other_accounts(
    world: dict[str, Any], tmp_path: Path, how: str
) -> None:
    emu = world["emu"]
    _refuse(emu, world["refused"], how)
    result = invoke(
        ["list", "--all-subaccounts", "--sent-before", CUTOFF, "--jsonl"], cli_env(emu, tmp_path)
    )
    docs = _jsonl(result.stdout)  # every stdout line is one media object
    assert {d["sid"] for d in docs} == world["old_elsewhere"]
    assert {d["account_sid"] for d in docs} == set(world["others"])
    assert all(set(d) >= {"sid", "parent_sid", "content_type"} for d in docs)
    status = None if how == "suspended" else int(how.rsplit("-", 1)[1])
    _check_reported(result, world, status)


def test_list_json_array_stays_valid(world: dict[str, Any], tmp_path: Path) -> None:
    emu = world["emu"]
    _refuse(emu, world["refused"], "suspended")
    result = invoke(
        ["list", "--all-subaccounts", "--sent-before", CUTOFF, "--json"], cli_env(emu, tmp_path)
    )
    docs = json.loads(result.stdout)
    assert isinstance(docs, list)
    assert {d["sid"] for d in docs} == world["old_elsewhere"]
    _check_reported(result, world)


def test_list_human_output_warns_once_naming_the_account(
    world: dict[str, Any], tmp_path: Path
) -> None:
    emu = world["emu"]
    _refuse(emu, world["refused"], "suspended")
    result = invoke(["list", "--all-subaccounts", "--sent-before", CUTOFF], cli_env(emu, tmp_path))
    assert result.exit_code == 1, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert {row[0] for row in rows} == world["old_elsewhere"]
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1, result.stderr
    assert world["refused"] in warnings[0]
    assert "HTTP 401" in warnings[0]  # the reason: Twilio's answer
    assert result.stderr.splitlines()[-2].startswith("media-cli: error: 1 subaccount")
    assert emu["auth_token"] not in result.stderr


def test_a_subaccount_refusing_its_media_lists_fails_alone(
    world: dict[str, Any], tmp_path: Path
) -> None:
    # Its Messages list answers; each message's Media list is refused.
    emu = world["emu"]
    refused = world["refused"]
    faults(emu, [{"path": f"/Accounts/{refused}/Messages/[^/]+/Media", "status": 403}])
    result = invoke(
        ["list", "--all-subaccounts", "--sent-before", CUTOFF, "--jsonl", "-j", "2"],
        cli_env(emu, tmp_path),
    )
    assert {d["sid"] for d in _jsonl(result.stdout)} == world["old_elsewhere"]
    _check_reported(result, world, 403)


def test_without_all_subaccounts_nothing_changes(world: dict[str, Any], tmp_path: Path) -> None:
    emu = world["emu"]
    _refuse(emu, world["refused"], "suspended")
    result = invoke(["list", "--sent-before", CUTOFF, "--jsonl"], cli_env(emu, tmp_path))
    assert result.exit_code == 0, result.stderr
    assert {d["sid"] for d in _jsonl(result.stdout)} == world["old"][world["main"]]
    assert result.stderr == ""


# -- download -------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["suspended", "fault-401"])
def test_download_fetches_the_other_accounts(
    world: dict[str, Any], tmp_path: Path, how: str
) -> None:
    emu = world["emu"]
    _refuse(emu, world["refused"], how)
    out = tmp_path / "out"
    result = invoke(
        [
            "download", "--all-subaccounts", "--sent-before", CUTOFF, "-d", str(out), "--jsonl",
            "--layout", "{account_sid}/{sid}{ext}",
        ],
        cli_env(emu, tmp_path),
    )  # fmt: skip
    docs = _jsonl(result.stdout)
    assert {d["sid"] for d in docs} == world["old_elsewhere"]
    assert {d["status"] for d in docs} == {"downloaded"}
    assert all(Path(d["path"]).is_file() for d in docs)
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(world["others"])
    _check_reported(result, world)
    summary = [line for line in result.stderr.splitlines() if line.startswith("downloaded ")]
    assert len(summary) == 1
    assert f"1 subaccount could not be read ({world['refused']})" in summary[0]


# -- purge ----------------------------------------------------------------------------------------


def _deletes(info: dict[str, Any]) -> int:
    routes: dict[str, dict[str, int]] = stats(info)["routes"]
    return sum(sum(codes.values()) for route, codes in routes.items() if route.startswith("DELETE"))


@pytest.mark.parametrize(
    "extra",
    [[], ["--max-deletes", "1000"], ["--archive", "ARCHIVE"]],
    ids=["streaming", "planned-first", "archive"],
)
@pytest.mark.parametrize("how", ["suspended", "fault-401"])
def test_purge_deletes_in_the_other_accounts(
    world: dict[str, Any], tmp_path: Path, how: str, extra: list[str]
) -> None:
    emu = world["emu"]
    archive = tmp_path / "archive"
    extra = [str(archive) if arg == "ARCHIVE" else arg for arg in extra]
    _refuse(emu, world["refused"], how)
    before = media_sids(emu)
    result = invoke(
        ["purge", "--sent-before", CUTOFF, "--all-subaccounts", "--yes", "--jsonl", *extra],
        cli_env(emu, tmp_path),
    )
    docs = _jsonl(result.stdout)
    doomed = world["old_elsewhere"]
    assert {d["sid"] for d in docs} == doomed
    assert {d["status"] for d in docs} == {"deleted"}
    assert media_sids(emu) == before - doomed
    assert world["old"][world["refused"]] <= media_sids(emu)
    _check_reported(result, world)
    assert "accounts not read 1" in result.stderr
    # Every account was locked, the refusing one included, as before.
    for sid in [world["main"], *world["subs"]]:
        assert (tmp_path / "locks" / f"{sid}.lock").exists()
    if archive in [Path(arg) for arg in extra]:
        manifest = _jsonl((archive / "manifest.jsonl").read_text())
        assert {row["sid"] for row in manifest} == doomed


def test_purge_dry_run_plans_the_other_accounts(world: dict[str, Any], tmp_path: Path) -> None:
    emu = world["emu"]
    _refuse(emu, world["refused"], "suspended")
    before = media_sids(emu)
    result = invoke(
        ["purge", "--sent-before", CUTOFF, "--all-subaccounts", "--dry-run", "--jsonl"],
        cli_env(emu, tmp_path),
    )
    docs = _jsonl(result.stdout)
    assert {d["sid"] for d in docs} == world["old_elsewhere"]
    assert {d["status"] for d in docs} == {"would_delete"}
    assert media_sids(emu) == before
    assert _deletes(emu) == 0
    _check_reported(result, world)
    assert f"would delete {len(world['old_elsewhere'])} media" in result.stderr
    assert "accounts not read 1" in result.stderr


def test_quiet_purge_still_names_the_account(world: dict[str, Any], tmp_path: Path) -> None:
    emu = world["emu"]
    _refuse(emu, world["refused"], "suspended")
    result = invoke(
        ["--quiet", "purge", "--sent-before", CUTOFF, "--all-subaccounts", "--yes"],
        cli_env(emu, tmp_path),
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert world["refused"] in result.stderr
    assert "accounts not read 1" in result.stderr
    assert not world["old_elsewhere"] & media_sids(emu)


# -- the account the credentials name ------------------------------------------------------------


COMMANDS = {
    "list": ["list", "--all-subaccounts", "--sent-before", CUTOFF, "--jsonl"],
    "download": ["download", "--all-subaccounts", "--sent-before", CUTOFF, "--jsonl", "-d", "D"],
    "purge": ["purge", "--all-subaccounts", "--sent-before", CUTOFF, "--jsonl", "--yes"],
    "purge-dry-run": ["purge", "--all-subaccounts", "--sent-before", CUTOFF, "--dry-run"],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("status", [401, 403])
def test_main_account_refused_still_exits_4(
    world: dict[str, Any], tmp_path: Path, command: str, status: int
) -> None:
    emu = world["emu"]
    faults(emu, [{"path": f"/Accounts/{world['main']}/Messages", "status": status}])
    before = media_sids(emu)
    args = [str(tmp_path / "dl") if arg == "D" else arg for arg in COMMANDS[command]]
    result = invoke(args, cli_env(emu, tmp_path))
    assert result.exit_code == 4, result.stderr
    assert result.stdout == ""
    assert media_sids(emu) == before
    assert "warning" not in result.stderr
    if "--jsonl" in args:
        [error] = _json_errors(result.stderr)
        assert error["code"] == "unauthorized"
        assert "account_sid" not in error
    # The run stopped there: no subaccount was read.
    read = [route for route in stats(emu)["routes"] if "/Messages.json" in route]
    assert sum(sum(stats(emu)["routes"][route].values()) for route in read) == 1


def test_a_suspended_account_named_by_account_sid_exits_4(
    world: dict[str, Any], tmp_path: Path
) -> None:
    # --account-sid names the account to act on: its refusal is the run's, not one of many.
    emu = world["emu"]
    _refuse(emu, world["refused"], "suspended")
    result = invoke(
        ["--account-sid", world["refused"], "list", "--all-subaccounts", "--sent-before", CUTOFF],
        cli_env(emu, tmp_path),
    )
    assert result.exit_code == 4, result.stderr
    assert result.stdout == ""


# -- a subaccount that refuses its deletes or content after its media were listed ---------------
#
# Its Messages and Media lists answer; then its DELETEs (or its content GETs) answer 401, as
# when Twilio suspends it mid-run. Its media fail as items, its first refusal is reported once
# as the account's, its later media fail without a request, and the other accounts are done.

CONTENT = r"/Messages/[^/]+/Media/ME[0-9a-fA-F]{32}(\?|$)"
JOBS = "2"


def _refuse_after_listing(info: dict[str, Any], account_sid: str, method: str) -> None:
    """401 (Twilio's 20003 "Authenticate") on the account's DELETEs or content GETs only."""
    path = (
        f"/Accounts/{account_sid}/" if method == "DELETE" else f"/Accounts/{account_sid}{CONTENT}"
    )
    rule = {"listener": "api", "method": method, "path": path, "status": 401}
    faults(info, [{**rule, "code": 20003, "message": "Authenticate"}])


def _refused_requests(info: dict[str, Any], method: str) -> int:
    """The 401s the API listener answered to ``method`` requests (it records a request just
    after answering it: wait, bounded, for the count to settle)."""

    def count() -> int:
        return sum(
            codes.get("401", 0)
            for route, codes in stats(info)["routes"].items()
            if route.startswith(f"{method} ")
        )

    seen = count()
    for _ in range(10):
        time.sleep(0.05)
        now = count()
        if now == seen and now:
            break
        seen = now
    return count()


@pytest.fixture
def crowded(world: dict[str, Any]) -> dict[str, Any]:
    """The world, with many more old media in the refusing subaccount than requests in flight
    (-j 2): refusing each of them would show in the emulator's counts."""
    refused = world["refused"]
    world["old"][refused] |= _seed_media(world["emu"], refused, OLD, 8)
    return world


def _check_items(docs: list[dict[str, Any]], world: dict[str, Any], done: str) -> None:
    """One result per old media: ``done`` in the other accounts, failed (naming the HTTP status
    and Twilio's message) in the refusing one."""
    refused = world["refused"]
    by_sid = {d["sid"]: d for d in docs}
    assert len(by_sid) == len(docs)
    assert set(by_sid) == world["old_elsewhere"] | world["old"][refused]
    for sid in world["old_elsewhere"]:
        assert by_sid[sid]["status"] == done, by_sid[sid]
    for sid in world["old"][refused]:
        assert by_sid[sid]["status"] == "failed", by_sid[sid]
        assert "HTTP 401" in by_sid[sid]["error"]
        assert "Authenticate" in by_sid[sid]["error"]
    later = [by_sid[sid] for sid in world["old"][refused] if "not tried" in by_sid[sid]["error"]]
    assert later  # the account's later media were failed without a request
    assert all(refused in d["error"] for d in later)


@pytest.mark.parametrize(
    "extra", [[], ["--max-deletes", "1000"]], ids=["streaming", "planned-first"]
)
def test_purge_a_subaccount_refusing_its_deletes_fails_alone(
    crowded: dict[str, Any], tmp_path: Path, extra: list[str]
) -> None:
    world = crowded
    emu = world["emu"]
    refused = world["refused"]
    _refuse_after_listing(emu, refused, "DELETE")
    before = media_sids(emu)
    result = invoke(
        [
            "purge", "--sent-before", CUTOFF, "--all-subaccounts", "--yes", "--jsonl",
            "-j", JOBS, *extra,
        ],
        cli_env(emu, tmp_path),
    )  # fmt: skip
    _check_items(_jsonl(result.stdout), world, "deleted")
    assert media_sids(emu) == before - world["old_elsewhere"]
    assert world["old"][refused] <= media_sids(emu)
    _check_reported(result, world, 401)
    [failure] = [e for e in _json_errors(result.stderr) if e.get("account_sid")]
    assert "refused to delete its media" in failure["message"]
    final = _json_errors(result.stderr)[-1]
    assert f"1 subaccount refused access ({refused})" in final["message"]
    assert f"failed {len(world['old'][refused])}" in result.stderr  # the summary line
    # At most one refused DELETE per request in flight, not one per media.
    assert 1 <= _refused_requests(emu, "DELETE") <= int(JOBS)


def test_purge_archive_a_subaccount_refusing_its_content_fails_alone(
    crowded: dict[str, Any], tmp_path: Path
) -> None:
    world = crowded
    emu = world["emu"]
    refused = world["refused"]
    archive = tmp_path / "archive"
    _refuse_after_listing(emu, refused, "GET")
    before = media_sids(emu)
    result = invoke(
        [
            "purge", "--sent-before", CUTOFF, "--all-subaccounts", "--yes", "--jsonl",
            "-j", JOBS, "--archive", str(archive),
        ],
        cli_env(emu, tmp_path),
    )  # fmt: skip
    docs = _jsonl(result.stdout)
    _check_items(docs, world, "deleted")
    for doc in docs:
        if doc["account_sid"] == refused and "not tried" not in doc["error"]:
            assert doc["error"].startswith("archive failed: ")
    # Not archived, so not deleted: no DELETE was even sent for that account.
    assert media_sids(emu) == before - world["old_elsewhere"]
    assert world["old"][refused] <= media_sids(emu)
    manifest = _jsonl((archive / "manifest.jsonl").read_text())
    assert {row["sid"] for row in manifest} == world["old_elsewhere"]
    _check_reported(result, world, 401)
    assert _refused_requests(emu, "DELETE") == 0
    assert 1 <= _refused_requests(emu, "GET") <= int(JOBS)


def test_download_a_subaccount_refusing_its_content_fails_alone(
    crowded: dict[str, Any], tmp_path: Path
) -> None:
    world = crowded
    emu = world["emu"]
    refused = world["refused"]
    out = tmp_path / "out"
    _refuse_after_listing(emu, refused, "GET")
    result = invoke(
        [
            "download", "--all-subaccounts", "--sent-before", CUTOFF, "-d", str(out), "--jsonl",
            "-j", JOBS, "--layout", "{account_sid}/{sid}{ext}",
        ],
        cli_env(emu, tmp_path),
    )  # fmt: skip
    docs = _jsonl(result.stdout)
    _check_items(docs, world, "downloaded")
    assert all(Path(d["path"]).is_file() for d in docs if d["status"] == "downloaded")
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(world["others"])
    _check_reported(result, world, 401)
    summary = [line for line in result.stderr.splitlines() if line.startswith("downloaded ")]
    assert len(summary) == 1
    assert f"failed {len(world['old'][refused])}, 1 subaccount refused access" in summary[0]
    assert 1 <= _refused_requests(emu, "GET") <= int(JOBS)


def test_purge_refused_deletes_warn_once_in_human_output(
    crowded: dict[str, Any], tmp_path: Path
) -> None:
    world = crowded
    emu = world["emu"]
    refused = world["refused"]
    _refuse_after_listing(emu, refused, "DELETE")
    result = invoke(
        ["purge", "--sent-before", CUTOFF, "--all-subaccounts", "--yes", "-j", JOBS],
        cli_env(emu, tmp_path),
    )
    assert result.exit_code == 1, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1, result.stderr
    assert refused in warnings[0]
    assert "HTTP 401" in warnings[0]
    assert "error: " in result.stderr.splitlines()[-2]
    assert not world["old_elsewhere"] & media_sids(emu)
    assert emu["auth_token"] not in result.stderr


MAIN_REFUSED = {
    "purge": (
        "DELETE",
        ["purge", "--all-subaccounts", "--sent-before", CUTOFF, "--jsonl", "--yes", "-j", JOBS],
    ),
    "purge-archive": (
        "GET",
        [
            "purge", "--all-subaccounts", "--sent-before", CUTOFF, "--jsonl", "--yes", "-j", JOBS,
            "--archive", "D",
        ],
    ),
    "download": (
        "GET",
        ["download", "--all-subaccounts", "--sent-before", CUTOFF, "--jsonl", "-d", "D"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("command", MAIN_REFUSED)
def test_main_account_refusing_a_delete_or_download_still_exits_4(
    world: dict[str, Any], tmp_path: Path, command: str
) -> None:
    emu = world["emu"]
    main = world["main"]
    method, args = MAIN_REFUSED[command]
    _refuse_after_listing(emu, main, method)
    args = [str(tmp_path / "dl") if arg == "D" else arg for arg in args]
    result = invoke(args, cli_env(emu, tmp_path))
    assert result.exit_code == 4, result.stderr
    [error] = _json_errors(result.stderr)
    assert error["code"] == "unauthorized"
    assert error["status"] == 401
    assert "account_sid" not in error
    assert "warning" not in result.stderr
    assert world["old"][main] <= media_sids(emu)
    _jsonl(result.stdout)  # whatever was printed before the stop is valid JSONL
