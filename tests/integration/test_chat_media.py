"""MediaClient's MCS calls against the emulator: raw and multipart uploads, reads, no retries."""

from __future__ import annotations

import hashlib
import io
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from media_cli.errors import DownloadError, NetworkError, NotFoundError, ServerError
from media_cli.uploads import ProgressReader, save_chat_media
from tests.support import chat_state, control, faults, make_client, upload_posts


@pytest.mark.parametrize("multipart", [False, True], ids=["raw", "multipart"])
def test_upload_streams_the_file_and_reads_back(
    emu: dict[str, Any], tmp_path: Path, multipart: bool
) -> None:
    content = os.urandom(700_000)
    path = tmp_path / "photo.jpg"
    path.write_bytes(content)
    seen: list[int] = []
    client = make_client(emu)
    with path.open("rb") as handle:
        reader = ProgressReader(handle, len(content), seen.append)
        media = client.upload_chat_media(
            emu["chat_service_sid"],
            reader,
            filename="photo.jpg",
            content_type="image/jpeg",
            size=len(content),
            multipart=multipart,
        )
    assert sum(seen) == len(content)
    assert len(seen) > 1  # streamed in pieces, not one read of the whole file
    assert media.sid.startswith("ME")
    assert (media.size, media.content_type, media.filename) == (
        len(content),
        "image/jpeg",
        "photo.jpg",
    )
    assert media.service_sid == emu["chat_service_sid"]
    assert set(media.links) >= {"content", "content_direct_temporary"}

    stored = chat_state(emu)[media.sid]
    assert stored["sha256"] == hashlib.sha256(content).hexdigest()
    assert stored["size"] == len(content)

    fetched = client.get_chat_media(emu["chat_service_sid"], media.sid)
    assert fetched.to_json()["sid"] == media.sid
    with client.open_chat_content(fetched) as body:
        assert b"".join(body.iter_chunks()) == content
    assert upload_posts(emu) == 1


def test_bytes_body_and_exact_header_type(emu: dict[str, Any]) -> None:
    client = make_client(emu)
    media = client.upload_chat_media(
        emu["chat_service_sid"],
        b"BEGIN:VCARD\r\nEND:VCARD\r\n",
        filename="card.vcf",
        content_type="text/vcard",
        size=24,
    )
    assert media.content_type == "text/vcard"
    assert chat_state(emu)[media.sid]["content_type"] == "text/vcard"


def test_server_error_on_upload_is_not_retried(emu: dict[str, Any]) -> None:
    faults(
        emu,
        [
            {
                "listener": "mcs",
                "method": "POST",
                "path": "/Media",
                "action": "status",
                "status": 500,
                "code": 20500,
                "message": "boom",
                "times": 1,
            }
        ],
    )
    client = make_client(emu)
    with pytest.raises(ServerError) as info:
        client.upload_chat_media(
            emu["chat_service_sid"], b"abc", filename="a.txt", content_type="text/plain", size=3
        )
    assert info.value.exit_code == 5
    assert info.value.hint is not None
    assert "not retried" in info.value.hint
    assert upload_posts(emu) == 1
    assert chat_state(emu) == {}


def test_connection_reset_during_upload_is_not_retried(emu: dict[str, Any]) -> None:
    faults(
        emu,
        [{"listener": "mcs", "method": "POST", "path": "/Media", "action": "reset", "times": 1}],
    )
    client = make_client(emu)
    with pytest.raises(NetworkError):
        client.upload_chat_media(
            emu["chat_service_sid"],
            io.BytesIO(b"x" * 100_000),
            filename="a.bin",
            content_type="application/octet-stream",
            size=100_000,
        )
    assert upload_posts(emu) <= 1  # the emulator may count the reset request once; never twice
    assert chat_state(emu) == {}


def test_refused_connection_is_retried_because_nothing_was_sent(emu: dict[str, Any]) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log: list[str] = []
    client = make_client(emu, mcs_url=f"http://127.0.0.1:{port}", debug_log=log.append)
    with pytest.raises(NetworkError) as info:
        client.upload_chat_media(
            emu["chat_service_sid"], b"abc", filename="a.txt", content_type="text/plain", size=3
        )
    assert sum("retrying" in line for line in log) == 3  # attempts=4
    assert info.value.hint is not None
    assert "nothing was sent" in info.value.hint


def test_unknown_service_and_media(emu: dict[str, Any]) -> None:
    client = make_client(emu)
    with pytest.raises(NotFoundError):
        client.upload_chat_media(
            "IS" + "0" * 32, b"abc", filename="a.txt", content_type="text/plain", size=3
        )
    with pytest.raises(NotFoundError):
        client.get_chat_media(emu["chat_service_sid"], "ME" + "0" * 32)


def test_expired_direct_link_falls_back_to_content(emu: dict[str, Any], tmp_path: Path) -> None:
    client = make_client(emu)
    media = client.upload_chat_media(
        emu["chat_service_sid"], b"hello", filename="h.txt", content_type="text/plain", size=5
    )
    control(emu, "config", {"url_ttl": 0})
    fetched = client.get_chat_media(emu["chat_service_sid"], media.sid)
    result = save_chat_media(client, fetched, tmp_path / "h.txt")
    assert (tmp_path / "h.txt").read_bytes() == b"hello"
    assert result.sha256 == hashlib.sha256(b"hello").hexdigest()
    assert not (tmp_path / "h.txt.part").exists()


def test_truncated_content_leaves_no_file(emu: dict[str, Any], tmp_path: Path) -> None:
    client = make_client(emu)
    content = os.urandom(50_000)
    media = client.upload_chat_media(
        emu["chat_service_sid"],
        content,
        filename="t.bin",
        content_type="application/x-t",
        size=len(content),
    )
    # Both the direct link (CDN) and /Content declare the full length and send less.
    faults(emu, [{"listener": "*", "method": "GET", "path": media.sid, "action": "truncate"}])
    with pytest.raises((DownloadError, NetworkError)) as info:
        save_chat_media(client, media, tmp_path / "t.bin")
    assert "size mismatch" in info.value.message or "connection lost" in info.value.message
    assert not (tmp_path / "t.bin").exists()
