"""Shared fixtures: the bundled emulator, started once per session and reset before each test;
a clean environment for every test."""

from __future__ import annotations

import os
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from media_cli.emulator.server import Emulator, EmulatorConfig

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _is_loopback(host: object) -> bool:
    text = str(host)
    return text in _LOOPBACK_NAMES or text.startswith("127.")


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    """A safety net: no test in this process may resolve or connect to anything but loopback.

    The suite must never send traffic off the machine, not even to check that it is refused.
    """
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> None:
        inet = self.family in (socket.AF_INET, socket.AF_INET6)
        if inet and isinstance(address, tuple) and not _is_loopback(address[0]):
            raise OSError(f"tests may only connect to loopback, not {address[0]!r}")
        real_connect(self, address)  # type: ignore[arg-type]  # the address is passed through

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host is not None and not _is_loopback(host):
            raise socket.gaierror(f"tests may only resolve loopback names, not {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]  # passthrough

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]  # the guard
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]  # the guard itself
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]  # restore
        socket.getaddrinfo = real_getaddrinfo


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real credentials or config leak in; nobody is there to answer a prompt."""
    for name in list(os.environ):
        if name.startswith(("TWILIO_", "MEDIA_CLI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MEDIA_CLI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("MEDIA_CLI_NO_PROMPT", "1")


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """One in-process emulator (API, MCS, CDN on free loopback ports) for the whole session."""
    server = Emulator(EmulatorConfig(host="127.0.0.1", port=0, seed="none")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emu(emulator: Emulator) -> dict[str, Any]:
    """Reset the emulator (no messages, no faults, default settings); return its start-up info."""
    request = urllib.request.Request(  # noqa: S310 - loopback URL of the fixture's emulator
        f"{emulator.api_url}/__emulator__/reset", data=b"{}", method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - as above
        response.read()
    return dict(emulator.info)
