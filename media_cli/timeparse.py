"""Dates and durations from users (dateutil) and from Twilio (RFC 2822) as aware UTC."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Final

from media_cli.errors import UsageError

_DURATION: Final = re.compile(r"^\s*(\d{1,6})\s*(s|m|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DATE_ONLY: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# "UTC+1"/"GMT-5": dateutil reads the sign the POSIX way (GMT+1 = one hour BEHIND UTC).
_POSIX_OFFSET: Final = re.compile(r"(?i)\b(?:UTC|GMT)\s*[+-]\s*\d")


def parse_duration(text: str) -> timedelta:
    """``90d``, ``12h``, ``2w``, ``30m``, ``45s`` as a timedelta (at most 999999 units)."""
    match = _DURATION.match(text)
    if not match:
        raise UsageError(
            f"invalid duration {text!r}: expected a number and a unit, such as 90d, 12h or 2w"
        )
    amount, unit = int(match.group(1)), match.group(2).lower()
    if amount == 0:
        raise UsageError(f"invalid duration {text!r}: must be greater than zero")
    try:
        return timedelta(seconds=amount * _UNIT_SECONDS[unit])
    except OverflowError as exc:
        raise UsageError(f"invalid duration {text!r}: too large") from exc


_YEAR_OR_MONTH: Final = re.compile(r"^\d{4}(-?\d{2})?$")
# Two defaults that differ in year, month and day (see parse_instant).
_DEFAULT_A: Final = datetime(2001, 1, 1)
_DEFAULT_B: Final = datetime(2002, 2, 2)


def parse_instant(text: str, *, what: str = "date") -> datetime:
    """A user's date or date-time, UTC unless it carries an offset, as an aware UTC datetime.

    A bare date means midnight UTC at the start of that day.
    """
    from dateutil import parser as dateparser

    stripped = text.strip()
    if not stripped:
        raise UsageError(f"invalid {what}: empty")
    if _YEAR_OR_MONTH.match(stripped):  # ISO allows "2026" and "2026-01"; a cut-off should not
        raise UsageError(
            f"invalid {what} {text!r}: give a full date (year, month and day), such as 2026-01-31"
        )
    try:
        parsed = dateparser.isoparse(stripped)
    except (ValueError, OverflowError):
        if _POSIX_OFFSET.search(stripped):
            raise UsageError(
                f"invalid {what} {text!r}: 'UTC+N'/'GMT-N' is ambiguous; "
                "give an offset such as +01:00 or -05:00"
            ) from None
        import warnings

        try:
            with warnings.catch_warnings():
                # An unknown zone name (CET, PST) would be dropped and the time read as UTC.
                warnings.simplefilter("error", dateparser.UnknownTimezoneWarning)
                parsed = dateparser.parse(stripped, default=_DEFAULT_A)
                # dateutil fills what the text leaves out from its default: "5" would be
                # the 5th of this month, "10:00" today. A second parse with another default
                # shows whether year, month and day were all given.
                if dateparser.parse(stripped, default=_DEFAULT_B).date() != parsed.date():
                    raise UsageError(
                        f"invalid {what} {text!r}: give a full date (year, month and day), "
                        "such as 2026-01-31"
                    )
        except dateparser.UnknownTimezoneWarning as exc:
            raise UsageError(
                f"invalid {what} {text!r}: unknown time zone name; "
                "give an offset such as +01:00 or -05:00, or UTC"
            ) from exc
        except (ValueError, OverflowError, TypeError) as exc:
            raise UsageError(
                f"invalid {what} {text!r}: expected a date such as 2026-01-31 or "
                "2026-01-31T12:00:00Z"
            ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError) as exc:
        raise UsageError(f"invalid {what} {text!r}: out of range") from exc


def parse_day(text: str, *, what: str = "date") -> date:
    """A ``YYYY-MM-DD`` GMT day (for Twilio's DateCreated/DateSent filters)."""
    if not _DATE_ONLY.match(text.strip()):
        return parse_instant(text, what=what).date()
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UsageError(f"invalid {what} {text!r}: no such day") from exc


# Twilio's own form of RFC 2822, parsed without email.utils (its import costs ~5 ms of every
# command's start, and a listing parses three dates per message).
_TWILIO_DATE: Final = re.compile(
    r"(?:[A-Za-z]{3}, )?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) "
    r"(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})"
)
_MONTHS: Final = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}


def _twilio_form(text: str) -> datetime | None:
    match = _TWILIO_DATE.fullmatch(text.strip())
    if match is None:
        return None
    day, month_name, year, hour, minute, second, sign, off_h, off_m = match.groups()
    month = _MONTHS.get(month_name.lower())
    if month is None:
        return None
    offset = timedelta(hours=int(off_h), minutes=int(off_m))
    try:
        return datetime(
            int(year),
            month,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=timezone(-offset if sign == "-" else offset),
        )
    except ValueError:
        return None


def parse_twilio_date(text: str | None) -> datetime | None:
    """Twilio's RFC 2822 (``Mon, 16 Aug 2010 03:45:01 +0000``) or ISO 8601 as aware UTC."""
    if not text:
        return None
    parsed = _twilio_form(text)
    if parsed is None:
        from email.utils import parsedate_to_datetime  # other RFC 2822 spellings: rare

        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 UTC with ``Z``: how every JSON output writes times."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
