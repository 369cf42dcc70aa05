"""`media-cli auth login / status / logout` end to end, with an in-memory keyring."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from typer.testing import CliRunner, Result

from media_cli.cli.app import app
from media_cli.cli.context import AppContext
from media_cli.config import read_config
from media_cli.streams import Streams
from tests.memory_keyring import MemoryKeyring
from tests.support import cli_env, invoke

AC = "AC" + "1" * 32
SUB = "AC" + "2" * 32
SK = "SK" + "3" * 32
SECRET = "not-a-real-token-" + "7" * 15  # a value we grep every output for


NO_VERIFY = ("--with-token", "--no-verify")
# A closed loopback port: should a test ever send a request by mistake, it goes nowhere.
NOWHERE = "http://127.0.0.1:9"


def base_env(config_dir: Path, *, default_hosts: bool = False, **extra: str) -> dict[str, str]:
    """No credentials in the environment: where to find the config, no backoff, and API URLs
    on a closed loopback port unless ``default_hosts`` (for tests that never send a request).
    """
    env = {"MEDIA_CLI_CONFIG_DIR": str(config_dir), "MEDIA_CLI_RETRY_BACKOFF": "0"}
    if not default_hosts:
        env.update(MEDIA_CLI_API_URL=NOWHERE, MEDIA_CLI_MCS_URL=NOWHERE)
    env.update(extra)
    return env


def emu_env(emu: dict[str, Any], config_dir: Path) -> dict[str, str]:
    """The emulator's URLs, but credentials only from the profile."""
    return base_env(config_dir, MEDIA_CLI_API_URL=emu["api_url"], MEDIA_CLI_MCS_URL=emu["mcs_url"])


def all_output(result: Result) -> str:
    return result.stdout + result.stderr


def config_of(config_dir: Path) -> dict[str, Any]:
    return read_config(config_dir / "config.toml")


def login(env: dict[str, str], secret: str, *args: str) -> Result:
    return invoke(["auth", "login", "--with-token", *args], env, stdin=secret + "\n")


# -- login ----------------------------------------------------------------------------------


def test_login_stores_the_secret_in_the_keyring_and_the_rest_in_a_0600_file(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    config_dir = tmp_path / "cfg"
    result = login(
        base_env(config_dir, default_hosts=True),
        SECRET,
        "--account-sid",
        AC,
        "--no-verify",
        "--region",
        "ie1",
        "--edge",
        "dublin",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "Logged in to " + AC in result.stderr
    assert "not verified" in result.stderr
    assert SECRET not in all_output(result)
    assert memory_keyring.passwords == {("media-cli", "default"): SECRET}
    path = config_dir / "config.toml"
    assert SECRET not in path.read_text(encoding="utf-8")
    assert config_of(config_dir) == {
        "profiles": {"default": {"account_sid": AC, "region": "ie1", "edge": "dublin"}}
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_dir.stat().st_mode) == 0o700

    # The stored region and edge decide the hosts; nothing is sent anywhere by `status`.
    status = invoke(["auth", "status", "--json"], base_env(config_dir, default_hosts=True))
    assert status.exit_code == 0, status.stderr
    doc = json.loads(status.stdout)
    assert (doc["api_url"], doc["api_url_source"]) == (
        "https://api.dublin.ie1.twilio.com",
        "region/edge",
    )
    assert doc["mcs_url"] == "https://mcs.dublin.ie1.twilio.com"


def test_login_verifies_then_status_shows_every_source(
    emu: dict[str, Any], tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    env = emu_env(emu, tmp_path)
    result = login(env, emu["auth_token"], "--account-sid", emu["account_sid"])
    assert result.exit_code == 0, result.stderr
    assert "not verified" not in result.stderr
    assert memory_keyring.passwords == {("media-cli", "default"): emu["auth_token"]}

    status = invoke(["auth", "status", "--json"], env)
    assert status.exit_code == 0, status.stderr
    assert json.loads(status.stdout) == {
        "profile": "default",
        "profile_source": "default",
        "account_sid": emu["account_sid"],
        "account_sid_source": "config:default",
        "target_account_sid": emu["account_sid"],
        "auth": "auth_token",
        "key_sid": None,
        "key_sid_source": None,
        "secret_source": "keyring",
        "api_url": emu["api_url"],
        "api_url_source": "env:MEDIA_CLI_API_URL",
        "mcs_url": emu["mcs_url"],
        "mcs_url_source": "env:MEDIA_CLI_MCS_URL",
        "region": None,
        "edge": None,
        "config_file": str(tmp_path / "config.toml"),
    }
    assert emu["auth_token"] not in all_output(status)

    # The stored profile is enough for a real command.
    listed = invoke(["list", "--json", "--sent-after", "2020-01-01"], env)
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout) == []


def test_login_with_an_api_key(
    emu: dict[str, Any], tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    env = emu_env(emu, tmp_path)
    result = login(
        env, emu["api_secret"], "--account-sid", emu["account_sid"], "--api-key", emu["api_key"]
    )
    assert result.exit_code == 0, result.stderr
    assert "with API key " + emu["api_key"] in result.stderr
    assert memory_keyring.passwords == {("media-cli", "default"): emu["api_secret"]}
    assert config_of(tmp_path)["profiles"]["default"] == {
        "account_sid": emu["account_sid"],
        "api_key": emu["api_key"],
    }
    status = invoke(["auth", "status", "--json"], env)
    doc = json.loads(status.stdout)
    assert (doc["auth"], doc["key_sid"], doc["key_sid_source"]) == (
        "api_key",
        emu["api_key"],
        "config:default",
    )
    assert doc["secret_source"] == "keyring"
    assert emu["api_secret"] not in all_output(status)


def test_rejected_credentials_store_nothing_and_exit_4(
    emu: dict[str, Any], tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    result = login(emu_env(emu, tmp_path), SECRET, "--account-sid", emu["account_sid"])
    assert result.exit_code == 4
    assert result.stdout == ""
    assert "auth status" in result.stderr  # the hint
    assert SECRET not in all_output(result)
    assert memory_keyring.passwords == {}
    assert not (tmp_path / "config.toml").exists()


def test_a_secret_on_the_command_line_is_refused_and_never_echoed(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    result = invoke(
        ["auth", "login", "--account-sid", AC, "--no-verify", SECRET], base_env(tmp_path)
    )
    assert result.exit_code == 2
    assert "never accepted on the command line" in result.stderr
    assert SECRET not in all_output(result)
    assert memory_keyring.passwords == {}
    assert not (tmp_path / "config.toml").exists()


def test_there_is_no_option_for_the_secret() -> None:
    result = invoke(["auth", "login", "--help"], {})
    assert result.exit_code == 0
    for word in ("--token", "--auth-token", "--secret", "--api-secret", "--password"):
        assert word not in result.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--account-sid", AC], None, "no terminal to prompt"),
        (["--with-token"], SECRET + "\n", "--account-sid is required"),
        (["--with-token", "--account-sid", "AC123"], SECRET + "\n", "invalid account SID"),
        (["--with-token", "--account-sid", AC, "--api-key", "SKx"], SECRET, "invalid api key"),
        (["--with-token", "--account-sid", AC], "\n", "no auth token"),
        (["--with-token", "--account-sid", AC, "--api-key", SK], "", "no API key secret"),
        (["--with-token", "--account-sid", AC, "--region", "Bad Region"], SECRET, "region"),
    ],
)
def test_login_usage_errors_exit_2(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    args: list[str],
    stdin: str | None,
    message: str,
) -> None:
    result = invoke(["auth", "login", "--no-verify", *args], base_env(tmp_path), stdin=stdin)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert result.stdout == ""
    assert SECRET not in all_output(result)
    assert memory_keyring.passwords == {}
    assert not (tmp_path / "config.toml").exists()


def test_global_account_sid_region_and_profile_are_used_by_login(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    result = invoke(
        [*("--profile", "eu", "--account-sid", AC, "--region", "ie1", "auth", "login"), *NO_VERIFY],
        base_env(tmp_path),
        stdin=SECRET,
    )
    assert result.exit_code == 0, result.stderr
    assert memory_keyring.passwords == {("media-cli", "eu"): SECRET}
    assert config_of(tmp_path) == {"profiles": {"eu": {"account_sid": AC, "region": "ie1"}}}


class PromptingStreams(Streams):
    """Terminal streams whose no-echo prompt answers with a known secret."""

    prompts: list[str]

    def read_secret(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return SECRET


def test_login_prompts_on_a_terminal(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    streams = PromptingStreams(
        stdin=io.StringIO(AC + "\n"),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        stdin_is_tty=True,
        stdout_is_tty=True,
        stderr_is_tty=True,
    )
    streams.prompts = []
    result = CliRunner().invoke(
        app,
        ["auth", "login", "--no-verify", "--api-key", SK],
        env=base_env(tmp_path),
        obj=AppContext(streams),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert isinstance(streams.stderr, io.StringIO)
    assert "Account SID (AC…): " in streams.stderr.getvalue()
    assert streams.prompts == [f"API key secret for {SK}: "]
    assert SECRET not in streams.stderr.getvalue() + result.output
    assert memory_keyring.passwords == {("media-cli", "default"): SECRET}
    assert config_of(tmp_path)["profiles"]["default"] == {"account_sid": AC, "api_key": SK}


# -- no keyring backend ---------------------------------------------------------------------


def test_without_a_keyring_backend_login_exits_4_with_a_hint(tmp_path: Path) -> None:
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]  # unannotated in keyring
    result = login(base_env(tmp_path), SECRET, "--account-sid", AC, "--no-verify")
    assert result.exit_code == 4
    assert "cannot store the secret in the system keyring" in result.stderr
    assert "hint:" in result.stderr
    assert "Traceback" not in all_output(result)
    assert SECRET not in all_output(result)
    assert not (tmp_path / "config.toml").exists()


def test_without_a_keyring_backend_status_and_commands_exit_4(tmp_path: Path) -> None:
    assert login(base_env(tmp_path), SECRET, "--account-sid", AC, "--no-verify").exit_code == 0
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]  # unannotated in keyring
    status = invoke(["auth", "status", "--json"], base_env(tmp_path))
    assert status.exit_code == 4
    assert status.stdout == ""
    error = json.loads(status.stderr)["error"]
    assert error["code"] == "credentials_missing"
    assert "NoKeyringError" in error["message"]
    assert "keyring" in error["hint"]
    assert "Traceback" not in status.stderr
    # logout still removes the profile, and says so.
    logout = invoke(["auth", "logout"], base_env(tmp_path))
    assert logout.exit_code == 0, logout.stderr
    assert "Removed profile 'default'" in logout.stderr
    assert config_of(tmp_path).get("profiles", {}) == {}


# -- status ---------------------------------------------------------------------------------


def test_status_without_credentials_exits_4(tmp_path: Path) -> None:
    human = invoke(["auth", "status"], base_env(tmp_path))
    assert human.exit_code == 4
    assert human.stdout == ""
    assert "media-cli: error: no credentials found" in human.stderr
    assert "auth login" in human.stderr
    as_json = invoke(["auth", "status", "--json"], base_env(tmp_path))
    assert as_json.exit_code == 4
    assert as_json.stdout == ""
    assert json.loads(as_json.stderr)["error"]["code"] == "credentials_missing"


def test_status_with_env_credentials_and_a_subaccount(tmp_path: Path) -> None:
    env = base_env(
        tmp_path,
        TWILIO_ACCOUNT_SID=AC,
        TWILIO_API_KEY=SK,
        TWILIO_API_SECRET=SECRET,
        TWILIO_AUTH_TOKEN=SECRET + "x",
    )
    result = invoke(["--account-sid", SUB, "auth", "status", "--json"], env)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["account_sid"], doc["account_sid_source"]) == (AC, "env:TWILIO_ACCOUNT_SID")
    assert (doc["key_sid"], doc["key_sid_source"]) == (SK, "env:TWILIO_API_KEY")
    assert doc["secret_source"] == "env:TWILIO_API_SECRET"
    assert doc["target_account_sid"] == SUB
    assert SECRET not in all_output(result)


def test_status_as_tsv_when_piped(tmp_path: Path) -> None:
    assert login(base_env(tmp_path), SECRET, "--account-sid", AC, "--no-verify").exit_code == 0
    result = invoke(["auth", "status"], base_env(tmp_path))
    assert result.exit_code == 0, result.stderr
    fields = result.stdout.rstrip("\n").split("\t")
    assert fields[:6] == ["default", "default", AC, "config:default", AC, "auth_token"]
    assert "keyring" in fields
    assert SECRET not in all_output(result)


def test_profile_selection_by_flag_and_env(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    assert login(env, SECRET, "--account-sid", AC, "--no-verify").exit_code == 0
    assert (
        invoke(
            [
                *("--profile", "work", "auth", "login", "--with-token", "--no-verify"),
                "--account-sid",
                SUB,
            ],
            env,
            stdin=SECRET,
        ).exit_code
        == 0
    )
    by_flag = json.loads(invoke(["--profile", "work", "auth", "status", "--json"], env).stdout)
    assert (by_flag["profile_source"], by_flag["account_sid"]) == ("flag:--profile", SUB)
    by_env = json.loads(
        invoke(["auth", "status", "--json"], {**env, "MEDIA_CLI_PROFILE": "work"}).stdout
    )
    assert (by_env["profile_source"], by_env["account_sid_source"]) == (
        "env:MEDIA_CLI_PROFILE",
        "config:work",
    )
    missing = invoke(["--profile", "nope", "auth", "status"], env)
    assert missing.exit_code == 4
    assert "--profile nope auth login" in missing.stderr


# -- logout ---------------------------------------------------------------------------------


def test_logout_removes_the_secret_and_the_profile_and_is_idempotent(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    env = base_env(tmp_path)
    assert login(env, SECRET, "--account-sid", AC, "--no-verify").exit_code == 0
    assert (
        invoke(
            [
                *("--profile", "work", "auth", "login", "--with-token", "--no-verify"),
                "--account-sid",
                SUB,
            ],
            env,
            stdin="other",
        ).exit_code
        == 0
    )
    first = invoke(["auth", "logout"], env)
    assert first.exit_code == 0, first.stderr
    assert first.stdout == ""
    assert "Removed the secret of profile 'default' from the keyring" in first.stderr
    assert "Removed profile 'default' from" in first.stderr
    assert memory_keyring.passwords == {("media-cli", "work"): "other"}
    assert list(config_of(tmp_path)["profiles"]) == ["work"]

    again = invoke(["auth", "logout"], env)
    assert again.exit_code == 0
    assert "Nothing to remove" in again.stderr
    assert invoke(["auth", "status"], env).exit_code == 4


# -- --debug never prints the secret --------------------------------------------------------


def test_debug_output_never_contains_the_secret(emu: dict[str, Any], tmp_path: Path) -> None:
    env = emu_env(emu, tmp_path)
    token = emu["auth_token"]
    logged_in = invoke(
        ["--debug", "auth", "login", "--with-token", "--account-sid", emu["account_sid"]],
        env,
        stdin=token + "\n",
    )
    assert logged_in.exit_code == 0, logged_in.stderr
    outputs = [all_output(logged_in)]
    for args in (
        ["--debug", "auth", "status"],
        ["--debug", "list", "--sent-after", "2020-01-01", "--jsonl"],
        ["--debug", "fetch", "MM" + "0" * 32, "ME" + "0" * 32],  # a 404
    ):
        result = invoke(args, env)
        assert result.exit_code in (0, 3), result.stderr
        outputs.append(all_output(result))
    debug_text = "\n".join(outputs)
    assert "media-cli: debug: credentials: secret_source = keyring" in debug_text
    assert f"GET {emu['api_url']}/2010-04-01/Accounts/{emu['account_sid']}.json" in debug_text
    assert token not in debug_text
    import base64

    basic = base64.b64encode(f"{emu['account_sid']}:{token}".encode()).decode()
    assert basic not in debug_text
    # And with the env's own credentials too.
    env_result = invoke(["--debug", "auth", "status"], cli_env(emu, tmp_path))
    assert env_result.exit_code == 0
    assert token not in all_output(env_result)
