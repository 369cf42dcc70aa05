"""Rich progress displays on stderr behind byte-count callbacks (no-ops when progress is off)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from media_cli.streams import Streams

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

LARGE_FILE: Final = 8 * 1024 * 1024


class DownloadProgress:
    """The no-op display: what runs when stderr is not a terminal or --quiet is on.

    ``on_bytes`` is None here so the download loop calls nothing per chunk.
    """

    enabled = False
    on_bytes: Callable[[int], None] | None = None

    def start_file(self, sid: str, size: int | None) -> Callable[[int], None] | None:
        """Called when a file's body starts; returns a per-file callback (large files only)."""
        return None

    def finish_file(self, sid: str, *, ok: bool) -> None:
        """Called once per media, whatever its outcome."""

    def __enter__(self) -> DownloadProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class RichDownloadProgress(DownloadProgress):
    """An overall bar (files, bytes, rate, ETA when the count is known) plus large-file bars."""

    enabled = True

    def __init__(
        self, streams: Streams, *, total_files: int | None, large_file: int = LARGE_FILE
    ) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.large_file = large_file
        self.total_files = total_files
        self.done = 0
        self.failed = 0
        self._lock = threading.Lock()
        self._files: dict[str, TaskID] = {}
        self.progress: Progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=streams.err_console(),
            transient=True,
            refresh_per_second=8,
        )
        self.overall = self.progress.add_task(self._describe(), total=None)
        task = self.overall
        advance = self.progress.advance

        def on_bytes(count: int) -> None:
            advance(task, count)

        self.on_bytes = on_bytes

    def _describe(self) -> str:
        total = "?" if self.total_files is None else str(self.total_files)
        failed = f", {self.failed} failed" if self.failed else ""
        return f"files {self.done}/{total}{failed}"

    def start_file(self, sid: str, size: int | None) -> Callable[[int], None] | None:
        if size is None or size <= self.large_file:
            return None
        task = self.progress.add_task(f"  {sid}", total=size)
        with self._lock:
            old = self._files.pop(sid, None)
            self._files[sid] = task
        if old is not None:  # a retry of the same file starts a fresh bar
            self.progress.remove_task(old)
        advance = self.progress.advance

        def on_bytes(count: int) -> None:
            advance(task, count)

        return on_bytes

    def finish_file(self, sid: str, *, ok: bool) -> None:
        with self._lock:
            self.done += 1
            if not ok:
                self.failed += 1
            task = self._files.pop(sid, None)
            description = self._describe()
        if task is not None:
            self.progress.remove_task(task)
        self.progress.update(self.overall, description=description)

    def __enter__(self) -> RichDownloadProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()


def download_progress(streams: Streams, *, total_files: int | None = None) -> DownloadProgress:
    """The rich display when someone watches stderr (``streams.show_progress``), else a no-op."""
    if not streams.show_progress:
        return DownloadProgress()
    return RichDownloadProgress(streams, total_files=total_files)


def byte_callback(streams: Streams, *, total: int | None, description: str) -> ByteBar:
    """A single transient bar (a spinner when ``total`` is None) for one transfer."""
    return ByteBar(streams if streams.show_progress else None, total=total, description=description)


class ByteBar:
    """One transfer's bar; ``on_bytes`` is None (nothing to call) when progress is off."""

    def __init__(self, streams: Streams | None, *, total: int | None, description: str) -> None:
        self.on_bytes: Callable[[int], None] | None = None
        self._progress: Progress | None = None
        if streams is None:
            return
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TransferSpeedColumn,
        )

        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            console=streams.err_console(),
            transient=True,
        )
        task = progress.add_task(description, total=total)
        advance = progress.advance

        def on_bytes(count: int) -> None:
            advance(task, count)

        self.on_bytes = on_bytes
        self._progress = progress

    def __enter__(self) -> ByteBar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def item_progress(streams: Streams, *, total: int | None, description: str) -> ItemBar:
    """A transient bar over items (a spinner when ``total`` is None), for bulk runs."""
    return ItemBar(streams if streams.show_progress else None, total=total, description=description)


class ItemBar:
    """Counts finished items by status; a no-op unless someone watches stderr."""

    def __init__(self, streams: Streams | None, *, total: int | None, description: str) -> None:
        self._progress: Progress | None = None
        self._description = description
        self._counts: dict[str, int] = {}
        if streams is None:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=streams.err_console(),
            transient=True,
        )
        self._task = self._progress.add_task(description, total=total)

    def advance(self, status: str) -> None:
        if self._progress is None:
            return
        self._counts[status] = self._counts.get(status, 0) + 1
        counts = ", ".join(f"{name} {n}" for name, n in sorted(self._counts.items()))
        self._progress.update(self._task, advance=1, description=f"{self._description} ({counts})")

    def __enter__(self) -> ItemBar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
