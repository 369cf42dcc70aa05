"""Reliability-test fixtures: a clean environment and an in-memory keyring for every test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.memory_keyring import memory_keyring

__all__ = ["memory_keyring"]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real credentials or config leak in; nobody is there to answer a prompt."""
    for name in list(os.environ):
        if name.startswith(("TWILIO_", "MEDIA_CLI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MEDIA_CLI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("MEDIA_CLI_NO_PROMPT", "1")
