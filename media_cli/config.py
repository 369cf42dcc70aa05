"""Config directory, config file (non-secrets only) and the API base URLs."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from media_cli.errors import UsageError

DEFAULT_API_URL: Final = "https://api.twilio.com"
DEFAULT_MCS_URL: Final = "https://mcs.us1.twilio.com"
DEFAULT_PROFILE: Final = "default"
CONFIG_FILE_NAME: Final = "config.toml"
_PROFILE_NAME: Final = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_REGION: Final = re.compile(r"^[a-z0-9-]{1,32}$")
# Hosts that may be reached over plain http without --insecure.
_LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})


def config_dir(environ: dict[str, str] | None = None) -> Path:
    """``MEDIA_CLI_CONFIG_DIR``, else the platform's per-user config folder."""
    env = os.environ if environ is None else environ
    override = env.get("MEDIA_CLI_CONFIG_DIR")
    if override:
        return Path(override)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "media-cli"
    if sys.platform == "win32":
        base = env.get("APPDATA") or str(Path.home())
        return Path(base) / "media-cli"
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "media-cli"


def check_profile_name(name: str) -> str:
    """Profile names become TOML keys and keyring entries: keep them plain."""
    if not _PROFILE_NAME.match(name):
        raise UsageError(
            f"invalid profile name {name!r}: use letters, digits, '.', '_' or '-' (at most 64)"
        )
    return name


def check_region(value: str | None, *, what: str) -> str | None:
    """A region or edge becomes part of a host name: lower-case letters, digits and '-'."""
    if value is not None and not _REGION.fullmatch(value):
        raise UsageError(f"invalid {what} {value!r}: use lower-case letters, digits and '-'")
    return value


def rewrite_host(url: str, *, region: str | None, edge: str | None) -> str:
    """Rewrite a ``product[.region].twilio.com`` URL for a region/edge, as Twilio's libraries do.

    ``api.twilio.com`` with region ie1 and edge dublin becomes ``api.dublin.ie1.twilio.com``;
    an edge without a region implies ``us1``.
    """
    if not region and not edge:
        return url
    check_region(region, what="region")
    check_region(edge, what="edge")
    parts = urlsplit(url)
    host = parts.hostname or ""
    pieces = host.split(".")
    if len(pieces) < 3 or pieces[-2:] != ["twilio", "com"]:
        return url
    product = pieces[0]
    existing_region = pieces[-3] if len(pieces) >= 4 else None
    chosen_region = region or existing_region or "us1"
    new_host = ".".join(p for p in (product, edge, chosen_region, "twilio", "com") if p)
    return parts._replace(netloc=new_host).geturl()


def check_base_url(url: str, *, what: str, insecure: bool = False) -> str:
    """A base URL must be http(s) with a host; plain http only to loopback or with --insecure."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"invalid {what} {url!r}: expected http(s)://host[:port]")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS and not insecure:
        raise UsageError(
            f"refusing plain-http {what} {url!r} to a non-loopback host",
            hint="credentials would cross the network unencrypted; pass --insecure to allow it",
        )
    return url.rstrip("/")


@dataclass(frozen=True)
class Settings:
    """Everything that decides where media-cli talks to, with where each value came from."""

    profile: str
    profile_source: str
    api_url: str
    api_url_source: str
    mcs_url: str
    mcs_url_source: str
    region: str | None
    edge: str | None
    config_dir: Path
    account_sid_flag: str | None = None
    debug: bool = False
    quiet: bool = False
    insecure: bool = False
    retry_attempts: int = 6
    retry_backoff: float = 0.5
    timeout: float = 60.0
    # The proxy variables that were set (curl's names), for the HTTP transport.
    proxy_env: tuple[tuple[str, str], ...] = ()

    @property
    def config_file(self) -> Path:
        return self.config_dir / CONFIG_FILE_NAME


def read_config(path: Path) -> dict[str, Any]:
    """The parsed config file, or ``{}`` when there is none."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised only on 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read config file {path}: {exc}") from exc
    return dict(data)


def profile_section(data: dict[str, Any], profile: str) -> dict[str, Any]:
    """The ``[profiles.NAME]`` table, or ``{}``."""
    profiles = data.get("profiles")
    if not isinstance(profiles, dict):
        return {}
    section = profiles.get(profile)
    return section if isinstance(section, dict) else {}


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    # TOML forbids raw control characters (U+0000-U+001F and DEL) in basic strings.
    escaped = "".join(c if " " <= c != "\x7f" else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


_BARE_KEY: Final = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_scalar(value: object) -> str | None:
    """A string, boolean or number as TOML; None for what we do not write (nested values)."""
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)  # repr of inf/nan is TOML's inf/nan too
    return None


def dump_config(data: dict[str, Any]) -> str:
    """Write the small subset of TOML we use: top-level scalars and ``[profiles.NAME]``
    tables of scalars (keys quoted when they need it, so a hand-edited file survives)."""
    lines = ["# media-cli configuration. Secrets are never stored here: they live in the keyring."]
    for key, value in data.items():
        text = _toml_scalar(value)
        if text is not None:
            lines.append(f"{_toml_key(key)} = {text}")
    profiles = data.get("profiles")
    if isinstance(profiles, dict):
        for name, section in profiles.items():
            if not isinstance(section, dict):
                continue
            lines.append("")
            lines.append(f"[profiles.{_toml_string(name)}]")
            for key, value in section.items():
                text = _toml_scalar(value)
                if text is not None:
                    lines.append(f"{_toml_key(key)} = {text}")
    return "\n".join(lines) + "\n"


def write_config(path: Path, data: dict[str, Any]) -> None:
    """Write the config file atomically, created 0600 in a 0700 folder."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(dump_config(data))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


# The keys a ``[profiles.NAME]`` table may hold. Secrets are never among them: they live in
# the keyring (service ``media-cli``, username = the profile name).
PROXY_VARIABLES: Final = (
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
)
PROFILE_KEYS: Final = ("account_sid", "api_key", "region", "edge", "api_url", "mcs_url")


def save_profile(path: Path, profile: str, values: dict[str, str | None]) -> None:
    """Replace ``[profiles.NAME]`` with ``values`` (non-secrets only), keeping other profiles.

    The file is written 0600 in a 0700 folder (see ``write_config``).
    """
    check_profile_name(profile)
    unknown = sorted(set(values) - set(PROFILE_KEYS))
    if unknown:
        # A guard against a caller ever passing a secret through: only known keys are written.
        raise UsageError(f"unknown profile keys: {', '.join(unknown)}")
    data = read_config(path)
    profiles = data.get("profiles")
    if not isinstance(profiles, dict):
        profiles = {}
    profiles[profile] = {key: value for key, value in values.items() if value}
    data["profiles"] = profiles
    write_config(path, data)


def remove_profile(path: Path, profile: str) -> bool:
    """Drop ``[profiles.NAME]``; True when there was one. A missing file is not an error."""
    data = read_config(path)
    profiles = data.get("profiles")
    if not isinstance(profiles, dict) or profile not in profiles:
        return False
    del profiles[profile]
    if data.get("default_profile") == profile:
        del data["default_profile"]
    write_config(path, data)
    return True


def load_settings(
    *,
    profile: str | None,
    api_url: str | None,
    mcs_url: str | None,
    region: str | None,
    edge: str | None,
    account_sid: str | None = None,
    debug: bool = False,
    quiet: bool = False,
    insecure: bool = False,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Resolve where to talk to: flags over env, env over the profile, the profile over defaults.

    ``api_url``/``mcs_url``/``profile``/``region``/``edge`` given here are the flag values
    (typer has already merged their env vars when they have one).
    """
    env = os.environ if environ is None else environ
    directory = config_dir(dict(env))
    data = read_config(directory / CONFIG_FILE_NAME)
    # typer merges an option's env var into the flag value; name the env var when it matches.
    if profile:
        chosen_profile = profile
        profile_source = (
            "env:MEDIA_CLI_PROFILE" if env.get("MEDIA_CLI_PROFILE") == profile else "flag:--profile"
        )
    elif env.get("MEDIA_CLI_PROFILE"):
        chosen_profile, profile_source = env["MEDIA_CLI_PROFILE"], "env:MEDIA_CLI_PROFILE"
    else:
        stored = data.get("default_profile")
        if isinstance(stored, str) and stored:
            chosen_profile, profile_source = stored, "config:default_profile"
        else:
            chosen_profile, profile_source = DEFAULT_PROFILE, "default"
    check_profile_name(chosen_profile)
    section = profile_section(data, chosen_profile)

    chosen_region = region or env.get("TWILIO_REGION") or _str(section.get("region"))
    chosen_edge = edge or env.get("TWILIO_EDGE") or _str(section.get("edge"))

    def pick(flag: str | None, env_name: str, key: str, default: str) -> tuple[str, str]:
        if flag and env.get(env_name) != flag:
            return flag, f"flag:--{key.replace('_', '-')}"
        if env.get(env_name):
            return env[env_name], f"env:{env_name}"
        stored = _str(section.get(key))
        if stored:
            return stored, f"config:{chosen_profile}"
        return rewrite_host(default, region=chosen_region, edge=chosen_edge), (
            "region/edge" if (chosen_region or chosen_edge) else "default"
        )

    api, api_source = pick(api_url, "MEDIA_CLI_API_URL", "api_url", DEFAULT_API_URL)
    mcs, mcs_source = pick(mcs_url, "MEDIA_CLI_MCS_URL", "mcs_url", DEFAULT_MCS_URL)
    is_insecure = insecure or bool(env.get("MEDIA_CLI_INSECURE"))
    attempts = _env_number(env, "MEDIA_CLI_RETRIES", 6, minimum=1, maximum=100)
    return Settings(
        profile=chosen_profile,
        profile_source=profile_source,
        api_url=check_base_url(api, what="API URL", insecure=is_insecure),
        api_url_source=api_source,
        mcs_url=check_base_url(mcs, what="MCS URL", insecure=is_insecure),
        mcs_url_source=mcs_source,
        region=chosen_region,
        edge=chosen_edge,
        config_dir=directory,
        account_sid_flag=account_sid,
        debug=debug,
        quiet=quiet,
        insecure=is_insecure,
        retry_attempts=int(attempts),
        retry_backoff=_env_number(env, "MEDIA_CLI_RETRY_BACKOFF", 0.5, minimum=0, maximum=600),
        timeout=_env_number(env, "MEDIA_CLI_TIMEOUT", 60.0, minimum=0.1, maximum=3600),
        proxy_env=tuple((name, env[name]) for name in PROXY_VARIABLES if env.get(name)),
    )


def _env_number(
    env: Mapping[str, str],
    name: str,
    default: float,
    *,
    minimum: float,
    maximum: float,
) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise UsageError(f"invalid {name}={raw!r}: expected a number") from exc
    if not minimum <= value <= maximum:
        raise UsageError(f"invalid {name}={raw!r}: must be between {minimum} and {maximum}")
    return value


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
