"""Frozen records built from Twilio's JSON; field names are Twilio's own."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from media_cli.errors import ApiError
from media_cli.sids import ACCOUNT_SID, MESSAGE_SID
from media_cli.timeparse import iso_utc, parse_twilio_date

_SID: Final = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}\Z")


def _sid(data: Mapping[str, Any], what: str) -> str:
    """The resource's own SID. It goes into request paths (DELETE …/Media/{sid}) and file
    names, so an answer without a well-formed one is a malformed answer, never a KeyError."""
    value = data.get("sid")
    if not isinstance(value, str) or not _SID.match(value):
        raise ApiError(f"the API answered a {what} without a well-formed sid", status=200)
    return value


def _parent(data: Mapping[str, Any], key: str, pattern: re.Pattern[str], known: str | None) -> str:
    """An owning SID (account, message): the answer's own when well-formed, else the one we
    asked for. It goes into request paths, so a malformed value never gets that far."""
    value = data.get(key)
    if isinstance(value, str) and pattern.match(value):
        return value
    if known is not None:
        return known
    raise ApiError(f"the API answered a media without a well-formed {key}", status=200)


def _s(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


@dataclass(frozen=True)
class Message:
    """The parts of a Message that media discovery needs."""

    sid: str
    account_sid: str
    date_sent: datetime | None
    date_created: datetime | None
    num_media: int
    to: str | None
    from_: str | None
    direction: str | None
    status: str | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Message:
        try:
            num_media = int(str(data["num_media"]))
        except (KeyError, ValueError):
            num_media = -1  # unknown (missing, null, malformed): list its media, never skip it
        return cls(
            sid=_sid(data, "message"),
            account_sid=str(data.get("account_sid") or ""),
            date_sent=parse_twilio_date(_s(data, "date_sent")),
            date_created=parse_twilio_date(_s(data, "date_created")),
            num_media=num_media,
            to=_s(data, "to"),
            from_=_s(data, "from"),
            direction=_s(data, "direction"),
            status=_s(data, "status"),
        )


@dataclass(frozen=True)
class Media:
    """One Media subresource of a Message."""

    sid: str
    account_sid: str
    parent_sid: str
    content_type: str | None
    date_created: datetime | None
    date_updated: datetime | None
    uri: str
    content_url: str
    # Context from discovery: when listed through a message, its date_sent.
    message_date_sent: datetime | None = field(default=None, compare=False)

    @property
    def message_sid(self) -> str:
        return self.parent_sid

    @classmethod
    def from_api(
        cls,
        data: Mapping[str, Any],
        *,
        api_url: str,
        message_date_sent: datetime | None = None,
        account_sid: str | None = None,
        message_sid: str | None = None,
    ) -> Media:
        """``account_sid``/``message_sid`` are the ones asked for, used when the answer's own
        are missing. ``content_url`` is built from the checked SIDs, never from the answer's
        ``uri``: a hostile ``uri`` (``@host/x``) must not steer a request to another host."""
        sid = _sid(data, "media")
        account = _parent(data, "account_sid", ACCOUNT_SID, account_sid)
        parent = _parent(data, "parent_sid", MESSAGE_SID, message_sid)
        return cls(
            sid=sid,
            account_sid=account,
            parent_sid=parent,
            content_type=_s(data, "content_type"),
            date_created=parse_twilio_date(_s(data, "date_created")),
            date_updated=parse_twilio_date(_s(data, "date_updated")),
            uri=str(data.get("uri") or ""),
            content_url=(
                f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account}/Messages/{parent}/Media/{sid}"
            ),
            message_date_sent=message_date_sent,
        )

    def to_json(self) -> dict[str, Any]:
        """Twilio's field names plus ``message_sid`` and ``content_url``; ISO 8601 UTC times."""
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "parent_sid": self.parent_sid,
            "message_sid": self.parent_sid,
            "content_type": self.content_type,
            "date_created": iso_utc(self.date_created),
            "date_updated": iso_utc(self.date_updated),
            "uri": self.uri,
            "content_url": self.content_url,
        }


@dataclass(frozen=True)
class Account:
    sid: str
    friendly_name: str | None
    owner_account_sid: str | None
    status: str | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Account:
        return cls(
            sid=_sid(data, "account"),
            friendly_name=_s(data, "friendly_name"),
            owner_account_sid=_s(data, "owner_account_sid"),
            status=_s(data, "status"),
        )


@dataclass(frozen=True)
class ChatMedia:
    """A Media resource of the Media Content Service (Chat/Conversations)."""

    sid: str
    account_sid: str | None
    service_sid: str | None
    size: int | None
    content_type: str | None
    filename: str | None
    author: str | None
    category: str | None
    date_created: datetime | None
    date_upload_updated: datetime | None
    date_updated: datetime | None
    message_sid: str | None
    channel_sid: str | None
    url: str | None
    links: dict[str, str]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ChatMedia:
        links = data.get("links") if isinstance(data.get("links"), dict) else {}
        size = data.get("size")
        return cls(
            sid=_sid(data, "chat media"),
            account_sid=_s(data, "account_sid"),
            service_sid=_s(data, "service_sid"),
            size=int(size) if isinstance(size, (int, str)) and str(size).isdigit() else None,
            content_type=_s(data, "content_type"),
            filename=_s(data, "filename"),
            author=_s(data, "author"),
            category=_s(data, "category"),
            date_created=parse_twilio_date(_s(data, "date_created")),
            date_upload_updated=parse_twilio_date(_s(data, "date_upload_updated")),
            date_updated=parse_twilio_date(_s(data, "date_updated")),
            message_sid=_s(data, "message_sid"),
            channel_sid=_s(data, "channel_sid"),
            url=_s(data, "url"),
            links={str(k): str(v) for k, v in (links or {}).items() if v is not None},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "service_sid": self.service_sid,
            "size": self.size,
            "content_type": self.content_type,
            "filename": self.filename,
            "author": self.author,
            "category": self.category,
            "date_created": iso_utc(self.date_created),
            "date_upload_updated": iso_utc(self.date_upload_updated),
            "date_updated": iso_utc(self.date_updated),
            "message_sid": self.message_sid,
            "channel_sid": self.channel_sid,
            "url": self.url,
            # A signed link's query string is a bearer token: printed without it.
            "links": {key: value.split("?", 1)[0] for key, value in self.links.items()},
        }
