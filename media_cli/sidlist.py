"""Media named on stdin: JSONL as `list --jsonl` prints it, ``MESSAGE_SID MEDIA_SID`` pairs,
or bare media SIDs when the message is known."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from media_cli.errors import UsageError
from media_cli.sids import ACCOUNT_SID, MEDIA_SID, MESSAGE_SID


@dataclass(frozen=True)
class MediaRef:
    """Enough to address one media: its message, its SID, and (from JSONL) its account."""

    message_sid: str
    sid: str
    account_sid: str | None = None


def _bad(line_no: int, why: str) -> UsageError:
    return UsageError(f"stdin line {line_no}: {why}")


def parse_media_refs(lines: Iterable[str], *, message_sid: str | None = None) -> Iterator[MediaRef]:
    """Parse lazily; blank lines and ``#`` comments are skipped; a bad line is a usage error.

    A UTF-8 byte order mark (files saved by Windows tools) and CR/LF line ends are ignored.
    """
    for line_no, raw in enumerate(lines, start=1):
        line = raw.lstrip("\ufeff").strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            try:
                doc = json.loads(line)
            except ValueError as exc:
                raise _bad(line_no, "not valid JSON") from exc
            if not isinstance(doc, dict):
                raise _bad(line_no, "expected a JSON object")
            sid = doc.get("sid")
            parent = doc.get("message_sid") or doc.get("parent_sid") or message_sid
            account = doc.get("account_sid")
            if not isinstance(sid, str) or not MEDIA_SID.match(sid):
                raise _bad(line_no, "no media SID in field 'sid'")
            if not isinstance(parent, str) or not MESSAGE_SID.match(parent):
                raise _bad(line_no, "no message SID in 'message_sid' or 'parent_sid'")
            if account is not None and (
                not isinstance(account, str) or not ACCOUNT_SID.match(account)
            ):
                raise _bad(line_no, "malformed 'account_sid'")
            yield MediaRef(message_sid=parent, sid=sid, account_sid=account)
            continue
        fields = line.replace(",", " ").split()
        if len(fields) == 1 and message_sid is not None:
            fields = [message_sid, fields[0]]
        if len(fields) != 2:
            raise _bad(
                line_no,
                "expected 'MESSAGE_SID MEDIA_SID'"
                + (" or a media SID" if message_sid else "")
                + ", or a JSON object from `media-cli list --jsonl`",
            )
        parent, sid = fields
        if not MESSAGE_SID.match(parent):
            raise _bad(line_no, f"invalid message SID {parent[:40]!r}")
        if not MEDIA_SID.match(sid):
            raise _bad(line_no, f"invalid media SID {sid[:40]!r}")
        yield MediaRef(message_sid=parent, sid=sid)
