"""The README's tested recipes run for real, with bash, against the bundled emulator.

A recipe is a fenced ``sh`` (or ``crontab``) block right after a ``<!-- tested: ID -->``
comment. Each ID has a check below; a tested block without one fails the suite.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli_env, media_sids, seed, state

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"<!-- tested: ([\w-]+) -->\n```(sh|crontab)\n(.*?)```", re.DOTALL)
MESSAGE = "MM0123456789abcdef0123456789abcdef"
MEDIA = "ME0123456789abcdef0123456789abcdef"
SERVICE_PLACEHOLDER = "IS0123456789abcdef0123456789abcdef"
JPEG = b"\xff\xd8\xff\xe0" + b"media-cli readme recipe" * 40

# A keyring backend kept in a file, so `auth login` and a later `auth status` (two
# processes) share it; test-only, written into the test's own folder.
FILE_KEYRING = """
import json, os
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

class FileKeyring(KeyringBackend):
    priority = 1

    def _load(self):
        try:
            with open(os.environ["RECIPE_KEYRING_FILE"]) as fh:
                return json.load(fh)
        except FileNotFoundError:
            return {}

    def _save(self, data):
        with open(os.environ["RECIPE_KEYRING_FILE"], "w") as fh:
            json.dump(data, fh)

    def get_password(self, service, username):
        return self._load().get(service + "/" + username)

    def set_password(self, service, username, password):
        data = self._load()
        data[service + "/" + username] = password
        self._save(data)

    def delete_password(self, service, username):
        data = self._load()
        if data.pop(service + "/" + username, None) is None:
            raise PasswordDeleteError("absent")
        self._save(data)
"""


def recipes() -> dict[str, tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found: dict[str, tuple[str, str]] = {}
    for rid, lang, body in BLOCK.findall(text):
        assert rid not in found, f"two README recipes are tagged {rid}"
        found[rid] = (lang, body)
    return found


@dataclass
class Run:
    proc: subprocess.CompletedProcess[str]
    cwd: Path
    emu: dict[str, Any]
    seeded: dict[str, Any]
    before: dict[str, Any]  # the emulator's state before the recipe ran


def _iso(days_ago: float) -> str:
    when = datetime.now(timezone.utc) - timedelta(days=days_ago)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _seed(emu: dict[str, Any]) -> dict[str, Any]:
    """Recent, 100-day-old and 200-day-old messages; the README's example SIDs exist."""
    messages = [
        {
            "sid": MESSAGE,
            "date_sent": _iso(2),
            "media": [
                {"sid": MEDIA, "content_type": "image/jpeg", "size": 1000},
                {"content_type": "image/png", "size": 300},
            ],
        },
        {"date_sent": _iso(100), "media": [{"content_type": "image/jpeg", "size": 2000}]},
        {
            "date_sent": _iso(200),
            "media": [
                {"content_type": "application/pdf", "size": 5000},
                {"content_type": "image/jpeg", "size": 700},
            ],
        },
        {"date_sent": _iso(150), "media": []},
    ]
    created: dict[str, Any] = seed(emu, {"messages": messages})
    return created


def _media(seeded: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for msg in seeded["messages"] for m in msg["media"]]


def _by_age(snapshot: dict[str, Any], *, older: bool, days: float) -> set[str]:
    cut = datetime.now(timezone.utc) - timedelta(days=days)
    found: set[str] = set()
    for msg in snapshot["messages"]:
        sent = datetime.fromisoformat(msg["date_sent"].replace("Z", "+00:00"))
        if (sent < cut) == older:
            found |= {m["sid"] for m in msg["media"]}
    return found


def _files(folder: Path) -> set[str]:
    return {p.stem for p in folder.rglob("ME*") if p.is_file() and p.suffix != ".part"}


def check_login(run: Run) -> None:
    status = json.loads(run.proc.stdout)
    text = json.dumps(status)
    assert "keyring" in text
    assert run.emu["account_sid"] in text
    assert run.emu["auth_token"] not in run.proc.stdout + run.proc.stderr


def check_list_message(run: Run) -> None:
    lines = run.proc.stdout.splitlines()
    first_message = {m["sid"] for m in run.seeded["messages"][0]["media"]}
    listed = {line.split("\t")[0] for line in lines if line.startswith("ME")}
    assert listed == first_message
    fetched = json.loads("\n".join(line for line in lines if not line.startswith("ME")))
    assert fetched["sid"] == MEDIA
    assert fetched["content_type"] == "image/jpeg"


def check_download_by_date(run: Run) -> None:
    assert _files(run.cwd / "last-week") == _by_age(run.before, older=False, days=7)
    assert _files(run.cwd / "old-media") == _by_age(run.before, older=True, days=90)
    assert (run.cwd / "old-media" / "manifest.jsonl").is_file()


def check_jq_jpeg(run: Run) -> None:
    jpegs = {m["sid"] for m in _media(run.seeded) if m.get("content_type") == "image/jpeg"}
    if not jpegs:  # the seed answer may not echo content types
        jpegs = {
            m["sid"]
            for msg in state(run.emu)["messages"]
            for m in msg["media"]
            if m["content_type"] == "image/jpeg"
        }
    assert set(run.proc.stdout.split()) == jpegs
    assert len(jpegs) == 3


def check_jq_bytes(run: Run) -> None:
    totals = {row["type"]: row["bytes"] for row in json.loads(run.proc.stdout)}
    assert totals == {"application/pdf": 5000, "image/jpeg": 3700, "image/png": 300}


def check_cron(run: Run) -> None:
    old = _by_age(run.before, older=True, days=90)
    assert old
    remaining = media_sids(run.emu)
    assert not old & remaining
    assert _files(run.cwd / "srv/media-archive") == old
    logged = [
        json.loads(line)
        for line in (run.cwd / "var/log/media-purge.jsonl").read_text().splitlines()
    ]
    assert {r["sid"] for r in logged if r["status"] == "deleted"} == old
    assert "deleted 3" in (run.cwd / "var/log/media-purge.err").read_text()


def check_rehearse(run: Run) -> None:
    plan = (run.cwd / "plan.tsv").read_text().splitlines()
    purged = [json.loads(line) for line in (run.cwd / "purged.jsonl").read_text().splitlines()]
    assert len(plan) > 10
    assert {p.split("\t")[0] for p in plan} == {r["sid"] for r in purged}
    assert all(r["status"] == "deleted" for r in purged)
    # The in-process emulator the other recipes use was not touched.
    assert media_sids(run.emu) == {m["sid"] for m in _media(run.seeded)}


def check_chat(run: Run) -> None:
    uploaded = json.loads((run.cwd / "uploaded.json").read_text())
    assert uploaded["service_sid"] == run.emu["chat_service_sid"]
    assert (run.cwd / "chat" / "photo.jpg").read_bytes() == JPEG


CHECKS: dict[str, Callable[[Run], None]] = {
    "login": check_login,
    "list-message": check_list_message,
    "download-by-date": check_download_by_date,
    "jq-jpeg": check_jq_jpeg,
    "jq-bytes": check_jq_bytes,
    "cron": check_cron,
    "rehearse": check_rehearse,
    "chat": check_chat,
}


def test_every_tested_recipe_has_a_check() -> None:
    found = recipes()
    assert set(found) == set(CHECKS)


def _script(lang: str, body: str, cwd: Path, emu: dict[str, Any]) -> str:
    body = body.replace(SERVICE_PLACEHOLDER, emu["chat_service_sid"])
    if lang == "crontab":
        # Drop the five schedule fields; absolute paths move under the test folder.
        lines = [line.split(None, 5)[5] for line in body.splitlines() if line.strip()]
        body = "\n".join(lines).replace(" /srv/", f" {cwd}/srv/").replace(" /var/", f" {cwd}/var/")
        (cwd / "var/log").mkdir(parents=True)
    return "set -euo pipefail\n" + body


@pytest.mark.parametrize("rid", sorted(CHECKS))
def test_readme_recipe(rid: str, emu: dict[str, Any], tmp_path: Path) -> None:
    found = recipes()
    if rid not in found:
        pytest.fail(f"README has no recipe tagged {rid}")
    lang, body = found[rid]
    if "jq " in body and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    seeded = _seed(emu)
    cwd = tmp_path / "work"
    cwd.mkdir()
    (cwd / "photo.jpg").write_bytes(JPEG)
    keyring_dir = tmp_path / "keyring"
    keyring_dir.mkdir()
    (keyring_dir / "recipe_keyring.py").write_text(FILE_KEYRING)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "MEDIA_CLI_"))}
    env.update(cli_env(emu, tmp_path / "config"))
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        MEDIA_CLI_NO_PROMPT="1",
        PYTHON_KEYRING_BACKEND="recipe_keyring.FileKeyring",
        PYTHONPATH=str(keyring_dir),
        RECIPE_KEYRING_FILE=str(keyring_dir / "secrets.json"),
        HOME=str(tmp_path),
    )
    before = state(emu)
    proc = subprocess.run(
        ["bash", "-c", _script(lang, body, cwd, emu)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"recipe {rid} failed:\n{proc.stderr}"
    run = Run(proc=proc, cwd=cwd, emu=emu, seeded=seeded, before=before)
    CHECKS[rid](run)
