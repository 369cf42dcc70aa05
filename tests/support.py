"""Small helpers for talking to the emulator's control endpoints and running the CLI."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typer.testing import CliRunner, Result

if TYPE_CHECKING:
    from media_cli.client import MediaClient


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


def chat_state(info: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The emulator's Chat (MCS) media, by SID."""
    return {c["sid"]: c for c in state(info).get("chat_media", [])}


def upload_posts(info: dict[str, Any]) -> int:
    """Upload requests the emulator saw, whatever their status.

    The emulator records a request just after it has sent the answer, so a count read the
    moment the client returns can lag: wait (bounded) for the first one, then a little more
    for any later one to land too.
    """

    def count() -> int:
        return sum(
            n
            for route, by_status in stats(info)["routes"].items()
            if route.startswith("POST ") and "/Media" in route and "__emulator__" not in route
            for n in by_status.values()
        )

    for _ in range(40):
        if count():
            break
        time.sleep(0.05)
    time.sleep(0.1)
    return count()


def make_client(
    info: dict[str, Any],
    *,
    secret: str | None = None,
    attempts: int = 4,
    mcs_url: str | None = None,
    debug_log: Callable[[str], None] | None = None,
) -> MediaClient:
    """A MediaClient on the emulator's account (or with another ``secret``), no backoff."""
    from media_cli.client import MediaClient, RetryPolicy
    from media_cli.credentials import Credentials

    creds = Credentials(
        account_sid=info["account_sid"],
        account_sid_source="test",
        username=info["account_sid"],
        username_source="test",
        secret=secret or info["auth_token"],
        secret_source="test",
        target_account_sid=info["account_sid"],
    )
    return MediaClient(
        creds,
        api_url=info["api_url"],
        mcs_url=mcs_url or info["mcs_url"],
        retry=RetryPolicy(attempts=attempts, backoff=0),
        timeout=(5, 10),
        debug_log=debug_log,
    )


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
