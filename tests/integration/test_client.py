"""MediaClient against the emulator over loopback: pages, filters, errors, retries, content."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from media_cli.errors import AuthError, NetworkError, NotFoundError, ServerError
from tests.support import faults, make_client, seed, state, stats


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def one_message(emu: dict[str, Any]) -> dict[str, Any]:
    """A message with five media of known types, sent ten days ago."""
    sent = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=10)
    created = seed(
        emu,
        {
            "messages": [
                {
                    "date_sent": _iso(sent),
                    "to": "+15550000001",
                    "from": "+15550000002",
                    "media": [{"content_type": "image/jpeg", "size": 1000 + i} for i in range(5)],
                }
            ]
        },
    )
    message: dict[str, Any] = created["messages"][0]
    return message


def test_iter_media_follows_every_page(emu: dict[str, Any], one_message: dict[str, Any]) -> None:
    client = make_client(emu)
    listed = list(client.iter_media(emu["account_sid"], one_message["sid"], page_size=2))
    assert sorted(m.sid for m in listed) == sorted(m["sid"] for m in one_message["media"])
    assert len({m.sid for m in listed}) == 5
    routes = stats(emu)["routes"]
    pages = sum(
        sum(by_status.values()) for route, by_status in routes.items() if "Media.json" in route
    )
    assert pages == 3


def test_limit_stops_without_fetching_an_extra_page(
    emu: dict[str, Any], one_message: dict[str, Any]
) -> None:
    client = make_client(emu)
    listed = list(client.iter_media(emu["account_sid"], one_message["sid"], limit=2))
    assert len(listed) == 2
    routes = stats(emu)["routes"]
    pages = sum(
        sum(by_status.values()) for route, by_status in routes.items() if "Media.json" in route
    )
    assert pages == 1


def test_get_media_has_content_url_and_xml(
    emu: dict[str, Any], one_message: dict[str, Any]
) -> None:
    client = make_client(emu)
    first = one_message["media"][0]["sid"]
    media = client.get_media(emu["account_sid"], one_message["sid"], first)
    assert media.sid == first
    assert media.parent_sid == one_message["sid"]
    assert media.content_type == "image/jpeg"
    assert media.content_url == (
        f"{emu['api_url']}/2010-04-01/Accounts/{emu['account_sid']}/Messages/"
        f"{one_message['sid']}/Media/{first}"
    )
    assert media.date_created is not None
    xml = client.get_media_xml(emu["account_sid"], one_message["sid"], first)
    assert "<TwilioResponse>" in xml
    assert f"<Sid>{first}</Sid>" in xml


def test_content_follows_redirect_without_credentials(
    emu: dict[str, Any], one_message: dict[str, Any]
) -> None:
    client = make_client(emu)
    sid = one_message["media"][2]["sid"]
    media = client.get_media(emu["account_sid"], one_message["sid"], sid)
    with client.open_content(media.content_url) as content:
        assert content.status == 200
        assert content.url.startswith(emu["cdn_url"])
        body = b"".join(content.iter_chunks(4096))
    expected = {m["sid"]: m for msg in state(emu)["messages"] for m in msg["media"]}[sid]
    assert len(body) == expected["size"] == 1002
    assert hashlib.sha256(body).hexdigest() == expected["sha256"]


def test_delete_then_not_found(emu: dict[str, Any], one_message: dict[str, Any]) -> None:
    client = make_client(emu)
    sid = one_message["media"][0]["sid"]
    client.delete_media(emu["account_sid"], one_message["sid"], sid)
    with pytest.raises(NotFoundError) as caught:
        client.get_media(emu["account_sid"], one_message["sid"], sid)
    assert caught.value.twilio_code == 20404
    assert caught.value.exit_code == 3
    with pytest.raises(NotFoundError):
        client.delete_media(emu["account_sid"], one_message["sid"], sid)


def test_wrong_secret_is_an_auth_error(emu: dict[str, Any], one_message: dict[str, Any]) -> None:
    client = make_client(emu, secret="0" * 32)
    with pytest.raises(AuthError) as caught:
        list(client.iter_media(emu["account_sid"], one_message["sid"]))
    assert caught.value.twilio_code == 20003
    assert caught.value.exit_code == 4
    assert "0" * 32 not in str(caught.value)


def test_429_is_retried_and_reported(emu: dict[str, Any], one_message: dict[str, Any]) -> None:
    faults(
        emu,
        [{"method": "GET", "path": "/Media.json", "action": "status", "status": 429,
          "code": 20429, "times": 2}],
    )  # fmt: skip
    client = make_client(emu)
    seen: list[int] = []
    client.on_throttle = lambda: seen.append(1)
    listed = list(client.iter_media(emu["account_sid"], one_message["sid"]))
    assert len(listed) == 5
    assert client.throttled == 2
    assert len(seen) == 2


def test_permanent_500_gives_up_within_budget(
    emu: dict[str, Any], one_message: dict[str, Any]
) -> None:
    faults(emu, [{"method": "GET", "path": "/Media.json", "action": "status", "status": 500}])
    client = make_client(emu, attempts=3)
    with pytest.raises(ServerError) as caught:
        list(client.iter_media(emu["account_sid"], one_message["sid"]))
    assert caught.value.exit_code == 5
    route_counts = [
        by_status.get("500", 0)
        for route, by_status in stats(emu)["routes"].items()
        if "Media.json" in route
    ]
    assert sum(route_counts) == 3


def test_connection_reset_is_retried(emu: dict[str, Any], one_message: dict[str, Any]) -> None:
    faults(emu, [{"method": "GET", "path": "/Media.json", "action": "reset", "times": 1}])
    listed = list(make_client(emu).iter_media(emu["account_sid"], one_message["sid"]))
    assert len(listed) == 5


def test_unreachable_api_is_a_network_error(emu: dict[str, Any]) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    info = dict(emu, api_url=f"http://127.0.0.1:{port}")
    with pytest.raises(NetworkError) as caught:
        list(make_client(info, attempts=2).iter_messages(emu["account_sid"]))
    assert caught.value.exit_code == 5


def test_message_date_filters_are_inclusive_days(emu: dict[str, Any]) -> None:
    base = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
    seed(
        emu,
        {
            "messages": [
                {"date_sent": _iso(base + timedelta(days=d)), "media": []} for d in range(-2, 3)
            ]
        },
    )
    client = make_client(emu)
    before = list(client.iter_messages(emu["account_sid"], sent_before=date(2026, 3, 10)))
    after = list(client.iter_messages(emu["account_sid"], sent_after=date(2026, 3, 10)))
    assert [m.date_sent.day for m in before if m.date_sent] == [10, 9, 8]
    assert [m.date_sent.day for m in after if m.date_sent] == [12, 11, 10]
