"""The emulator's test controls: faults, throttling, latency, reset/seed/state/stats, start-up."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from media_cli.emulator.server import Emulator, EmulatorConfig
from tests.support import control

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def session(emu: dict[str, Any]) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.auth = (emu["account_sid"], emu["auth_token"])
        yield s


@pytest.fixture
def message(emu: dict[str, Any]) -> dict[str, Any]:
    answer = control(
        emu,
        "seed",
        {"messages": [{"date_sent": "2025-01-01T00:00:00Z", "media": [{"size": 200_000}]}]},
    )
    found: dict[str, Any] = answer["messages"][0]
    return found


def _messages_url(emu: dict[str, Any]) -> str:
    return f"{emu['api_url']}/2010-04-01/Accounts/{emu['account_sid']}/Messages.json"


# -- faults -----------------------------------------------------------------------------------


def test_status_fault_with_times_after_and_retry_after(
    emu: dict[str, Any], session: requests.Session
) -> None:
    control(
        emu,
        "faults",
        {
            "rules": [
                {
                    "method": "GET",
                    "path": r"/Messages\.json",
                    "action": "status",
                    "status": 503,
                    "code": 20503,
                    "message": "Service unavailable",
                    "retry_after": 2,
                    "times": 2,
                    "after": 1,
                }
            ]
        },
    )
    statuses = [session.get(_messages_url(emu), timeout=30) for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 503, 503, 200]
    assert statuses[1].json() == {
        "code": 20503,
        "message": "Service unavailable",
        "more_info": "https://www.twilio.com/docs/errors/20503",
        "status": 503,
    }
    assert statuses[1].headers["Retry-After"] == "2"
    rules = control(emu, "faults")["rules"]
    assert (rules[0]["matched"], rules[0]["fired"]) == (4, 2)
    stats = control(emu, "stats")["routes"]["GET /2010-04-01/Accounts/{AccountSid}/Messages.json"]
    assert stats == {"200": 2, "503": 2}


def test_fault_defaults_and_filters(emu: dict[str, Any], session: requests.Session) -> None:
    control(
        emu,
        "faults",
        {
            "rules": [
                {"listener": "mcs", "action": "status", "status": 500},
                {"method": "DELETE", "status": 429},
            ]
        },
    )
    assert session.get(_messages_url(emu), timeout=30).status_code == 200
    mcs = session.get(
        f"{emu['mcs_url']}/v1/Services/{emu['chat_service_sid']}/Media/ME{'0' * 32}", timeout=30
    )
    assert mcs.status_code == 500
    assert mcs.json()["code"] == 20500
    deleted = session.delete(
        f"{emu['api_url']}/2010-04-01/Accounts/{emu['account_sid']}/Messages/SM{'0' * 32}.json",
        timeout=30,
    )
    assert deleted.status_code == 429
    assert deleted.json()["code"] == 20429
    assert "Retry-After" not in deleted.headers


def test_status_fault_with_a_custom_body(emu: dict[str, Any], session: requests.Session) -> None:
    control(
        emu,
        "faults",
        {"rules": [{"status": 200, "body": "{not json", "content_type": "text/plain", "times": 1}]},
    )
    response = session.get(_messages_url(emu), timeout=30)
    assert response.status_code == 200
    assert response.text == "{not json"
    assert response.headers["Content-Type"] == "text/plain"
    assert session.get(_messages_url(emu), timeout=30).json()["messages"] == []


def test_probability_zero_never_fires_one_always_does(
    emu: dict[str, Any], session: requests.Session
) -> None:
    control(emu, "faults", {"rules": [{"status": 500, "probability": 0.0}]})
    assert all(session.get(_messages_url(emu), timeout=30).status_code == 200 for _ in range(5))
    control(emu, "faults", {"rules": [{"status": 500, "probability": 1.0}]})
    assert all(session.get(_messages_url(emu), timeout=30).status_code == 500 for _ in range(5))
    control(emu, "faults", {"rules": [{"status": 500, "probability": 0.5}]})
    codes = [session.get(_messages_url(emu), timeout=30).status_code for _ in range(40)]
    assert 0 < codes.count(500) < 40


def test_reset_fault_resets_the_connection(emu: dict[str, Any], session: requests.Session) -> None:
    control(emu, "faults", {"rules": [{"action": "reset", "times": 1}]})
    with pytest.raises(requests.ConnectionError):
        session.get(_messages_url(emu), timeout=30)
    assert session.get(_messages_url(emu), timeout=30).status_code == 200
    assert control(emu, "stats")["routes"][
        "GET /2010-04-01/Accounts/{AccountSid}/Messages.json"
    ] == {"reset": 1, "200": 1}


@pytest.mark.parametrize("action", ["truncate", "reset_body"])
def test_partial_body_faults(emu: dict[str, Any], message: dict[str, Any], action: str) -> None:
    location = requests.get(
        f"{emu['api_url']}{message['media'][0]['uri'][:-5]}",
        auth=(emu["account_sid"], emu["auth_token"]),
        allow_redirects=False,
        timeout=30,
    ).headers["Location"]
    control(
        emu, "faults", {"rules": [{"listener": "cdn", "action": action, "bytes": 1000, "times": 1}]}
    )
    parts = urlsplit(location)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    connection.request("GET", f"{parts.path}?{parts.query}")
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Length") == "200000"
    with pytest.raises((http.client.IncompleteRead, ConnectionError)) as caught:
        response.read()
    if isinstance(caught.value, http.client.IncompleteRead):
        assert len(caught.value.partial) == 1000
    connection.close()
    control(emu, "faults", {"rules": [{"listener": "cdn", "action": action, "times": 1}]})
    with pytest.raises(requests.RequestException):
        requests.get(location, timeout=10)  # reads the body, which stops at half
    assert len(requests.get(location, timeout=10).content) == 200_000


def test_delay_and_stall(emu: dict[str, Any], session: requests.Session) -> None:
    control(emu, "faults", {"rules": [{"action": "delay", "delay_ms": 300, "times": 1}]})
    started = time.monotonic()
    assert session.get(_messages_url(emu), timeout=30).status_code == 200
    assert time.monotonic() - started >= 0.3
    control(emu, "faults", {"rules": [{"action": "stall", "delay_ms": 1500, "times": 1}]})
    with pytest.raises(requests.exceptions.ReadTimeout):
        session.get(_messages_url(emu), timeout=0.3)
    assert session.get(_messages_url(emu), timeout=30).status_code == 200


def test_bad_fault_rules_are_400(emu: dict[str, Any]) -> None:
    for rule in ({"action": "explode"}, {"path": "("}, {"listener": "ftp"}, {"colour": "red"}):
        response = requests.post(
            f"{emu['api_url']}/__emulator__/faults", json={"rules": [rule]}, timeout=30
        )
        assert response.status_code == 400


# -- throttling and latency --------------------------------------------------------------------


def _parallel(count: int, call: Any) -> list[Any]:
    results: list[Any] = [None] * count
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.parametrize("retry_after", [None, 3])
def test_429_above_max_concurrency(emu: dict[str, Any], retry_after: int | None) -> None:
    control(
        emu,
        "config",
        {"max_concurrency": 2, "latency_ms": 400, "retry_after": retry_after},
    )
    auth = (emu["account_sid"], emu["auth_token"])
    responses: list[requests.Response] = _parallel(
        8, lambda: requests.get(_messages_url(emu), auth=auth, timeout=30)
    )
    codes = sorted(r.status_code for r in responses)
    assert codes.count(200) == 2
    assert codes.count(429) == 6
    throttled = next(r for r in responses if r.status_code == 429)
    assert throttled.json()["code"] == 20429
    if retry_after is None:
        assert "Retry-After" not in throttled.headers
    else:
        assert throttled.headers["Retry-After"] == "3"
    stats = control(emu, "stats")
    assert stats["throttled"] == 6
    assert stats["peak_concurrency"] >= 3


def test_latency_does_not_serialize(emu: dict[str, Any]) -> None:
    control(emu, "config", {"latency_ms": 400})
    auth = (emu["account_sid"], emu["auth_token"])
    started = time.monotonic()
    responses = _parallel(10, lambda: requests.get(_messages_url(emu), auth=auth, timeout=30))
    elapsed = time.monotonic() - started
    assert all(r.status_code == 200 for r in responses)
    assert 0.4 <= elapsed < 1.6
    assert control(emu, "stats")["peak_concurrency"] >= 5


def test_bad_config_is_400(emu: dict[str, Any]) -> None:
    for body in ({"redirect_status": 301}, {"latency_ms": -1}, {"colour": 1}, {"url_ttl": "x"}):
        response = requests.post(f"{emu['api_url']}/__emulator__/config", json=body, timeout=30)
        assert response.status_code == 400
    assert control(emu, "config")["redirect_status"] == 307


# -- reset, seed, state, stats ----------------------------------------------------------------


def test_reset_restores_everything(emu: dict[str, Any], message: dict[str, Any]) -> None:
    control(emu, "config", {"latency_ms": 5, "redirect_status": 302})
    control(emu, "faults", {"rules": [{"status": 500, "path": "nothing-matches"}]})
    info = control(emu, "reset", {})
    assert info == emu
    assert control(emu, "state")["messages"] == []
    assert control(emu, "faults")["rules"] == []
    assert control(emu, "config")["redirect_status"] == 307
    stats = control(emu, "stats")
    assert (stats["total"], stats["routes"], stats["throttled"]) == (0, {}, 0)


def test_seed_generate_and_state(emu: dict[str, Any], session: requests.Session) -> None:
    answer = control(
        emu,
        "seed",
        {
            "generate": {
                "messages": 20_000,
                "media_per_message": 2,
                "media_size": 1024,
                "content_type": "image/png",
                "start": "2024-01-01T00:00:00Z",
                "end": "2024-12-31T00:00:00Z",
            }
        },
    )
    assert answer["generated"] == {"messages": 20_000, "media": 40_000}
    started = time.monotonic()
    body = session.get(
        _messages_url(emu),
        params={"DateSent>": "2024-06-01", "DateSent<": "2024-06-30", "PageSize": "1000"},
        timeout=30,
    ).json()
    assert time.monotonic() - started < 2
    dates = [parsedate_to_datetime(m["date_sent"]) for m in body["messages"]]
    assert dates == sorted(dates, reverse=True)
    assert all(
        datetime(2024, 6, 1, tzinfo=timezone.utc) <= d < datetime(2024, 7, 1, tzinfo=timezone.utc)
        for d in dates
    )
    assert all(m["num_media"] == "2" for m in body["messages"])
    nxt = session.get(f"{emu['api_url']}{body['next_page_uri']}", timeout=30).json()
    assert nxt["messages"][0]["date_sent"] != body["messages"][-1]["date_sent"] or (
        nxt["messages"][0]["sid"] != body["messages"][-1]["sid"]
    )
    accounts = session.get(f"{emu['api_url']}/2010-04-01/Accounts.json", timeout=30).json()
    sub = accounts["accounts"][1]
    only = requests.get(
        f"{emu['api_url']}/__emulator__/state", params={"account_sid": sub["sid"]}, timeout=30
    ).json()
    assert [a["sid"] for a in only["accounts"]] == [sub["sid"]]
    assert only["messages"] == []


def test_seed_rejects_bad_input(emu: dict[str, Any]) -> None:
    for body in (
        {"messages": [{"account_sid": "AC" + "9" * 32}]},
        {"messages": [{"date_sent": "not a date"}]},
        {"messages": [{"sid": "XX1"}]},
        {"messages": [{"media": [{"content_b64": "***"}]}]},
        {"accounts": [{"parent_sid": "AC" + "9" * 32}]},
        {"unknown": 1},
    ):
        response = requests.post(f"{emu['api_url']}/__emulator__/seed", json=body, timeout=30)
        assert response.status_code == 400, body
    assert control(emu, "state")["messages"] == []


def test_stats_count_routes_and_statuses(emu: dict[str, Any], session: requests.Session) -> None:
    session.get(_messages_url(emu), timeout=30)
    session.get(
        f"{emu['api_url']}/2010-04-01/Accounts/{emu['account_sid']}/Messages/MM{'0' * 32}.json",
        timeout=30,
    )
    requests.get(f"{emu['api_url']}/nowhere", timeout=30)
    stats = control(emu, "stats")
    assert stats["total"] == 3
    assert stats["routes"] == {
        "GET /2010-04-01/Accounts/{AccountSid}/Messages.json": {"200": 1},
        "GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json": {"404": 1},
        "GET (unmatched)": {"404": 1},
    }
    assert stats["peak_concurrency"] == 1
    assert stats["throttled"] == 0


# -- demo seed --------------------------------------------------------------------------------


def _demo_state(now: str) -> tuple[dict[str, str], dict[str, Any]]:
    with Emulator(EmulatorConfig(seed="demo", now=now)) as emulator:
        info = emulator.info
        body = requests.get(f"{emulator.api_url}/__emulator__/state", timeout=60).json()
    return info, body


def test_demo_seed_is_deterministic_and_varied() -> None:
    info_a, state_a = _demo_state("2026-06-15T00:00:00Z")
    info_b, state_b = _demo_state("2026-06-15T00:00:00Z")
    assert state_a == state_b
    assert {k: v for k, v in info_a.items() if not k.endswith("_url")} == {
        k: v for k, v in info_b.items() if not k.endswith("_url")
    }
    accounts = state_a["accounts"]
    assert len([a for a in accounts if a["parent_sid"] == info_a["account_sid"]]) == 3
    messages = state_a["messages"]
    assert len(messages) >= 300
    anchor = datetime(2026, 6, 15, tzinfo=timezone.utc)
    sent = [datetime.fromisoformat(m["date_sent"].replace("Z", "+00:00")) for m in messages]
    assert all(anchor - timedelta(days=400) <= d < anchor for d in sent)
    assert max(sent) - min(sent) > timedelta(days=300)
    assert any(m["num_media"] == "0" for m in messages)
    media = [(m, x) for m in messages for x in m["media"]]
    types = {x["content_type"] for _, x in media}
    assert {
        "image/jpeg",
        "image/png",
        "image/gif",
        "application/pdf",
        "video/mp4",
        "text/vcard",
        "audio/amr",
    } <= types
    assert len({x["size"] for _, x in media}) > 50
    assert any(x["date_created"][:10] != m["date_sent"][:10] for m, x in media)
    for m in messages:
        assert m["sid"][:2] == ("MM" if m["media"] else "SM") or m["num_media"] == "0"
        assert len(m["sid"]) == 34
        assert m["sid"][2:] == m["sid"][2:].lower()
    _, state_c = _demo_state("2026-06-16T00:00:00Z")
    assert [m["sid"] for m in state_c["messages"]] == [m["sid"] for m in messages]
    assert state_c["messages"][0]["date_sent"] != messages[0]["date_sent"]


# -- start-up contract ------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_startup_line_and_clean_exit(sig: signal.Signals) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with subprocess.Popen(
        [sys.executable, "-m", "media_cli.emulator", "--port", "0", "--seed", "none"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=REPO,
    ) as proc:
        try:
            assert proc.stdout is not None
            info = json.loads(proc.stdout.readline())
            assert list(info) == [
                "api_url", "mcs_url", "cdn_url", "account_sid", "auth_token", "api_key",
                "api_secret", "chat_service_sid",
            ]  # fmt: skip
            assert len({info["api_url"], info["mcs_url"], info["cdn_url"]}) == 3
            assert info["account_sid"].startswith("AC")
            assert info["api_key"].startswith("SK")
            assert info["chat_service_sid"].startswith("IS")
            response = requests.get(
                f"{info['api_url']}/2010-04-01/Accounts/{info['account_sid']}/Messages.json",
                auth=(info["api_key"], info["api_secret"]),
                timeout=10,
            )
            assert response.status_code == 200
            proc.send_signal(sig)
            assert proc.wait(timeout=10) == 0
            assert proc.stdout.read() == b""
        finally:
            if proc.poll() is None:
                proc.kill()


# -- throughput smoke -------------------------------------------------------------------------


def test_keep_alive_throughput_smoke(emu: dict[str, Any], message: dict[str, Any]) -> None:
    """16 keep-alive clients for ~1 s. A loose floor: catches Nagle stalls or per-request
    reconnects (the real target, 1,000 req/s with requests clients, is in bench/run.py)."""
    import base64

    parts = urlsplit(emu["api_url"])
    token = base64.b64encode(f"{emu['account_sid']}:{emu['auth_token']}".encode()).decode()
    path = urlsplit(message["media"][0]["uri"]).path
    counts = [0] * 16
    deadline = time.monotonic() + 1.0

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        try:
            while time.monotonic() < deadline:
                connection.request("GET", path, headers={"Authorization": f"Basic {token}"})
                response = connection.getresponse()
                response.read()
                assert response.status == 200
                assert not response.will_close
                counts[index] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(counts) >= 500, sum(counts)
