"""downloads.py without a server: names, extensions, layout, confinement, atomic writes."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from media_cli.downloads import (
    DEFAULT_LAYOUT,
    DOWNLOADED,
    DownloadResult,
    Manifest,
    check_layout,
    confine,
    extension_for,
    layout_fields,
    parse_content_range,
    render_layout,
    safe_filename,
    write_atomically,
)
from media_cli.errors import DownloadError, NetworkError, UsageError
from media_cli.models import Media

ACCOUNT = "AC" + "a" * 32
MESSAGE = "MM" + "b" * 32
MEDIA = "ME" + "c" * 32


def _media(content_type: str | None = "image/jpeg", created: datetime | None = None) -> Media:
    return Media(
        sid=MEDIA,
        account_sid=ACCOUNT,
        parent_sid=MESSAGE,
        content_type=content_type,
        date_created=created or datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc),
        date_updated=None,
        uri="",
        content_url="",
    )


# -- safe_filename ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("/etc/shadow", "shadow"),
        ("C:\\Users\\x\\evil.bat", "evil.bat"),
        (".bashrc", "bashrc"),
        ("...hidden", "hidden"),
        ("..", "file"),
        (".", "file"),
        ("", "file"),
        ("   ", "file"),
        ("a\x00b.txt", "a_b.txt"),
        ("line\nbreak\r.txt", "line_break_.txt"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("NUL", "_NUL"),
        ("COM1.log", "_COM1.log"),
        ("lpt9", "_lpt9"),
        ("CONSOLE.txt", "CONSOLE.txt"),
        ("what?.txt", "what_.txt"),
        ("trailing. ", "trailing"),
        ("dir/", "dir"),
        ("caf\u00e9.png", "caf\u00e9.png"),
        ("\u65e5\u672c\u8a9e.txt", "\u65e5\u672c\u8a9e.txt"),
        ("rtl\u202eexe.txt", "rtl_exe.txt"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_default() -> None:
    assert safe_filename("../", default="media") == "media"


def test_safe_filename_bounds_length_and_keeps_extension() -> None:
    name = safe_filename("x" * 1000 + ".jpeg")
    assert len(name.encode()) <= 200
    assert name.endswith(".jpeg")
    wide = safe_filename("\u00e9" * 500)
    assert len(wide.encode()) <= 200
    assert wide == "\u00e9" * 100  # two bytes each, cut on a character boundary


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_safe_filename_properties(name: str) -> None:
    out = safe_filename(name)
    assert out
    assert "/" not in out
    assert "\\" not in out
    assert "\x00" not in out
    assert not out.startswith(".")
    assert out not in (".", "..")
    assert len(out.encode()) <= 200
    base = Path("/tmp/media-cli-dl-base")  # never created: pure path arithmetic
    joined = (base / out).resolve()
    assert joined.parent == base.resolve()
    assert joined.is_relative_to(base.resolve())


# -- extension_for ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "ext"),
    [
        ("image/jpeg", ".jpg"),
        ("IMAGE/JPEG; charset=binary", ".jpg"),
        ("image/png", ".png"),
        ("image/gif", ".gif"),
        ("audio/amr", ".amr"),
        ("text/vcard", ".vcf"),
        ("text/x-vcard", ".vcf"),
        ("video/mp4", ".mp4"),
        ("application/pdf", ".pdf"),
        ("application/octet-stream", ".bin"),
        ("application/x-unknown-thing", ".bin"),
        ("nonsense", ".bin"),
        ("", ".bin"),
        (None, ".bin"),
    ],
)
def test_extension_for(content_type: str | None, ext: str) -> None:
    assert extension_for(content_type) == ext


# -- layout --------------------------------------------------------------------------------


def test_default_layout_keeps_a_message_together() -> None:
    assert render_layout(DEFAULT_LAYOUT, _media()) == f"{MESSAGE}/{MEDIA}.jpg"


def test_layout_fields_and_date_spec() -> None:
    layout = "{account_sid}/{date_created:%Y/%m/%d}/{content_type}-{sid}{ext}"
    rendered = render_layout(layout, _media("text/vcard"))
    assert rendered == f"{ACCOUNT}/2026/03/04/text_vcard-{MEDIA}.vcf"


def test_layout_unknown_date_and_type() -> None:
    media = Media(MEDIA, ACCOUNT, MESSAGE, None, None, None, "", "")
    assert render_layout("{date_created:%Y}/{sid}{ext}", media) == f"unknown/{MEDIA}.bin"
    assert render_layout("{sid}{ext}", media, content_type="audio/amr") == f"{MEDIA}.amr"


@pytest.mark.parametrize("layout", ["{nope}", "{sid}{0}", "{sid!r}", "{sid", "{}"])
def test_layout_bad_templates_are_usage_errors(layout: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        check_layout(layout, tmp_path)


def test_layout_fields_lists_names() -> None:
    assert layout_fields(DEFAULT_LAYOUT) == {"message_sid", "sid", "ext"}


@pytest.mark.parametrize(
    "layout",
    ["../{sid}{ext}", "/abs/{sid}{ext}", "{sid}/../../x", "a/../../{sid}", "C:/x/{sid}", ""],
)
def test_layout_that_escapes_is_a_usage_error(layout: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        check_layout(layout, tmp_path)


def test_confine_stays_inside(tmp_path: Path) -> None:
    assert confine(tmp_path, "a/b/c.jpg") == tmp_path.resolve() / "a" / "b" / "c.jpg"
    assert confine(tmp_path, "./a//b.jpg") == tmp_path.resolve() / "a" / "b.jpg"
    with pytest.raises(UsageError):
        confine(tmp_path, "a/.hidden")


def test_confine_refuses_a_symlink_out(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    base = tmp_path / "base"
    base.mkdir()
    (base / "link").symlink_to(outside)
    with pytest.raises(UsageError):
        confine(base, "link/file.jpg")


def test_values_cannot_add_directories(tmp_path: Path) -> None:
    evil = Media("../../x", "AC/..", "MM/../..", "image/../../x", None, None, "", "")
    rendered = render_layout("{account_sid}/{message_sid}/{sid}{ext}{content_type}", evil)
    target = confine(tmp_path, rendered)
    assert target.is_relative_to(tmp_path.resolve())
    assert len(target.relative_to(tmp_path.resolve()).parts) == 3


# -- write_atomically -------------------------------------------------------------------


def test_write_atomically_writes_and_hashes(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "f.bin"
    seen: list[int] = []
    size, digest = write_atomically(
        [b"abc", b"", b"defg"], target, expected_size=7, on_bytes=seen.append
    )
    assert (size, digest) == (7, hashlib.sha256(b"abcdefg").hexdigest())
    assert target.read_bytes() == b"abcdefg"
    assert seen == [3, 4]
    assert not (tmp_path / "sub" / "f.bin.part").exists()


def test_write_atomically_short_keeps_part_and_no_final(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    with pytest.raises(DownloadError, match="size mismatch"):
        write_atomically([b"abc"], target, expected_size=10)
    assert not target.exists()
    assert (tmp_path / "f.bin.part").read_bytes() == b"abc"  # resumable


def test_write_atomically_long_removes_part(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    with pytest.raises(DownloadError):
        write_atomically([b"abcdef", b"more"], target, expected_size=3)
    assert not target.exists()
    assert not (tmp_path / "f.bin.part").exists()


def test_write_atomically_error_midway_leaves_no_final(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")

    def chunks() -> Iterator[bytes]:
        yield b"new"
        raise NetworkError("connection lost")

    with pytest.raises(NetworkError):
        write_atomically(chunks(), target, expected_size=6)
    assert target.read_bytes() == b"old"  # the previous final file is untouched
    assert (tmp_path / "f.bin.part").read_bytes() == b"new"


def test_write_atomically_resume_hashes_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    (tmp_path / "f.bin.part").write_bytes(b"hello, junk")
    size, digest = write_atomically([b" world"], target, expected_size=11, resume_from=5)
    assert target.read_bytes() == b"hello world"
    assert (size, digest) == (11, hashlib.sha256(b"hello world").hexdigest())


def test_write_atomically_resume_from_missing_bytes_fails(tmp_path: Path) -> None:
    (tmp_path / "f.bin.part").write_bytes(b"hi")
    with pytest.raises(DownloadError):
        write_atomically([b"x"], tmp_path / "f.bin", expected_size=None, resume_from=5)


def test_write_atomically_unknown_size(tmp_path: Path) -> None:
    size, _ = write_atomically([b"x" * 10], tmp_path / "f", expected_size=None)
    assert size == 10


# -- manifest, results, Content-Range ----------------------------------------------------


def test_manifest_round_trip_ignores_torn_lines(tmp_path: Path) -> None:
    path = tmp_path / "manifest.jsonl"
    manifest = Manifest(path)
    manifest.append(_media(), f"{MESSAGE}/{MEDIA}.jpg", 5, "ab" * 32, DOWNLOADED, "image/jpeg")
    manifest.close()
    with path.open("a") as handle:
        handle.write('{"sid": "ME' + "d" * 32 + '", "path": "x", "si')  # kill -9 mid-line
    doc = json.loads(path.read_text().splitlines()[0])
    assert set(doc) == {
        "account_sid", "message_sid", "sid", "content_type", "date_created",
        "path", "size", "sha256", "status",
    }  # fmt: skip
    assert doc["date_created"] == "2026-03-04T05:06:07Z"
    again = Manifest(path)
    entry = again.get(MEDIA)
    assert entry is not None
    assert (entry.path, entry.size) == (f"{MESSAGE}/{MEDIA}.jpg", 5)
    assert again.get("ME" + "d" * 32) is None


def test_download_result_json_fields() -> None:
    result = DownloadResult(_media(), DOWNLOADED, Path("/x/y.jpg"), 3, "00", None)
    assert result.to_json() == {
        "sid": MEDIA,
        "message_sid": MESSAGE,
        "account_sid": ACCOUNT,
        "status": "downloaded",
        "error": None,
        "path": "/x/y.jpg",
        "size": 3,
        "sha256": "00",
        "content_type": "image/jpeg",
    }


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ("bytes 5-9/10", (5, 9, 10)),
        ("bytes 0-0/*", (0, 0, None)),
        ("bytes 9-5/10", None),
        ("bytes 5-10/10", None),
        ("items 1-2/3", None),
        (None, None),
    ],
)
def test_parse_content_range(
    header: str | None, parsed: tuple[int, int, int | None] | None
) -> None:
    assert parse_content_range(header) == parsed


# -- progress ------------------------------------------------------------------------------


def test_progress_is_a_noop_without_a_terminal() -> None:
    from media_cli.progress import download_progress
    from media_cli.streams import Streams

    streams = Streams.for_test(tty=False)
    with download_progress(streams) as display:
        assert display.on_bytes is None  # nothing is called per chunk
        assert display.start_file(MEDIA, 100 * 1024 * 1024) is None
        display.finish_file(MEDIA, ok=True)
    assert isinstance(streams.stderr, io.StringIO)
    assert streams.stderr.getvalue() == ""


def test_rich_progress_only_on_stderr() -> None:
    from media_cli.progress import download_progress
    from media_cli.streams import Streams

    streams = Streams.for_test(tty=True)
    with download_progress(streams, total_files=2) as display:
        assert display.enabled
        assert display.on_bytes is not None
        display.on_bytes(1024)
        assert display.start_file(MEDIA, 1024) is None  # small files get no own bar
        big = display.start_file(MEDIA, 64 * 1024 * 1024)
        assert big is not None
        big(4096)
        display.finish_file(MEDIA, ok=True)
    assert isinstance(streams.stdout, io.StringIO)
    assert streams.stdout.getvalue() == ""


@pytest.mark.parametrize("durable", [False, True])
def test_large_bodies_are_hashed_on_a_helper_thread(tmp_path: Path, durable: bool) -> None:
    import hashlib
    import threading

    from media_cli.downloads import THREADED_HASH_FROM

    block = bytes(range(256)) * 4096  # 1 MiB
    count = THREADED_HASH_FROM // len(block) + 2
    target = tmp_path / "big.bin"
    seen: list[str] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(count):
            seen.extend(t.name for t in threading.enumerate())
            yield block

    size, digest = write_atomically(
        chunks(), target, expected_size=len(block) * count, durable=durable
    )
    assert size == len(block) * count
    assert digest == hashlib.sha256(block * count).hexdigest()
    assert hashlib.sha256(target.read_bytes()).hexdigest() == digest
    assert "sha256" in seen
    assert "sha256" not in {t.name for t in threading.enumerate()}


def test_helper_thread_ends_when_the_body_fails(tmp_path: Path) -> None:
    import threading

    from media_cli.downloads import THREADED_HASH_FROM

    def chunks() -> Iterator[bytes]:
        yield b"x" * 1024
        raise NetworkError("connection lost")

    with pytest.raises(NetworkError):
        write_atomically(chunks(), tmp_path / "f.bin", expected_size=THREADED_HASH_FROM * 2)
    assert "sha256" not in {t.name for t in threading.enumerate()}
    assert not (tmp_path / "f.bin").exists()


class _RandomBody:
    """A body of random bytes handed out in reads of uneven size (as a socket does)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0
        self.reads = 0

    @property
    def remaining(self) -> int | None:
        return len(self.data) - self.offset

    def readinto(self, buffer: memoryview, /) -> int:
        self.reads += 1
        step = min(len(buffer), 1 + (self.reads * 7919) % len(buffer))
        piece = self.data[self.offset : self.offset + step]
        buffer[: len(piece)] = piece
        self.offset += len(piece)
        return len(piece)


def test_read_chunks_views_stay_valid_for_ring_size_minus_one_later_chunks() -> None:
    import os

    from media_cli.downloads import RING_SIZE, read_chunks

    data = os.urandom(3 * 1024 * 1024 + 17)
    body = _RandomBody(data)
    kept: list[tuple[int, memoryview]] = []
    offset = 0
    for view in read_chunks(body, size=64 * 1024):
        kept.append((offset, view))
        offset += len(view)
        kept = kept[-(RING_SIZE - 1) :]
        for start, old in kept:  # none of the views still held was refilled
            assert bytes(old) == data[start : start + len(old)]
    assert offset == len(data)
    assert body.reads > 4 * RING_SIZE  # the ring was really reused


def test_large_random_body_through_the_ring_hashes_and_writes_exactly(tmp_path: Path) -> None:
    import hashlib
    import os

    from media_cli.downloads import THREADED_HASH_FROM, read_chunks

    data = os.urandom(THREADED_HASH_FROM + 5 * 1024 * 1024 + 3)  # hashed on the helper thread
    target = tmp_path / "big.bin"
    size, digest = write_atomically(
        read_chunks(_RandomBody(data), size=256 * 1024), target, expected_size=len(data)
    )
    assert size == len(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert target.read_bytes() == data


def test_read_chunks_with_one_buffer_reuses_it_and_sizes_it_to_the_body() -> None:
    import os

    from media_cli.downloads import read_chunks

    data = os.urandom(100_000)
    views = list(read_chunks(_RandomBody(data), size=64 * 1024, ring_size=1))
    assert len(views) > 2
    assert len({id(view.obj) for view in views}) == 1  # one buffer, refilled
    small = list(read_chunks(_RandomBody(b"tiny"), size=64 * 1024))
    assert [bytes(v) for v in small] == [b"tiny"]
    assert len(small[0].obj) == 4  # type: ignore[arg-type]  # obj is the bytearray


def test_inline_hashing_through_a_single_buffer_writes_and_hashes_exactly(
    tmp_path: Path,
) -> None:
    import hashlib
    import os

    from media_cli.downloads import hashes_on_a_thread, read_chunks

    data = os.urandom(3 * 1024 * 1024 + 5)  # below the threaded-hash size: hashed inline
    assert not hashes_on_a_thread(len(data))
    target = tmp_path / "mid.bin"
    size, digest = write_atomically(
        read_chunks(_RandomBody(data), size=128 * 1024, ring_size=1),
        target,
        expected_size=len(data),
    )
    assert (size, digest) == (len(data), hashlib.sha256(data).hexdigest())
    assert target.read_bytes() == data
