"""AppContext: the streams plus lazy, cached settings, credentials and client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from media_cli.streams import Streams

if TYPE_CHECKING:
    from media_cli.client import MediaClient, RetryPolicy
    from media_cli.config import Settings
    from media_cli.credentials import Credentials
    from media_cli.discovery import AccountFailure
    from media_cli.errors import PartialFailureError
    from media_cli.render import OutputMode


@dataclass
class GlobalOptions:
    """The root options, as given (typer has merged their env vars where they have one)."""

    profile: str | None = None
    account_sid: str | None = None
    api_url: str | None = None
    mcs_url: str | None = None
    region: str | None = None
    edge: str | None = None
    debug: bool = False
    quiet: bool = False
    insecure: bool = False


@dataclass
class AppContext:
    """Built once per invocation by the root callback, or injected by tests (``obj=``)."""

    streams: Streams
    options: GlobalOptions = field(default_factory=GlobalOptions)
    retry: RetryPolicy | None = None
    json_errors: bool = False
    _settings: Settings | None = field(default=None, repr=False)
    _credentials: Credentials | None = field(default=None, repr=False)
    _client: MediaClient | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            from media_cli.config import load_settings

            o = self.options
            self._settings = load_settings(
                profile=o.profile,
                api_url=o.api_url,
                mcs_url=o.mcs_url,
                region=o.region,
                edge=o.edge,
                account_sid=o.account_sid,
                debug=o.debug,
                quiet=o.quiet,
                insecure=o.insecure,
            )
        return self._settings

    def credentials(self) -> Credentials:
        if self._credentials is None:
            from media_cli.credentials import resolve_credentials

            self._credentials = resolve_credentials(self.settings())
            source = self._credentials.secret_source
            if self.options.profile and source.startswith("env:"):
                # DESIGN's order puts env credentials before any profile; say so, since
                # someone who typed --profile probably expected that profile's account.
                self.streams.warn(
                    f"media-cli: warning: {source[4:]} and the other TWILIO_* variables "
                    f"take precedence over --profile {self.options.profile}"
                )
            if self.options.debug:
                for key, value in self._credentials.describe().items():
                    self.debug(f"credentials: {key} = {value}")
        return self._credentials

    def client(self, *, pool_size: int = 16) -> MediaClient:
        if self._client is None:
            from media_cli.client import MediaClient, RetryPolicy

            settings = self.settings()
            retry = self.retry or RetryPolicy(
                attempts=settings.retry_attempts, backoff=settings.retry_backoff
            )
            self._client = MediaClient(
                self.credentials(),
                api_url=settings.api_url,
                mcs_url=settings.mcs_url,
                timeout=(min(10.0, settings.timeout), settings.timeout),
                retry=retry,
                pool_size=pool_size,
                debug_log=self.debug if self.options.debug else None,
                proxy_env=dict(settings.proxy_env),
            )
            if self.options.debug:
                for name, value in settings.proxy_env:
                    shown = value.split("@")[-1]  # never a proxy password
                    self.debug(f"proxy: {name} = {shown}")
        return self._client

    @property
    def account_sid(self) -> str:
        """The account whose media we act on."""
        return self.credentials().target_account_sid

    def debug(self, message: str) -> None:
        if self.options.debug:
            print(f"media-cli: debug: {message}", file=self.streams.stderr, flush=True)


def output_mode(app_ctx: AppContext, *, json_flag: bool, jsonl_flag: bool) -> OutputMode:
    """Pick the output mode and remember whether errors should be JSON too."""
    from media_cli.errors import UsageError
    from media_cli.render import choose_mode

    if json_flag and jsonl_flag:
        app_ctx.json_errors = True
        raise UsageError("--json and --jsonl cannot be used together")
    mode = choose_mode(app_ctx.streams, json_flag=json_flag, jsonl_flag=jsonl_flag)
    app_ctx.json_errors = mode.is_json
    return mode


ACCOUNT_FAILURE_HINT = (
    "Twilio answers 401/403 for the resources of a suspended subaccount: check its status "
    "in the Twilio Console"
)


@dataclass
class AccountFailures:
    """Subaccounts that refused access during an --all-subaccounts run (list, download,
    purge): the ``on_account_failure`` callback of discovery (their lists were refused) and of
    bulk.AccountRefusals (a delete or content download was refused after their media were
    listed). An account is reported once, whichever comes first.

    Each is reported on stderr when it happens: one warning line naming the account and
    Twilio's answer, or in JSON modes one ``{"error": {...}}`` line (DESIGN's keys, plus
    ``account_sid``). The command then finishes its other accounts and ends with error()
    (exit 1: a bulk run in which something failed).
    """

    app_ctx: AppContext
    failures: list[AccountFailure] = field(default_factory=list)

    def __call__(self, failure: AccountFailure) -> None:
        if failure.account_sid in self.account_sids:
            return
        self.failures.append(failure)
        streams = self.app_ctx.streams
        if self.app_ctx.json_errors:
            from media_cli.render import write_error_json

            doc = failure.error.to_json()
            doc["error"]["message"] = (
                f"subaccount {failure.account_sid} {failure.what}: {failure.reason}"
            )
            doc["error"]["hint"] = ACCOUNT_FAILURE_HINT
            doc["error"]["account_sid"] = failure.account_sid
            write_error_json(streams, doc)
        else:
            rest = "" if failure.action == "read" else "; its other media are not tried"
            streams.warn(
                f"media-cli: warning: subaccount {failure.account_sid} {failure.what} "
                f"(going on with the other accounts{rest}): {failure.reason}"
            )

    @property
    def account_sids(self) -> list[str]:
        return [f.account_sid for f in self.failures]

    def describe(self) -> str:
        """``1 subaccount could not be read (AC…)`` (``… refused access (AC…)`` when one
        refused after its media were listed); "" when none failed."""
        count = len(self.failures)
        if not count:
            return ""
        noun = "subaccount" if count == 1 else "subaccounts"
        read = all(f.action == "read" for f in self.failures)
        what = "could not be read" if read else "refused access"
        return f"{count} {noun} {what} ({', '.join(self.account_sids)})"

    def error(self, done: str) -> PartialFailureError | None:
        """The run's error when any account failed: ``done`` says what happened to the
        others (``the other accounts' media were listed``)."""
        if not self.failures:
            return None
        from media_cli.errors import PartialFailureError

        return PartialFailureError(
            f"{self.describe()}; {done}", failed=len(self.failures), hint=ACCOUNT_FAILURE_HINT
        )
