"""CLI-test fixtures: every test runs with an in-memory keyring (the clean environment
comes from tests/conftest.py)."""

from __future__ import annotations

from tests.memory_keyring import memory_keyring

__all__ = ["memory_keyring"]
