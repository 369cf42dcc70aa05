"""Downloader against the emulator: manifest, resume, expiry, 404s, 429s, truncation."""

from __future__ import annotations

import hashlib
import io
import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from media_cli.downloads import (
    DOWNLOADED,
    FAILED,
    SKIPPED,
    Downloader,
    media_for,
    stream_media,
)
from media_cli.errors import AuthError, DownloadError, NetworkError
from media_cli.models import Media
from tests.support import control, faults, make_client, seed, state, stats

CDN_ROUTE = "GET /{AccountSid}/{Sid}"
CONTENT_ROUTE = "GET /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{Sid}"


# This file's retry budget is five tries.
_client = partial(make_client, attempts=5)


def _count(info: dict[str, Any], route: str, status: str | None = None) -> int:
    by_status: dict[str, int] = stats(info)["routes"].get(route, {})
    return sum(n for code, n in by_status.items() if status is None or code == status)


@pytest.fixture
def message(emu: dict[str, Any]) -> dict[str, Any]:
    """One message with a 600 KiB JPEG and a small vCard."""
    created = seed(
        emu,
        {
            "messages": [
                {
                    "date_sent": "2026-02-01T12:00:00Z",
                    "media": [
                        {"content_type": "image/jpeg", "size": 600 * 1024},
                        {"content_type": "text/vcard", "size": 80},
                    ],
                }
            ]
        },
    )
    msg: dict[str, Any] = created["messages"][0]
    return msg


def _listed(info: dict[str, Any], message: dict[str, Any]) -> list[Media]:
    client = _client(info)
    return list(client.iter_media(info["account_sid"], message["sid"]))


def _truth(info: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["sid"]: m for msg in state(info)["messages"] for m in msg["media"]}


def _downloader(info: dict[str, Any], directory: Path, **kw: Any) -> Downloader:
    kw.setdefault("manifest_path", directory / "manifest.jsonl")
    kw.setdefault("not_found_delay", 0)
    return Downloader(_client(info), directory=directory, **kw)


def test_download_message_then_rerun_skips_without_cdn(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    media = _listed(emu, message)
    truth = _truth(emu)
    with _downloader(emu, tmp_path) as downloader:
        results = [downloader.download(m) for m in media]
    assert [r.status for r in results] == [DOWNLOADED, DOWNLOADED]
    for result in results:
        assert result.path is not None
        assert result.path.read_bytes().__len__() == truth[result.media.sid]["size"]
        assert result.sha256 == truth[result.media.sid]["sha256"]
        assert result.path.parent.name == message["sid"]
    assert {r.path.suffix for r in results if r.path} == {".jpg", ".vcf"}
    lines = [json.loads(x) for x in (tmp_path / "manifest.jsonl").read_text().splitlines()]
    assert {x["sid"]: x["sha256"] for x in lines} == {s: t["sha256"] for s, t in truth.items()}
    assert not list(tmp_path.rglob("*.part"))

    cdn_before = _count(emu, CDN_ROUTE)
    assert cdn_before == 2
    with _downloader(emu, tmp_path) as downloader:
        again = [downloader.download(m) for m in media]
    assert [r.status for r in again] == [SKIPPED, SKIPPED]
    assert [r.sha256 for r in again] == [r.sha256 for r in results]
    assert _count(emu, CDN_ROUTE) == cdn_before
    assert _count(emu, CONTENT_ROUTE) == 2


def test_changed_file_on_disk_is_not_trusted(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    media = _listed(emu, message)[1]
    with _downloader(emu, tmp_path) as downloader:
        first = downloader.download(media)
    assert first.path is not None
    first.path.write_bytes(b"truncated")
    with _downloader(emu, tmp_path) as downloader:
        second = downloader.download(media)
    assert second.status == FAILED
    assert second.error is not None
    assert "exists" in second.error
    with _downloader(emu, tmp_path, clobber=True) as downloader:
        third = downloader.download(media)
    assert third.status == DOWNLOADED
    assert third.sha256 == first.sha256
    assert first.path.stat().st_size == 80


def test_skip_existing_without_manifest_hashes_the_file(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    media = _listed(emu, message)[1]
    target = tmp_path / message["sid"] / f"{media.sid}.vcf"
    target.parent.mkdir()
    target.write_bytes(b"mine")
    with _downloader(emu, tmp_path, manifest_path=None, skip_existing=True) as downloader:
        result = downloader.download(media)
    assert result.status == SKIPPED
    assert result.sha256 == hashlib.sha256(b"mine").hexdigest()
    assert target.read_bytes() == b"mine"
    assert _count(emu, CDN_ROUTE) == 0


def _jpeg_bytes_and_target(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> tuple[Media, bytes, Path]:
    """The message's JPEG, its whole content, and where the default layout puts it."""
    jpeg = _listed(emu, message)[0]
    buffer = io.BytesIO()
    stream_media(_client(emu), jpeg, buffer)
    target = tmp_path / message["sid"] / f"{jpeg.sid}.jpg"
    target.parent.mkdir()
    return jpeg, buffer.getvalue(), target


def test_resume_from_part_uses_range(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    jpeg, whole, target = _jpeg_bytes_and_target(emu, message, tmp_path)
    (target.parent / f"{jpeg.sid}.jpg.part").write_bytes(whole[:200_000])
    with _downloader(emu, tmp_path, resume=True) as downloader:
        result = downloader.download(jpeg)
    assert result.status == DOWNLOADED, result.error
    assert target.read_bytes() == whole
    assert result.sha256 == _truth(emu)[jpeg.sid]["sha256"]
    assert _count(emu, CDN_ROUTE, "206") == 1
    assert not (target.parent / f"{jpeg.sid}.jpg.part").exists()


def test_resume_restarts_when_the_part_holds_other_bytes(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    # A .part left at the same path by another media (a custom --layout) or damaged on disk:
    # appending this media's tail to it would make a file that is neither.
    jpeg, whole, target = _jpeg_bytes_and_target(emu, message, tmp_path)
    part = target.parent / f"{jpeg.sid}.jpg.part"
    part.write_bytes(whole[:150_000] + bytes(50_000))  # right start, wrong last 50,000 bytes
    with _downloader(emu, tmp_path, resume=True) as downloader:
        result = downloader.download(jpeg)
    assert result.status == DOWNLOADED, result.error
    assert target.read_bytes() == whole
    assert result.sha256 == _truth(emu)[jpeg.sid]["sha256"]
    assert not part.exists()


def test_truncated_body_fails_without_final_file(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    jpeg = _listed(emu, message)[0]
    faults(emu, [{"listener": "cdn", "method": "GET", "path": ".", "action": "truncate"}])
    with _downloader(emu, tmp_path) as downloader:
        result = downloader.download(jpeg)
    assert result.status == FAILED
    assert result.error
    assert not (tmp_path / message["sid"] / f"{jpeg.sid}.jpg").exists()
    assert not (tmp_path / "manifest.jsonl").exists()


def test_truncated_once_recovers_with_range(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    jpeg = _listed(emu, message)[0]
    faults(
        emu,
        [{"listener": "cdn", "method": "GET", "path": ".", "action": "truncate", "times": 1}],
    )
    with _downloader(emu, tmp_path) as downloader:
        result = downloader.download(jpeg)
    assert result.status == DOWNLOADED, result.error
    assert result.sha256 == _truth(emu)[jpeg.sid]["sha256"]


def test_expired_link_is_refreshed(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    vcard = _listed(emu, message)[1]
    faults(
        emu,
        [
            {
                "listener": "cdn",
                "method": "GET",
                "path": ".",
                "action": "status",
                "status": 403,
                "times": 1,
            }
        ],
    )
    with _downloader(emu, tmp_path) as downloader:
        result = downloader.download(vcard)
    assert result.status == DOWNLOADED, result.error
    assert _count(emu, CONTENT_ROUTE) == 2  # a fresh signed link was asked for


def test_always_expired_link_fails_the_item_not_the_run(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    vcard = _listed(emu, message)[1]
    control(emu, "config", {"url_ttl": -10})
    with _downloader(emu, tmp_path) as downloader:
        result = downloader.download(vcard)
    assert result.status == FAILED
    assert result.error is not None
    assert "403" in result.error
    assert "?" not in result.error  # no signed query string in messages
    assert _count(emu, CONTENT_ROUTE) == 3


def test_not_found_that_clears_then_one_that_does_not(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    jpeg, vcard = _listed(emu, message)
    rule = {"listener": "api", "method": "GET", "action": "status", "status": 404, "code": 20404}
    faults(emu, [{**rule, "path": f"Media/{jpeg.sid}$", "times": 2}])
    with _downloader(emu, tmp_path, not_found_retries=3) as downloader:
        assert downloader.download(jpeg).status == DOWNLOADED
    faults(emu, [{**rule, "path": f"Media/{vcard.sid}$"}])
    with _downloader(emu, tmp_path, not_found_retries=3) as downloader:
        result = downloader.download(vcard)
    assert (result.status, result.error) == (FAILED, "not found")
    assert _count(emu, CONTENT_ROUTE, "404") == 5


def test_429_is_retried(emu: dict[str, Any], message: dict[str, Any], tmp_path: Path) -> None:
    vcard = _listed(emu, message)[1]
    faults(
        emu,
        [
            {
                "listener": "api",
                "method": "GET",
                "path": f"Media/{vcard.sid}$",
                "action": "status",
                "status": 429,
                "code": 20429,
                "times": 3,
            }
        ],
    )
    client = _client(emu)
    downloader = Downloader(client, directory=tmp_path, manifest_path=None, not_found_delay=0)
    assert downloader.download(vcard).status == DOWNLOADED
    assert client.throttled == 3


def test_rejected_credentials_stop_the_run(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    client = _client(emu, secret="wrong")
    media = media_for(client, emu["account_sid"], message["sid"], message["media"][0]["sid"])
    downloader = Downloader(client, directory=tmp_path, manifest_path=None)
    with pytest.raises(AuthError):
        downloader.download(media)


def test_sids_only_media_gets_its_extension_from_the_response(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    client = _client(emu)
    media = media_for(client, emu["account_sid"], message["sid"], message["media"][1]["sid"])
    with Downloader(client, directory=tmp_path, manifest_path=None) as downloader:
        result = downloader.download(media)
    assert result.status == DOWNLOADED
    assert result.path == tmp_path.resolve() / message["sid"] / f"{media.sid}.vcf"
    assert result.content_type == "text/vcard"


def test_stream_media_refuses_a_short_body(emu: dict[str, Any], message: dict[str, Any]) -> None:
    jpeg = _listed(emu, message)[0]
    faults(emu, [{"listener": "cdn", "method": "GET", "path": ".", "action": "truncate"}])
    with pytest.raises((DownloadError, NetworkError)):  # exit 1 or 5, never 0
        stream_media(_client(emu), jpeg, io.BytesIO())


def test_layout_collision_fails_the_second(
    emu: dict[str, Any], message: dict[str, Any], tmp_path: Path
) -> None:
    media = _listed(emu, message)
    with _downloader(emu, tmp_path, layout="{message_sid}.dat") as downloader:
        results = [downloader.download(m) for m in media]
    assert [r.status for r in results] == [DOWNLOADED, FAILED]
    assert results[1].error is not None
    assert "{sid}" in results[1].error
