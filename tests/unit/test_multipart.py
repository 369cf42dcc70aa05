"""MultipartBody: exact precomputed length, streamed reads, a body any parser accepts."""

from __future__ import annotations

import io
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from media_cli.errors import MediaCliError
from media_cli.multipart import MultipartBody, new_boundary, quote_param


def _drain(body: MultipartBody, chunk: int) -> bytes:
    out = bytearray()
    for _ in range(body.total + 2):  # bounded: every read returns at least one byte
        piece = body.read(chunk)
        if not piece:
            break
        out += piece
    return bytes(out)


def _parse(body: bytes, content_type: str) -> Message:
    raw = f"Content-Type: {content_type}\r\n\r\n".encode() + body
    return BytesParser(policy=HTTP).parsebytes(raw)


def test_parses_as_form_data_with_one_file_part() -> None:
    content = bytes(range(256)) * 40
    body = MultipartBody(
        io.BytesIO(content), size=len(content), filename="photo.png", content_type="image/png"
    )
    data = _drain(body, 1000)
    assert len(data) == len(body) == body.total
    message = _parse(data, body.content_type)
    assert message.is_multipart()
    parts = message.get_payload()
    assert isinstance(parts, list)
    assert len(parts) == 1
    part = parts[0]
    assert isinstance(part, Message)
    assert part.get_content_type() == "image/png"
    assert part.get_filename() == "photo.png"
    assert part.get_param("name", header="content-disposition") == "media"
    assert part.get_payload(decode=True) == content


def test_layout_is_exact() -> None:
    body = MultipartBody(
        io.BytesIO(b"abc"),
        size=3,
        filename="a.txt",
        content_type="text/plain",
        boundary="XyZ",
    )
    assert body.content_type == "multipart/form-data; boundary=XyZ"
    assert body.read() == (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="media"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n"
        b"\r\n"
        b"abc"
        b"\r\n--XyZ--\r\n"
    )
    assert body.read(10) == b""


def test_filename_is_quoted_like_browsers_do() -> None:
    assert quote_param('a"b\r\nc.txt') == "a%22b%0D%0Ac.txt"
    body = MultipartBody(
        io.BytesIO(b"x"), size=1, filename='x"\n.txt', content_type="text/plain", boundary="b"
    )
    assert b'filename="x%22%0A.txt"' in body.read()


def test_non_ascii_filename_counts_bytes_not_characters() -> None:
    body = MultipartBody(io.BytesIO(b"12"), size=2, filename="été.jpg", content_type="image/jpeg")
    data = _drain(body, 3)
    assert len(data) == len(body)
    assert "été.jpg".encode() in data


def test_reads_only_size_bytes_of_a_longer_file() -> None:
    body = MultipartBody(
        io.BytesIO(b"0123456789"), size=4, filename="f", content_type="a/b", boundary="q"
    )
    data = body.read()
    assert len(data) == len(body)
    assert b"0123\r\n--q--\r\n" in data
    assert b"4" not in data.split(b"\r\n\r\n", 1)[1]


def test_a_file_that_shrank_raises_rather_than_sending_a_short_body() -> None:
    body = MultipartBody(io.BytesIO(b"abc"), size=10, filename="f", content_type="a/b")
    with pytest.raises(MediaCliError, match="shrank"):
        _drain(body, 4)


def test_boundaries_are_random_and_plain() -> None:
    first, second = new_boundary(), new_boundary()
    assert first != second
    assert len(first) <= 70
    with pytest.raises(ValueError, match="boundary"):
        MultipartBody(io.BytesIO(b""), size=0, filename="f", content_type="a/b", boundary="a\r\n")


@settings(max_examples=60, deadline=None)
@given(
    content=st.binary(min_size=1, max_size=3000),
    chunk=st.integers(min_value=1, max_value=5000),
    filename=st.text(min_size=1, max_size=40),
)
def test_any_chunking_yields_the_same_exact_body(content: bytes, chunk: int, filename: str) -> None:
    whole = MultipartBody(
        io.BytesIO(content),
        size=len(content),
        filename=filename,
        content_type="application/octet-stream",
        boundary="fixed-boundary",
    ).read()
    chunked = MultipartBody(
        io.BytesIO(content),
        size=len(content),
        filename=filename,
        content_type="application/octet-stream",
        boundary="fixed-boundary",
    )
    pieces = _drain(chunked, chunk)
    assert pieces == whole
    assert len(whole) == chunked.total
    head, _, rest = whole.partition(b"\r\n\r\n")
    assert rest[: len(content)] == content
    assert rest[len(content) :] == b"\r\n--fixed-boundary--\r\n"
    # Whatever the file name holds, the part head stays three lines (CR/LF are escaped).
    assert head.count(b"\r") == head.count(b"\n") == 2
