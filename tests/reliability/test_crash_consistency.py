"""kill -9 a real `python -m media_cli download` / `purge --archive` at random points, rerun.

After the rerun the end state equals an uninterrupted run's: every file is there with the
emulator's sha256, the manifest parses line by line, no .part is left, and purge deleted
exactly the media before the cut-off (each with a verified archive copy). Several seeds each;
tests/integration/test_purge_resume.py covers the single kill-after-N-deletes case.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli_env, control, invoke, seed, state

CUTOFF = "2025-06-01"


def _seed(info: dict[str, Any]) -> tuple[dict[str, str], set[str]]:
    """24 old messages (one media each, some large) and 6 recent ones; (sha by sid, old sids)."""
    messages = [
        {
            "date_sent": f"2025-0{1 + i % 4}-{1 + i % 27:02d}T00:00:00Z",
            "media": [{"content_type": "image/jpeg", "size": 20_000 + 7_000 * (i % 5)}],
        }
        for i in range(24)
    ] + [
        {"date_sent": f"2025-09-{1 + i:02d}T00:00:00Z", "media": [{"size": 900}]} for i in range(6)
    ]
    created = seed(info, {"messages": messages})["messages"]
    old = {m["sid"] for msg in created[:24] for m in msg["media"]}
    sha = {m["sid"]: m["sha256"] for msg in state(info)["messages"] for m in msg["media"]}
    return sha, old


def _kill_at_random(
    info: dict[str, Any], args: list[str], env: dict[str, str], rng: random.Random
) -> None:
    """Start the CLI, wait until it has made requests, then SIGKILL it after a random delay."""
    control(info, "config", {"latency_ms": 40})
    proc = subprocess.Popen(
        [sys.executable, "-m", "media_cli", *args],
        env={"PATH": os.environ.get("PATH", ""), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while control(info, "stats")["total"] < 2 and proc.poll() is None:
            assert time.monotonic() < deadline, "the CLI never made a request"
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
    control(info, "config", {"latency_ms": 0})


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_tree(root: Path, sha: dict[str, str]) -> dict[str, Path]:
    """Files by media SID; no .part left; every file and manifest line matches the emulator."""
    assert not list(root.rglob("*.part")), "a .part file was left behind"
    files = {p.name.split(".")[0]: p for p in root.rglob("ME*") if p.is_file()}
    for sid, path in files.items():
        assert _sha(path) == sha[sid], f"{path} is corrupt"
    manifest = root / "manifest.jsonl"
    if manifest.exists():
        for line in manifest.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            assert entry["sha256"] == sha[entry["sid"]]
            assert (root / entry["path"]).is_file()
    return files


@pytest.mark.timeout(60)
@pytest.mark.parametrize("seed_value", [1, 2, 3])
def test_kill_9_download_then_rerun(seed_value: int, emu: dict[str, Any], tmp_path: Path) -> None:
    sha, _old = _seed(emu)
    out = tmp_path / "out"
    env = cli_env(emu, tmp_path / "cfg")
    args = ["download", "--all", "-d", str(out), "-j", "3", "--jsonl"]
    _kill_at_random(emu, args, env, random.Random(seed_value))
    killed_files = {p.name.split(".")[0] for p in out.rglob("ME*") if p.suffix != ".part"}
    assert len(killed_files) < len(sha), "killed too late: the run had finished"
    for sid in killed_files:  # what the killed run left under final names is already complete
        path = next(out.rglob(f"{sid}.*"))
        assert _sha(path) == sha[sid]

    rerun = invoke(args, env)
    assert rerun.exit_code == 0, rerun.stderr
    files = _check_tree(out, sha)
    assert set(files) == set(sha)
    statuses = [json.loads(line)["status"] for line in rerun.stdout.splitlines()]
    assert statuses.count("skipped") >= len(killed_files) - 3  # completed files are not refetched
    assert len(statuses) == len(sha)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("seed_value", [11, 12, 13])
def test_kill_9_purge_archive_then_rerun(
    seed_value: int, emu: dict[str, Any], tmp_path: Path
) -> None:
    sha, old = _seed(emu)
    archive = tmp_path / "archive"
    env = cli_env(emu, tmp_path / "cfg")
    args = ["purge", "--sent-before", CUTOFF, "--yes", "--jsonl", "-j", "3"]
    args += ["--archive", str(archive)]
    _kill_at_random(emu, args, env, random.Random(seed_value))
    remaining = {m["sid"] for msg in state(emu)["messages"] for m in msg["media"]}
    assert set(sha) - old <= remaining  # nothing outside the filter was touched
    assert old & remaining, "killed too late: the run had finished"
    for sid in set(sha) - remaining:  # never lose media: each deleted one is archived intact
        path = next(p for p in archive.rglob(f"{sid}.*") if p.suffix != ".part")
        assert _sha(path) == sha[sid]

    rerun = invoke(args, env)
    assert rerun.exit_code == 0, rerun.stderr
    remaining = {m["sid"] for msg in state(emu)["messages"] for m in msg["media"]}
    assert remaining == set(sha) - old
    files = _check_tree(archive, sha)
    assert set(files) == old
