"""Proxy variables reach the transport through the settings; --debug names the proxy in use
without its password. (The tunnel itself is tested in tests/integration/test_transport.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from media_cli.config import load_settings
from tests.support import cli_env, invoke, seed


def test_settings_keep_only_the_proxy_variables_that_are_set(tmp_path: Path) -> None:
    env = {
        "MEDIA_CLI_CONFIG_DIR": str(tmp_path),
        "HTTPS_PROXY": "http://u:pw@proxy.internal:3128",
        "no_proxy": ".corp.internal",
        "ALL_PROXY": "",
        "HTTP_PROXY": "http://ignored:1",  # plain http is never proxied
    }
    settings = load_settings(
        profile=None,
        account_sid=None,
        api_url=None,
        mcs_url=None,
        region=None,
        edge=None,
        environ=env,
    )
    assert dict(settings.proxy_env) == {
        "HTTPS_PROXY": "http://u:pw@proxy.internal:3128",
        "no_proxy": ".corp.internal",
    }


def test_debug_names_the_proxy_but_never_its_password(emu: dict[str, Any], tmp_path: Path) -> None:
    created = seed(emu, {"messages": [{"media": [{"content_type": "image/png", "size": 10}]}]})
    message_sid = created["messages"][0]["sid"]
    env = cli_env(
        emu, tmp_path / "cfg", HTTPS_PROXY="http://ops:hunter2@127.0.0.1:9", NO_PROXY="example"
    )
    result = invoke(["--debug", "list", message_sid, "--jsonl"], env)
    assert result.exit_code == 0, result.stderr  # the emulator is loopback: reached directly
    assert [json.loads(line)["parent_sid"] for line in result.stdout.splitlines()] == [message_sid]
    assert "proxy: HTTPS_PROXY = 127.0.0.1:9" in result.stderr
    assert "proxy: NO_PROXY = example" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_a_proxy_that_refuses_is_named_in_the_hint_and_exits_5(tmp_path: Path) -> None:
    # The proxy is a loopback port nobody listens on: the tunnel to the (never resolved)
    # API host is refused at the proxy, so no traffic leaves the machine.
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        env = {
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": "not-a-real-token",
            "MEDIA_CLI_API_URL": "https://api.media-cli.test",  # a reserved name, never resolved
            "MEDIA_CLI_CONFIG_DIR": str(tmp_path / "cfg"),
            "MEDIA_CLI_RETRIES": "2",
            "MEDIA_CLI_RETRY_BACKOFF": "0",
            "HTTPS_PROXY": f"http://ops:hunter2@127.0.0.1:{port}",
        }
        result = invoke(["list", "--older-than", "1d"], env)
    assert result.exit_code == 5
    assert f"through the proxy 127.0.0.1:{port}" in result.stderr
    assert "check the network and the proxy (HTTPS_PROXY, NO_PROXY)" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
