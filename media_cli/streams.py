"""Standard streams, TTY flags, colour and prompting, read when the command runs."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def _isatty(stream: IO[str] | IO[bytes]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@dataclass
class Streams:
    """The process's streams plus what they allow (gh's IOStreams, httpie's Environment)."""

    stdin: IO[str]
    stdout: IO[str]
    stderr: IO[str]
    stdin_is_tty: bool
    stdout_is_tty: bool
    stderr_is_tty: bool
    no_prompt: bool = False
    quiet: bool = False
    environ: dict[str, str] = field(default_factory=dict)
    # Closers for output documents still open on stdout (a streamed JSON array): the error
    # boundary runs them so that stdout stays valid when a command fails half-way.
    open_outputs: list[Callable[[], None]] = field(default_factory=list, repr=False)
    _out_console: Console | None = field(default=None, repr=False)
    _err_console: Console | None = field(default=None, repr=False)

    @classmethod
    def from_system(cls) -> Streams:
        """Read ``sys.std*`` now, so a test runner that swaps them is honoured."""
        return cls(
            stdin=sys.stdin,
            stdout=sys.stdout,
            stderr=sys.stderr,
            stdin_is_tty=_isatty(sys.stdin),
            stdout_is_tty=_isatty(sys.stdout),
            stderr_is_tty=_isatty(sys.stderr),
            no_prompt=bool(os.environ.get("MEDIA_CLI_NO_PROMPT")),
            environ=dict(os.environ),
        )

    @classmethod
    def for_test(cls, *, tty: bool = False, stdin: str = "") -> Streams:
        """In-memory streams; ``tty`` makes all three look like a terminal."""
        return cls(
            stdin=io.StringIO(stdin),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
            stdin_is_tty=tty,
            stdout_is_tty=tty,
            stderr_is_tty=tty,
        )

    @property
    def can_prompt(self) -> bool:
        """True when someone is at a terminal to answer a question."""
        return self.stdin_is_tty and self.stdout_is_tty and not self.no_prompt

    @property
    def show_progress(self) -> bool:
        """Progress bars go to stderr, only for a person watching it."""
        return self.stderr_is_tty and not self.quiet

    def out_console(self) -> Console:
        """A rich console on stdout (tables on a TTY)."""
        if self._out_console is None:
            from rich.console import Console

            self._out_console = Console(
                file=self.stdout,
                force_terminal=self.stdout_is_tty or None,
                soft_wrap=False,
                highlight=False,
            )
        return self._out_console

    def err_console(self) -> Console:
        """A rich console on stderr (progress, prompts, summaries)."""
        if self._err_console is None:
            from rich.console import Console

            self._err_console = Console(
                file=self.stderr,
                force_terminal=self.stderr_is_tty or None,
                highlight=False,
            )
        return self._err_console

    def close_open_output(self) -> None:
        """Close any document left open on stdout (see ``open_outputs``)."""
        while self.open_outputs:
            self.open_outputs.pop()()

    def warn(self, message: str) -> None:
        """One line of human text on stderr, unless --quiet."""
        if not self.quiet:
            print(message, file=self.stderr, flush=True)

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question on the terminal; default no."""
        self.stderr.write(f"{question} [y/N]: ")
        self.stderr.flush()
        answer = self.stdin.readline()
        return answer.strip().lower() in ("y", "yes")

    def read_secret(self, prompt: str) -> str:
        """Read a secret without echo from the terminal."""
        import getpass

        stream = self.stderr if isinstance(self.stderr, io.TextIOBase) else None
        return getpass.getpass(prompt, stream=stream)  # type: ignore[arg-type]
