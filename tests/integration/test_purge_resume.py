"""Purge is idempotent: kill -9 a real `python -m media_cli purge` mid-run, rerun, converge."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support import cli_env, control, invoke, media_sids, seed, state, stats

CUTOFF = "2026-01-10T12:00:00Z"


def _seed(info: dict[str, Any], before: int, after: int) -> set[str]:
    """``before`` messages with two media each before CUTOFF, ``after`` after it."""
    messages = [
        {
            "date_sent": f"2025-12-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
            "media": [{"content_type": "image/jpeg", "size": 2000 + i}, {"size": 50}],
        }
        for i in range(before)
    ] + [
        {"date_sent": f"2026-01-{11 + i % 18:02d}T00:00:00Z", "media": [{"size": 70}]}
        for i in range(after)
    ]
    created = seed(info, {"messages": messages})["messages"]
    return {m["sid"] for msg in created[:before] for m in msg["media"]}


def _deletes(info: dict[str, Any]) -> int:
    routes: dict[str, dict[str, int]] = stats(info)["routes"]
    return sum(codes.get("204", 0) for route, codes in routes.items() if route.startswith("DELETE"))


def test_kill_9_mid_purge_then_rerun_converges(emu: dict[str, Any], tmp_path: Path) -> None:
    doomed = _seed(emu, before=40, after=10)
    everything = media_sids(emu)
    sha = {m["sid"]: m["sha256"] for msg in state(emu)["messages"] for m in msg["media"]}
    archive = tmp_path / "archive"
    env = cli_env(emu, tmp_path / "cfg")
    args = ["purge", "--sent-before", CUTOFF, "--yes", "--jsonl", "-j", "2"]
    args += ["--archive", str(archive)]
    control(emu, "config", {"latency_ms": 40})
    proc = subprocess.Popen(
        [sys.executable, "-m", "media_cli", *args],
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while _deletes(emu) < 5 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    mid = media_sids(emu)
    assert everything - doomed <= mid  # nothing outside the filter was touched
    assert doomed & mid, "killed too late: the run finished before the kill"
    assert doomed - mid, "killed too early: nothing was deleted"

    control(emu, "config", {"latency_ms": 0})
    rerun = invoke(args, env)
    assert rerun.exit_code == 0, rerun.stderr
    assert media_sids(emu) == everything - doomed
    files = {p.stem: p for p in archive.rglob("ME*") if p.is_file() and p.suffix != ".part"}
    assert set(files) == doomed
    for sid, path in files.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha[sid]
    # And a third run has nothing left to do.
    third = invoke(args, env)
    assert third.exit_code == 0, third.stderr
    assert third.stdout == ""
