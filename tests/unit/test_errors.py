"""The error → exit-code table, restated here as a contract."""

from __future__ import annotations

import json

import pytest

from media_cli import errors
from media_cli.errors import (
    ApiError,
    AuthError,
    ConfirmationRequiredError,
    CredentialsError,
    DownloadError,
    KeyringError,
    MediaCliError,
    NetworkError,
    NotFoundError,
    PartialFailureError,
    RateLimitError,
    ServerError,
    UsageError,
    api_error_for,
)

EXPECTED: list[tuple[type[MediaCliError], int, str]] = [
    (MediaCliError, 1, "error"),
    (ApiError, 1, "api_error"),
    (DownloadError, 1, "download_failed"),
    (PartialFailureError, 1, "partial_failure"),
    (UsageError, 2, "usage"),
    (ConfirmationRequiredError, 2, "confirmation_required"),
    (NotFoundError, 3, "not_found"),
    (CredentialsError, 4, "credentials_missing"),
    (KeyringError, 4, "keyring_unavailable"),
    (AuthError, 4, "unauthorized"),
    (NetworkError, 5, "network"),
    (RateLimitError, 5, "rate_limited"),
    (ServerError, 5, "server_error"),
]


def test_the_exit_code_constants() -> None:
    assert (
        errors.EXIT_OK,
        errors.EXIT_ERROR,
        errors.EXIT_USAGE,
        errors.EXIT_NOT_FOUND,
        errors.EXIT_CREDENTIALS,
        errors.EXIT_NETWORK,
        errors.EXIT_INTERRUPTED,
    ) == (0, 1, 2, 3, 4, 5, 130)


@pytest.mark.parametrize(
    ("cls", "exit_code", "code"), EXPECTED, ids=lambda v: getattr(v, "__name__", str(v))
)
def test_exit_code_and_stable_code(cls: type[MediaCliError], exit_code: int, code: str) -> None:
    assert cls.exit_code == exit_code
    assert cls.code == code
    assert issubclass(cls, MediaCliError)


def test_every_error_class_is_in_the_table() -> None:
    defined = {
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type) and issubclass(obj, MediaCliError)
    }
    # LockedError is a plain exit-1 error; everything else is restated above.
    listed = {cls for cls, _, _ in EXPECTED} | {errors.LockedError}
    assert defined == listed
    assert errors.LockedError.exit_code == 1


@pytest.mark.parametrize(
    ("status", "cls", "exit_code"),
    [
        (400, ApiError, 1),
        (401, AuthError, 4),
        (403, AuthError, 4),
        (404, NotFoundError, 3),
        (409, ApiError, 1),
        (429, RateLimitError, 5),
        (500, ServerError, 5),
        (503, ServerError, 5),
    ],
)
def test_api_error_for_status(status: int, cls: type[ApiError], exit_code: int) -> None:
    exc = api_error_for(status, message="boom", twilio_code=20000 + status, more_info=None)
    assert type(exc) is cls
    assert exc.exit_code == exit_code
    assert (exc.status, exc.twilio_code, exc.message) == (status, 20000 + status, "boom")


def test_api_error_hint_is_more_info_except_for_auth() -> None:
    url = "https://www.twilio.com/docs/errors/20404"
    assert api_error_for(404, message="m", twilio_code=20404, more_info=url).hint == url
    auth = api_error_for(401, message="m", twilio_code=20003, more_info=url)
    assert auth.more_info == url
    assert "auth status" in (auth.hint or "")


def test_error_json_document() -> None:
    doc = api_error_for(429, message="Too many", twilio_code=20429, more_info=None).to_json()
    assert doc == {
        "error": {
            "code": "rate_limited",
            "message": "Too many",
            "twilio_code": 20429,
            "status": 429,
            "hint": None,
        }
    }
    plain = UsageError("bad SID", hint="use AC…").to_json()
    assert plain == {
        "error": {
            "code": "usage",
            "message": "bad SID",
            "twilio_code": None,
            "status": None,
            "hint": "use AC…",
        }
    }
    json.dumps(plain)  # serialisable


def test_partial_failure_carries_the_count() -> None:
    exc = PartialFailureError("2 of 5 failed", failed=2)
    assert (exc.failed, exc.exit_code, str(exc)) == (2, 1, "2 of 5 failed")
