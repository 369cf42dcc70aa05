"""Config directory, config file (0600, non-secrets only), base URLs and region/edge rewriting."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from media_cli.config import (
    CONFIG_FILE_NAME,
    check_base_url,
    check_profile_name,
    config_dir,
    dump_config,
    load_settings,
    read_config,
    remove_profile,
    rewrite_host,
    save_profile,
    write_config,
)
from media_cli.errors import EXIT_USAGE, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - only on 3.10
    import tomli as tomllib

AC = "AC" + "a" * 32
SK = "SK" + "b" * 32


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- config_dir -----------------------------------------------------------------------------


def test_config_dir_honours_the_override(tmp_path: Path) -> None:
    assert config_dir({"MEDIA_CLI_CONFIG_DIR": str(tmp_path / "x")}) == tmp_path / "x"


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="XDG applies on Linux/BSD")
def test_config_dir_follows_xdg(tmp_path: Path) -> None:
    assert config_dir({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "media-cli"


# -- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["default", "work", "prod-eu.1", "a_b", "x" * 64])
def test_plain_profile_names_are_accepted(name: str) -> None:
    assert check_profile_name(name) == name


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, 'a"b', "a]b", "../etc", "é"])
def test_odd_profile_names_are_usage_errors(name: str) -> None:
    with pytest.raises(UsageError) as info:
        check_profile_name(name)
    assert info.value.exit_code == EXIT_USAGE


# -- region / edge --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "region", "edge", "expected"),
    [
        ("https://api.twilio.com", "ie1", "dublin", "https://api.dublin.ie1.twilio.com"),
        ("https://api.twilio.com", "ie1", None, "https://api.ie1.twilio.com"),
        ("https://api.twilio.com", None, "sydney", "https://api.sydney.us1.twilio.com"),
        ("https://mcs.us1.twilio.com", "ie1", None, "https://mcs.ie1.twilio.com"),
        ("https://mcs.us1.twilio.com", None, "dublin", "https://mcs.dublin.us1.twilio.com"),
        ("https://mcs.us1.twilio.com", "au1", "sydney", "https://mcs.sydney.au1.twilio.com"),
        ("https://api.twilio.com", None, None, "https://api.twilio.com"),
        # Not a Twilio host: left alone.
        ("http://127.0.0.1:8080", "ie1", "dublin", "http://127.0.0.1:8080"),
        ("https://example.com", "ie1", None, "https://example.com"),
    ],
)
def test_rewrite_host_like_twilios_libraries(
    url: str, region: str | None, edge: str | None, expected: str
) -> None:
    assert rewrite_host(url, region=region, edge=edge) == expected


@pytest.mark.parametrize(("region", "edge"), [("IE1", None), (None, "dub lin"), ("a.b", None)])
def test_rewrite_host_rejects_odd_regions_and_edges(region: str | None, edge: str | None) -> None:
    with pytest.raises(UsageError):
        rewrite_host("https://api.twilio.com", region=region, edge=edge)


# -- base URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.twilio.com/", "https://api.twilio.com"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("http://localhost:5000/", "http://localhost:5000"),
        ("http://[::1]:5000", "http://[::1]:5000"),
    ],
)
def test_check_base_url_accepts_https_and_loopback_http(url: str, expected: str) -> None:
    assert check_base_url(url, what="API URL") == expected


@pytest.mark.parametrize(
    "url", ["http://api.twilio.com", "http://10.0.0.5:8080", "http://127.0.0.1.example.com"]
)
def test_plain_http_to_another_host_needs_insecure(url: str) -> None:
    with pytest.raises(UsageError) as info:
        check_base_url(url, what="API URL")
    assert info.value.exit_code == EXIT_USAGE
    assert "--insecure" in (info.value.hint or "")
    assert check_base_url(url, what="API URL", insecure=True) == url


@pytest.mark.parametrize("url", ["ftp://127.0.0.1", "api.twilio.com", "https://", ""])
def test_check_base_url_rejects_non_http_urls(url: str) -> None:
    with pytest.raises(UsageError):
        check_base_url(url, what="API URL", insecure=True)


# -- load_settings --------------------------------------------------------------------------


def test_defaults(tmp_path: Path) -> None:
    s = load_settings(
        profile=None,
        api_url=None,
        mcs_url=None,
        region=None,
        edge=None,
        environ={"MEDIA_CLI_CONFIG_DIR": str(tmp_path)},
    )
    assert (s.profile, s.profile_source) == ("default", "default")
    assert (s.api_url, s.api_url_source) == ("https://api.twilio.com", "default")
    assert (s.mcs_url, s.mcs_url_source) == ("https://mcs.us1.twilio.com", "default")
    assert s.config_file == tmp_path / CONFIG_FILE_NAME
    assert (s.retry_attempts, s.retry_backoff) == (6, 0.5)


def test_region_and_edge_rewrite_both_default_hosts(tmp_path: Path) -> None:
    s = load_settings(
        profile=None,
        api_url=None,
        mcs_url=None,
        region="ie1",
        edge="dublin",
        environ={"MEDIA_CLI_CONFIG_DIR": str(tmp_path)},
    )
    assert s.api_url == "https://api.dublin.ie1.twilio.com"
    assert s.mcs_url == "https://mcs.dublin.ie1.twilio.com"
    assert s.api_url_source == "region/edge"


def test_region_is_ignored_when_a_url_is_given(tmp_path: Path) -> None:
    s = load_settings(
        profile=None,
        api_url="http://127.0.0.1:9",
        mcs_url=None,
        region="ie1",
        edge=None,
        environ={"MEDIA_CLI_CONFIG_DIR": str(tmp_path)},
    )
    assert (s.api_url, s.api_url_source) == ("http://127.0.0.1:9", "flag:--api-url")
    assert s.mcs_url == "https://mcs.ie1.twilio.com"


def test_env_region_and_urls(tmp_path: Path) -> None:
    env = {
        "MEDIA_CLI_CONFIG_DIR": str(tmp_path),
        "TWILIO_EDGE": "sydney",
        "MEDIA_CLI_MCS_URL": "http://localhost:7",
    }
    s = load_settings(profile=None, api_url=None, mcs_url=None, region=None, edge=None, environ=env)
    assert s.api_url == "https://api.sydney.us1.twilio.com"
    assert (s.mcs_url, s.mcs_url_source) == ("http://localhost:7", "env:MEDIA_CLI_MCS_URL")


def test_flag_beats_env_beats_profile(tmp_path: Path) -> None:
    save_profile(
        tmp_path / CONFIG_FILE_NAME,
        "work",
        {"account_sid": AC, "api_url": "http://127.0.0.1:1", "region": "au1"},
    )
    base = {"MEDIA_CLI_CONFIG_DIR": str(tmp_path), "MEDIA_CLI_PROFILE": "work"}
    from_profile = load_settings(
        profile=None, api_url=None, mcs_url=None, region=None, edge=None, environ=base
    )
    assert (from_profile.profile, from_profile.profile_source) == ("work", "env:MEDIA_CLI_PROFILE")
    assert (from_profile.api_url, from_profile.api_url_source) == (
        "http://127.0.0.1:1",
        "config:work",
    )
    assert from_profile.mcs_url == "https://mcs.au1.twilio.com"  # the profile's region
    from_env = load_settings(
        profile=None,
        api_url=None,
        mcs_url=None,
        region=None,
        edge=None,
        environ={**base, "MEDIA_CLI_API_URL": "http://127.0.0.1:2"},
    )
    assert (from_env.api_url, from_env.api_url_source) == (
        "http://127.0.0.1:2",
        "env:MEDIA_CLI_API_URL",
    )
    from_flag = load_settings(
        profile="other",
        api_url="http://127.0.0.1:3",
        mcs_url=None,
        region=None,
        edge=None,
        environ={**base, "MEDIA_CLI_API_URL": "http://127.0.0.1:2"},
    )
    assert (from_flag.profile, from_flag.profile_source) == ("other", "flag:--profile")
    assert (from_flag.api_url, from_flag.api_url_source) == ("http://127.0.0.1:3", "flag:--api-url")


def test_a_flag_value_that_typer_took_from_env_is_labelled_env(tmp_path: Path) -> None:
    env = {
        "MEDIA_CLI_CONFIG_DIR": str(tmp_path),
        "MEDIA_CLI_API_URL": "http://127.0.0.1:5",
        "MEDIA_CLI_PROFILE": "p",
    }
    s = load_settings(
        profile="p", api_url="http://127.0.0.1:5", mcs_url=None, region=None, edge=None, environ=env
    )
    assert (s.api_url_source, s.profile_source) == (
        "env:MEDIA_CLI_API_URL",
        "env:MEDIA_CLI_PROFILE",
    )


def test_default_profile_from_the_config_file(tmp_path: Path) -> None:
    write_config(
        tmp_path / CONFIG_FILE_NAME,
        {"default_profile": "eu", "profiles": {"eu": {"account_sid": AC, "region": "ie1"}}},
    )
    s = load_settings(
        profile=None,
        api_url=None,
        mcs_url=None,
        region=None,
        edge=None,
        environ={"MEDIA_CLI_CONFIG_DIR": str(tmp_path)},
    )
    assert (s.profile, s.profile_source) == ("eu", "config:default_profile")
    assert s.region == "ie1"
    assert s.api_url == "https://api.ie1.twilio.com"


def test_plain_http_api_url_to_another_host_is_refused(tmp_path: Path) -> None:
    env = {"MEDIA_CLI_CONFIG_DIR": str(tmp_path)}
    with pytest.raises(UsageError, match="plain-http"):
        load_settings(
            profile=None,
            api_url="http://api.example.com",
            mcs_url=None,
            region=None,
            edge=None,
            environ=env,
        )
    s = load_settings(
        profile=None,
        api_url="http://api.example.com",
        mcs_url=None,
        region=None,
        edge=None,
        environ={**env, "MEDIA_CLI_INSECURE": "1"},
    )
    assert s.insecure
    assert s.api_url == "http://api.example.com"


@pytest.mark.parametrize(
    ("name", "value"),
    [("MEDIA_CLI_RETRY_BACKOFF", "soon"), ("MEDIA_CLI_RETRIES", "0"), ("MEDIA_CLI_TIMEOUT", "-1")],
)
def test_bad_numbers_in_env_are_usage_errors(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(UsageError, match=name):
        load_settings(
            profile=None,
            api_url=None,
            mcs_url=None,
            region=None,
            edge=None,
            environ={"MEDIA_CLI_CONFIG_DIR": str(tmp_path), name: value},
        )


def test_env_numbers(tmp_path: Path) -> None:
    env = {
        "MEDIA_CLI_CONFIG_DIR": str(tmp_path),
        "MEDIA_CLI_RETRY_BACKOFF": "0",
        "MEDIA_CLI_RETRIES": "2",
        "MEDIA_CLI_TIMEOUT": "1.5",
    }
    s = load_settings(profile=None, api_url=None, mcs_url=None, region=None, edge=None, environ=env)
    assert (s.retry_backoff, s.retry_attempts, s.timeout) == (0.0, 2, 1.5)


def test_a_bad_profile_name_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="profile name"):
        load_settings(
            profile="../x",
            api_url=None,
            mcs_url=None,
            region=None,
            edge=None,
            environ={"MEDIA_CLI_CONFIG_DIR": str(tmp_path)},
        )


# -- the config file ------------------------------------------------------------------------


def test_write_config_is_0600_in_a_0700_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / CONFIG_FILE_NAME
    write_config(path, {"profiles": {"default": {"account_sid": AC}}})
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [CONFIG_FILE_NAME]  # no .tmp left
    assert read_config(path) == {"profiles": {"default": {"account_sid": AC}}}


def test_rewriting_a_loose_file_tightens_it(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_FILE_NAME
    path.write_text('default_profile = "x"\n', encoding="utf-8")
    path.chmod(0o644)
    save_profile(path, "x", {"account_sid": AC})
    assert _mode(path) == 0o600
    assert read_config(path)["default_profile"] == "x"


def test_read_config_missing_and_broken(tmp_path: Path) -> None:
    assert read_config(tmp_path / "absent.toml") == {}
    broken = tmp_path / CONFIG_FILE_NAME
    broken.write_text("[profiles.default\naccount_sid = 1\n", encoding="utf-8")
    with pytest.raises(UsageError, match="cannot read config file"):
        read_config(broken)


def test_save_profile_keeps_other_profiles_and_drops_empty_values(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_FILE_NAME
    save_profile(path, "a", {"account_sid": AC, "api_key": SK, "region": "ie1"})
    save_profile(path, "b", {"account_sid": AC, "api_key": None, "edge": ""})
    save_profile(path, "a", {"account_sid": AC, "api_key": None})
    assert read_config(path) == {"profiles": {"a": {"account_sid": AC}, "b": {"account_sid": AC}}}


@pytest.mark.parametrize("key", ["auth_token", "api_secret", "secret", "password"])
def test_save_profile_refuses_keys_that_could_hold_a_secret(tmp_path: Path, key: str) -> None:
    path = tmp_path / CONFIG_FILE_NAME
    with pytest.raises(UsageError, match=key):
        save_profile(path, "a", {"account_sid": AC, key: "hunter2"})
    assert not path.exists()


def test_remove_profile(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_FILE_NAME
    assert remove_profile(path, "a") is False  # no file at all
    write_config(
        path,
        {"default_profile": "a", "profiles": {"a": {"account_sid": AC}, "b": {"account_sid": AC}}},
    )
    assert remove_profile(path, "a") is True
    assert read_config(path) == {"profiles": {"b": {"account_sid": AC}}}
    assert remove_profile(path, "a") is False
    assert _mode(path) == 0o600


_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=0, max_size=30).filter(
    lambda s: s != ""
)


@given(
    top=st.dictionaries(st.from_regex(r"[a-z_]{1,10}", fullmatch=True), _text, max_size=3),
    profiles=st.dictionaries(
        st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True),
        st.dictionaries(st.sampled_from(["account_sid", "api_key", "region"]), _text, max_size=3),
        max_size=3,
    ),
)
def test_dump_config_round_trips_through_a_toml_parser(
    top: dict[str, str], profiles: dict[str, dict[str, str]]
) -> None:
    top.pop("profiles", None)
    data: dict[str, object] = {**top, "profiles": profiles}
    parsed = tomllib.loads(dump_config(data))
    assert parsed == ({**top, "profiles": profiles} if profiles else top)
