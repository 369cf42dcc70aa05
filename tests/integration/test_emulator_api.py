"""The emulator's 2010-04-01 API: paging, date filters, auth and subaccounts, XML, redirects."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support import control

CURL = shutil.which("curl") or "/usr/bin/curl"


def _seed(emu: dict[str, Any], messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = control(emu, "seed", {"messages": messages})["messages"]
    return answer


@pytest.fixture
def session(emu: dict[str, Any]) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.auth = (emu["account_sid"], emu["auth_token"])
        yield s


def _messages_url(emu: dict[str, Any], account: str | None = None) -> str:
    return f"{emu['api_url']}/2010-04-01/Accounts/{account or emu['account_sid']}/Messages.json"


def _message_base(emu: dict[str, Any], message: dict[str, Any]) -> str:
    return (
        f"{emu['api_url']}/2010-04-01/Accounts/{message['account_sid']}/Messages/{message['sid']}"
    )


def _all_pages(session: requests.Session, emu: dict[str, Any], url: str) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    next_url: str | None = url
    for _ in range(100):
        if next_url is None:
            return pages
        body = session.get(next_url, timeout=30).json()
        pages.append(body)
        next_url = f"{emu['api_url']}{body['next_page_uri']}" if body["next_page_uri"] else None
    raise AssertionError("more than 100 pages")


def _sids(pages: list[dict[str, Any]], key: str = "messages") -> list[str]:
    return [item["sid"] for page in pages for item in page[key]]


# -- paging ---------------------------------------------------------------------------------


def test_pages_follow_tokens_newest_first(emu: dict[str, Any], session: requests.Session) -> None:
    seeded = _seed(emu, [{"date_sent": f"2025-01-{day:02d}T12:00:00Z"} for day in range(1, 6)])
    pages = _all_pages(session, emu, f"{_messages_url(emu)}?PageSize=2")
    assert [len(p["messages"]) for p in pages] == [2, 2, 1]
    assert _sids(pages) == [m["sid"] for m in reversed(seeded)]
    first, second, last = pages
    assert first["previous_page_uri"] is None
    assert (first["page"], first["start"], first["end"], first["page_size"]) == (0, 0, 1, 2)
    assert (second["page"], second["start"], second["end"]) == (1, 2, 3)
    assert (last["page"], last["start"], last["end"]) == (2, 4, 4)
    assert last["next_page_uri"] is None
    query = parse_qs(urlsplit(first["next_page_uri"]).query)
    assert query == {
        "PageSize": ["2"],
        "Page": ["1"],
        "PageToken": [f"PA{pages[0]['messages'][1]['sid']}"],
    }
    assert second["previous_page_uri"] is not None
    assert "PageToken=PB" in second["previous_page_uri"]
    back = session.get(f"{emu['api_url']}{second['previous_page_uri']}", timeout=30).json()
    assert [m["sid"] for m in back["messages"]] == [m["sid"] for m in first["messages"]]
    assert first["first_page_uri"] == second["first_page_uri"]
    assert first["uri"] == first["first_page_uri"]


def test_exactly_one_full_page_has_no_next(emu: dict[str, Any], session: requests.Session) -> None:
    _seed(emu, [{"date_sent": "2025-01-01T00:00:00Z"}, {"date_sent": "2025-01-02T00:00:00Z"}])
    body = session.get(f"{_messages_url(emu)}?PageSize=2", timeout=30).json()
    assert len(body["messages"]) == 2
    assert body["next_page_uri"] is None


def test_empty_list(emu: dict[str, Any], session: requests.Session) -> None:
    body = session.get(_messages_url(emu), timeout=30).json()
    assert body["messages"] == []
    assert (body["start"], body["end"], body["page"], body["page_size"]) == (0, 0, 0, 50)
    assert body["next_page_uri"] is None
    assert body["previous_page_uri"] is None


def test_same_instant_never_repeats_or_skips(
    emu: dict[str, Any], session: requests.Session
) -> None:
    seeded = _seed(emu, [{"date_sent": "2025-01-01T00:00:00Z"} for _ in range(7)])
    pages = _all_pages(session, emu, f"{_messages_url(emu)}?PageSize=3")
    assert sorted(_sids(pages)) == sorted(m["sid"] for m in seeded)


def test_paging_survives_deleting_each_page(emu: dict[str, Any], session: requests.Session) -> None:
    seeded = _seed(emu, [{"date_sent": f"2025-02-{day:02d}T08:00:00Z"} for day in range(1, 8)])
    url: str | None = f"{_messages_url(emu)}?PageSize=2"
    seen: list[str] = []
    while url:
        body = session.get(url, timeout=30).json()
        for message in body["messages"]:
            seen.append(message["sid"])
            deleted = session.delete(f"{emu['api_url']}{message['uri']}", timeout=30)
            assert deleted.status_code == 204
        url = f"{emu['api_url']}{body['next_page_uri']}" if body["next_page_uri"] else None
    assert sorted(seen) == sorted(m["sid"] for m in seeded)
    assert session.get(_messages_url(emu), timeout=30).json()["messages"] == []


def test_page_number_without_token_is_an_offset(
    emu: dict[str, Any], session: requests.Session
) -> None:
    seeded = _seed(emu, [{"date_sent": f"2025-01-{day:02d}T00:00:00Z"} for day in range(1, 6)])
    body = session.get(f"{_messages_url(emu)}?PageSize=2&Page=1", timeout=30).json()
    assert [m["sid"] for m in body["messages"]] == [seeded[2]["sid"], seeded[1]["sid"]]
    assert body["start"] == 2


@pytest.mark.parametrize(
    "query", ["PageSize=0", "PageSize=1001", "PageSize=x", "Page=-1", "PageToken=PAnope"]
)
def test_bad_paging_is_400(emu: dict[str, Any], session: requests.Session, query: str) -> None:
    response = session.get(f"{_messages_url(emu)}?{query}", timeout=30)
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "more_info", "status"}


def test_media_pages(emu: dict[str, Any], session: requests.Session) -> None:
    [message] = _seed(emu, [{"media": [{"size": i + 1} for i in range(5)]}])
    url = f"{_message_base(emu, message)}/Media.json?PageSize=2"
    pages = _all_pages(session, emu, url)
    assert _sids(pages, "media_list") == [m["sid"] for m in message["media"]]
    assert "PageToken=PA" in pages[0]["next_page_uri"]


def test_to_and_from_filters(emu: dict[str, Any], session: requests.Session) -> None:
    seeded = _seed(
        emu,
        [
            {"to": "+15550000001", "from": "+15550000009", "date_sent": "2025-01-01T00:00:00Z"},
            {"to": "+15550000002", "from": "+15550000009", "date_sent": "2025-01-02T00:00:00Z"},
            {"to": "+15550000001", "from": "+15550000008", "date_sent": "2025-01-03T00:00:00Z"},
        ],
    )
    body = session.get(_messages_url(emu), params={"To": "+15550000001"}, timeout=30).json()
    assert [m["sid"] for m in body["messages"]] == [seeded[2]["sid"], seeded[0]["sid"]]
    assert "To=%2B15550000001" in body["uri"]
    both = session.get(
        _messages_url(emu), params={"To": "+15550000001", "From": "+15550000009"}, timeout=30
    ).json()
    assert [m["sid"] for m in both["messages"]] == [seeded[0]["sid"]]


# -- date filters ---------------------------------------------------------------------------


@pytest.fixture
def day_edges(emu: dict[str, Any]) -> list[str]:
    seeded = _seed(
        emu,
        [
            {"date_sent": "2025-02-28T23:59:59Z"},
            {"date_sent": "2025-03-01T00:00:00Z"},
            {"date_sent": "2025-03-01T23:59:59Z"},
            {"date_sent": "2025-03-02T00:00:00Z"},
        ],
    )
    return [m["sid"] for m in seeded]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"DateSent": "2025-03-01"}, [2, 1]),
        ({"DateSent<": "2025-03-01"}, [2, 1, 0]),
        ({"DateSent>": "2025-03-01"}, [3, 2, 1]),
        ({"DateSent>": "2025-03-01", "DateSent<": "2025-03-01"}, [2, 1]),
        ({"DateSent<=": "2025-02-28"}, [0]),
        ({"DateSent>": "2025-03-01T18:30:00Z"}, [3, 2, 1]),
        ({"DateSent": "2025-03-02T01:00:00+02:00"}, [2, 1]),
        ({"DateSent": "Sat, 01 Mar 2025 12:00:00 +0000"}, [2, 1]),
        ({"DateSent<": "2025-02-27"}, []),
    ],
)
def test_sent_date_filters_are_inclusive_gmt_days(
    emu: dict[str, Any],
    session: requests.Session,
    day_edges: list[str],
    params: dict[str, str],
    expected: list[int],
) -> None:
    body = session.get(_messages_url(emu), params=params, timeout=30).json()
    assert [m["sid"] for m in body["messages"]] == [day_edges[i] for i in expected]


def test_date_filters_survive_paging(
    emu: dict[str, Any], session: requests.Session, day_edges: list[str]
) -> None:
    pages = _all_pages(session, emu, f"{_messages_url(emu)}?DateSent%3E=2025-03-01&PageSize=1")
    assert _sids(pages) == [day_edges[3], day_edges[2], day_edges[1]]
    assert all("DateSent%3E=2025-03-01" in p["uri"] for p in pages)


def test_bad_date_filter_is_400(emu: dict[str, Any], session: requests.Session) -> None:
    response = session.get(_messages_url(emu), params={"DateSent<": "yesterday"}, timeout=30)
    assert response.status_code == 400


def test_media_created_date_filters(emu: dict[str, Any], session: requests.Session) -> None:
    [message] = _seed(
        emu,
        [
            {
                "date_sent": "2025-03-01T10:00:00Z",
                "media": [
                    {"size": 1},
                    {"size": 2, "date_created": "2025-03-03T00:00:01Z"},
                    {"size": 3, "date_created": "2025-02-27T23:00:00Z"},
                ],
            }
        ],
    )
    sids = [m["sid"] for m in message["media"]]
    url = f"{_message_base(emu, message)}/Media.json"

    def listed(params: dict[str, str]) -> list[str]:
        return [m["sid"] for m in session.get(url, params=params, timeout=30).json()["media_list"]]

    assert listed({"DateCreated": "2025-03-01"}) == [sids[0]]
    assert listed({"DateCreated<": "2025-03-01"}) == [sids[0], sids[2]]
    assert listed({"DateCreated>": "2025-03-02"}) == [sids[1]]
    assert listed({}) == sids


# -- single resources ------------------------------------------------------------------------


def test_delete_message_deletes_its_media(emu: dict[str, Any], session: requests.Session) -> None:
    [message] = _seed(emu, [{"media": [{"size": 10}, {"size": 20}]}])
    base = f"{emu['api_url']}/2010-04-01/Accounts/{emu['account_sid']}/Messages/{message['sid']}"
    content = session.get(
        f"{base}/Media/{message['media'][0]['sid']}", allow_redirects=False, timeout=30
    )
    assert session.delete(f"{base}.json", timeout=30).status_code == 204
    assert control(emu, "state")["messages"] == []
    missing = session.get(f"{base}/Media/{message['media'][0]['sid']}.json", timeout=30)
    assert missing.status_code == 404
    assert missing.json()["code"] == 20404
    assert requests.get(content.headers["Location"], timeout=30).status_code == 404
    assert session.delete(f"{base}.json", timeout=30).status_code == 404


def test_delete_media_updates_num_media(emu: dict[str, Any], session: requests.Session) -> None:
    [message] = _seed(emu, [{"media": [{"size": 10}, {"size": 20}]}])
    base = f"{emu['api_url']}/2010-04-01/Accounts/{emu['account_sid']}/Messages/{message['sid']}"
    deleted = session.delete(f"{base}/Media/{message['media'][0]['sid']}.json", timeout=30)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert session.get(f"{base}.json", timeout=30).json()["num_media"] == "1"
    again = session.delete(f"{base}/Media/{message['media'][0]['sid']}.json", timeout=30)
    assert again.status_code == 404


def test_media_of_another_message_is_404(emu: dict[str, Any], session: requests.Session) -> None:
    first, second = _seed(emu, [{"media": [{"size": 1}]}, {"media": [{"size": 1}]}])
    url = (
        f"{emu['api_url']}/2010-04-01/Accounts/{emu['account_sid']}/Messages/{second['sid']}"
        f"/Media/{first['media'][0]['sid']}.json"
    )
    assert session.get(url, timeout=30).status_code == 404


def test_media_xml(emu: dict[str, Any], session: requests.Session) -> None:
    [message] = _seed(
        emu, [{"date_sent": "2025-03-01T10:00:00Z", "media": [{"content_type": "image/gif"}]}]
    )
    media = message["media"][0]
    url = f"{emu['api_url']}{media['uri'][:-5]}.xml"
    response = session.get(url, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    text = response.text
    assert "<TwilioResponse><Media>" in text
    assert f"<Sid>{media['sid']}</Sid>" in text
    assert f"<ParentSid>{message['sid']}</ParentSid>" in text
    assert "<ContentType>image/gif</ContentType>" in text
    assert "<DateCreated>Sat, 01 Mar 2025 10:00:00 +0000</DateCreated>" in text
    assert f"/Media/{media['sid']}.xml</Uri>" in text
    missing = session.get(url.replace(media["sid"], "ME" + "0" * 32), timeout=30)
    assert missing.status_code == 404
    assert "<Code>20404</Code>" in missing.text


@pytest.mark.parametrize("status", [307, 302])
def test_content_redirects_to_signed_cdn_url(
    emu: dict[str, Any], session: requests.Session, status: int
) -> None:
    control(emu, "config", {"redirect_status": status})
    [message] = _seed(emu, [{"media": [{"content_type": "image/png", "size": 5000}]}])
    url = f"{emu['api_url']}{message['media'][0]['uri'][:-5]}"
    response = session.get(url, allow_redirects=False, timeout=30)
    assert response.status_code == status
    location = response.headers["Location"]
    assert location.startswith(emu["cdn_url"] + "/")
    assert "Signature=" in location
    followed = session.get(url, timeout=30)  # requests drops Authorization on the port change
    assert followed.status_code == 200
    assert followed.headers["Content-Type"] == "image/png"
    assert len(followed.content) == 5000
    assert followed.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_unknown_paths_and_methods(emu: dict[str, Any], session: requests.Session) -> None:
    base = f"{emu['api_url']}/2010-04-01/Accounts/{emu['account_sid']}"
    for url in (f"{base}/Calls.json", f"{emu['api_url']}/nothing", f"{base}/Messages.xml"):
        response = session.get(url, timeout=30)
        assert response.status_code == 404
        assert response.json()["code"] == 20404
    posted = session.post(f"{base}/Messages.json", data={"Body": "x"}, timeout=30)
    assert posted.status_code == 405


# -- auth ------------------------------------------------------------------------------------


def _subaccounts(emu: dict[str, Any]) -> list[dict[str, Any]]:
    accounts = control(emu, "state")["accounts"]
    return [a for a in accounts if a["parent_sid"] == emu["account_sid"]]


def test_auth_forms(emu: dict[str, Any]) -> None:
    url = _messages_url(emu)
    good = [(emu["account_sid"], emu["auth_token"]), (emu["api_key"], emu["api_secret"])]
    for auth in good:
        assert requests.get(url, auth=auth, timeout=30).status_code == 200
    bad = [
        (emu["account_sid"], "wrong"),
        (emu["api_key"], emu["auth_token"]),
        ("AC" + "1" * 32, emu["auth_token"]),
        ("", ""),
    ]
    for auth in bad:
        response = requests.get(url, auth=auth, timeout=30)
        assert response.status_code == 401
        assert response.json()["code"] == 20003
    for header in ("Bearer abc", "Basic !!!", "Basic " + "bm9jb2xvbg=="):
        response = requests.get(url, headers={"Authorization": header}, timeout=30)
        assert response.status_code == 401


def test_parent_acts_on_subaccounts_not_the_reverse(
    emu: dict[str, Any], session: requests.Session
) -> None:
    subs = _subaccounts(emu)
    assert len(subs) == 3
    [message] = _seed(emu, [{"account_sid": subs[0]["sid"], "media": [{"size": 7}]}])
    sub_url = _messages_url(emu, subs[0]["sid"])
    listed = session.get(sub_url, timeout=30).json()["messages"]
    assert [m["sid"] for m in listed] == [message["sid"]]
    own = requests.get(sub_url, auth=(subs[0]["sid"], subs[0]["auth_token"]), timeout=30)
    assert own.status_code == 200
    up = requests.get(_messages_url(emu), auth=(subs[0]["sid"], subs[0]["auth_token"]), timeout=30)
    assert up.status_code == 401
    sideways = requests.get(
        _messages_url(emu, subs[1]["sid"]), auth=(subs[0]["sid"], subs[0]["auth_token"]), timeout=30
    )
    assert sideways.status_code == 401
    # The subaccount's message is not visible under the parent's own Messages path.
    wrong_parent = session.get(
        f"{emu['api_url']}/2010-04-01/Accounts/{emu['account_sid']}/Messages/{message['sid']}.json",
        timeout=30,
    )
    assert wrong_parent.status_code == 404


def test_unrelated_accounts_are_refused(emu: dict[str, Any], session: requests.Session) -> None:
    answer = control(emu, "seed", {"accounts": [{"friendly_name": "Other company"}]})
    other = answer["accounts"][0]
    assert other["parent_sid"] is None
    _seed(emu, [{"account_sid": other["sid"], "media": [{"size": 1}]}])
    assert session.get(_messages_url(emu, other["sid"]), timeout=30).status_code == 401
    theirs = requests.get(_messages_url(emu), auth=(other["sid"], other["auth_token"]), timeout=30)
    assert theirs.status_code == 401
    mine = requests.get(
        _messages_url(emu, other["sid"]), auth=(other["sid"], other["auth_token"]), timeout=30
    )
    assert len(mine.json()["messages"]) == 1


@pytest.mark.parametrize("status", ["suspended", "closed"])
def test_an_inactive_subaccount_refuses_its_resources(
    emu: dict[str, Any], session: requests.Session, status: str
) -> None:
    sub = _subaccounts(emu)[0]
    [message] = _seed(emu, [{"account_sid": sub["sid"], "media": [{"size": 7}]}])
    answer = control(emu, "seed", {"accounts": [{"sid": sub["sid"], "status": status}]})
    assert answer["accounts"][0]["status"] == status
    assert answer["accounts"][0]["parent_sid"] == emu["account_sid"]  # kept
    base = _message_base(emu, message)
    for url in (_messages_url(emu, sub["sid"]), f"{base}.json", f"{base}/Media.json"):
        for auth in ((emu["account_sid"], emu["auth_token"]), (sub["sid"], sub["auth_token"])):
            refused = requests.get(url, auth=auth, timeout=30)
            assert refused.status_code == 401, url
            assert refused.json()["code"] == 20003
    assert session.delete(f"{base}.json", timeout=30).status_code == 401
    # Still listed with its status, and its own record still answers.
    listed = session.get(f"{emu['api_url']}/2010-04-01/Accounts.json", timeout=30).json()
    assert {a["sid"]: a["status"] for a in listed["accounts"]}[sub["sid"]] == status
    own = session.get(f"{emu['api_url']}/2010-04-01/Accounts/{sub['sid']}.json", timeout=30)
    assert own.status_code == 200
    assert own.json()["status"] == status
    # The other accounts are untouched; a reset makes it active again.
    assert session.get(_messages_url(emu), timeout=30).status_code == 200
    control(emu, "reset", {})
    assert session.get(_messages_url(emu, sub["sid"]), timeout=30).status_code == 200


def test_seeding_a_bad_account_status_is_refused(emu: dict[str, Any]) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        control(emu, "seed", {"accounts": [{"status": "frozen"}]})
    caught.value.close()
    assert caught.value.code == 400


def test_accounts_list_and_fetch(emu: dict[str, Any], session: requests.Session) -> None:
    body = session.get(f"{emu['api_url']}/2010-04-01/Accounts.json", timeout=30).json()
    sids = [a["sid"] for a in body["accounts"]]
    assert sids[0] == emu["account_sid"]
    assert set(sids[1:]) == {a["sid"] for a in _subaccounts(emu)}
    paged = _all_pages(session, emu, f"{emu['api_url']}/2010-04-01/Accounts.json?PageSize=1")
    assert _sids(paged, "accounts") == sids
    sub = sids[1]
    fetched = session.get(f"{emu['api_url']}/2010-04-01/Accounts/{sub}.json", timeout=30).json()
    assert fetched["owner_account_sid"] == emu["account_sid"]
    assert fetched["status"] == "active"
    assert fetched["subresource_uris"]["messages"] == f"/2010-04-01/Accounts/{sub}/Messages.json"
    named = session.get(
        f"{emu['api_url']}/2010-04-01/Accounts.json",
        params={"FriendlyName": fetched["friendly_name"]},
        timeout=30,
    ).json()
    assert [a["sid"] for a in named["accounts"]] == [sub]


# -- curl -------------------------------------------------------------------------------------


def test_curl_follows_the_redirect_and_location_trusted_gets_400(
    emu: dict[str, Any], tmp_path: Path
) -> None:
    [message] = _seed(emu, [{"media": [{"content_type": "application/pdf", "size": 300_000}]}])
    url = f"{emu['api_url']}{message['media'][0]['uri'][:-5]}"
    target = tmp_path / "media.pdf"
    credentials = f"{emu['account_sid']}:{emu['auth_token']}"
    done = subprocess.run(
        [CURL, "-sS", "-f", "-L", "-u", credentials, "-o", str(target), url],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    digest = control(emu, "state")["messages"][0]["media"][0]["sha256"]
    assert hashlib.sha256(target.read_bytes()).hexdigest() == digest
    trusted = subprocess.run(
        [CURL, "-sS", "-L", "--location-trusted", "-u", credentials, "-w", "%{http_code}", url],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert trusted.stdout.endswith(b"400")
    assert b"<Code>InvalidArgument</Code>" in trusted.stdout
    assert emu["auth_token"].encode() not in trusted.stdout
