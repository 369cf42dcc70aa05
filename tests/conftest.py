"""Shared fixtures: the bundled emulator, started once per session and reset before each test."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from media_cli.emulator.server import Emulator, EmulatorConfig


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
