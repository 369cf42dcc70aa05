"""Renderers on in-memory streams: TSV escaping, JSON `[]`, JSONL lines, tables on a TTY."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from media_cli.render import (
    MEDIA_COLUMNS,
    Column,
    ItemWriter,
    OutputMode,
    choose_mode,
    human_bytes,
    relative_time,
    write_error_json,
    write_object,
)
from media_cli.streams import Streams

ANSI = re.compile(r"\x1b\[[0-9;]*m")
ME = "ME" + "1" * 32
MM = "MM" + "2" * 32
ITEM = {
    "sid": ME,
    "message_sid": MM,
    "content_type": "image/jpeg",
    "date_created": "Mon, 16 Aug 2010 03:45:01 +0000",
    "content_url": "https://api.twilio.com/x",
}
COLS = (Column("SID", "sid"), Column("NOTE", "note"))


def out(streams: Streams) -> str:
    assert isinstance(streams.stdout, io.StringIO)
    return streams.stdout.getvalue()


def err(streams: Streams) -> str:
    assert isinstance(streams.stderr, io.StringIO)
    return streams.stderr.getvalue()


@pytest.mark.parametrize(
    ("tty", "json_flag", "jsonl_flag", "expected"),
    [
        (True, False, False, OutputMode.TABLE),
        (False, False, False, OutputMode.TSV),
        (True, True, False, OutputMode.JSON),
        (False, False, True, OutputMode.JSONL),
    ],
)
def test_choose_mode(tty: bool, json_flag: bool, jsonl_flag: bool, expected: OutputMode) -> None:
    mode = choose_mode(Streams.for_test(tty=tty), json_flag=json_flag, jsonl_flag=jsonl_flag)
    assert mode is expected
    assert mode.is_json == (expected in (OutputMode.JSON, OutputMode.JSONL))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("plain", "plain"),
        ("a\tb", "a\\tb"),
        ("line1\nline2", "line1\\nline2"),
        ("crlf\r\n", "crlf\\n"),
        ("back\\slash", "back\\\\slash"),
        (None, ""),
        (42, "42"),
        ({"b": [1, 2]}, '{"b":[1,2]}'),
        ("ünïcode", "ünïcode"),
    ],
)
def test_tsv_escapes_each_cell(value: object, cell: str) -> None:
    streams = Streams.for_test(tty=False)
    writer = ItemWriter(streams, OutputMode.TSV, COLS)
    writer.write({"sid": ME, "note": value})
    writer.finish()
    assert out(streams) == f"{ME}\t{cell}\n"
    assert out(streams).count("\t") == 1
    assert err(streams) == ""


def test_tsv_has_no_header_no_ansi_and_streams() -> None:
    streams = Streams.for_test(tty=False)
    writer = ItemWriter(streams, OutputMode.TSV, MEDIA_COLUMNS)
    writer.write(ITEM)
    assert out(streams) == (
        f"{ME}\t{MM}\timage/jpeg\tMon, 16 Aug 2010 03:45:01 +0000\thttps://api.twilio.com/x\n"
    )
    writer.write({"sid": ME})
    writer.finish()
    assert out(streams).splitlines()[1] == f"{ME}\t\t\t\t"
    assert not ANSI.search(out(streams))


@pytest.mark.parametrize("tty", [True, False])
def test_json_empty_is_an_empty_array(tty: bool) -> None:
    streams = Streams.for_test(tty=tty)
    writer = ItemWriter(streams, OutputMode.JSON, MEDIA_COLUMNS)
    writer.finish()
    assert out(streams) == "[]\n"
    assert err(streams) == ""  # no "No media found." in JSON modes, even on a terminal


def test_json_is_one_indented_document() -> None:
    streams = Streams.for_test(tty=True)
    writer = ItemWriter(streams, OutputMode.JSON, MEDIA_COLUMNS)
    writer.write(ITEM)
    assert out(streams).startswith("[\n  {")  # streamed as items arrive, not collected
    writer.write({"sid": ME, "x": "ü"})
    writer.finish()
    assert json.loads(out(streams)) == [ITEM, {"sid": ME, "x": "ü"}]
    # The same bytes json.dumps(indent=2) gives for the whole list.
    assert (
        out(streams)
        == json.dumps([ITEM, {"sid": ME, "x": "ü"}], indent=2, ensure_ascii=False) + "\n"
    )
    assert "ü" in out(streams)
    assert not ANSI.search(out(streams))
    assert streams.open_outputs == []


def test_json_left_open_by_a_failure_is_closed_by_the_boundary() -> None:
    streams = Streams.for_test()
    writer = ItemWriter(streams, OutputMode.JSON, MEDIA_COLUMNS)
    writer.write(ITEM)
    with pytest.raises(json.JSONDecodeError):
        json.loads(out(streams))
    streams.close_open_output()  # what the error boundary does
    assert json.loads(out(streams)) == [ITEM]


def test_empty_json_is_an_empty_array() -> None:
    streams = Streams.for_test()
    writer = ItemWriter(streams, OutputMode.JSON, MEDIA_COLUMNS)
    writer.finish()
    assert out(streams) == "[]\n"


def test_a_huge_table_is_printed_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    import media_cli.render as render

    monkeypatch.setattr(render, "TABLE_BLOCK", 3)
    streams = Streams.for_test(tty=True)
    writer = ItemWriter(streams, OutputMode.TABLE, MEDIA_COLUMNS)
    for _ in range(3):
        writer.write(ITEM)
    assert out(streams).count("MESSAGE") == 1  # the first block is out before the run ends
    writer.write(ITEM)
    assert out(streams).count("MESSAGE") == 1
    writer.finish()
    assert out(streams).count("MESSAGE") == 2


def test_jsonl_is_one_compact_object_per_line_as_items_arrive() -> None:
    streams = Streams.for_test(tty=True)
    writer = ItemWriter(streams, OutputMode.JSONL, MEDIA_COLUMNS)
    writer.write(ITEM)
    assert out(streams) == json.dumps(ITEM, separators=(",", ":")) + "\n"
    writer.write({"sid": "b\nc"})
    writer.finish()
    lines = out(streams).splitlines()
    assert [json.loads(line) for line in lines] == [ITEM, {"sid": "b\nc"}]
    assert lines == [
        json.dumps(ITEM, separators=(",", ":")),
        json.dumps({"sid": "b\nc"}, separators=(",", ":")),
    ]
    assert writer.count == 2


def test_jsonl_empty_prints_nothing() -> None:
    streams = Streams.for_test(tty=True)
    ItemWriter(streams, OutputMode.JSONL, MEDIA_COLUMNS).finish()
    assert (out(streams), err(streams)) == ("", "")


def test_table_on_a_tty_has_headers_and_relative_times() -> None:
    streams = Streams.for_test(tty=True)
    columns = (Column("SID", "sid"), Column("CREATED", "date_created", is_time=True))
    writer = ItemWriter(streams, OutputMode.TABLE, columns)
    writer.write(ITEM)
    writer.finish()
    text = ANSI.sub("", out(streams))
    header, row = text.splitlines()
    assert header.split() == ["SID", "CREATED"]
    assert row.split()[0] == ME
    assert "years ago" in text
    assert "2010" not in text  # the raw date is shown as a relative time
    assert err(streams) == ""


@pytest.mark.parametrize("mode", [OutputMode.TABLE, OutputMode.TSV])
def test_no_media_found_goes_to_a_terminal_stderr_only(mode: OutputMode) -> None:
    on_tty = Streams.for_test(tty=True)
    ItemWriter(on_tty, mode, MEDIA_COLUMNS).finish()
    assert (out(on_tty), err(on_tty)) == ("", "No media found.\n")

    piped_out = Streams.for_test(tty=True)
    piped_out.stdout_is_tty = False
    ItemWriter(piped_out, mode, MEDIA_COLUMNS, empty_message="Nothing.").finish()
    assert (out(piped_out), err(piped_out)) == ("", "Nothing.\n")

    piped_err = Streams.for_test(tty=True)
    piped_err.stderr_is_tty = False
    ItemWriter(piped_err, mode, MEDIA_COLUMNS).finish()
    assert (out(piped_err), err(piped_err)) == ("", "")

    quiet = Streams.for_test(tty=True)
    quiet.quiet = True
    ItemWriter(quiet, mode, MEDIA_COLUMNS).finish()
    assert err(quiet) == ""


@pytest.mark.parametrize(
    ("mode", "check"),
    [
        (OutputMode.JSON, lambda text: json.loads(text) == ITEM and text.count("\n") > 2),
        (OutputMode.JSONL, lambda text: json.loads(text) == ITEM and text.count("\n") == 1),
        (OutputMode.TSV, lambda text: text == "\t".join([ME, MM, "image/jpeg"]) + "\n"),
    ],
)
def test_write_object(mode: OutputMode, check: object) -> None:
    streams = Streams.for_test(tty=False)
    write_object(streams, mode, ITEM, MEDIA_COLUMNS[:3])
    assert callable(check)
    assert check(out(streams))


def test_write_object_table_is_key_value() -> None:
    streams = Streams.for_test(tty=True)
    write_object(streams, OutputMode.TABLE, {**ITEM, "size": None}, MEDIA_COLUMNS)
    lines = [ANSI.sub("", line).rstrip() for line in out(streams).splitlines()]
    assert any(line.startswith("sid") and line.endswith(ME) for line in lines)
    assert any(line.strip() == "size" for line in lines)


def test_write_error_json_is_one_line_on_stderr() -> None:
    streams = Streams.for_test(tty=False)
    doc = {"error": {"code": "usage", "message": "bad\nthing", "hint": None}}
    write_error_json(streams, doc)
    assert out(streams) == ""
    assert err(streams).count("\n") == 1
    assert json.loads(err(streams)) == doc


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=5), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=59), "59 minutes ago"),
        (timedelta(hours=2), "2 hours ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=45), "1 month ago"),
        (timedelta(days=800), "2 years ago"),
        (timedelta(days=-3), "in 3 days"),
    ],
)
def test_relative_time(delta: timedelta, text: str) -> None:
    moment = (NOW - delta).strftime("%a, %d %b %Y %H:%M:%S +0000")
    assert relative_time(moment, now=NOW) == text


def test_relative_time_of_nothing() -> None:
    assert relative_time(None) == ""
    assert relative_time("garbage") == ""


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (None, ""),
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (5 * 1024**2, "5.0 MiB"),
        (3 * 1024**3, "3.0 GiB"),
        (5000 * 1024**3, "5000.0 GiB"),
    ],
)
def test_human_bytes(size: int | None, text: str) -> None:
    assert human_bytes(size) == text
