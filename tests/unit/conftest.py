"""Unit-test fixtures: every test runs with an in-memory keyring."""

from __future__ import annotations

from tests.memory_keyring import memory_keyring

__all__ = ["memory_keyring"]
