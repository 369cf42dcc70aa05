"""Bad input, from users and from servers: a clear error with a documented exit code, never a crash.

Parsers are fuzzed with hypothesis (only UsageError or a value may come out); server bodies
(malformed JSON and XML, wrong shapes, a page whose next_page_uri points to itself) are served
through the emulator's `body` fault option and run through the CLI.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from media_cli.downloads import confine, render_layout, safe_filename
from media_cli.errors import UsageError
from media_cli.models import Media
from media_cli.sids import check_sid
from media_cli.timeparse import parse_day, parse_duration, parse_instant
from tests.support import cli_env, faults, invoke, seed, stats

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10))}
WINDOWS_DEVICES |= {f"LPT{i}" for i in range(10)}

# Text that looks like the inputs: SIDs, dates, durations, separators and odd characters.
nearly = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"(AC|MM|SM|ME|IS|SK)[0-9a-fA-FxZ]{0,34}\n?", fullmatch=True),
    st.from_regex(
        r"-?\d{1,7}-\d{1,3}-\d{1,3}([T ]\d{1,2}:\d{1,2}(:\d{1,2})?)?(Z|[+-]\d{2}:?\d{2})?",
        fullmatch=True,
    ),
    st.from_regex(r"\s*-?\d{0,12}\s*[smhdwySMHDWx]?\s*", fullmatch=True),
)


# -- parsers ----------------------------------------------------------------------------------


@FUZZ
@given(kind=st.sampled_from(["account", "message", "media", "service", "api key"]), text=nearly)
def test_check_sid(kind: str, text: str) -> None:
    try:
        value = check_sid(kind, text)
    except UsageError:
        return
    assert value == text
    assert len(value) == 34
    int(value[2:], 16)


@FUZZ
@given(text=nearly)
def test_parse_duration(text: str) -> None:
    try:
        value = parse_duration(text)
    except UsageError:
        return
    assert isinstance(value, timedelta)
    assert value > timedelta(0)


@FUZZ
@given(text=nearly)
def test_parse_instant(text: str) -> None:
    try:
        value = parse_instant(text)
    except UsageError:
        return
    assert isinstance(value, datetime)
    assert value.utcoffset() == timedelta(0)


@FUZZ
@given(text=nearly)
def test_parse_day(text: str) -> None:
    try:
        value = parse_day(text)
    except UsageError:
        return
    assert isinstance(value, date)


# -- layouts and server-supplied names ------------------------------------------------------------

SAMPLE = Media(
    sid="ME" + "1" * 32,
    account_sid="AC" + "2" * 32,
    parent_sid="MM" + "3" * 32,
    content_type="image/jpeg",
    date_created=datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    date_updated=None,
    uri="",
    content_url="",
)
layout_text = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "{sid}",
                "{ext}",
                "{message_sid}",
                "{account_sid}",
                "{content_type}",
                "{date_created:%Y/%m/%d}",
                "{date_sent:%H}",
                "{date_created:../..}",
                "{date_created:%Y/../../x}",
                "{sid!r}",
                "{0}",
                "{}",
                "{nope}",
                "{sid.x}",
                "{sid[0]}",
                "{",
                "}",
                "/",
                "..",
                ".",
                "\\",
                "C:",
                "~",
                "\x00",
                "//",
                "%2e%2e",
            ]
        ),
        st.text(max_size=8),
    ),
    max_size=8,
).map("".join)


@FUZZ
@given(layout=layout_text)
def test_layout_never_leaves_the_directory(layout: str, tmp_path: Path) -> None:
    base = tmp_path.resolve()
    try:
        target = confine(tmp_path, render_layout(layout, SAMPLE))
    except UsageError:
        return
    assert target.is_relative_to(base)
    assert target != base
    assert "\x00" not in str(target)


hostile_names = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.sampled_from(
            [
                "../",
                "..",
                "/",
                "\\",
                "/etc/passwd",
                "C:\\Windows\\",
                "\x00",
                ".",
                " ",
                "CON",
                "nul.txt",
                "COM1",
                "LPT9.jpg",
                "aux",
                "é",
                "😀",
                "\u202e",
                "\r\n",
                "a" * 250,
                ".jpg",
                "x",
                ":",
                "*?<>|",
            ]
        ),
        max_size=6,
    ).map("".join),
)


@FUZZ
@given(name=hostile_names)
def test_safe_filename(name: str) -> None:
    safe = safe_filename(name)
    assert safe
    assert "/" not in safe
    assert "\\" not in safe
    assert "\x00" not in safe
    assert not safe.startswith(".")
    assert safe not in (".", "..")
    assert len(safe.encode("utf-8")) <= 200
    assert not any(ord(c) < 32 for c in safe)
    assert safe.split(".")[0].strip().upper() not in WINDOWS_DEVICES
    assert PurePosixPath(safe).name == safe


# -- malformed server answers, end to end -------------------------------------------------------

OK_EXITS = {0, 1, 3, 4, 5}


def _assert_clear_error(stderr: str) -> None:
    """A human "media-cli: error: …" line, or the JSON modes' {"error": {...}} line."""
    docs = [json.loads(line) for line in stderr.splitlines() if line.startswith('{"error"')]
    assert "media-cli: error:" in stderr or docs, stderr
    for doc in docs:
        assert doc["error"]["code"]
        assert doc["error"]["message"]


def _message(info: dict[str, Any]) -> str:
    created = seed(
        info, {"messages": [{"date_sent": "2025-01-01T00:00:00Z", "media": [{"size": 100}]}]}
    )
    return str(created["messages"][0]["sid"])


def _self_page(path: str, key: str) -> str:
    return json.dumps(
        {
            key: [],
            "end": 0,
            "first_page_uri": path,
            "next_page_uri": path,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": None,
            "start": 0,
            "uri": path,
        }
    )


BODIES = [
    ("empty", "", "application/json"),
    ("not-json", "{not json", "application/json"),
    ("html", "<html><body>502 Bad Gateway</body></html>", "text/html"),
    ("xml", "<?xml version='1.0'?><TwilioResponse><Media/></TwilioResponse>", "application/xml"),
    ("array", "[1, 2, 3]", "application/json"),
    ("string", '"hello"', "application/json"),
    ("null", "null", "application/json"),
    (
        "list-not-array",
        json.dumps({"media_list": {"a": 1}, "next_page_uri": None}),
        "application/json",
    ),
    ("items-not-objects", json.dumps({"media_list": [1, "x", None]}), "application/json"),
    (
        "item-missing-fields",
        json.dumps({"media_list": [{}], "next_page_uri": None}),
        "application/json",
    ),
    (
        "item-wrong-types",
        json.dumps(
            {
                "media_list": [
                    {"sid": 5, "date_created": [], "content_type": {}, "uri": None, "parent_sid": 7}
                ],
                "next_page_uri": None,
            }
        ),
        "application/json",
    ),
    (
        "next-absolute",
        json.dumps(
            {"media_list": [{"sid": "ME" + "0" * 32}], "next_page_uri": "http://evil.example/x"}
        ),
        "application/json",
    ),
    (
        "next-not-string",
        json.dumps({"media_list": [{"sid": "ME" + "0" * 32}], "next_page_uri": 42}),
        "application/json",
    ),
    ("huge-number", '{"media_list": [], "page_size": 1e999999}', "application/json"),
    ("deep", "[" * 5000 + "]" * 5000, "application/json"),
    ("bad-utf8", "\udcff", "application/json"),
]


@pytest.mark.parametrize(("name", "body", "ctype"), BODIES, ids=[b[0] for b in BODIES])
@pytest.mark.parametrize("http_status", [200, 500])
def test_malformed_list_answers(
    name: str, body: str, ctype: str, http_status: int, emu: dict[str, Any], tmp_path: Path
) -> None:
    message_sid = _message(emu)
    rule = {"listener": "api", "path": r"/Media\.json", "status": http_status, "body": body}
    faults(emu, [{**rule, "content_type": ctype}])
    env = cli_env(emu, tmp_path, MEDIA_CLI_RETRIES="2")
    for args in (
        ["list", message_sid, "--json"],
        ["download", message_sid, "-d", str(tmp_path / "d")],
    ):
        result = invoke(args, env)
        assert "Traceback" not in result.stderr
        assert "unexpected" not in result.stderr, result.stderr
        assert result.exit_code in OK_EXITS, result.stderr
        if result.exit_code:
            _assert_clear_error(result.stderr)
        if args[0] == "list" and result.exit_code == 0:
            assert isinstance(json.loads(result.stdout), list)


@pytest.mark.parametrize(("name", "body", "ctype"), BODIES, ids=[b[0] for b in BODIES])
def test_malformed_fetch_and_upload_answers(
    name: str, body: str, ctype: str, emu: dict[str, Any], tmp_path: Path
) -> None:
    message_sid = _message(emu)
    media_sid = "ME" + "a" * 32
    upload = tmp_path / "f.txt"
    upload.write_text("hi")
    faults(
        emu,
        [
            {
                "listener": "api",
                "path": r"/Media/ME",
                "status": 200,
                "body": body,
                "content_type": ctype,
            },
            {"listener": "mcs", "status": 201, "body": body, "content_type": ctype},
        ],
    )
    env = cli_env(emu, tmp_path, MEDIA_CLI_RETRIES="2")
    runs = [
        ["fetch", message_sid, media_sid, "--json"],
        ["fetch", message_sid, media_sid, "--xml"],
        ["upload-chat", str(upload), "--service", emu["chat_service_sid"], "--json"],
    ]
    for args in runs:
        result = invoke(args, env)
        assert "Traceback" not in result.stderr
        assert "unexpected" not in result.stderr, result.stderr
        assert result.exit_code in OK_EXITS, (args, result.stderr)
        if result.exit_code:
            _assert_clear_error(result.stderr)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("command", ["list", "list-account", "download", "purge"])
def test_a_page_that_points_to_itself_ends_with_an_error(
    command: str, emu: dict[str, Any], tmp_path: Path
) -> None:
    """next_page_uri naming the page just read must not loop: exit 1 with a clear message."""
    message_sid = _message(emu)
    account = emu["account_sid"]
    if command in ("list", "download"):
        path = f"/2010-04-01/Accounts/{account}/Messages/{message_sid}/Media.json?PageSize=1&Page=1"
        body = json.loads(_self_page(path, "media_list"))
        body["media_list"] = [
            {
                "sid": "ME" + "b" * 32,
                "parent_sid": message_sid,
                "account_sid": account,
                "content_type": "image/png",
                "uri": path.split("Media.json")[0] + "Media/ME" + "b" * 32 + ".json",
            }
        ]
        pattern = r"/Media\.json"
    else:
        path = f"/2010-04-01/Accounts/{account}/Messages.json?PageSize=1&Page=1"
        body = json.loads(_self_page(path, "messages"))
        body["messages"] = [
            {
                "sid": message_sid,
                "account_sid": account,
                "num_media": "0",
                "date_sent": "Wed, 01 Jan 2025 00:00:00 +0000",
            }
        ]
        pattern = r"/Messages\.json"
    faults(emu, [{"listener": "api", "path": pattern, "status": 200, "body": json.dumps(body)}])
    env = cli_env(emu, tmp_path)
    args = {
        "list": ["list", message_sid, "--jsonl"],
        "list-account": ["list", "--sent-before", "2025-06-01", "--jsonl"],
        "download": ["download", message_sid, "-d", str(tmp_path / "d"), "--jsonl"],
        "purge": ["purge", "--sent-before", "2025-06-01", "--yes", "--jsonl"],
    }[command]
    result = invoke(args, env)
    assert "Traceback" not in result.stderr
    assert result.exit_code == 1, result.stderr
    assert "already read" in result.stderr
    hits = sum(
        sum(codes.values())
        for route, codes in stats(emu)["routes"].items()
        if ("Media.json" in route if pattern.startswith(r"/Media") else "Messages.json" in route)
    )
    assert hits == 2, f"{hits} list requests for a self-referencing page"
