"""The official twilio library, pointed at the emulator, works as it does against Twilio."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.support import control


def _client(
    emu: dict[str, Any],
    username: str | None = None,
    password: str | None = None,
    account_sid: str | None = None,
) -> Any:
    client = Client(
        username or emu["account_sid"],
        password or emu["auth_token"],
        account_sid=account_sid or emu["account_sid"],
    )
    # twilio 9 builds URLs from the domain's base_url (Domain.absolute_url).
    client.api.base_url = emu["api_url"]
    return client


@pytest.fixture
def five_media(emu: dict[str, Any]) -> dict[str, Any]:
    answer = control(
        emu,
        "seed",
        {
            "messages": [
                {
                    "date_sent": "2025-03-02T10:00:00Z",
                    "media": [{"content_type": "image/jpeg", "size": 100 + i} for i in range(5)],
                },
                {"date_sent": "2025-03-01T23:59:59Z", "media": [{"size": 1}]},
                {"date_sent": "2025-03-03T00:00:00Z"},
                {"date_sent": "2025-03-04T08:00:00Z"},
            ]
        },
    )
    message: dict[str, Any] = answer["messages"][0]
    return message


def test_streams_all_media_across_pages(emu: dict[str, Any], five_media: dict[str, Any]) -> None:
    client = _client(emu)
    got = list(client.messages(five_media["sid"]).media.stream(page_size=2))
    assert [m.sid for m in got] == [m["sid"] for m in five_media["media"]]
    assert {m.parent_sid for m in got} == {five_media["sid"]}
    routes = control(emu, "stats")["routes"]
    pages = routes["GET /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media.json"]
    assert pages == {"200": 3}


def test_fetches_and_deletes_one_media(emu: dict[str, Any], five_media: dict[str, Any]) -> None:
    client = _client(emu)
    sid = five_media["media"][1]["sid"]
    media = client.messages(five_media["sid"]).media(sid).fetch()
    assert media.sid == sid
    assert media.content_type == "image/jpeg"
    assert media.date_created == datetime(2025, 3, 2, 10, 0, tzinfo=timezone.utc)
    assert media.uri.endswith(f"/Media/{sid}.json")
    assert client.messages(five_media["sid"]).media(sid).delete() is True
    with pytest.raises(TwilioRestException) as caught:
        client.messages(five_media["sid"]).media(sid).fetch()
    assert caught.value.code == 20404
    assert caught.value.status == 404
    assert len(list(client.messages(five_media["sid"]).media.stream())) == 4


def test_lists_messages_by_sent_date(emu: dict[str, Any], five_media: dict[str, Any]) -> None:
    client = _client(emu)
    # twilio sends DateSent> / DateSent< as ISO 8601 instants; Twilio filters whole GMT days.
    got = client.messages.list(
        date_sent_after=datetime(2025, 3, 2, 12, 0, tzinfo=timezone.utc),
        date_sent_before=datetime(2025, 3, 3, 1, 0, tzinfo=timezone.utc),
        page_size=1,
    )
    assert [m.date_sent for m in got] == [
        datetime(2025, 3, 3, 0, 0, tzinfo=timezone.utc),
        datetime(2025, 3, 2, 10, 0, tzinfo=timezone.utc),
    ]
    assert got[1].num_media == "5"
    every = client.messages.list()
    assert [m.date_sent for m in every] == sorted((m.date_sent for m in every), reverse=True)


def test_fetch_of_missing_message_is_20404(emu: dict[str, Any]) -> None:
    with pytest.raises(TwilioRestException) as caught:
        _client(emu).messages("MM" + "0" * 32).fetch()
    assert caught.value.code == 20404


def test_wrong_token_is_20003(emu: dict[str, Any], five_media: dict[str, Any]) -> None:
    client = _client(emu, password="0" * 32)
    with pytest.raises(TwilioRestException) as caught:
        client.messages(five_media["sid"]).fetch()
    assert caught.value.code == 20003
    assert caught.value.status == 401


def test_api_key_and_subaccounts(emu: dict[str, Any]) -> None:
    client = _client(emu, emu["api_key"], emu["api_secret"])
    accounts = client.api.v2010.accounts.list()
    assert accounts[0].sid == emu["account_sid"]
    subs = [
        a
        for a in accounts
        if a.owner_account_sid == emu["account_sid"] and a.sid != emu["account_sid"]
    ]
    assert len(subs) == 3
    control(emu, "seed", {"messages": [{"account_sid": subs[0].sid, "media": [{"size": 3}]}]})
    sub_client = _client(emu, emu["api_key"], emu["api_secret"], account_sid=subs[0].sid)
    messages = sub_client.messages.list()
    assert len(messages) == 1
    assert messages[0].account_sid == subs[0].sid
    # A subaccount's own credentials cannot reach its parent.
    denied = _client(emu, subs[0].sid, subs[0].auth_token, account_sid=emu["account_sid"])
    with pytest.raises(TwilioRestException) as caught:
        denied.messages("MM" + "0" * 32).fetch()
    assert caught.value.code == 20003
