"""Table / TSV / JSON / JSONL writers; stdout carries data only."""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Final

from media_cli.streams import Streams
from media_cli.timeparse import parse_twilio_date


class OutputMode(enum.Enum):
    TABLE = "table"
    TSV = "tsv"
    JSON = "json"
    JSONL = "jsonl"

    @property
    def is_json(self) -> bool:
        return self in (OutputMode.JSON, OutputMode.JSONL)


def choose_mode(streams: Streams, *, json_flag: bool, jsonl_flag: bool) -> OutputMode:
    """``--json``/``--jsonl`` when asked (the caller rejects both); else table on a TTY, TSV."""
    if json_flag:
        return OutputMode.JSON
    if jsonl_flag:
        return OutputMode.JSONL
    return OutputMode.TABLE if streams.stdout_is_tty else OutputMode.TSV


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    is_time: bool = False
    is_bytes: bool = False


MEDIA_COLUMNS: tuple[Column, ...] = (
    Column("SID", "sid"),
    Column("MESSAGE", "message_sid"),
    Column("TYPE", "content_type"),
    Column("CREATED", "date_created", is_time=True),
    Column("URL", "content_url"),
)
RESULT_COLUMNS: tuple[Column, ...] = (
    Column("SID", "sid"),
    Column("MESSAGE", "message_sid"),
    Column("STATUS", "status"),
    Column("ERROR", "error"),
)


def _tsv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        text = json.dumps(value, separators=(",", ":"))
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "")


def relative_time(value: str | None, now: datetime | None = None) -> str:
    """``3 days ago`` for a table on a terminal."""
    moment = parse_twilio_date(value)
    if moment is None:
        return ""
    now = now or datetime.now(timezone.utc)
    seconds = int((now - moment).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("year", 31536000), ("month", 2592000), ("day", 86400), ("hour", 3600)):
        if seconds >= size:
            amount = seconds // size
            text = f"{amount} {unit}{'s' if amount != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    if seconds >= 60:
        amount = seconds // 60
        return f"{amount} minute{'s' if amount != 1 else ''} ago"
    return "just now"


def human_bytes(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


# A table on a terminal is printed in blocks of this many rows, so a huge run on a
# terminal never holds more than one block.
TABLE_BLOCK: Final = 1000


class ItemWriter:
    """Writes items as they arrive, holding none of them for long.

    JSONL and TSV print a line per item. JSON streams one array, element by element, in the
    same layout as ``json.dumps(items, indent=2)``; if the command fails half-way, the error
    boundary closes the array (``Streams.close_open_output``) so stdout stays valid JSON.
    Tables print in blocks of TABLE_BLOCK rows.
    """

    def __init__(
        self,
        streams: Streams,
        mode: OutputMode,
        columns: Sequence[Column],
        *,
        empty_message: str = "No media found.",
    ) -> None:
        self.streams = streams
        self.mode = mode
        self.columns = tuple(columns)
        self.empty_message = empty_message
        self.count = 0
        self._rows: list[dict[str, Any]] = []
        self._array_open = False

    def write(self, item: dict[str, Any]) -> None:
        self.count += 1
        out = self.streams.stdout
        if self.mode is OutputMode.JSONL:
            out.write(json.dumps(item, separators=(",", ":"), ensure_ascii=False) + "\n")
            out.flush()
        elif self.mode is OutputMode.TSV:
            out.write("\t".join(_tsv_cell(item.get(c.key)) for c in self.columns) + "\n")
            out.flush()
        elif self.mode is OutputMode.JSON:
            element = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            if self._array_open:
                out.write(",\n  " + element)
            else:
                out.write("[\n  " + element)
                self._array_open = True
                self.streams.open_outputs.append(self._close_array)
            out.flush()
        else:
            self._rows.append(item)
            if len(self._rows) >= TABLE_BLOCK:
                print_table(self.streams, self.columns, self._rows)
                self._rows = []

    def _close_array(self) -> None:
        if self._array_open:
            self.streams.stdout.write("\n]\n")
            self.streams.stdout.flush()
            self._array_open = False

    def finish(self) -> None:
        out = self.streams.stdout
        if self.mode is OutputMode.JSON:
            if self._array_open:
                self._close_array()
                self.streams.open_outputs.remove(self._close_array)
            else:
                out.write("[]\n")
                out.flush()
        elif self.mode is OutputMode.TABLE and self._rows:
            print_table(self.streams, self.columns, self._rows)
            self._rows = []
        if self.count == 0 and self.streams.stderr_is_tty and not self.mode.is_json:
            self.streams.warn(self.empty_message)


def print_table(
    streams: Streams, columns: Sequence[Column], rows: Sequence[dict[str, Any]]
) -> None:
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns:
        table.add_column(column.header, overflow="fold")
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column.key)
            if column.is_time:
                cells.append(relative_time(value))
            elif column.is_bytes:
                cells.append(human_bytes(value if isinstance(value, int) else None))
            else:
                cells.append("" if value is None else str(value))
        table.add_row(*cells)
    streams.out_console().print(table)


def write_object(
    streams: Streams, mode: OutputMode, item: dict[str, Any], columns: Sequence[Column]
) -> None:
    """One object (``fetch``): JSON document, one JSONL line, a key/value table, or a TSV row."""
    out = streams.stdout
    if mode is OutputMode.JSON:
        out.write(json.dumps(item, indent=2, ensure_ascii=False) + "\n")
    elif mode is OutputMode.JSONL:
        out.write(json.dumps(item, separators=(",", ":"), ensure_ascii=False) + "\n")
    elif mode is OutputMode.TSV:
        out.write("\t".join(_tsv_cell(item.get(c.key)) for c in columns) + "\n")
    else:
        from rich.table import Table

        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for key, value in item.items():
            table.add_row(key, "" if value is None else _tsv_cell(value))
        streams.out_console().print(table)
    out.flush()


def write_error_json(streams: Streams, doc: dict[str, Any]) -> None:
    streams.stderr.write(json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n")
    streams.stderr.flush()
