"""Discovery across subaccounts against the emulator when one of them refuses (401/403)."""

from __future__ import annotations

from typing import Any

import pytest

from media_cli.discovery import AccountFailure, SentWindow, iter_account_media, resolve_accounts
from media_cli.errors import AuthError
from tests.support import faults, make_client, seed, state


def _accounts(info: dict[str, Any]) -> tuple[str, list[str]]:
    main = info["account_sid"]
    return main, [a["sid"] for a in state(info)["accounts"] if a["parent_sid"] == main]


def _media_in(info: dict[str, Any], sids: list[str]) -> dict[str, set[str]]:
    created = seed(
        info,
        {
            "messages": [
                {"account_sid": sid, "date_sent": "2025-01-01T00:00:00Z", "media": [{}, {}]}
                for sid in sids
            ]
        },
    )
    return {msg["account_sid"]: {m["sid"] for m in msg["media"]} for msg in created["messages"]}


def test_a_refusing_subaccount_is_reported_and_the_next_one_is_read(emu: dict[str, Any]) -> None:
    main, subs = _accounts(emu)
    media = _media_in(emu, [main, *subs])
    seed(emu, {"accounts": [{"sid": subs[1], "status": "suspended"}]})
    failures: list[AccountFailure] = []
    found = {
        m.sid
        for m in iter_account_media(
            make_client(emu), [main, *subs], SentWindow(), on_account_failure=failures.append
        )
    }
    assert found == media[main] | media[subs[0]] | media[subs[2]]
    [failure] = failures
    assert failure.account_sid == subs[1]
    assert isinstance(failure.error, AuthError)
    assert failure.error.status == 401
    assert f"/Accounts/{subs[1]}/Messages.json" in failure.reason
    assert emu["auth_token"] not in failure.reason


def test_without_a_callback_a_refusing_subaccount_still_raises(emu: dict[str, Any]) -> None:
    main, subs = _accounts(emu)
    _media_in(emu, [main, *subs])
    seed(emu, {"accounts": [{"sid": subs[0], "status": "suspended"}]})
    with pytest.raises(AuthError):
        list(iter_account_media(make_client(emu), [main, *subs], SentWindow()))


def test_the_first_account_refusing_always_raises(emu: dict[str, Any]) -> None:
    main, subs = _accounts(emu)
    _media_in(emu, [main, *subs])
    faults(emu, [{"path": f"/Accounts/{main}/Messages/[^/]+/Media", "status": 403}])
    failures: list[AccountFailure] = []
    with pytest.raises(AuthError):
        list(
            iter_account_media(
                make_client(emu), [main, *subs], SentWindow(), on_account_failure=failures.append
            )
        )
    assert failures == []


def test_resolve_accounts_keeps_suspended_subaccounts_and_skips_closed_ones(
    emu: dict[str, Any],
) -> None:
    main, subs = _accounts(emu)
    seed(
        emu,
        {
            "accounts": [
                {"sid": subs[0], "status": "closed"},
                {"sid": subs[1], "status": "suspended"},
            ]
        },
    )
    resolved = list(resolve_accounts(make_client(emu), main, all_subaccounts=True))
    assert resolved == [main, subs[1], subs[2]]
