"""AppContext: the streams plus lazy, cached settings, credentials and client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from media_cli.streams import Streams

if TYPE_CHECKING:
    from media_cli.client import MediaClient, RetryPolicy
    from media_cli.config import Settings
    from media_cli.credentials import Credentials
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
