"""A streamed multipart/form-data body with one file part and an exact, precomputed length."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Final

from media_cli.errors import MediaCliError

if TYPE_CHECKING:
    from media_cli.client import Readable

DEFAULT_FIELD: Final = "media"


def quote_param(value: str) -> str:
    """A form-data parameter value as browsers write it (WHATWG): escape ``"``, CR and LF."""
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def new_boundary() -> str:
    """A boundary no file can be expected to contain (random, 32 hex digits)."""
    return f"media-cli-{secrets.token_hex(16)}"


class MultipartBody:
    """``read(n)`` yields the part headers, then ``size`` bytes of ``fileobj``, then the close.

    ``len()`` is the exact total: the request declares it as Content-Length and streams the body
    without holding the file in memory. The file is read as it is sent; if it yields fewer
    than ``size`` bytes, MediaCliError is raised rather than sending a short body.
    """

    def __init__(
        self,
        fileobj: Readable,
        *,
        size: int,
        filename: str,
        content_type: str,
        field_name: str = DEFAULT_FIELD,
        boundary: str | None = None,
    ) -> None:
        self.boundary = boundary or new_boundary()
        if not 1 <= len(self.boundary) <= 70 or any(c in self.boundary for c in "\r\n\"'"):
            raise ValueError("a multipart boundary is 1 to 70 plain characters")
        self._file = fileobj
        self.size = size
        self.preamble = (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{quote_param(field_name)}"; '
            f'filename="{quote_param(filename)}"\r\n'
            f"Content-Type: {content_type}\r\n"
            "\r\n"
        ).encode()
        self.epilogue = f"\r\n--{self.boundary}--\r\n".encode()
        self.total = len(self.preamble) + size + len(self.epilogue)
        self.bytes_read = 0  # of the whole body, preamble included
        self._file_read = 0

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self.total

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.total - self.bytes_read
        out = bytearray()
        while len(out) < n and self.bytes_read < self.total:
            want = n - len(out)
            pos = self.bytes_read
            head = len(self.preamble)
            if pos < head:
                piece = self.preamble[pos : pos + want]
            elif pos < head + self.size:
                piece = self._file.read(min(want, self.size - self._file_read))
                if not piece:
                    raise MediaCliError(
                        f"the file shrank while it was being uploaded ({self._file_read} of "
                        f"{self.size} bytes read)"
                    )
                self._file_read += len(piece)
            else:
                start = pos - head - self.size
                piece = self.epilogue[start : start + want]
            out += piece
            self.bytes_read += len(piece)
        return bytes(out)

    def close(self) -> None:
        close = getattr(self._file, "close", None)
        if close is not None:
            close()
