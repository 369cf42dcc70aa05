"""The error hierarchy: every failure carries its exit code and a stable code."""

from __future__ import annotations

from typing import Any, ClassVar, Final

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_NOT_FOUND: Final = 3
EXIT_CREDENTIALS: Final = 4
EXIT_NETWORK: Final = 5
EXIT_INTERRUPTED: Final = 130


class MediaCliError(Exception):
    """Base of every error media-cli raises on purpose."""

    exit_code: ClassVar[int] = EXIT_ERROR
    code: ClassVar[str] = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_json(self) -> dict[str, Any]:
        """The ``{"error": {...}}`` document written to stderr in JSON modes."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "twilio_code": None,
                "status": None,
                "hint": self.hint,
            }
        }


class UsageError(MediaCliError):
    """Bad input or conflicting flags, detected before any request."""

    exit_code = EXIT_USAGE
    code = "usage"


class ConfirmationRequiredError(UsageError):
    """A destructive command was run with no one to confirm and without --yes."""

    code = "confirmation_required"


class CredentialsError(MediaCliError):
    """No usable credentials were found."""

    exit_code = EXIT_CREDENTIALS
    code = "credentials_missing"


class KeyringError(CredentialsError):
    """The keyring backend is missing or failed while storing a secret."""

    code = "keyring_unavailable"


class NetworkError(MediaCliError):
    """Connection failure, timeout, or retries exhausted (including 429)."""

    exit_code = EXIT_NETWORK
    code = "network"


class DownloadError(MediaCliError):
    """Content could not be written completely and verified."""

    code = "download_failed"


class PartialFailureError(MediaCliError):
    """A bulk run finished but some items failed."""

    code = "partial_failure"

    def __init__(self, message: str, *, failed: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.failed = failed


class LockedError(MediaCliError):
    """Another run holds the lock for this account."""

    code = "locked"


class ApiError(MediaCliError):
    """A non-2xx answer from Twilio, built from its error body."""

    code = "api_error"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        twilio_code: int | None = None,
        more_info: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint or more_info)
        self.status = status
        self.twilio_code = twilio_code
        self.more_info = more_info
        self.retry_after: str | None = None  # the answer's Retry-After header, if any
        # An earlier attempt of this request may have been carried out: its answer was lost
        # (connection dropped after sending) or was a 5xx. A DELETE answered 404 then most
        # likely deleted the media itself.
        self.after_lost_answer = False

    def to_json(self) -> dict[str, Any]:
        doc = super().to_json()
        doc["error"]["twilio_code"] = self.twilio_code
        doc["error"]["status"] = self.status
        return doc


class NotFoundError(ApiError):
    """The resource does not exist (HTTP 404, Twilio 20404)."""

    exit_code = EXIT_NOT_FOUND
    code = "not_found"


class AuthError(ApiError):
    """Credentials were rejected (HTTP 401/403, Twilio 20003)."""

    exit_code = EXIT_CREDENTIALS
    code = "unauthorized"


class RateLimitError(ApiError):
    """429 (Twilio 20429) after the retry budget was spent."""

    exit_code = EXIT_NETWORK
    code = "rate_limited"


class ServerError(ApiError):
    """5xx after the retry budget was spent."""

    exit_code = EXIT_NETWORK
    code = "server_error"


def api_error_for(
    status: int, *, message: str, twilio_code: int | None, more_info: str | None
) -> ApiError:
    """Pick the ApiError subclass that matches an HTTP status."""
    cls: type[ApiError]
    if status == 404:
        cls = NotFoundError
    elif status in (401, 403):
        cls = AuthError
    elif status == 429:
        cls = RateLimitError
    elif status >= 500:
        cls = ServerError
    else:
        cls = ApiError
    hint = more_info
    if cls is AuthError:
        hint = (
            "check the account SID and secret: `media-cli auth status` shows which source is "
            "in effect"
        )
    return cls(message, status=status, twilio_code=twilio_code, more_info=more_info, hint=hint)
