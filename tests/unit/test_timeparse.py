"""User dates and durations, and Twilio's RFC 2822 dates, as aware UTC."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from media_cli.errors import EXIT_USAGE, UsageError
from media_cli.timeparse import (
    iso_utc,
    now_utc,
    parse_day,
    parse_duration,
    parse_instant,
    parse_twilio_date,
)

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", timedelta(days=90)),
        ("12h", timedelta(hours=12)),
        ("2w", timedelta(weeks=2)),
        ("30m", timedelta(minutes=30)),
        ("45s", timedelta(seconds=45)),
        (" 7D ", timedelta(days=7)),
        ("1 d", timedelta(days=1)),
        ("999999s", timedelta(seconds=999999)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "90", "d", "-1d", "1.5d", "0d", "1y", "1000000d", "10 days", "1d2h"]
)
def test_bad_durations_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="invalid duration") as info:
        parse_duration(text)
    assert info.value.exit_code == EXIT_USAGE


def test_the_largest_amount_still_parses() -> None:
    # Reaching before year 1 is the caller's check (discovery.build_window).
    assert parse_duration("999999w") == timedelta(weeks=999999)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-31", datetime(2026, 1, 31, tzinfo=UTC)),
        ("2026-01-31T12:00:00Z", datetime(2026, 1, 31, 12, tzinfo=UTC)),
        ("2026-01-31T12:00:00", datetime(2026, 1, 31, 12, tzinfo=UTC)),
        ("2026-01-31T12:00:00+02:00", datetime(2026, 1, 31, 10, tzinfo=UTC)),
        ("2026-01-31 23:30-01:00", datetime(2026, 2, 1, 0, 30, tzinfo=UTC)),
        ("Jan 31 2026", datetime(2026, 1, 31, tzinfo=UTC)),
        ("  2026-01-31  ", datetime(2026, 1, 31, tzinfo=UTC)),
    ],
)
def test_parse_instant(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "yesterday-ish",
        "2026-13-45",
        "not a date",
        # Incomplete dates that dateutil or ISO would complete silently: refused.
        "5",
        "10:00",
        "January 2026",
        "2026",
        "2026-01",
        "202601",
    ],
)
def test_bad_instants_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="--sent-before"):
        parse_instant(text, what="--sent-before")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-28", date(2026, 2, 28)),
        ("2026-02-28T23:00:00-05:00", date(2026, 3, 1)),  # a GMT day
        ("2026-02-28T23:00:00Z", date(2026, 2, 28)),
    ],
)
def test_parse_day(text: str, expected: date) -> None:
    assert parse_day(text) == expected


def test_parse_day_rejects_impossible_days() -> None:
    with pytest.raises(UsageError, match="no such day"):
        parse_day("2026-02-30", what="--created-on")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon, 16 Aug 2010 03:45:01 +0000", datetime(2010, 8, 16, 3, 45, 1, tzinfo=UTC)),
        ("Mon, 16 Aug 2010 05:45:01 +0200", datetime(2010, 8, 16, 3, 45, 1, tzinfo=UTC)),
        ("Mon, 16 Aug 2010 03:45:01 GMT", datetime(2010, 8, 16, 3, 45, 1, tzinfo=UTC)),
        ("2010-08-16T03:45:01Z", datetime(2010, 8, 16, 3, 45, 1, tzinfo=UTC)),
        ("2010-08-16T03:45:01", datetime(2010, 8, 16, 3, 45, 1, tzinfo=UTC)),
        ("", None),
        (None, None),
        ("garbage", None),
    ],
)
def test_parse_twilio_date(text: str | None, expected: datetime | None) -> None:
    assert parse_twilio_date(text) == expected


def test_iso_utc() -> None:
    assert iso_utc(None) is None
    assert iso_utc(datetime(2026, 1, 2, 3, 4, 5, 999, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    plus_two = timezone(timedelta(hours=2))
    assert iso_utc(datetime(2026, 1, 2, 1, 0, tzinfo=plus_two)) == "2026-01-01T23:00:00Z"


def test_now_utc_is_aware() -> None:
    assert now_utc().tzinfo is UTC


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 12, 31)))
def test_rfc2822_round_trip(moment: datetime) -> None:
    from email.utils import format_datetime

    aware = moment.replace(microsecond=0, tzinfo=UTC)
    assert parse_twilio_date(format_datetime(aware)) == aware
    assert parse_instant(iso_utc(aware) or "") == aware


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31)),
    st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
    st.booleans(),
)
def test_fast_rfc2822_path_agrees_with_email_utils(
    moment: datetime, offset_minutes: int, weekday: bool
) -> None:
    # parse_twilio_date reads Twilio's spelling itself; email.utils is the reference.
    from email.utils import format_datetime, parsedate_to_datetime

    zone = timezone(timedelta(minutes=offset_minutes))
    text = format_datetime(moment.replace(microsecond=0, tzinfo=zone))
    if not weekday:
        text = text.split(", ", 1)[1]
    assert parse_twilio_date(text) == parsedate_to_datetime(text).astimezone(UTC)


@pytest.mark.parametrize(
    "text",
    [
        "Mon, 31 Feb 2010 03:45:01 +0000",  # no such day
        "Mon, 16 Foo 2010 03:45:01 +0000",  # no such month
        "Mon, 16 Aug 2010 25:45:01 +0000",  # no such hour
        "Mon, 16 Aug 2010 03:45:01 +2400",  # no such offset
    ],
)
def test_impossible_rfc2822_dates_are_none(text: str) -> None:
    assert parse_twilio_date(text) is None
