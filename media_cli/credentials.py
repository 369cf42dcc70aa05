"""Credential resolution: flag > env > config file + keyring, each value with its source."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from media_cli.config import Settings
from media_cli.errors import CredentialsError
from media_cli.sids import check_sid


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

    raise CredentialsError(
        "no credentials found",
        hint=(
            "run `media-cli auth login`, or set TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN "
            "(or TWILIO_API_KEY and TWILIO_API_SECRET)"
        ),
    )
