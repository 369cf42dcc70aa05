"""Twilio SID formats, checked before any request is made."""

from __future__ import annotations

import re
from typing import Final

from media_cli.errors import UsageError

# \Z, not $: "$" also matches before a trailing newline, which would let "ME…\n" through.
ACCOUNT_SID: Final = re.compile(r"^AC[0-9a-fA-F]{32}\Z")
MESSAGE_SID: Final = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}\Z")
MEDIA_SID: Final = re.compile(r"^ME[0-9a-fA-F]{32}\Z")
SERVICE_SID: Final = re.compile(r"^IS[0-9a-fA-F]{32}\Z")
API_KEY_SID: Final = re.compile(r"^SK[0-9a-fA-F]{32}\Z")

_KINDS: Final = {
    "account": (ACCOUNT_SID, "AC followed by 32 hex digits"),
    "message": (MESSAGE_SID, "SM or MM followed by 32 hex digits"),
    "media": (MEDIA_SID, "ME followed by 32 hex digits"),
    "service": (SERVICE_SID, "IS followed by 32 hex digits"),
    "api key": (API_KEY_SID, "SK followed by 32 hex digits"),
}


def check_sid(kind: str, value: str) -> str:
    """Return ``value`` if it is a well-formed SID of ``kind``, else raise UsageError."""
    pattern, shape = _KINDS[kind]
    if not pattern.match(value):
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise UsageError(f"invalid {kind} SID {shown!r}: expected {shape}")
    return value
