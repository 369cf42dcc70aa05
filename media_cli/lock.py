"""Non-blocking per-account lock files, so two overlapping cron purges never run together."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from media_cli.errors import LockedError, MediaCliError


def lock_path_for(config_dir: Path, account_sid: str) -> Path:
    """``<config_dir>/locks/<account_sid>.lock`` (hex in lower case: one account, one lock)."""
    return config_dir / "locks" / f"{account_sid[:2]}{account_sid[2:].lower()}.lock"


class FileLocks:
    """Exclusive ``flock`` on each path, taken without waiting, released on close.

    The kernel releases a flock when the process dies (even by ``kill -9``), so a crashed
    run never leaves a stale lock behind. Paths are locked in sorted order so two runs that
    need overlapping sets cannot deadlock (and cannot block at all: every attempt is
    non-blocking). The holder's pid is written into the file for the error message.
    """

    def __init__(self) -> None:
        self._held: dict[Path, int] = {}

    def acquire(self, paths: Iterable[Path]) -> None:
        """Lock every path not already held; on a conflict raise LockedError (nothing waits)."""
        import fcntl

        for path in sorted({Path(p) for p in paths} - set(self._held)):
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise MediaCliError(
                    f"cannot open lock file {path}: {exc.strerror or exc}",
                    hint="pass --lock-file PATH to put the lock somewhere writable",
                ) from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _read_holder(fd)
                os.close(fd)
                who = f" (pid {holder})" if holder else ""
                raise LockedError(
                    f"another purge is running for this account{who}: {path} is locked",
                    hint="wait for it to finish; the lock is released when that process exits",
                ) from None
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._held[path] = fd

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(self._held)

    def release(self) -> None:
        import fcntl

        for fd in self._held.values():
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        self._held.clear()

    def __enter__(self) -> FileLocks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> str | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return text if text.isdigit() else None
