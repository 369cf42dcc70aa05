"""Secrets never leak: not to stdout, stderr, files or exception text, and never to a foreign host.

Every run below uses --debug (request logging and tracebacks on) and is grepped, together with
every file it left under tmp_path, for the auth token, the API secret, their Basic forms, the
word "Basic" and the signed CDN URL's query string.
"""

from __future__ import annotations

import base64
import os
import socket
import stat
from pathlib import Path
from typing import Any

import pytest

from media_cli.config import check_base_url
from media_cli.errors import UsageError
from tests.support import cli_env, control, faults, invoke, seed

LIST = r"/Media\.json"
DELETE = r"/Media/ME[0-9a-f]{32}\.json$"


def _forbidden(info: dict[str, Any]) -> list[str]:
    """Every form a secret could leak in."""
    pairs = [
        (info["account_sid"], info["auth_token"]),
        (info["api_key"], info["api_secret"]),
    ]
    words = [info["auth_token"], info["api_secret"], "Basic ", "Signature=", "Expires="]
    for user, secret in pairs:
        words.append(base64.b64encode(f"{user}:{secret}".encode()).decode())
    return words


def _leaks(texts: dict[str, str], info: dict[str, Any]) -> list[str]:
    return [
        f"{word!r} in {where}"
        for where, text in texts.items()
        for word in _forbidden(info)
        if word in text
    ]


def _files(root: Path) -> dict[str, str]:
    return {
        str(p): p.read_bytes().decode("utf-8", errors="replace")
        for p in root.rglob("*")
        if p.is_file() and p.stat().st_size < 5_000_000
    }


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Fail any connection to a non-loopback address (the tests must never send one)."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else str(address)
        if isinstance(address, tuple) and host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError("test guard: non-loopback connection refused")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts


def _seeded(info: dict[str, Any]) -> str:
    created = seed(
        info,
        {
            "messages": [
                {
                    "date_sent": "2025-01-01T00:00:00Z",
                    "media": [{"content_type": "image/jpeg", "size": 2000}, {"size": 300}],
                }
            ]
        },
    )
    return str(created["messages"][0]["sid"])


SCENARIOS: list[tuple[str, list[str], list[dict[str, Any]]]] = [
    ("list-ok", ["list", "{MSG}", "--json"], []),
    ("list-401", ["list", "{MSG}"], [{"listener": "api", "path": LIST, "status": 401}]),
    ("list-401-json", ["list", "{MSG}", "--json"], [{"listener": "api", "status": 401}]),
    ("list-500", ["list", "{MSG}"], [{"listener": "api", "path": LIST, "status": 500}]),
    ("list-reset", ["list", "{MSG}"], [{"listener": "api", "action": "reset"}]),
    ("fetch-xml-404", ["fetch", "{MSG}", "ME" + "a" * 32, "--xml"], []),
    ("download-ok", ["download", "{MSG}", "-d", "{OUT}", "--jsonl"], []),
    (
        "download-cdn-403",
        ["download", "{MSG}", "-d", "{OUT}"],
        [{"listener": "cdn", "status": 403}],
    ),
    (
        "download-truncate",
        ["download", "{MSG}", "-d", "{OUT}"],
        [{"listener": "cdn", "action": "truncate"}],
    ),
    ("download-stdout", ["download", "{MSG}", "{ME}", "-o", "-"], []),
    (
        "purge-archive-ok",
        ["purge", "--sent-before", "2025-06-01", "--yes", "--archive", "{OUT}", "--jsonl"],
        [],
    ),
    (
        "purge-delete-500",
        ["purge", "--sent-before", "2025-06-01", "--yes", "--archive", "{OUT}"],
        [{"listener": "api", "method": "DELETE", "path": DELETE, "status": 500}],
    ),
    ("upload-ok", ["upload-chat", "{FILE}", "--service", "{IS}", "--json"], []),
    (
        "upload-500",
        ["upload-chat", "{FILE}", "--service", "{IS}"],
        [{"listener": "mcs", "status": 500}],
    ),
    (
        "upload-reset",
        ["upload-chat", "{FILE}", "--service", "{IS}"],
        [{"listener": "mcs", "action": "reset"}],
    ),
]


@pytest.mark.parametrize("use_api_key", [False, True], ids=["auth-token", "api-key"])
@pytest.mark.parametrize(("name", "args", "rules"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_no_secret_in_any_output(
    name: str,
    args: list[str],
    rules: list[dict[str, Any]],
    use_api_key: bool,
    emu: dict[str, Any],
    tmp_path: Path,
    loopback_only: list[Any],
) -> None:
    message_sid = _seeded(emu)
    media_sid = control(emu, "state")["messages"][0]["media"][0]["sid"]
    upload = tmp_path / "up.bin"
    upload.write_bytes(b"x" * 1000)
    faults(emu, rules)
    env = cli_env(emu, tmp_path / "cfg", MEDIA_CLI_RETRIES="2")
    if use_api_key:
        del env["TWILIO_AUTH_TOKEN"]
        env["TWILIO_API_KEY"] = emu["api_key"]
        env["TWILIO_API_SECRET"] = emu["api_secret"]
    values = {
        "{MSG}": message_sid,
        "{ME}": media_sid,
        "{OUT}": str(tmp_path / "out"),
        "{FILE}": str(upload),
        "{IS}": emu["chat_service_sid"],
    }
    argv = ["--debug", *[values.get(a, a) for a in args]]
    result = invoke(argv, env)
    # The run did real work or failed on purpose; either way it logged its requests.
    assert "media-cli: debug: GET" in result.stderr or "POST" in result.stderr
    if not rules and "404" not in name:
        assert result.exit_code == 0, result.stderr
    else:
        assert result.exit_code != 0
    texts = {"stdout": result.stdout, "stderr": result.stderr, **_files(tmp_path)}
    assert _leaks(texts, emu) == []
    assert loopback_only == []


def test_a_rejected_secret_is_never_echoed(emu: dict[str, Any], tmp_path: Path) -> None:
    """A bad password is rejected with exit 4, and the rejected secret is not echoed."""
    message_sid = _seeded(emu)
    wrong = "f" * 32
    env = cli_env(emu, tmp_path, TWILIO_AUTH_TOKEN=wrong)
    result = invoke(["--debug", "list", message_sid], env)
    assert result.exit_code == 4
    assert wrong not in result.stdout + result.stderr
    assert base64.b64encode(f"{emu['account_sid']}:{wrong}".encode()).decode() not in result.stderr


def test_auth_login_stores_secret_only_in_keyring_and_config_is_0600(
    emu: dict[str, Any], tmp_path: Path, memory_keyring: Any
) -> None:
    config_dir = tmp_path / "cfg"
    env = cli_env(emu, config_dir)
    del env["TWILIO_ACCOUNT_SID"], env["TWILIO_AUTH_TOKEN"]
    result = invoke(
        ["--debug", "auth", "login", "--account-sid", emu["account_sid"], "--with-token"],
        env,
        stdin=emu["auth_token"] + "\n",
    )
    assert result.exit_code == 0, result.stderr
    assert emu["auth_token"] in memory_keyring.passwords.values()
    config = config_dir / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_dir.stat().st_mode) & 0o077 == 0
    texts = {"stdout": result.stdout, "stderr": result.stderr, **_files(tmp_path)}
    assert _leaks(texts, emu) == []
    # The stored profile works, and status never shows the secret.
    status = invoke(["--debug", "auth", "status", "--json"], env)
    assert status.exit_code == 0, status.stderr
    assert _leaks({"stdout": status.stdout, "stderr": status.stderr}, emu) == []


@pytest.mark.parametrize(
    "extra",
    [["SECRETabc123"], ["--auth-token", "SECRETabc123"], ["--token=SECRETabc123"]],
    ids=["positional", "option", "option-equals"],
)
def test_auth_login_refuses_a_secret_in_argv(
    extra: list[str], emu: dict[str, Any], tmp_path: Path
) -> None:
    env = cli_env(emu, tmp_path)
    args = ["auth", "login", "--account-sid", emu["account_sid"], "--with-token", *extra]
    from typer.testing import CliRunner

    from media_cli.cli.app import app

    result = CliRunner().invoke(app, args, env=env, input="")
    assert result.exit_code == 2
    assert "SECRETabc123" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_authorization_goes_only_to_the_configured_hosts(emu: dict[str, Any]) -> None:
    from media_cli.client import MediaClient

    creds = _credentials(emu)
    client = MediaClient(creds, api_url=emu["api_url"], mcs_url=emu["mcs_url"])
    try:
        assert "Authorization" in client._headers_for(f"{emu['api_url']}/2010-04-01/Accounts.json")
        assert "Authorization" in client._headers_for(f"{emu['mcs_url']}/v1/Services")
        foreign = [
            emu["cdn_url"] + "/AC/ME?Signature=x",
            "https://mms.twiliocdn.com/AC/ME",
            "https://api.twilio.com/2010-04-01/Accounts.json",  # not the configured API here
            emu["api_url"].replace("http://", "https://"),  # same host, another scheme
            emu["api_url"].replace("127.0.0.1", "localhost"),
        ]
        for url in foreign:
            assert "Authorization" not in client._headers_for(url), url
    finally:
        client.close()


def _credentials(info: dict[str, Any]) -> Any:
    """Resolve the emulator's account credentials through the real env ladder."""
    from media_cli.config import load_settings
    from media_cli.credentials import resolve_credentials

    environ = {
        "TWILIO_ACCOUNT_SID": info["account_sid"],
        "TWILIO_AUTH_TOKEN": info["auth_token"],
        "MEDIA_CLI_CONFIG_DIR": os.environ["MEDIA_CLI_CONFIG_DIR"],
    }
    settings = load_settings(
        profile=None,
        api_url=info["api_url"],
        mcs_url=info["mcs_url"],
        region=None,
        edge=None,
        environ=environ,
    )
    return resolve_credentials(settings, environ=environ)


@pytest.mark.parametrize(
    ("url", "insecure", "ok"),
    [
        ("https://api.twilio.com", False, True),
        ("http://127.0.0.1:8080", False, True),
        ("http://localhost:8080", False, True),
        ("http://[::1]:8080", False, True),
        ("http://api.example.com", False, False),
        ("http://10.0.0.5:8080", False, False),
        ("http://127.0.0.1.example.com", False, False),
        ("http://api.example.com", True, True),
        ("ftp://127.0.0.1", False, False),
        ("http://", False, False),
    ],
)
def test_check_base_url(url: str, insecure: bool, ok: bool) -> None:
    if ok:
        assert check_base_url(url, what="API URL", insecure=insecure) == url.rstrip("/")
    else:
        with pytest.raises(UsageError):
            check_base_url(url, what="API URL", insecure=insecure)


@pytest.mark.parametrize("flag", ["--api-url", "--mcs-url"])
def test_plain_http_to_a_remote_host_exits_2_before_any_request(
    flag: str, emu: dict[str, Any], tmp_path: Path, loopback_only: list[Any]
) -> None:
    env = cli_env(emu, tmp_path)
    # TEST-NET-1 (RFC 5737): never routed; the guard also refuses any connection to it.
    args = [flag, "http://192.0.2.10:8080", "list", "MM" + "a" * 32]
    result = invoke(args, env)
    assert result.exit_code == 2
    assert "--insecure" in result.stderr
    assert loopback_only == []
    assert control(emu, "stats")["total"] == 0
