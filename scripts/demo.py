"""`make demo`: start the bundled emulator with demo data and run media-cli's main jobs on it."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".demo"
SHOW_LINES = 8


def run(env: dict[str, str], *args: str, stdin: str | None = None, check: bool = True) -> str:
    """Run one media-cli command as a user would, echoing it first."""
    print(f"\n$ media-cli {shlex.join(args)}", flush=True)
    proc = subprocess.run(
        [sys.executable, "-m", "media_cli", *args],
        env=env,
        input=stdin,
        text=True,
        capture_output=True,
        check=False,
    )
    shown = proc.stdout.splitlines()
    for line in shown[:SHOW_LINES]:
        print(line if len(line) <= 160 else line[:157] + "...")
    if len(shown) > SHOW_LINES:
        print(f"... ({len(shown) - SHOW_LINES} more lines)")
    sys.stdout.write(proc.stderr)
    sys.stdout.flush()
    if check and proc.returncode != 0:
        raise SystemExit(f"demo step failed with exit code {proc.returncode}")
    return proc.stdout


def main() -> int:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    emulator = subprocess.Popen(
        [sys.executable, "-m", "media_cli", "emulator", "--seed", "demo", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if emulator.stdout is None:
            raise SystemExit("could not read the emulator's start-up line")
        info = json.loads(emulator.stdout.readline())
        print(f"emulator: API {info['api_url']}  MCS {info['mcs_url']}  CDN {info['cdn_url']}")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "MEDIA_CLI_"))}
        env.update(
            TWILIO_ACCOUNT_SID=info["account_sid"],
            TWILIO_AUTH_TOKEN=info["auth_token"],
            MEDIA_CLI_API_URL=info["api_url"],
            MEDIA_CLI_MCS_URL=info["mcs_url"],
            MEDIA_CLI_CONFIG_DIR=str(WORK / "config"),
        )
        downloads, archive = WORK / "downloads", WORK / "archive"

        listing = run(env, "list", "--older-than", "300d", "--limit", "5")
        first = listing.split("\t")
        run(env, "list", "--sent-after", "2000-01-01", "--limit", "3", "--jsonl")
        if len(first) > 2:
            run(env, "fetch", "--json", first[1], first[0])
        run(env, "download", "--older-than", "350d", "-d", str(downloads), "-j", "8")
        run(env, "download", "--older-than", "350d", "-d", str(downloads), "--json")
        run(env, "purge", "--older-than", "380d", "--dry-run")
        run(env, "purge", "--older-than", "380d", "--archive", str(archive), "--yes")
        sample = WORK / "hello.txt"
        sample.write_text("hello from media-cli\n")
        uploaded = run(
            env, "upload-chat", str(sample), "--service", info["chat_service_sid"], "--json"
        )
        sid = json.loads(uploaded)["sid"] if uploaded.lstrip().startswith("{") else None
        if sid:
            run(env, "download-chat", info["chat_service_sid"], sid, "-d", str(WORK / "chat"))
        print(f"\ndemo finished: files are under {WORK}")
        return 0
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
