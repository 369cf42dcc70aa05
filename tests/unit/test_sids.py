"""SID shapes are checked before any request."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from media_cli.errors import EXIT_USAGE, UsageError
from media_cli.sids import check_sid

HEX32 = "0123456789abcdef" * 2


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("account", "AC" + HEX32),
        ("account", "AC" + HEX32.upper()),
        ("message", "SM" + HEX32),
        ("message", "MM" + HEX32),
        ("media", "ME" + HEX32),
        ("service", "IS" + HEX32),
        ("api key", "SK" + HEX32),
    ],
)
def test_well_formed_sids_pass(kind: str, value: str) -> None:
    assert check_sid(kind, value) == value


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("account", ""),
        ("account", "AC" + HEX32[:-1]),  # 31 digits
        ("account", "AC" + HEX32 + "0"),  # 33 digits
        ("account", "ac" + HEX32),  # lower-case prefix
        ("account", "AC" + HEX32[:-1] + "g"),  # not hex
        ("account", "MM" + HEX32),  # another kind
        ("message", "ME" + HEX32),
        ("message", "XM" + HEX32),
        ("media", "MM" + HEX32),
        ("media", " ME" + HEX32),
        ("media", "ME" + HEX32 + "\n"),
        ("service", "IS" + HEX32[:10]),
        ("api key", "SK"),
    ],
)
def test_malformed_sids_are_usage_errors(kind: str, value: str) -> None:
    with pytest.raises(UsageError, match=f"invalid {kind} SID") as info:
        check_sid(kind, value)
    assert info.value.exit_code == EXIT_USAGE


def test_a_long_bad_value_is_shortened_in_the_message() -> None:
    with pytest.raises(UsageError) as info:
        check_sid("media", "x" * 500)
    assert "x" * 41 not in info.value.message
    assert "..." in info.value.message


@given(st.text(max_size=40))
def test_anything_that_passes_has_the_shape(value: str) -> None:
    try:
        check_sid("media", value)
    except UsageError:
        return
    assert len(value) == 34
    assert value.startswith("ME")
    int(value[2:], 16)
