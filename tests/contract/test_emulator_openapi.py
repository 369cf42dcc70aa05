"""Every JSON answer of the emulator on the spec's paths validates against Twilio's OpenAPI file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from media_cli.emulator.server import Emulator

# A copy of shared/spec/twilio_api_v2010_media.json (twilio-oai d50069b4), kept beside the test
# so the suite does not depend on the layout outside the repository.
SPEC_PATH = Path(__file__).with_name("twilio_api_v2010_media.json")

_RFC2822_GMT = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$"
)


def _is_uri_reference(value: object) -> bool:
    # The spec declares the list envelope's URIs as `format: uri`, but Twilio (and its own
    # examples in the same file) send them relative to https://api.twilio.com. We check that one
    # format as `uri-reference`: a path starting with "/" and no scheme or host.
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return value.startswith("/") and not parts.scheme and not parts.netloc


def _is_rfc2822_gmt(value: object) -> bool:
    return not isinstance(value, str) or bool(_RFC2822_GMT.match(value))


def _load_spec(api_url: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    # Servers are api.twilio.com; point them at the emulator so paths match.
    spec["servers"] = [{"url": api_url}]
    for item in spec["paths"].values():
        item["servers"] = [{"url": api_url}]
    # `subresource_uris` is `format: uri-map` with no properties; with extra properties
    # forbidden below it needs saying that a uri-map maps names to URI strings.
    message = spec["components"]["schemas"]["api.v2010.account.message"]
    message["properties"]["subresource_uris"]["additionalProperties"] = {"type": "string"}
    return spec


@pytest.fixture(scope="module")
def openapi(emulator: Emulator) -> OpenAPI:
    config = Config(
        extra_format_validators={
            "uri": _is_uri_reference,
            "date-time-rfc-2822": _is_rfc2822_gmt,
        },
        # No undocumented keys (the official client breaks on extra envelope keys) and every
        # documented key present.
        additional_properties_default_policy="forbid",
        response_properties_default_policy="required",
    )
    return OpenAPI.from_dict(_load_spec(emulator.api_url), config=config)


@pytest.fixture
def session(emu: dict[str, Any]) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.auth = (emu["account_sid"], emu["auth_token"])
        yield s


def _seed(emu: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(f"{emu['api_url']}/__emulator__/seed", json=payload, timeout=30)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def _check(openapi: OpenAPI, response: requests.Response) -> None:
    openapi.validate_response(
        RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response)
    )


@pytest.fixture
def seeded(emu: dict[str, Any]) -> dict[str, Any]:
    sub = next(
        a
        for a in requests.get(f"{emu['api_url']}/__emulator__/state", timeout=30).json()["accounts"]
        if a["parent_sid"] == emu["account_sid"]
    )
    return _seed(
        emu,
        {
            "messages": [
                {
                    "date_sent": "2025-03-01T10:00:00Z",
                    "to": "+15005550006",
                    "from": "+14155550101",
                    "body": "three media",
                    "media": [
                        {"content_type": "image/jpeg", "size": 2048},
                        {"content_type": "image/png", "size": 1024},
                        {"content_type": "application/pdf", "size": 4096},
                    ],
                },
                {"date_sent": "2025-03-02T11:00:00Z", "body": "no media"},
                {"date_sent": "2025-03-03T12:00:00Z", "media": [{"size": 10}]},
                {
                    "account_sid": sub["sid"],
                    "date_sent": "2025-03-04T12:00:00Z",
                    "media": [{"content_type": "audio/amr", "size": 100}],
                },
            ]
        },
    )


def _base(emu: dict[str, Any], account: str | None = None) -> str:
    return f"{emu['api_url']}/2010-04-01/Accounts/{account or emu['account_sid']}"


def test_message_list_pages_validate(
    openapi: OpenAPI, emu: dict[str, Any], seeded: dict[str, Any], session: requests.Session
) -> None:
    url: str | None = f"{_base(emu)}/Messages.json?PageSize=1"
    pages = 0
    while url:
        response = session.get(url, timeout=30)
        assert response.status_code == 200
        _check(openapi, response)
        pages += 1
        nxt = response.json()["next_page_uri"]
        url = f"{emu['api_url']}{nxt}" if nxt else None
    assert pages == 3


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?DateSent=2025-03-01",
        "?DateSent%3C=2025-03-02&DateSent%3E=2025-03-01",
        "?To=%2B15005550006&From=%2B14155550101",
        "?DateSent%3E=2030-01-01",  # empty page
        "?PageSize=1000&Page=0",
    ],
)
def test_message_list_filters_validate(
    openapi: OpenAPI,
    emu: dict[str, Any],
    seeded: dict[str, Any],
    session: requests.Session,
    query: str,
) -> None:
    response = session.get(f"{_base(emu)}/Messages.json{query}", timeout=30)
    assert response.status_code == 200
    _check(openapi, response)


def test_message_fetch_and_delete_validate(
    openapi: OpenAPI, emu: dict[str, Any], seeded: dict[str, Any], session: requests.Session
) -> None:
    for message in seeded["messages"]:
        url = f"{_base(emu, message['account_sid'])}/Messages/{message['sid']}.json"
        fetched = session.get(url, timeout=30)
        assert fetched.status_code == 200
        _check(openapi, fetched)
        deleted = session.delete(url, timeout=30)
        assert deleted.status_code == 204
        assert deleted.content == b""
        _check(openapi, deleted)


def test_media_list_fetch_delete_validate(
    openapi: OpenAPI, emu: dict[str, Any], seeded: dict[str, Any], session: requests.Session
) -> None:
    message = seeded["messages"][0]
    base = f"{_base(emu)}/Messages/{message['sid']}"
    url: str | None = f"{base}/Media.json?PageSize=2"
    seen = 0
    while url:
        response = session.get(url, timeout=30)
        assert response.status_code == 200
        _check(openapi, response)
        body = response.json()
        seen += len(body["media_list"])
        url = f"{emu['api_url']}{body['next_page_uri']}" if body["next_page_uri"] else None
    assert seen == 3
    for query in (
        "?DateCreated=2025-03-01",
        "?DateCreated%3C=2025-02-01",
        "?DateCreated%3E=2025-03-01",
    ):
        filtered = session.get(f"{base}/Media.json{query}", timeout=30)
        _check(openapi, filtered)
    for media in message["media"]:
        url_one = f"{base}/Media/{media['sid']}.json"
        fetched = session.get(url_one, timeout=30)
        assert fetched.status_code == 200
        _check(openapi, fetched)
        deleted = session.delete(url_one, timeout=30)
        assert deleted.status_code == 204
        assert deleted.content == b""
        _check(openapi, deleted)


def test_subaccount_answers_validate(
    openapi: OpenAPI, emu: dict[str, Any], seeded: dict[str, Any], session: requests.Session
) -> None:
    message = seeded["messages"][3]
    base = _base(emu, message["account_sid"])
    for url in (
        f"{base}/Messages.json",
        f"{base}/Messages/{message['sid']}/Media.json",
        f"{base}/Messages/{message['sid']}/Media/{message['media'][0]['sid']}.json",
    ):
        response = session.get(url, timeout=30)
        assert response.status_code == 200, url
        _check(openapi, response)


def test_envelopes_carry_exactly_twilios_keys(
    emu: dict[str, Any], seeded: dict[str, Any], session: requests.Session
) -> None:
    keys = [
        "first_page_uri",
        "end",
        "previous_page_uri",
        "{items}",
        "uri",
        "page_size",
        "start",
        "next_page_uri",
        "page",
    ]
    message = seeded["messages"][0]
    for url, items in (
        (f"{_base(emu)}/Messages.json", "messages"),
        (f"{_base(emu)}/Messages/{message['sid']}/Media.json", "media_list"),
        (f"{emu['api_url']}/2010-04-01/Accounts.json", "accounts"),
    ):
        body = session.get(url, timeout=30).json()
        assert list(body) == [items if k == "{items}" else k for k in keys]


def test_resource_key_sets(
    emu: dict[str, Any], seeded: dict[str, Any], session: requests.Session
) -> None:
    message = seeded["messages"][0]
    got = session.get(f"{_base(emu)}/Messages/{message['sid']}.json", timeout=30).json()
    assert set(got) == {
        "account_sid", "api_version", "body", "date_created", "date_sent", "date_updated",
        "direction", "error_code", "error_message", "from", "messaging_service_sid", "num_media",
        "num_segments", "price", "price_unit", "sid", "status", "subresource_uris", "to", "uri",
    }  # fmt: skip
    assert got["num_media"] == "3"
    assert set(got["subresource_uris"]) == {"media", "feedback"}
    media = session.get(
        f"{_base(emu)}/Messages/{message['sid']}/Media/{message['media'][0]['sid']}.json",
        timeout=30,
    ).json()
    assert set(media) == {
        "account_sid", "content_type", "date_created", "date_updated", "parent_sid", "sid", "uri",
    }  # fmt: skip
    assert media["uri"].startswith("/2010-04-01/")
    assert media["uri"].endswith(".json")


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/Messages/MM00000000000000000000000000000000.json", 404, 20404),
        ("/Messages/MM00000000000000000000000000000000/Media.json", 404, 20404),
        ("/Nope.json", 404, 20404),
    ],
)
def test_error_bodies_are_exactly_twilios(
    emu: dict[str, Any], session: requests.Session, path: str, status: int, code: int
) -> None:
    response = session.get(f"{_base(emu)}{path}", timeout=30)
    assert response.status_code == status
    body = response.json()
    assert list(body) == ["code", "message", "more_info", "status"]
    assert body["code"] == code
    assert body["status"] == status
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"


def test_unauthenticated_error_body(emu: dict[str, Any]) -> None:
    response = requests.get(f"{_base(emu)}/Messages.json", timeout=30)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'
    assert response.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
