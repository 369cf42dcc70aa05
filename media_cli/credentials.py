"""Credential resolution: flag > env > config file + keyring, each value with its source.

A profile's secret (its auth token, or its API key's secret when the profile has an
``api_key``) is stored in the system keyring under service ``media-cli`` with the profile
name as the username; the ``[profiles.NAME]`` table of the config file holds the rest.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from media_cli.config import Settings, profile_section, read_config
from media_cli.errors import CredentialsError, KeyringError
from media_cli.sids import check_sid

KEYRING_SERVICE: Final = "media-cli"
KEYRING_HINT: Final = (
    "no usable system keyring: install or unlock one (see https://pypi.org/project/keyring), "
    "or set TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)"
)


@dataclass(frozen=True)
class Credentials:
    """Who we authenticate as, and which account's media we act on.

    ``username`` is the account SID (auth token) or the API key SID (key/secret).
    ``secret`` is never printed: ``repr`` hides it.
    """

    account_sid: str
    account_sid_source: str
    username: str
    username_source: str
    secret: str = field(repr=False)
    secret_source: str
    target_account_sid: str

    @property
    def is_api_key(self) -> bool:
        return self.username.startswith("SK")

    def describe(self) -> dict[str, str]:
        """What `auth status` and --debug may show: never the secret."""
        return {
            "account_sid": self.account_sid,
            "account_sid_source": self.account_sid_source,
            "auth": "api_key" if self.is_api_key else "auth_token",
            "username": self.username,
            "username_source": self.username_source,
            "secret_source": self.secret_source,
            "target_account_sid": self.target_account_sid,
        }


def resolve_credentials(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> Credentials:
    """Find credentials; the first match wins.

    1. flags: ``--account-sid`` (the account to act on; secrets are never flags)
    2. env: ``TWILIO_ACCOUNT_SID`` with ``TWILIO_API_KEY``+``TWILIO_API_SECRET`` or
       ``TWILIO_AUTH_TOKEN``
    3. the profile in the config file (non-secrets) with its secret in the keyring
    4. otherwise CredentialsError with a hint
    """
    env = os.environ if environ is None else environ
    # 1. flags: --account-sid picks the target account (a subaccount is fine); it never
    #    carries a secret, so authentication still comes from the steps below.
    flag_account = settings.account_sid_flag
    if flag_account:
        check_sid("account", flag_account)

    # 2. env
    env_account = env.get("TWILIO_ACCOUNT_SID")
    api_key, api_secret = env.get("TWILIO_API_KEY"), env.get("TWILIO_API_SECRET")
    token = env.get("TWILIO_AUTH_TOKEN")
    if env_account or api_key or token:
        account = env_account or flag_account
        account_source = "env:TWILIO_ACCOUNT_SID" if env_account else "flag:--account-sid"
        if not account:
            raise CredentialsError(
                "TWILIO_ACCOUNT_SID is not set",
                hint="set TWILIO_ACCOUNT_SID (or pass --account-sid) along with the secret",
            )
        check_sid("account", account)
        if api_key:
            check_sid("api key", api_key)
            if not api_secret:
                raise CredentialsError(
                    "TWILIO_API_KEY is set but TWILIO_API_SECRET is not",
                    hint="set TWILIO_API_SECRET, or unset TWILIO_API_KEY to use TWILIO_AUTH_TOKEN",
                )
            return Credentials(
                account_sid=account,
                account_sid_source=account_source,
                username=api_key,
                username_source="env:TWILIO_API_KEY",
                secret=api_secret,
                secret_source="env:TWILIO_API_SECRET",  # noqa: S106 - a source label, not a secret
                target_account_sid=flag_account or account,
            )
        if token:
            return Credentials(
                account_sid=account,
                account_sid_source=account_source,
                username=account,
                username_source=account_source,
                secret=token,
                secret_source="env:TWILIO_AUTH_TOKEN",  # noqa: S106 - a source label, not a secret
                target_account_sid=flag_account or account,
            )
        raise CredentialsError(
            "TWILIO_ACCOUNT_SID is set but no secret is",
            hint="set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET",
        )

    # 3. the profile in the config file, its secret in the keyring
    from_profile = _profile_credentials(settings, flag_account)
    if from_profile is not None:
        return from_profile

    # 4. nothing found
    raise CredentialsError(
        "no credentials found",
        hint=(
            "run `media-cli auth login`, or set TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN "
            "(or TWILIO_API_KEY and TWILIO_API_SECRET)"
        ),
    )


def _profile_credentials(settings: Settings, flag_account: str | None) -> Credentials | None:
    """Step 3: ``[profiles.NAME]`` plus its keyring secret; None when the profile is absent."""
    section = profile_section(read_config(settings.config_file), settings.profile)
    account = section.get("account_sid")
    if not section or not isinstance(account, str) or not account:
        if settings.profile_source != "default":
            raise CredentialsError(
                f"profile {settings.profile!r} ({settings.profile_source}) has no account_sid "
                f"in {settings.config_file}",
                hint=f"run `media-cli --profile {settings.profile} auth login`",
            )
        return None
    check_sid("account", account)
    source = f"config:{settings.profile}"
    api_key = section.get("api_key")
    if api_key is not None and (not isinstance(api_key, str) or not api_key):
        api_key = None
    if api_key is not None:
        check_sid("api key", api_key)
    lookup = get_secret(settings.profile)
    if lookup.secret is None:
        if lookup.problem is not None:
            raise CredentialsError(
                f"profile {settings.profile!r}: cannot read its secret from the keyring "
                f"({lookup.problem})",
                hint=KEYRING_HINT,
            )
        raise CredentialsError(
            f"profile {settings.profile!r} has no secret in the keyring "
            f"(service {KEYRING_SERVICE!r})",
            hint=f"run `media-cli --profile {settings.profile} auth login` to store it again",
        )
    return Credentials(
        account_sid=account,
        account_sid_source=source,
        username=api_key or account,
        username_source=source,
        secret=lookup.secret,
        secret_source="keyring",  # noqa: S106 - a source label, not a secret
        target_account_sid=flag_account or account,
    )


# -- keyring ------------------------------------------------------------------------------
# Every keyring call goes through these wrappers: a missing backend, a locked or broken one,
# or a keyring that is not even importable counts as "absent" and never becomes a traceback.


@dataclass(frozen=True)
class SecretLookup:
    """A keyring read: the secret, or None with ``problem`` set when the keyring failed."""

    secret: str | None = field(repr=False)
    problem: str | None = None


def _describe(exc: BaseException) -> str:
    """A keyring failure as one short line (its type and first line; never a secret)."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return text[:200]


def get_secret(profile: str) -> SecretLookup:
    """The profile's secret from the keyring; a failing keyring is absent, with the reason."""
    try:
        import keyring

        secret = keyring.get_password(KEYRING_SERVICE, profile)
    # Any backend failure (NoKeyringError, a locked D-Bus secret service, an ImportError of
    # the keyring package itself) must read as "absent", never as a traceback.
    except Exception as exc:
        return SecretLookup(None, _describe(exc))
    return SecretLookup(secret or None)


def store_secret(profile: str, secret: str) -> None:
    """Save the profile's secret in the keyring, or raise KeyringError (exit 4)."""
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, profile, secret)
    except Exception as exc:  # any backend failure: reported, not a traceback
        raise KeyringError(
            f"cannot store the secret in the system keyring ({_describe(exc)})",
            hint=KEYRING_HINT,
        ) from None


def delete_secret(profile: str) -> bool:
    """Remove the profile's secret: True if one was removed, False if there was none.

    A keyring with no usable backend holds nothing, so that is False too; any other keyring
    failure raises KeyringError, since a secret might be left behind.
    """
    try:
        import keyring
        from keyring.errors import NoKeyringError, PasswordDeleteError
    except Exception:  # the keyring package cannot even load: nothing can be stored there
        return False
    try:
        if keyring.get_password(KEYRING_SERVICE, profile) is None:
            return False
        keyring.delete_password(KEYRING_SERVICE, profile)
    except (NoKeyringError, PasswordDeleteError):
        return False
    except Exception as exc:  # a locked or broken backend: say so, do not pretend it is gone
        raise KeyringError(
            f"cannot remove the secret from the system keyring ({_describe(exc)})",
            hint="unlock the keyring and run `media-cli auth logout` again",
        ) from None
    return True


# -- auth login / status / logout ---------------------------------------------------------


def save_login(
    settings: Settings,
    *,
    account_sid: str,
    api_key: str | None,
    secret: str,
    region: str | None = None,
    edge: str | None = None,
) -> None:
    """Store a profile: the secret in the keyring first, then the non-secrets in the config.

    If the keyring refuses the secret, the config file is left as it was.
    """
    check_sid("account", account_sid)
    if api_key is not None:
        check_sid("api key", api_key)
    if not secret:
        raise CredentialsError("the secret is empty")
    from media_cli.config import check_region, save_profile

    check_region(region, what="region")
    check_region(edge, what="edge")

    previous = profile_section(read_config(settings.config_file), settings.profile)
    store_secret(settings.profile, secret)
    save_profile(
        settings.config_file,
        settings.profile,
        {
            "account_sid": account_sid,
            "api_key": api_key,
            "region": region,
            "edge": edge,
            # Keep a URL the user put in the profile by hand.
            "api_url": _text(previous.get("api_url")),
            "mcs_url": _text(previous.get("mcs_url")),
        },
    )


def forget_login(settings: Settings) -> tuple[bool, bool]:
    """Remove the profile's secret and its config table: (secret removed, table removed)."""
    from media_cli.config import remove_profile

    removed_table = remove_profile(settings.config_file, settings.profile)
    removed_secret = delete_secret(settings.profile)
    return removed_secret, removed_table


def describe_status(settings: Settings, credentials: Credentials) -> dict[str, str | None]:
    """What `auth status` shows: every value with its source, never the secret."""
    return {
        "profile": settings.profile,
        "profile_source": settings.profile_source,
        "account_sid": credentials.account_sid,
        "account_sid_source": credentials.account_sid_source,
        "target_account_sid": credentials.target_account_sid,
        "auth": "api_key" if credentials.is_api_key else "auth_token",
        "key_sid": credentials.username if credentials.is_api_key else None,
        "key_sid_source": credentials.username_source if credentials.is_api_key else None,
        "secret_source": credentials.secret_source,
        "api_url": settings.api_url,
        "api_url_source": settings.api_url_source,
        "mcs_url": settings.mcs_url,
        "mcs_url_source": settings.mcs_url_source,
        "region": settings.region,
        "edge": settings.edge,
        "config_file": str(settings.config_file),
    }


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
