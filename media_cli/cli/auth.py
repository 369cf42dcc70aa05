"""`media-cli auth login / status / logout`: credentials in the keyring, profiles in the config."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from media_cli.cli.context import AppContext, output_mode
from media_cli.cli.options import JsonlOpt, JsonOpt
from media_cli.errors import UsageError

if TYPE_CHECKING:
    from media_cli.config import Settings
    from media_cli.credentials import Credentials

auth_app = typer.Typer(
    help=(
        "Store credentials in the system keyring and show which ones are in effect.\n\n"
        "Example: printf '%s\\n' \"$TOKEN\" | media-cli auth login --account-sid AC… --with-token"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)


def login(
    ctx: typer.Context,
    account_sid: Annotated[
        str | None,
        typer.Option(
            "--account-sid",
            metavar="AC…",
            help="The account to log in to (prompted for on a terminal when omitted).",
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            metavar="SK…",
            help="Store this API key and its secret instead of the account's auth token.",
        ),
    ] = None,
    with_token: Annotated[
        bool,
        typer.Option(
            "--with-token", help="Read the secret from stdin (one line) instead of prompting."
        ),
    ] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify/--no-verify",
            help="Check the credentials against the API before storing them.",
        ),
    ] = True,
    region: Annotated[
        str | None,
        typer.Option("--region", metavar="REGION", help="Store this Twilio region in the profile."),
    ] = None,
    edge: Annotated[
        str | None,
        typer.Option("--edge", metavar="EDGE", help="Store this Twilio edge in the profile."),
    ] = None,
) -> None:
    """Store credentials for a profile: the secret in the keyring, the rest in the config.

    The secret (auth token, or API key secret with --api-key) is never taken from the
    command line: it is prompted for without echo, or read from stdin with --with-token.
    The keyring entry is service "media-cli", username = the profile name.

    Example:

      printf '%s\\n' "$TWILIO_AUTH_TOKEN" | media-cli auth login --account-sid AC… --with-token
    """
    from media_cli.credentials import save_login
    from media_cli.sids import check_sid

    app_ctx: AppContext = ctx.ensure_object(AppContext)
    streams = app_ctx.streams
    if ctx.args:
        # Extra words are collected (allow_extra_args) so that they are never echoed back in
        # click's "unexpected extra argument" message: the word may well be the secret.
        raise UsageError(
            "auth login takes no arguments; secrets are never accepted on the command line",
            hint="pipe the secret with --with-token, or run it on a terminal to be prompted",
        )
    if not with_token and not streams.can_prompt:
        raise UsageError(
            "no terminal to prompt for the secret",
            hint="pipe the secret on stdin with --with-token",
        )
    account = account_sid or app_ctx.options.account_sid
    if not account:
        if with_token or not streams.can_prompt:
            raise UsageError("--account-sid is required with --with-token")
        account = _ask(app_ctx, "Account SID (AC…): ")
    check_sid("account", account)
    if api_key is not None:
        check_sid("api key", api_key)
    region = region or app_ctx.options.region
    edge = edge or app_ctx.options.edge
    settings = app_ctx.settings()
    what = f"API key secret for {api_key}" if api_key else f"auth token for {account}"
    if with_token:
        secret = streams.stdin.readline().strip()
    else:
        secret = streams.read_secret(f"{what[0].upper()}{what[1:]}: ").strip()
    if not secret:
        raise UsageError(f"no {what} given")
    if verify:
        _verify(app_ctx, settings, account, api_key, secret, region=region, edge=edge)
    save_login(
        settings, account_sid=account, api_key=api_key, secret=secret, region=region, edge=edge
    )
    streams.warn(
        f"Logged in to {account} as profile {settings.profile!r}"
        f"{' with API key ' + api_key if api_key else ''}"
        f"{'' if verify else ' (not verified)'}: the secret is in the keyring, "
        f"the profile in {settings.config_file}."
    )


def status(ctx: typer.Context, json_: JsonOpt = False, jsonl: JsonlOpt = False) -> None:
    """Show the credentials in effect and where each value came from (never the secret).

    Exits 4 when no credentials are found.

    Example:

      media-cli --profile work auth status --json
    """
    from media_cli.credentials import describe_status
    from media_cli.render import Column, write_object

    app_ctx: AppContext = ctx.ensure_object(AppContext)
    mode = output_mode(app_ctx, json_flag=json_, jsonl_flag=jsonl)
    info = describe_status(app_ctx.settings(), app_ctx.credentials())
    write_object(app_ctx.streams, mode, dict(info), [Column(key.upper(), key) for key in info])


def logout(ctx: typer.Context) -> None:
    """Remove a profile's secret from the keyring and its table from the config file.

    Running it again is harmless.

    Example:

      media-cli --profile work auth logout
    """
    from media_cli.credentials import KEYRING_SERVICE, forget_login

    app_ctx: AppContext = ctx.ensure_object(AppContext)
    settings = app_ctx.settings()
    removed_secret, removed_table = forget_login(settings)
    name = settings.profile
    if removed_secret:
        app_ctx.streams.warn(
            f"Removed the secret of profile {name!r} from the keyring ({KEYRING_SERVICE})."
        )
    if removed_table:
        app_ctx.streams.warn(f"Removed profile {name!r} from {settings.config_file}.")
    if not removed_secret and not removed_table:
        app_ctx.streams.warn(f"Nothing to remove: profile {name!r} is not logged in.")


def _ask(app_ctx: AppContext, question: str) -> str:
    """One line from the person at the terminal (the question goes to stderr)."""
    streams = app_ctx.streams
    streams.stderr.write(question)
    streams.stderr.flush()
    return streams.stdin.readline().strip()


def _verify(
    app_ctx: AppContext,
    settings: Settings,
    account: str,
    api_key: str | None,
    secret: str,
    *,
    region: str | None,
    edge: str | None,
) -> None:
    """GET the account with the new credentials; a 401 raises AuthError (exit 4)."""
    from media_cli.client import API_VERSION, MediaClient, RetryPolicy
    from media_cli.config import DEFAULT_API_URL, DEFAULT_MCS_URL, rewrite_host
    from media_cli.credentials import Credentials

    api_url, mcs_url = settings.api_url, settings.mcs_url
    if (region or edge) and settings.api_url_source in ("default", "region/edge"):
        api_url = rewrite_host(DEFAULT_API_URL, region=region, edge=edge)
        mcs_url = rewrite_host(DEFAULT_MCS_URL, region=region, edge=edge)
    credentials: Credentials = Credentials(
        account_sid=account,
        account_sid_source="auth login",
        username=api_key or account,
        username_source="auth login",
        secret=secret,
        secret_source="auth login",  # noqa: S106 - a source label, not a secret
        target_account_sid=account,
    )
    client = MediaClient(
        credentials,
        api_url=api_url,
        mcs_url=mcs_url,
        timeout=(min(10.0, settings.timeout), settings.timeout),
        retry=app_ctx.retry
        or RetryPolicy(attempts=settings.retry_attempts, backoff=settings.retry_backoff),
        debug_log=app_ctx.debug if app_ctx.options.debug else None,
    )
    try:
        client.get_json(f"{client.api_url}/{API_VERSION}/Accounts/{account}.json")
    finally:
        client.close()


auth_app.command("login", context_settings={"allow_extra_args": True})(login)
auth_app.command("status")(status)
auth_app.command("logout")(logout)
