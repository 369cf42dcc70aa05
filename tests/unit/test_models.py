"""Records built from API answers: the SIDs that go into request paths are checked."""

from __future__ import annotations

import pytest

from media_cli.errors import ApiError
from media_cli.models import Media

AC = "AC" + "1" * 32
MM = "MM" + "2" * 32
ME = "ME" + "3" * 32
API = "http://127.0.0.1:8080"


def _answer(**overrides: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "sid": ME,
        "account_sid": AC,
        "parent_sid": MM,
        "content_type": "image/jpeg",
        "date_created": "Mon, 16 Aug 2010 03:45:01 +0000",
        "date_updated": "Mon, 16 Aug 2010 03:45:01 +0000",
        "uri": f"/2010-04-01/Accounts/{AC}/Messages/{MM}/Media/{ME}.json",
    }
    doc.update(overrides)
    return doc


def test_content_url_is_built_from_sids() -> None:
    media = Media.from_api(_answer(), api_url=API + "/")
    assert media.content_url == f"{API}/2010-04-01/Accounts/{AC}/Messages/{MM}/Media/{ME}"
    assert media.to_json()["date_created"] == "2010-08-16T03:45:01Z"


@pytest.mark.parametrize("uri", ["@evil.example/x", "//evil.example/x", "", "http://x/y"])
def test_hostile_uri_never_steers_the_content_url(uri: str) -> None:
    media = Media.from_api(_answer(uri=uri), api_url=API)
    assert media.content_url.startswith(f"{API}/2010-04-01/Accounts/{AC}/")
    assert "evil" not in media.content_url


def test_missing_owner_sids_fall_back_to_the_ones_asked_for() -> None:
    media = Media.from_api(
        _answer(account_sid=None, parent_sid="../x"), api_url=API, account_sid=AC, message_sid=MM
    )
    assert (media.account_sid, media.parent_sid) == (AC, MM)


@pytest.mark.parametrize(
    "overrides",
    [{"sid": "ME../../x"}, {"sid": None}, {"account_sid": "ACnope"}, {"parent_sid": "MM/../"}],
)
def test_malformed_sids_without_fallback_are_api_errors(overrides: dict[str, object]) -> None:
    with pytest.raises(ApiError):
        Media.from_api(_answer(**overrides), api_url=API)
