"""CLI tests run with a clean environment: no real credentials or config leak in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("TWILIO_", "MEDIA_CLI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MEDIA_CLI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("MEDIA_CLI_NO_PROMPT", "1")
