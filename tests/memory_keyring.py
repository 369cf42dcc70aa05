"""A real in-memory keyring backend, installed for every unit and CLI test.

Tests never reach the user's keyring: the fixture installs this backend with
``keyring.set_keyring`` and, afterwards, keyring's own always-failing backend.
"""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Stores passwords in a dict, keyed by (service, username)."""

    # A low priority, so keyring's own discovery never picks this class by itself.
    priority = 0.1

    def __init__(self) -> None:
        # KeyringBackend.__init__ (unannotated) only does this:
        self.set_properties_from_env()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise PasswordDeleteError("no such password") from None


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]  # unannotated in keyring
