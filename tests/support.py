"""Small helpers for talking to the emulator's control endpoints and running the CLI."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result


def control(info: dict[str, Any], name: str, payload: Any = None) -> Any:
    """POST (with a payload) or GET an ``/__emulator__/`` endpoint; returns its JSON."""
    url = f"{info['api_url']}/__emulator__/{name}"
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback emulator URL from the fixture
        url, data=data, method="POST" if data is not None else "GET"
    )
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - as above
        body = response.read()
    return json.loads(body) if body else None


def seed(info: dict[str, Any], payload: dict[str, Any]) -> Any:
    return control(info, "seed", payload)


def state(info: dict[str, Any]) -> Any:
    return control(info, "state")


def stats(info: dict[str, Any]) -> Any:
    return control(info, "stats")


def faults(info: dict[str, Any], rules: list[dict[str, Any]]) -> Any:
    return control(info, "faults", {"rules": rules})


def media_sids(info: dict[str, Any]) -> set[str]:
    """Every media SID that exists in the emulator now."""
    return {m["sid"] for msg in state(info)["messages"] for m in msg["media"]}


def cli_env(info: dict[str, Any], config_dir: Path, **extra: str) -> dict[str, str]:
    """The environment a CLI test runs with: the emulator's account, no backoff."""
    env = {
        "TWILIO_ACCOUNT_SID": info["account_sid"],
        "TWILIO_AUTH_TOKEN": info["auth_token"],
        "MEDIA_CLI_API_URL": info["api_url"],
        "MEDIA_CLI_MCS_URL": info["mcs_url"],
        "MEDIA_CLI_CONFIG_DIR": str(config_dir),
        "MEDIA_CLI_RETRY_BACKOFF": "0",
    }
    env.update(extra)
    return env


def invoke(args: list[str], env: dict[str, str], stdin: str | None = None) -> Result:
    """Run the app in-process with separate stdout and stderr."""
    from media_cli.cli.app import app

    runner = CliRunner()
    return runner.invoke(app, args, env=env, input=stdin, catch_exceptions=False)
