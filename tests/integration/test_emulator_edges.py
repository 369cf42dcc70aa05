"""The emulator at its edges: odd filenames, quoted multipart names, dates out of range."""

from __future__ import annotations

import base64
import http.client
import json
import urllib.parse
from typing import Any

import pytest


def _call(
    base_url: str,
    method: str,
    target: str,
    info: dict[str, Any],
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh loopback connection, with the main account's Basic auth."""
    parts = urllib.parse.urlsplit(base_url)
    assert parts.hostname == "127.0.0.1"
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    token = base64.b64encode(f"{info['account_sid']}:{info['auth_token']}".encode()).decode()
    try:
        conn.request(
            method,
            target,
            body=body,
            headers={"Authorization": f"Basic {token}", **(headers or {})},
        )
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def _cdn_get(url: str) -> tuple[int, dict[str, str], bytes]:
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname == "127.0.0.1"
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}")
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def _upload(emu: dict[str, Any], body: bytes, content_type: str, query: str = "") -> dict[str, Any]:
    status, _, data = _call(
        emu["mcs_url"],
        "POST",
        f"/v1/Services/{emu['chat_service_sid']}/Media{query}",
        emu,
        body,
        {"Content-Type": content_type},
    )
    assert status == 201, data
    answer: dict[str, Any] = json.loads(data)
    return answer


@pytest.mark.parametrize("name", ["фото €.jpg", "emoji-😀.png", "café.gif"])
def test_non_latin1_filename_is_served(emu: dict[str, Any], name: str) -> None:
    """A chat media's filename that is not Latin-1 used to kill the connection on /Content
    (the Content-Disposition header could not be encoded) instead of serving the bytes."""
    item = _upload(emu, b"payload", "image/jpeg", "?Filename=" + urllib.parse.quote(name))
    assert item["filename"] == name
    status, headers, data = _call(emu["mcs_url"], "GET", item["links"]["content"], emu)
    assert status == 200
    assert data == b"payload"
    disposition = headers["content-disposition"]
    assert disposition.isascii()
    assert "filename*=UTF-8''" + urllib.parse.quote(name, safe="") in disposition
    status, headers, data = _cdn_get(item["links"]["content_direct_temporary"])
    assert status == 200
    assert data == b"payload"


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ('"a;b.jpg"', "a;b.jpg"),
        ('"semi; colon.png"', "semi; colon.png"),
        ('"x\\"y.gif"', 'x"y.gif'),
        ('"a\\b.jpg"', "a\\b.jpg"),
    ],
)
def test_multipart_quoted_filename_keeps_separators(
    emu: dict[str, Any], wire: str, expected: str
) -> None:
    """A quoted multipart filename containing ``;`` used to be cut at the ``;``."""
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="media"; filename='
        + wire.encode()
        + b"\r\nContent-Type: image/png\r\n\r\nHELLO\r\n--XX--\r\n"
    )
    item = _upload(emu, body, "multipart/form-data; boundary=XX")
    assert item["filename"] == expected
    assert item["content_type"] == "image/png"
    assert item["size"] == 5


@pytest.mark.parametrize(
    "value",
    ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00", "9999-12-31"],
)
def test_out_of_range_date_filter_is_400_not_500(emu: dict[str, Any], value: str) -> None:
    """A date filter at the edge of the calendar used to answer 500 (OverflowError)."""
    for key in ("DateSent>", "DateSent<", "DateSent"):
        query = urllib.parse.urlencode({key: value})
        status, _, data = _call(
            emu["api_url"],
            "GET",
            f"/2010-04-01/Accounts/{emu['account_sid']}/Messages.json?{query}",
            emu,
        )
        assert status in (200, 400), (key, data)
        if status == 400:
            assert json.loads(data)["code"] == 20001


@pytest.mark.parametrize(
    "argv",
    [
        ["--latency-ms", "-5"],
        ["--max-concurrency", "-1"],
        ["--retry-after", "-1"],
        ["--port", "70000"],
        ["--cdn-port", "-1"],
        ["--latency-ms", "nan"],
    ],
)
def test_python_m_emulator_refuses_bad_numbers_as_usage(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m media_cli.emulator --latency-ms -5`` (or a port over 65535) used to die
    with a ValueError/OverflowError traceback instead of a usage error."""
    from media_cli.emulator.__main__ import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert argv[0] in captured.err
    assert captured.out == ""


@pytest.mark.parametrize("name", ["a\x00b.jpg", "esc\x1b[31m.png", 'q"uote.gif', "back\\slash.pdf"])
def test_control_characters_never_reach_the_disposition_header(
    emu: dict[str, Any], name: str
) -> None:
    """Control characters (NUL, ESC) in a chat filename used to go raw into the
    Content-Disposition header; the exact name now travels percent-encoded in filename*."""
    item = _upload(emu, b"payload", "image/png", "?Filename=" + urllib.parse.quote(name))
    status, headers, data = _call(emu["mcs_url"], "GET", item["links"]["content"], emu)
    assert (status, data) == (200, b"payload")
    disposition = headers["content-disposition"]
    assert all(" " <= c < "\x7f" for c in disposition)
    assert disposition.endswith("filename*=UTF-8''" + urllib.parse.quote(name, safe=""))
