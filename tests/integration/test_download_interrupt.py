"""Ctrl-C in the middle of a large download: exit 130, no final file, and --resume finishes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli_env, seed, state, stats

SIZE = 192 * 1024 * 1024


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX-only here")
def test_interrupt_then_resume(emu: dict[str, Any], tmp_path: Path) -> None:
    created = seed(
        emu,
        {
            "messages": [
                {
                    "date_sent": "2026-01-01T00:00:00Z",
                    "media": [{"content_type": "video/mp4", "size": SIZE}],
                }
            ]
        },
    )
    message = created["messages"][0]
    sid = message["media"][0]["sid"]
    out = tmp_path / "out"
    env = {**os.environ, **cli_env(emu, tmp_path / "config")}
    args = [sys.executable, "-m", "media_cli", "download", message["sid"], "-d", str(out)]
    final = out / message["sid"] / f"{sid}.mp4"
    part = final.with_name(final.name + ".part")

    child = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and child.poll() is None:
            if part.exists() and part.stat().st_size > 0:
                break
            time.sleep(0.005)
        if child.poll() is not None:
            pytest.skip("the download finished before it could be interrupted")
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130, stderr.decode()
    assert not final.exists()
    assert part.exists()
    assert 0 < part.stat().st_size < SIZE

    rerun = subprocess.run(
        [*args, "--resume", "--jsonl"], env=env, capture_output=True, timeout=60, check=False
    )
    assert rerun.returncode == 0, rerun.stderr.decode()
    [row] = [json.loads(line) for line in rerun.stdout.decode().splitlines()]
    truth = state(emu)["messages"][0]["media"][0]
    assert (row["status"], row["size"], row["sha256"]) == ("downloaded", SIZE, truth["sha256"])
    assert final.stat().st_size == SIZE
    assert not part.exists()
    assert stats(emu)["routes"]["GET /{AccountSid}/{Sid}"].get("206") == 1
