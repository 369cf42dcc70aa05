"""The emulator's CDN: signed expiring URLs, S3-style errors, Range, conditional GETs, content."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any

import pytest
import requests

from tests.support import control


def _media(emu: dict[str, Any], **spec: Any) -> dict[str, Any]:
    answer = control(
        emu,
        "seed",
        {"messages": [{"date_sent": "2025-03-01T10:00:00Z", "media": [spec]}]},
    )
    media: dict[str, Any] = answer["messages"][0]["media"][0]
    return media


def _signed_url(emu: dict[str, Any], media: dict[str, Any]) -> str:
    response = requests.get(
        f"{emu['api_url']}{media['uri'][:-5]}",
        auth=(emu["account_sid"], emu["auth_token"]),
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 307
    location: str = response.headers["Location"]
    return location


@pytest.fixture
def jpeg(emu: dict[str, Any]) -> dict[str, Any]:
    return _media(emu, content_type="image/jpeg", size=100_000)


def test_content_is_deterministic_and_typed(emu: dict[str, Any], jpeg: dict[str, Any]) -> None:
    url = _signed_url(emu, jpeg)
    response = requests.get(url, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Content-Length"] == "100000"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Last-Modified"] == "Sat, 01 Mar 2025 10:00:00 GMT"
    assert response.headers["ETag"].startswith('"')
    body = response.content
    assert body[:3] == b"\xff\xd8\xff"
    assert body[-2:] == b"\xff\xd9"
    state = control(emu, "state")["messages"][0]["media"][0]
    assert hashlib.sha256(body).hexdigest() == state["sha256"]
    assert requests.get(_signed_url(emu, jpeg), timeout=30).content == body


def test_inline_content_is_served_verbatim(emu: dict[str, Any]) -> None:
    data = b"BEGIN:VCARD\r\nFN:Ada\r\nEND:VCARD\r\n"
    media = _media(emu, content_type="text/vcard", content_b64=base64.b64encode(data).decode())
    assert requests.get(_signed_url(emu, media), timeout=30).content == data


def test_authorization_header_is_400(emu: dict[str, Any], jpeg: dict[str, Any]) -> None:
    response = requests.get(
        _signed_url(emu, jpeg), auth=(emu["account_sid"], emu["auth_token"]), timeout=30
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/xml"
    assert "<Code>InvalidArgument</Code>" in response.text
    assert emu["auth_token"] not in response.text


def test_signed_urls_expire(emu: dict[str, Any], jpeg: dict[str, Any]) -> None:
    control(emu, "config", {"url_ttl": 0.3})
    url = _signed_url(emu, jpeg)
    assert requests.get(url, timeout=30).status_code == 200
    time.sleep(0.5)
    expired = requests.get(url, timeout=30)
    assert expired.status_code == 403
    assert "<Code>AccessDenied</Code>" in expired.text
    assert "Request has expired" in expired.text
    control(emu, "config", {"url_ttl": 3600})
    assert requests.get(_signed_url(emu, jpeg), timeout=30).status_code == 200


def test_tampered_and_unsigned_urls_are_403(emu: dict[str, Any], jpeg: dict[str, Any]) -> None:
    url = _signed_url(emu, jpeg)
    base, _, _query = url.partition("?")
    assert requests.get(base, timeout=30).status_code == 403
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    response = requests.get(tampered, timeout=30)
    assert response.status_code == 403
    assert "SignatureDoesNotMatch" in response.text
    other = _media(emu, size=10)
    swapped = url.replace(jpeg["sid"], other["sid"])
    assert requests.get(swapped, timeout=30).status_code == 403


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=99990-", 99990, 99999),
        ("bytes=-5", 99995, 99999),
        ("bytes=50000-50000", 50000, 50000),
        ("bytes=99000-200000", 99000, 99999),
        ("bytes=65530-65545", 65530, 65545),
    ],
)
def test_ranges(
    emu: dict[str, Any], jpeg: dict[str, Any], header: str, first: int, last: int
) -> None:
    url = _signed_url(emu, jpeg)
    full = requests.get(url, timeout=30).content
    response = requests.get(url, headers={"Range": header}, timeout=30)
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/100000"
    assert response.content == full[first : last + 1]


@pytest.mark.parametrize("header", ["bytes=100000-", "bytes=200000-300000", "bytes=-0"])
def test_unsatisfiable_range_is_416(emu: dict[str, Any], jpeg: dict[str, Any], header: str) -> None:
    response = requests.get(_signed_url(emu, jpeg), headers={"Range": header}, timeout=30)
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */100000"
    assert "InvalidRange" in response.text


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-1", "bytes=9-2"])
def test_ignored_ranges_answer_200(emu: dict[str, Any], jpeg: dict[str, Any], header: str) -> None:
    response = requests.get(_signed_url(emu, jpeg), headers={"Range": header}, timeout=30)
    assert response.status_code == 200
    assert len(response.content) == 100_000


def test_conditional_requests(emu: dict[str, Any], jpeg: dict[str, Any]) -> None:
    url = _signed_url(emu, jpeg)
    etag = requests.get(url, timeout=30).headers["ETag"]
    cached = requests.get(url, headers={"If-None-Match": etag}, timeout=30)
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["ETag"] == etag
    for header in (f'"other", {etag}', "*"):
        assert requests.get(url, headers={"If-None-Match": header}, timeout=30).status_code == 304
    assert requests.get(url, headers={"If-None-Match": '"other"'}, timeout=30).status_code == 200
    resumed = requests.get(url, headers={"Range": "bytes=10-", "If-Range": etag}, timeout=30)
    assert resumed.status_code == 206
    stale = requests.get(url, headers={"Range": "bytes=10-", "If-Range": '"old"'}, timeout=30)
    assert stale.status_code == 200
    assert len(stale.content) == 100_000


def test_head(emu: dict[str, Any], jpeg: dict[str, Any]) -> None:
    response = requests.head(_signed_url(emu, jpeg), timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "100000"
    assert response.content == b""


def test_large_media_streams(emu: dict[str, Any]) -> None:
    size = 48 * 1024 * 1024 + 7
    media = _media(emu, content_type="video/mp4", size=size)
    digest = hashlib.sha256()
    received = 0
    started = time.monotonic()
    with requests.get(_signed_url(emu, media), stream=True, timeout=30) as response:
        assert response.headers["Content-Length"] == str(size)
        for piece in response.iter_content(1024 * 1024):
            digest.update(piece)
            received += len(piece)
    elapsed = time.monotonic() - started
    assert received == size
    assert digest.hexdigest() == control(emu, "state")["messages"][0]["media"][0]["sha256"]
    assert elapsed < 10, f"{size / elapsed / 1e6:.0f} MB/s"


def test_deleted_media_is_no_such_key(emu: dict[str, Any], jpeg: dict[str, Any]) -> None:
    url = _signed_url(emu, jpeg)
    requests.delete(
        f"{emu['api_url']}{jpeg['uri']}", auth=(emu["account_sid"], emu["auth_token"]), timeout=30
    ).raise_for_status()
    response = requests.get(url, timeout=30)
    assert response.status_code == 404
    assert "NoSuchKey" in response.text
