"""The root command: global options, command registration and the one error boundary."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any, Final

import typer

# typer >= 0.26 vendors click as typer._click; this file is the one place that reaches into it
# (pyproject pins typer to the releases that do so without pydantic).
from typer._click import core as click_core
from typer._click import exceptions as click_exc
from typer.core import TyperGroup

from media_cli import __version__
from media_cli.cli.context import AppContext, GlobalOptions
from media_cli.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, MediaCliError
from media_cli.streams import Streams


def _report(app_ctx: AppContext | None, exc: MediaCliError) -> None:
    """Print one error: a human line (plus hint), or a JSON line in JSON modes. Never secrets."""
    streams = app_ctx.streams if app_ctx else Streams.from_system()
    if app_ctx is not None and app_ctx.json_errors:
        from media_cli.render import write_error_json

        write_error_json(streams, exc.to_json())
        return
    print(f"media-cli: error: {exc.message}", file=streams.stderr)
    if exc.hint:
        print(f"hint: {exc.hint}", file=streams.stderr)
    streams.stderr.flush()


def _wants_json(args: Sequence[str]) -> bool:
    for arg in args:
        if arg == "--":
            return False
        if arg in ("--json", "--jsonl"):
            return True
    return False


def _close_output(ctx: click_core.Context) -> AppContext | None:
    """The run's AppContext, after closing any document left open on stdout (a streamed
    JSON array), so that stdout stays valid JSON when a command fails half-way."""
    app_ctx = ctx.obj if isinstance(ctx.obj, AppContext) else None
    if app_ctx is not None:
        app_ctx.streams.close_open_output()
    return app_ctx


class MediaCliGroup(TyperGroup):
    """Maps every error to its exit code in one place (gh's ghcmd, httpie's raw_main)."""

    def invoke(self, ctx: click_core.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, click_exc.ClickException):
            raise
        except MediaCliError as exc:
            app_ctx = _close_output(ctx)
            if app_ctx is not None and app_ctx.options.debug and exc.exit_code == EXIT_ERROR:
                import traceback

                traceback.print_exc(file=app_ctx.streams.stderr)
            _report(app_ctx, exc)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            app_ctx = _close_output(ctx)
            err = app_ctx.streams.stderr if app_ctx else sys.stderr
            print("media-cli: interrupted", file=err, flush=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            app_ctx = _close_output(ctx)
            if app_ctx is not None and app_ctx.options.debug:
                raise
            wrapped = MediaCliError(
                f"unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                hint="this is a bug in media-cli; re-run with --debug for the traceback",
            )
            _report(app_ctx, wrapped)
            raise typer.Exit(EXIT_ERROR) from None

    def format_commands(self, ctx: click_core.Context, formatter: Any) -> None:
        """Root help in the lean app (no command registered): list the commands from their
        docstrings without having typer convert every signature (start-up cost)."""
        if self.commands:
            super().format_commands(ctx, formatter)
            return
        from typer._click.utils import make_default_short_help

        catalogue = command_catalogue()
        limit = formatter.width - 6 - max(len(name) for name, _ in catalogue)
        rows = [(name, make_default_short_help(text, limit).strip()) for name, text in catalogue]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode:
            return super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            # Without standalone mode, typer returns (not raises) the code of a typer.Exit.
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.Exit as exc:
            sys.exit(exc.exit_code)
        except typer.Abort:
            print("media-cli: interrupted", file=sys.stderr, flush=True)
            sys.exit(EXIT_INTERRUPTED)
        except click_exc.ClickException as exc:
            if _wants_json(argv):
                from media_cli.errors import UsageError

                doc = UsageError(exc.format_message()).to_json()
                import json

                print(json.dumps(doc, separators=(",", ":")), file=sys.stderr, flush=True)
            else:
                exc.show()
            sys.exit(EXIT_USAGE if isinstance(exc, click_exc.UsageError) else exc.exit_code)
        except KeyboardInterrupt:
            print("media-cli: interrupted", file=sys.stderr, flush=True)
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(code if isinstance(code, int) else 0)


def _version_callback(value: bool) -> None:
    if value:
        print(f"media-cli {__version__}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            envvar="MEDIA_CLI_PROFILE",
            metavar="NAME",
            help="Credentials profile to use.",
        ),
    ] = None,
    account_sid: Annotated[
        str | None,
        typer.Option(
            "--account-sid",
            metavar="AC…",
            help="Account whose media to act on (a subaccount is fine).",
        ),
    ] = None,
    api_url: Annotated[
        str | None,
        typer.Option(
            "--api-url",
            envvar="MEDIA_CLI_API_URL",
            metavar="URL",
            help="REST API base URL [default: https://api.twilio.com].",
        ),
    ] = None,
    mcs_url: Annotated[
        str | None,
        typer.Option(
            "--mcs-url",
            envvar="MEDIA_CLI_MCS_URL",
            metavar="URL",
            help="Media Content Service base URL [default: https://mcs.us1.twilio.com].",
        ),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region", envvar="TWILIO_REGION", metavar="REGION", help="Twilio region, such as ie1."
        ),
    ] = None,
    edge: Annotated[
        str | None,
        typer.Option(
            "--edge", envvar="TWILIO_EDGE", metavar="EDGE", help="Twilio edge, such as dublin."
        ),
    ] = None,
    insecure: Annotated[
        bool,
        typer.Option("--insecure", help="Allow a plain-http API URL to a non-loopback host."),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar="MEDIA_CLI_DEBUG",
            help="Log requests (secrets redacted) and show tracebacks.",
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress, warnings or summaries.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """List, download, purge and upload Twilio media from the shell."""
    app_ctx = ctx.obj if isinstance(ctx.obj, AppContext) else AppContext(Streams.from_system())
    app_ctx.options = GlobalOptions(
        profile=profile,
        account_sid=account_sid,
        api_url=api_url,
        mcs_url=mcs_url,
        region=region,
        edge=edge,
        debug=debug,
        quiet=quiet,
        insecure=insecure,
    )
    app_ctx.streams.quiet = quiet
    ctx.obj = app_ctx


# Root options that take a value: the word after them is not the command's name.
_VALUE_OPTIONS: Final = frozenset(
    {"--profile", "--account-sid", "--api-url", "--mcs-url", "--region", "--edge"}
)


def build_app(only: str | None = None) -> typer.Typer:
    """The root app with every command, or only the one named (see commands.register)."""
    from media_cli.cli import commands

    new = typer.Typer(
        cls=MediaCliGroup,
        name="media-cli",
        help=(
            "List, download, purge and upload Twilio media from the shell.\n\n"
            "Example: media-cli list --older-than 90d --jsonl | jq -r .sid"
        ),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 80},
    )
    new.callback()(root)
    commands.register(new, only=only)
    return new


def command_catalogue() -> list[tuple[str, str]]:
    """(name, help text) of every command, in the order the full app lists them."""
    import importlib
    import inspect

    from media_cli.cli.commands import COMMANDS

    commands, groups = [], []
    for name, (module, attribute, kind) in COMMANDS.items():
        target = getattr(importlib.import_module(module), attribute)
        if kind == "group":  # typer lists sub-apps after the commands
            groups.append((name, str(target.info.help or "")))
        else:
            commands.append((name, inspect.getdoc(target) or ""))
    return commands + groups


def invoked_command(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, ``""`` when it runs none (``--version``, root help), or
    None when every command is needed (an unknown name: its error suggests the right one)."""
    from media_cli.cli.commands import COMMANDS

    index = 0
    while index < len(argv):
        word = argv[index]
        if word in ("-h", "--help"):
            return ""
        if word == "--":
            return None
        if word.startswith("-"):
            index += 2 if word in _VALUE_OPTIONS else 1
            continue
        return word if word in COMMANDS else None
    return ""


_app: typer.Typer | None = None


def __getattr__(name: str) -> typer.Typer:
    """``app``: the full app, built on first use (tests, docs); main() builds a lean one."""
    global _app
    if name != "app":
        raise AttributeError(name)
    if _app is None:
        _app = build_app()
    return _app


def main() -> None:
    """Console-script entry point: registers only the command being run, for start-up."""
    build_app(only=invoked_command(sys.argv[1:]))(prog_name="media-cli")
