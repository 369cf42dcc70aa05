"""The emulator's MCS listener: raw and multipart uploads, reads, content, the 150 MB limit."""

from __future__ import annotations

import base64
import hashlib
import http.client
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.support import control

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
FIELDS = {
    "sid", "account_sid", "service_sid", "size", "content_type", "filename", "author",
    "category", "date_created", "date_upload_updated", "date_updated", "message_sid",
    "channel_sid", "url", "links",
}  # fmt: skip


@pytest.fixture
def session(emu: dict[str, Any]) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.auth = (emu["account_sid"], emu["auth_token"])
        yield s


def _media_url(emu: dict[str, Any], service: str | None = None) -> str:
    return f"{emu['mcs_url']}/v1/Services/{service or emu['chat_service_sid']}/Media"


def test_raw_upload_and_read_back(emu: dict[str, Any], session: requests.Session) -> None:
    data = bytes(range(256)) * 1000
    response = session.post(
        _media_url(emu),
        params={"Filename": "photo one.png"},
        data=data,
        headers={"Content-Type": "image/png"},
        timeout=30,
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == FIELDS
    assert body["sid"].startswith("ME")
    assert body["account_sid"] == emu["account_sid"]
    assert body["service_sid"] == emu["chat_service_sid"]
    assert body["size"] == len(data)
    assert body["content_type"] == "image/png"
    assert body["filename"] == "photo one.png"
    assert body["category"] == "media"
    assert body["message_sid"] is None
    assert body["channel_sid"] is None
    for key in ("date_created", "date_upload_updated", "date_updated"):
        assert ISO.match(body[key]), body[key]
    assert body["url"] == f"/v1/Services/{emu['chat_service_sid']}/Media/{body['sid']}"
    assert body["links"]["content"] == body["url"] + "/Content"
    direct = body["links"]["content_direct_temporary"]
    assert direct.startswith(emu["cdn_url"] + "/")
    assert requests.get(direct, timeout=30).content == data  # no auth needed
    fetched = session.get(f"{_media_url(emu)}/{body['sid']}", timeout=30).json()
    assert {k: v for k, v in fetched.items() if k != "links"} == {
        k: v for k, v in body.items() if k != "links"
    }
    content = session.get(f"{emu['mcs_url']}{body['links']['content']}", timeout=30)
    assert content.status_code == 200
    assert content.content == data
    assert content.headers["Content-Type"] == "image/png"
    assert 'filename="photo one.png"' in content.headers["Content-Disposition"]
    ranged = session.get(
        f"{emu['mcs_url']}{body['links']['content']}", headers={"Range": "bytes=1-3"}, timeout=30
    )
    assert ranged.status_code == 206
    assert ranged.content == data[1:4]
    chat = control(emu, "state")["chat_media"]
    assert chat[0]["sha256"] == hashlib.sha256(data).hexdigest()


def test_chunked_upload(emu: dict[str, Any], session: requests.Session) -> None:
    pieces = [b"a" * 70_000, b"b" * 3, b"c" * 200_000]
    response = session.post(
        _media_url(emu),
        data=iter(pieces),
        headers={"Content-Type": "application/pdf"},
        timeout=30,
    )
    assert response.status_code == 201
    assert response.json()["size"] == sum(map(len, pieces))
    assert response.json()["filename"] is None


def test_multipart_upload(emu: dict[str, Any], session: requests.Session) -> None:
    data = b"\r\n--not-the-boundary\r\n" + bytes(range(256)) * 900 + b"\r\n"
    response = session.post(
        _media_url(emu),
        files={"media": ("clip.mp4", data, "video/mp4")},
        timeout=30,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["filename"] == "clip.mp4"
    assert body["content_type"] == "video/mp4"
    assert body["size"] == len(data)
    content = session.get(f"{emu['mcs_url']}{body['links']['content']}", timeout=30)
    assert content.content == data


def test_multipart_with_a_form_field_first(emu: dict[str, Any], session: requests.Session) -> None:
    response = session.post(
        _media_url(emu),
        data={"note": "hello"},
        files={"file": ("a.txt", b"plain text", "text/plain")},
        timeout=30,
    )
    assert response.status_code == 201
    assert response.json()["size"] == len(b"plain text")


def test_bad_multipart_is_400(emu: dict[str, Any], session: requests.Session) -> None:
    response = session.post(
        _media_url(emu),
        data=b"--xyz\r\nContent-Disposition: form-data; name=note\r\n\r\nhi\r\n--xyz--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
        timeout=30,
    )
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "more_info", "status"}


def test_upload_limit_is_413(emu: dict[str, Any], session: requests.Session) -> None:
    control(emu, "config", {"max_upload_bytes": 1000})
    for kwargs in (
        {"data": b"x" * 1001, "headers": {"Content-Type": "image/jpeg"}},
        {"data": iter([b"x" * 600, b"y" * 600]), "headers": {"Content-Type": "image/jpeg"}},
        {"files": {"media": ("big.bin", b"z" * 1500, "application/octet-stream")}},
    ):
        response = session.post(_media_url(emu), timeout=30, **kwargs)
        assert response.status_code == 413
        assert response.json()["status"] == 413
        assert set(response.json()) == {"code", "message", "more_info", "status"}
    exact = session.post(
        _media_url(emu), data=b"x" * 1000, headers={"Content-Type": "image/jpeg"}, timeout=30
    )
    assert exact.status_code == 201
    assert control(emu, "state")["chat_media"][0]["size"] == 1000


def test_default_limit_is_150_mb(emu: dict[str, Any]) -> None:
    # Declare one byte over 150 MB: answered 413 without the server storing anything.
    parts = urlsplit(emu["mcs_url"])
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.putrequest("POST", f"/v1/Services/{emu['chat_service_sid']}/Media")
        connection.putheader("Content-Type", "video/mp4")
        connection.putheader("Content-Length", str(150 * 1024 * 1024 + 1))
        token = f"{emu['account_sid']}:{emu['auth_token']}"
        connection.putheader("Authorization", "Basic " + base64.b64encode(token.encode()).decode())
        connection.endheaders()
        block = b"\0" * (1024 * 1024)
        for _ in range(150):
            connection.send(block)
        connection.send(b"\0")
        response = connection.getresponse()
        assert response.status == 413
        assert b"20413" in response.read()
    finally:
        connection.close()
    assert control(emu, "state")["chat_media"] == []


def test_mcs_auth_and_unknown_service(emu: dict[str, Any], session: requests.Session) -> None:
    url = _media_url(emu)
    assert requests.post(url, data=b"x", timeout=30).status_code == 401
    wrong = requests.post(url, data=b"x", auth=(emu["account_sid"], "nope"), timeout=30)
    assert wrong.status_code == 401
    assert wrong.json()["code"] == 20003
    missing = session.post(_media_url(emu, "IS" + "0" * 32), data=b"x", timeout=30)
    assert missing.status_code == 404
    assert missing.json()["code"] == 20404
    assert session.get(f"{url}/ME{'0' * 32}", timeout=30).status_code == 404
    by_key = requests.post(
        url,
        data=b"x",
        headers={"Content-Type": "text/plain"},
        auth=(emu["api_key"], emu["api_secret"]),
        timeout=30,
    )
    assert by_key.status_code == 201
    content = f"{emu['mcs_url']}{by_key.json()['links']['content']}"
    assert requests.get(content, timeout=30).status_code == 401


def test_empty_upload_is_400(emu: dict[str, Any], session: requests.Session) -> None:
    response = session.post(_media_url(emu), data=b"", timeout=30)
    assert response.status_code == 400
