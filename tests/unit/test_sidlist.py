"""Media named on stdin: JSONL from `list --jsonl`, SID pairs, or bare media SIDs."""

from __future__ import annotations

import json

import pytest

from media_cli.errors import UsageError
from media_cli.sidlist import MediaRef, parse_media_refs

MM = "MM" + "a" * 32
SM = "SM" + "b" * 32
ME1 = "ME" + "1" * 32
ME2 = "ME" + "2" * 32
AC = "AC" + "c" * 32


def test_pairs_blank_lines_comments_and_commas() -> None:
    lines = [f"{MM} {ME1}\n", "\n", "  # a comment\n", f"{SM},{ME2}\n", f"  {MM}\t{ME2}  "]
    assert list(parse_media_refs(lines)) == [
        MediaRef(MM, ME1),
        MediaRef(SM, ME2),
        MediaRef(MM, ME2),
    ]


def test_jsonl_as_list_prints_it() -> None:
    lines = [
        json.dumps({"sid": ME1, "parent_sid": MM, "account_sid": AC, "content_type": "x"}),
        json.dumps({"sid": ME2, "message_sid": SM}),
    ]
    assert list(parse_media_refs(lines)) == [MediaRef(MM, ME1, AC), MediaRef(SM, ME2, None)]


def test_bare_media_sids_need_the_message() -> None:
    assert list(parse_media_refs([ME1, ME2], message_sid=MM)) == [
        MediaRef(MM, ME1),
        MediaRef(MM, ME2),
    ]
    assert list(parse_media_refs([json.dumps({"sid": ME1})], message_sid=MM)) == [MediaRef(MM, ME1)]
    with pytest.raises(UsageError, match="line 1"):
        list(parse_media_refs([ME1]))


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "invalid message SID"),
        ('{"x": 1}', "no media SID"),
        (json.dumps({"sid": ME1}), "no message SID"),
        (json.dumps({"sid": MM, "parent_sid": MM}), "no media SID"),
        (json.dumps({"sid": ME1 + "\n", "parent_sid": MM}), "no media SID"),
        (json.dumps({"sid": ME1, "parent_sid": MM, "account_sid": "ACx"}), "account_sid"),
        (json.dumps({"sid": ME1, "parent_sid": MM, "account_sid": 5}), "account_sid"),
        (f"{MM} {ME1} {ME2}", "expected 'MESSAGE_SID MEDIA_SID'"),
        (f"{ME1} {MM}", "invalid message SID"),
        (f"{MM} {MM}", "invalid media SID"),
    ],
)
def test_a_bad_line_is_a_usage_error_naming_the_line(line: str, why: str) -> None:
    lines = [f"{MM} {ME1}", "", line]
    parsed = parse_media_refs(lines)
    assert next(parsed) == MediaRef(MM, ME1)  # lazy: good lines come out before the bad one
    with pytest.raises(UsageError, match="stdin line 3") as info:
        next(parsed)
    assert why in info.value.message


def test_an_empty_stream() -> None:
    assert list(parse_media_refs([])) == []
    assert list(parse_media_refs(["", "# only comments", "   "])) == []
