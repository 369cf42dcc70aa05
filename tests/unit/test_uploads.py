"""Upload pre-flight checks, Content-Type choice, the progress reader and chat file naming."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from media_cli.client import MCS_MAX_BYTES
from media_cli.errors import EXIT_USAGE, MediaCliError, UsageError
from media_cli.models import ChatMedia
from media_cli.uploads import (
    FAILED,
    UPLOADED,
    ProgressReader,
    UploadPlan,
    UploadResult,
    chat_target,
    check_content_type,
    check_upload_file,
    choose_content_type,
    guess_content_type,
    plan_uploads,
)

SID = "ME" + "ab" * 16
CHAT_FIELDS = {
    "sid",
    "account_sid",
    "service_sid",
    "size",
    "content_type",
    "filename",
    "author",
    "category",
    "date_created",
    "date_upload_updated",
    "date_updated",
    "message_sid",
    "channel_sid",
    "url",
    "links",
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("photo.jpg", "image/jpeg"),
        ("PHOTO.JPEG", "image/jpeg"),
        ("shot.png", "image/png"),
        ("clip.mov", "video/quicktime"),
        ("voice.amr", "audio/amr"),
        ("voice.opus", "audio/opus"),
        ("card.vcf", "text/vcard"),
        ("doc.pdf", "application/pdf"),
        ("backup.tar.gz", "application/gzip"),
        ("a.b.c.heic", "image/heic"),
        ("noextension", None),
        ("file.zzzunknownzzz", None),
        (".hidden", None),
    ],
)
def test_guess_content_type(name: str, expected: str | None) -> None:
    assert guess_content_type(name) == expected


def test_unknown_type_is_a_usage_error_unless_given() -> None:
    with pytest.raises(UsageError, match="--content-type") as info:
        choose_content_type("data.zzzunknownzzz", None)
    assert info.value.exit_code == EXIT_USAGE
    assert choose_content_type("data.zzzunknownzzz", "application/x-thing") == (
        "application/x-thing"
    )
    # An explicit type wins over the guess.
    assert choose_content_type("photo.jpg", "image/png") == "image/png"


@pytest.mark.parametrize(
    "value", ["image/png", "text/plain; charset=utf-8", "application/vnd.ms-excel"]
)
def test_check_content_type_accepts(value: str) -> None:
    assert check_content_type(value) == value


@pytest.mark.parametrize(
    "value", ["", "png", "image/", "image/png\r\nX-Evil: 1", "image /png", "a/b; c"]
)
def test_check_content_type_refuses(value: str) -> None:
    with pytest.raises(UsageError):
        check_content_type(value)


def test_missing_directory_and_empty_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        check_upload_file(tmp_path / "nope.jpg", max_bytes=MCS_MAX_BYTES)
    with pytest.raises(UsageError, match="directory"):
        check_upload_file(tmp_path, max_bytes=MCS_MAX_BYTES)
    empty = tmp_path / "empty.jpg"
    empty.touch()
    with pytest.raises(UsageError, match="empty"):
        check_upload_file(empty, max_bytes=MCS_MAX_BYTES)


def test_fifo_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="not a regular file"):
        check_upload_file(fifo, max_bytes=MCS_MAX_BYTES)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "locked.jpg"
    secret.write_bytes(b"x")
    secret.chmod(0)
    try:
        with pytest.raises(UsageError, match="permission denied"):
            check_upload_file(secret, max_bytes=MCS_MAX_BYTES)
    finally:
        secret.chmod(0o600)


def test_size_limit_is_150_mb_exactly(tmp_path: Path) -> None:
    assert MCS_MAX_BYTES == 150 * 1024 * 1024
    at_limit = tmp_path / "at.bin"
    with at_limit.open("wb") as handle:
        handle.truncate(MCS_MAX_BYTES)  # sparse: no disk used
    assert check_upload_file(at_limit, max_bytes=MCS_MAX_BYTES) == MCS_MAX_BYTES
    over = tmp_path / "over.bin"
    with over.open("wb") as handle:
        handle.truncate(MCS_MAX_BYTES + 1)
    with pytest.raises(UsageError, match="150 MB") as info:
        check_upload_file(over, max_bytes=MCS_MAX_BYTES)
    assert info.value.hint is not None
    assert "nothing was sent" in info.value.hint


def test_plan_uploads_checks_every_file_first(tmp_path: Path) -> None:
    good = tmp_path / "a.png"
    good.write_bytes(b"\x89PNG")
    unknown = tmp_path / "b.zzzunknownzzz"
    unknown.write_bytes(b"x")
    with pytest.raises(UsageError, match=r"b\.zzzunknownzzz"):
        plan_uploads([good, unknown], max_bytes=MCS_MAX_BYTES)
    plans = plan_uploads([good, unknown], max_bytes=MCS_MAX_BYTES, content_type="text/plain")
    assert [(p.filename, p.content_type, p.size) for p in plans] == [
        ("a.png", "text/plain", 4),
        ("b.zzzunknownzzz", "text/plain", 1),
    ]
    with pytest.raises(UsageError, match="at least one"):
        plan_uploads([], max_bytes=MCS_MAX_BYTES)


def test_filename_option_names_one_file_and_drives_the_guess(tmp_path: Path) -> None:
    blob = tmp_path / "blob"
    blob.write_bytes(b"%PDF")
    (plan,) = plan_uploads([blob], max_bytes=MCS_MAX_BYTES, filename="report.pdf")
    assert (plan.filename, plan.content_type) == ("report.pdf", "application/pdf")
    # A name that says nothing falls back to the local file's extension.
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"x")
    (plan,) = plan_uploads([photo], max_bytes=MCS_MAX_BYTES, filename="../../etc/passwd")
    assert (plan.filename, plan.content_type) == ("../../etc/passwd", "image/jpeg")
    with pytest.raises(UsageError, match="exactly one"):
        plan_uploads([blob, photo], max_bytes=MCS_MAX_BYTES, filename="x.pdf")
    with pytest.raises(UsageError, match="control"):
        plan_uploads([photo], max_bytes=MCS_MAX_BYTES, filename="a\nb.jpg")


def test_progress_reader_streams_reports_and_stops_at_size() -> None:
    seen: list[int] = []
    reader = ProgressReader(io.BytesIO(b"0123456789extra"), 10, seen.append)
    assert len(reader) == 10
    assert not hasattr(reader, "__iter__")  # else requests would send it chunked
    assert reader.read(4) == b"0123"
    assert reader.read(100) == b"456789"
    assert reader.read(4) == b""
    assert seen == [4, 6]
    assert reader.bytes_read == 10


def test_progress_reader_refuses_a_file_that_shrank() -> None:
    reader = ProgressReader(io.BytesIO(b"abc"), 5)
    assert reader.read() == b"abc"
    with pytest.raises(MediaCliError, match="shrank"):
        reader.read()


def _chat(filename: str | None, content_type: str | None = "image/png") -> ChatMedia:
    return ChatMedia.from_api(
        {"sid": SID, "filename": filename, "content_type": content_type, "size": 3, "links": {}}
    )


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("/tmp/x", "x"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        (".bashrc", "bashrc"),
        ("..", f"{SID}.png"),
        ("", f"{SID}.png"),
        (None, f"{SID}.png"),
        ("photo.png", "photo.png"),
    ],
)
def test_chat_target_never_leaves_the_directory(
    tmp_path: Path, filename: str | None, expected: str
) -> None:
    target = chat_target(_chat(filename), tmp_path)
    assert target == tmp_path.resolve() / expected
    assert target.parent == tmp_path.resolve()


def test_chat_target_unknown_type_gets_bin(tmp_path: Path) -> None:
    assert chat_target(_chat(None, None), tmp_path).name == f"{SID}.bin"


def test_upload_result_json_has_one_field_set(tmp_path: Path) -> None:
    plan = UploadPlan(tmp_path / "a.png", "a.png", "image/png", 3)
    ok = UploadResult(plan, media=_chat("a.png")).to_json()
    failed = UploadResult(plan, error="boom").to_json()
    assert set(ok) == set(failed) == CHAT_FIELDS | {"path", "status", "error"}
    assert (ok["status"], ok["sid"], ok["error"]) == (UPLOADED, SID, None)
    assert (failed["status"], failed["sid"], failed["error"]) == (FAILED, None, "boom")
    assert failed["filename"] == "a.png"
    assert failed["path"] == str(tmp_path / "a.png")
