"""Measurement plumbing for bench/run.py: the emulator process, timed runs, statistics, table."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MEDIA_CLI = str(BIN / "media-cli")
PYTHON = sys.executable
BASELINES = str(Path(__file__).resolve().parent / "baselines.py")


@dataclass
class Run:
    """One finished process: wall seconds, its own peak RSS, and what it printed."""

    wall: float
    maxrss_kb: int
    returncode: int
    first_line: float | None = None
    lines: int = 0
    stderr: str = ""
    last_line: str = ""
    cpu: float = 0.0  # user + system seconds of this child alone


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdin_path: Path | None = None,
    count_lines: bool = False,
    cwd: Path | None = None,
) -> Run:
    """Run one command and time it from spawn to reap.

    Peak RSS comes from ``os.wait4`` on exactly this child (its own ``ru_maxrss``, KiB on
    Linux), not from RUSAGE_CHILDREN, which is the maximum over every child ever reaped.
    With ``count_lines`` stdout is read here: the time of the first complete line (seconds
    after spawn) and the number of lines are recorded, so streaming can be checked.
    """
    with ExitStack() as stack:
        stdin: IO[bytes] | int = subprocess.DEVNULL
        if stdin_path is not None:
            stdin = stack.enter_context(stdin_path.open("rb"))
        stderr_file = stack.enter_context(tempfile.TemporaryFile())
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            env=None if env is None else dict(env),
            stdin=stdin,
            stdout=subprocess.PIPE if count_lines else subprocess.DEVNULL,
            stderr=stderr_file,
            cwd=cwd,
        )
        first: float | None = None
        lines = 0
        last = b""
        if count_lines:
            assert proc.stdout is not None
            for line in proc.stdout:
                if first is None:
                    first = time.perf_counter() - start
                lines += 1
                last = line
            proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr_file.seek(0)
        err = stderr_file.read().decode(errors="replace")
    return Run(
        wall,
        int(usage.ru_maxrss),
        proc.returncode,
        first,
        lines,
        err[-2000:],
        last.decode(errors="replace").strip(),
        usage.ru_utime + usage.ru_stime,
    )


def must(result: Run, what: str) -> Run:
    """Fail the case loudly if a measured command did not succeed."""
    if result.returncode != 0:
        raise BenchError(f"{what} exited {result.returncode}: {result.stderr.strip()[-600:]}")
    return result


class BenchError(Exception):
    """A measured command failed, so its numbers mean nothing."""


class Emulator:
    """The bundled emulator in its own process (its CPU and memory are not media-cli's)."""

    def __init__(self, *, latency_ms: float = 0, max_concurrency: int = 0) -> None:
        self.proc = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "media_cli.emulator",
                "--port",
                "0",
                "--seed",
                "none",
                "--latency-ms",
                str(latency_ms),
                "--max-concurrency",
                str(max_concurrency),
            ],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise BenchError("the emulator did not start")
        self.info: dict[str, str] = json.loads(line)
        self.api_url = self.info["api_url"]
        self.account_sid = self.info["account_sid"]
        self.auth_token = self.info["auth_token"]

    def control(self, name: str, payload: Any = None, *, timeout: float = 600) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback URL of our own emulator
            f"{self.api_url}/__emulator__/{name}",
            data=data,
            method="GET" if data is None else "POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - as above
            body = response.read()
        return json.loads(body) if body else None

    def reset(self) -> None:
        self.control("reset", {"seed": "none"})

    def generate(
        self,
        messages: int,
        media_per_message: int,
        media_size: int,
        *,
        start: str = "2024-01-01T00:00:00Z",
        end: str = "2024-12-31T00:00:00Z",
    ) -> None:
        """Reset, then seed deterministic data generated on the server side."""
        self.reset()
        answer = self.control(
            "seed",
            {
                "generate": {
                    "messages": messages,
                    "media_per_message": media_per_message,
                    "media_size": media_size,
                    "content_type": "image/jpeg",
                    "start": start,
                    "end": end,
                }
            },
        )
        got = answer["generated"]
        if got["messages"] != messages or got["media"] != messages * media_per_message:
            raise BenchError(f"seed answered {got}, wanted {messages} x {media_per_message}")

    def media_left(self) -> int:
        state = self.control("state")
        return sum(len(m["media"]) for m in state["messages"])

    def cli_env(self, config_dir: Path) -> dict[str, str]:
        """Environment for media-cli: the emulator's account, an empty config dir."""
        env = dict(os.environ)
        for name in list(env):
            if name.startswith(("TWILIO_", "MEDIA_CLI_")):
                del env[name]
        env.update(
            TWILIO_ACCOUNT_SID=self.account_sid,
            TWILIO_AUTH_TOKEN=self.auth_token,
            MEDIA_CLI_API_URL=self.api_url,
            MEDIA_CLI_MCS_URL=self.info["mcs_url"],
            MEDIA_CLI_CONFIG_DIR=str(config_dir),
        )
        return env

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def scratch(root: Path, name: str) -> Iterator[Path]:
    """A fresh empty directory under ``root``, deleted afterwards."""
    path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class Series:
    """Repeated measurements of one quantity."""

    name: str
    unit: str
    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "n": len(self.values),
            "median": self.median,
            "min": min(self.values),
            "max": max(self.values),
            "values": self.values,
        }


@dataclass
class Target:
    """One promise: ``value`` compared with ``limit`` (``at_most`` or at least)."""

    name: str
    value: float
    limit: float
    unit: str
    at_most: bool = True
    note: str = ""
    # Measured on other sizes than the target is written for (--quick): shown, never failed.
    indicative: bool = False

    @property
    def met(self) -> bool:
        return self.value <= self.limit if self.at_most else self.value >= self.limit

    @property
    def ok(self) -> bool:
        return self.met or self.indicative

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "limit": self.limit,
            "unit": self.unit,
            "at_most": self.at_most,
            "ok": self.ok,
            "met": self.met,
            "indicative": self.indicative,
            "note": self.note,
        }


@dataclass
class CaseResult:
    name: str
    series: list[Series] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    def add(self, name: str, unit: str) -> Series:
        series = Series(name, unit)
        self.series.append(series)
        return series

    @property
    def ok(self) -> bool:
        return self.error is None and all(t.ok for t in self.targets)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "error": self.error,
            "seconds": self.seconds,
            "series": [s.as_dict() for s in self.series],
            "targets": [t.as_dict() for t in self.targets],
            "notes": self.notes,
        }


def interleave(sides: Sequence[Callable[[], None]], runs: int | Sequence[int]) -> None:
    """A B A B …: the sides take turns so the machine's noise is shared fairly.

    ``runs`` is how many times each side runs: one number for all, or one per side (a side
    with fewer runs drops out of the later rounds).
    """
    counts = [runs] * len(sides) if isinstance(runs, int) else list(runs)
    for round_ in range(max(counts, default=0)):
        for side, count in zip(sides, counts, strict=True):
            if round_ < count:
                side()


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.3f}"
    if unit == "MB":
        return f"{value:.1f}"
    if unit == "x":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def table(results: Sequence[CaseResult]) -> str:
    """The human table: every series (median, min, max), then every target with its verdict."""
    lines: list[str] = []
    header = f"{'measurement':<52} {'unit':>5} {'n':>3} {'median':>10} {'min':>10} {'max':>10}"
    for result in results:
        lines.append(f"== {result.name} ({result.seconds:.0f} s)")
        if result.error:
            lines.append(f"   ERROR: {result.error}")
        if result.series:
            lines.append(header)
            for s in result.series:
                lines.append(
                    f"{s.name:<52} {s.unit:>5} {len(s.values):>3} {_fmt(s.median, s.unit):>10} "
                    f"{_fmt(min(s.values), s.unit):>10} {_fmt(max(s.values), s.unit):>10}"
                )
        for t in result.targets:
            verdict = "ok  " if t.met else "info" if t.indicative else "MISS"
            sign = "<=" if t.at_most else ">="
            notes = [t.note] if t.note else []
            if t.indicative and not t.met:
                notes.append("quick sizes: the target is for the full ones, see make bench")
            extra = f"  ({'; '.join(notes)})" if notes else ""
            lines.append(
                f"   [{verdict}] {t.name}: {_fmt(t.value, t.unit)} {t.unit} "
                f"(target {sign} {_fmt(t.limit, t.unit)}){extra}"
            )
        for note in result.notes:
            lines.append(f"   note: {note}")
        lines.append("")
    return "\n".join(lines)


def mb(kib: int) -> float:
    """ru_maxrss (KiB on Linux) in MB (10^6 bytes), the unit the targets are written in."""
    return kib * 1024 / 1e6
