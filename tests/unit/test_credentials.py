"""The credential ladder (flag > env > profile + keyring), its sources, and keyring failures."""

from __future__ import annotations

import stat
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import KeyringLocked

from media_cli.config import CONFIG_FILE_NAME, Settings, load_settings, read_config, save_profile
from media_cli.credentials import (
    KEYRING_SERVICE,
    Credentials,
    delete_secret,
    describe_status,
    forget_login,
    get_secret,
    resolve_credentials,
    save_login,
    store_secret,
)
from media_cli.errors import EXIT_CREDENTIALS, CredentialsError, KeyringError, UsageError
from tests.memory_keyring import MemoryKeyring

AC = "AC" + "1" * 32
SUB = "AC" + "2" * 32
ENV_AC = "AC" + "3" * 32
SK = "SK" + "4" * 32
TOKEN = "tok-" + "9" * 28
KEY_SECRET = "keysecret-" + "8" * 22


class LockedKeyring(KeyringBackend):
    """A backend that is present but refuses every call, like a locked secret service."""

    priority = 0.1

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the collection is locked")


def _no_keyring() -> None:
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]  # unannotated in keyring


def _locked_keyring() -> None:
    backend = LockedKeyring.__new__(LockedKeyring)  # its __init__ is unannotated
    keyring.set_keyring(backend)


def settings(tmp_path: Path, *, profile: str | None = None, account: str | None = None) -> Settings:
    return load_settings(
        profile=profile,
        api_url=None,
        mcs_url=None,
        region=None,
        edge=None,
        account_sid=account,
        environ={"MEDIA_CLI_CONFIG_DIR": str(tmp_path)},
    )


def login(tmp_path: Path, *, profile: str = "default", api_key: str | None = None) -> None:
    save_login(
        settings(tmp_path, profile=profile),
        account_sid=AC,
        api_key=api_key,
        secret=KEY_SECRET if api_key else TOKEN,
    )


# -- 2. env ---------------------------------------------------------------------------------


def test_env_auth_token(tmp_path: Path) -> None:
    creds = resolve_credentials(
        settings(tmp_path), {"TWILIO_ACCOUNT_SID": ENV_AC, "TWILIO_AUTH_TOKEN": TOKEN}
    )
    assert creds.describe() == {
        "account_sid": ENV_AC,
        "account_sid_source": "env:TWILIO_ACCOUNT_SID",
        "auth": "auth_token",
        "username": ENV_AC,
        "username_source": "env:TWILIO_ACCOUNT_SID",
        "secret_source": "env:TWILIO_AUTH_TOKEN",
        "target_account_sid": ENV_AC,
    }
    assert creds.secret == TOKEN


def test_env_api_key_wins_over_auth_token(tmp_path: Path) -> None:
    env = {
        "TWILIO_ACCOUNT_SID": ENV_AC,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_API_KEY": SK,
        "TWILIO_API_SECRET": KEY_SECRET,
    }
    creds = resolve_credentials(settings(tmp_path), env)
    assert (creds.username, creds.username_source) == (SK, "env:TWILIO_API_KEY")
    assert (creds.secret, creds.secret_source) == (KEY_SECRET, "env:TWILIO_API_SECRET")
    assert creds.is_api_key


def test_flag_account_is_the_target_while_env_authenticates(tmp_path: Path) -> None:
    env = {"TWILIO_ACCOUNT_SID": ENV_AC, "TWILIO_AUTH_TOKEN": TOKEN}
    creds = resolve_credentials(settings(tmp_path, account=SUB), env)
    assert (creds.account_sid, creds.username, creds.target_account_sid) == (ENV_AC, ENV_AC, SUB)


def test_flag_account_stands_in_for_a_missing_env_account(tmp_path: Path) -> None:
    creds = resolve_credentials(settings(tmp_path, account=SUB), {"TWILIO_AUTH_TOKEN": TOKEN})
    assert (creds.account_sid, creds.account_sid_source) == (SUB, "flag:--account-sid")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TWILIO_AUTH_TOKEN": TOKEN}, "TWILIO_ACCOUNT_SID is not set"),
        ({"TWILIO_ACCOUNT_SID": ENV_AC}, "no secret"),
        ({"TWILIO_ACCOUNT_SID": ENV_AC, "TWILIO_API_KEY": SK}, "TWILIO_API_SECRET is not"),
    ],
)
def test_incomplete_env_is_a_credentials_error(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    login(tmp_path)  # a complete profile does not paper over a half-set environment
    with pytest.raises(CredentialsError, match=message) as info:
        resolve_credentials(settings(tmp_path), env)
    assert info.value.exit_code == EXIT_CREDENTIALS
    assert info.value.hint


@pytest.mark.parametrize(
    ("env", "flag"),
    [
        ({"TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": TOKEN}, None),
        ({"TWILIO_ACCOUNT_SID": ENV_AC, "TWILIO_API_KEY": "KS1", "TWILIO_API_SECRET": "x"}, None),
        ({"TWILIO_ACCOUNT_SID": ENV_AC, "TWILIO_AUTH_TOKEN": TOKEN}, "ACnope"),
    ],
)
def test_malformed_sids_are_usage_errors(
    tmp_path: Path, env: dict[str, str], flag: str | None
) -> None:
    with pytest.raises(UsageError):
        resolve_credentials(settings(tmp_path, account=flag), env)


# -- 3. profile + keyring -------------------------------------------------------------------


def test_profile_with_auth_token(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    login(tmp_path)
    # The keyring entry: service "media-cli", username = the profile name.
    assert memory_keyring.passwords == {(KEYRING_SERVICE, "default"): TOKEN}
    creds = resolve_credentials(settings(tmp_path), {})
    assert creds.describe() == {
        "account_sid": AC,
        "account_sid_source": "config:default",
        "auth": "auth_token",
        "username": AC,
        "username_source": "config:default",
        "secret_source": "keyring",
        "target_account_sid": AC,
    }
    assert creds.secret == TOKEN


def test_profile_with_api_key(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    login(tmp_path, profile="work", api_key=SK)
    assert memory_keyring.passwords == {(KEYRING_SERVICE, "work"): KEY_SECRET}
    creds = resolve_credentials(settings(tmp_path, profile="work"), {})
    assert (creds.account_sid, creds.username, creds.secret) == (AC, SK, KEY_SECRET)
    assert (creds.username_source, creds.secret_source) == ("config:work", "keyring")
    assert creds.is_api_key


def test_flag_account_targets_a_subaccount_with_the_profiles_auth(tmp_path: Path) -> None:
    login(tmp_path)
    creds = resolve_credentials(settings(tmp_path, account=SUB), {})
    assert (creds.account_sid, creds.username, creds.target_account_sid) == (AC, AC, SUB)
    assert creds.account_sid_source == "config:default"


def test_env_beats_the_profile(tmp_path: Path) -> None:
    login(tmp_path)
    creds = resolve_credentials(
        settings(tmp_path), {"TWILIO_ACCOUNT_SID": ENV_AC, "TWILIO_AUTH_TOKEN": "other"}
    )
    assert (creds.account_sid, creds.secret_source) == (ENV_AC, "env:TWILIO_AUTH_TOKEN")


def test_other_profiles_are_not_used(tmp_path: Path) -> None:
    login(tmp_path, profile="work")
    with pytest.raises(CredentialsError, match="no credentials found") as info:
        resolve_credentials(settings(tmp_path), {})
    assert "auth login" in (info.value.hint or "")


def test_a_named_profile_that_does_not_exist(tmp_path: Path) -> None:
    login(tmp_path)
    with pytest.raises(CredentialsError, match="'nope'") as info:
        resolve_credentials(settings(tmp_path, profile="nope"), {})
    assert "--profile nope auth login" in (info.value.hint or "")


def test_profile_without_its_secret(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    login(tmp_path)
    memory_keyring.passwords.clear()
    with pytest.raises(CredentialsError, match="no secret in the keyring") as info:
        resolve_credentials(settings(tmp_path), {})
    assert info.value.exit_code == EXIT_CREDENTIALS


def test_a_malformed_account_in_the_profile_is_a_usage_error(tmp_path: Path) -> None:
    save_profile(tmp_path / CONFIG_FILE_NAME, "default", {"account_sid": "AC-not-a-sid"})
    with pytest.raises(UsageError, match="account SID"):
        resolve_credentials(settings(tmp_path), {})


# -- a missing or broken keyring is "absent", with a hint -----------------------------------


def test_no_keyring_backend_reads_as_absent_with_a_hint(tmp_path: Path) -> None:
    login(tmp_path)
    _no_keyring()
    lookup = get_secret("default")
    assert lookup.secret is None
    assert "NoKeyringError" in (lookup.problem or "")
    with pytest.raises(CredentialsError, match="cannot read its secret") as info:
        resolve_credentials(settings(tmp_path), {})
    assert info.value.exit_code == EXIT_CREDENTIALS
    assert "keyring" in (info.value.hint or "")
    assert "TWILIO_AUTH_TOKEN" in (info.value.hint or "")


def test_no_keyring_backend_does_not_matter_with_env(tmp_path: Path) -> None:
    login(tmp_path)
    _no_keyring()
    creds = resolve_credentials(
        settings(tmp_path), {"TWILIO_ACCOUNT_SID": ENV_AC, "TWILIO_AUTH_TOKEN": TOKEN}
    )
    assert creds.secret_source == "env:TWILIO_AUTH_TOKEN"


def test_storing_without_a_backend_is_a_keyring_error_and_writes_nothing(tmp_path: Path) -> None:
    _no_keyring()
    with pytest.raises(KeyringError) as info:
        login(tmp_path)
    assert info.value.exit_code == EXIT_CREDENTIALS
    assert info.value.code == "keyring_unavailable"
    assert TOKEN not in info.value.message
    assert not (tmp_path / CONFIG_FILE_NAME).exists()
    with pytest.raises(KeyringError):
        store_secret("default", TOKEN)


def test_a_locked_keyring(tmp_path: Path) -> None:
    login(tmp_path)
    _locked_keyring()
    assert "KeyringLocked" in (get_secret("default").problem or "")
    with pytest.raises(CredentialsError, match="KeyringLocked"):
        resolve_credentials(settings(tmp_path), {})
    with pytest.raises(KeyringError, match="cannot remove"):
        delete_secret("default")


def test_delete_secret(memory_keyring: MemoryKeyring) -> None:
    store_secret("p", TOKEN)
    assert delete_secret("p") is True
    assert memory_keyring.passwords == {}
    assert delete_secret("p") is False
    _no_keyring()
    assert delete_secret("p") is False


# -- login / logout / status ----------------------------------------------------------------


def test_save_login_keeps_the_secret_out_of_the_config_file(tmp_path: Path) -> None:
    save_login(
        settings(tmp_path / "cfg", profile="eu"),
        account_sid=AC,
        api_key=SK,
        secret=KEY_SECRET,
        region="ie1",
        edge="dublin",
    )
    path = tmp_path / "cfg" / CONFIG_FILE_NAME
    text = path.read_text(encoding="utf-8")
    assert KEY_SECRET not in text
    assert read_config(path) == {
        "profiles": {"eu": {"account_sid": AC, "api_key": SK, "region": "ie1", "edge": "dublin"}}
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_save_login_keeps_hand_written_urls(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_FILE_NAME
    save_profile(path, "default", {"account_sid": SUB, "api_url": "http://127.0.0.1:9"})
    login(tmp_path)
    assert read_config(path)["profiles"]["default"] == {
        "account_sid": AC,
        "api_url": "http://127.0.0.1:9",
    }


def test_save_login_validates(tmp_path: Path) -> None:
    s = settings(tmp_path)
    with pytest.raises(UsageError):
        save_login(s, account_sid="AC1", api_key=None, secret=TOKEN)
    with pytest.raises(UsageError):
        save_login(s, account_sid=AC, api_key="SK1", secret=TOKEN)
    with pytest.raises(UsageError, match="invalid edge"):
        save_login(s, account_sid=AC, api_key=None, secret=TOKEN, edge="dub.lin")
    with pytest.raises(CredentialsError, match="empty"):
        save_login(s, account_sid=AC, api_key=None, secret="")


def test_forget_login_is_idempotent(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    login(tmp_path)
    login(tmp_path, profile="work")
    s = settings(tmp_path)
    assert forget_login(s) == (True, True)
    assert forget_login(s) == (False, False)
    assert memory_keyring.passwords == {(KEYRING_SERVICE, "work"): TOKEN}
    assert list(read_config(tmp_path / CONFIG_FILE_NAME)["profiles"]) == ["work"]


def test_the_secret_is_never_in_repr_or_status(tmp_path: Path) -> None:
    login(tmp_path, api_key=SK)
    s = settings(tmp_path)
    creds = resolve_credentials(s, {})
    assert KEY_SECRET not in repr(creds)
    status = describe_status(s, creds)
    assert KEY_SECRET not in repr(status)
    assert status["auth"] == "api_key"
    assert (status["key_sid"], status["key_sid_source"]) == (SK, "config:default")
    assert status["secret_source"] == "keyring"


def test_credentials_repr_hides_the_secret() -> None:
    creds = Credentials(
        account_sid=AC,
        account_sid_source="x",
        username=AC,
        username_source="x",
        secret=TOKEN,
        secret_source="y",
        target_account_sid=AC,
    )
    assert TOKEN not in repr(creds)
    assert TOKEN not in str(creds.describe())
