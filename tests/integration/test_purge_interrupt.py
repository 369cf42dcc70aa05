"""Ctrl-C in the middle of a purge: exit 130, the counts so far on stderr, a rerun finishes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli_env, control, invoke, media_sids, seed


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX-only here")
def test_interrupted_purge_reports_and_a_rerun_finishes(
    emu: dict[str, Any], tmp_path: Path
) -> None:
    created = seed(
        emu,
        {
            "messages": [
                {"date_sent": f"2025-01-{1 + i % 28:02d}T00:00:00Z", "media": [{"size": 10}]}
                for i in range(60)
            ]
        },
    )
    doomed = {m["sid"] for msg in created["messages"] for m in msg["media"]}
    control(emu, "config", {"latency_ms": 40})
    env = {**os.environ, **cli_env(emu, tmp_path / "config")}
    args = ["purge", "--sent-before", "2025-06-01", "--yes", "-j", "2", "--jsonl"]
    child = subprocess.Popen(
        [sys.executable, "-m", "media_cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline()  # one media deleted: the run is under way
        assert json.loads(first)["status"] == "deleted"
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    control(emu, "config", {"latency_ms": 0})
    assert child.returncode == 130, stderr
    assert "interrupted: deleted " in stderr
    assert "Traceback" not in stderr
    left = media_sids(emu)
    assert left, "the purge finished before it was interrupted"
    assert left < doomed

    rerun = invoke(args, cli_env(emu, tmp_path / "config"))
    assert rerun.exit_code == 0, rerun.stderr
    assert media_sids(emu) == set()
    assert len(rerun.stdout.splitlines()) == len(left)
