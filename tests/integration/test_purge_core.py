"""The purge core against the emulator: discovery streams, the Purger's results and summary."""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timezone
from typing import Any, cast

from media_cli.discovery import SentWindow
from media_cli.models import Media
from media_cli.purge import PurgePlan, Purger, Spool, iter_targets
from tests.support import control, faults, make_client, media_sids, stats

CUT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _generate(info: dict[str, Any], messages: int, start: str, end: str) -> None:
    control(
        info,
        "seed",
        {
            "generate": {
                "messages": messages,
                "media_per_message": 1,
                "media_size": 64,
                "start": start,
                "end": end,
            }
        },
    )


def _list_requests(info: dict[str, Any], suffix: str) -> int:
    routes: dict[str, dict[str, int]] = stats(info)["routes"]
    return sum(
        sum(c.values()) for r, c in routes.items() if r.startswith("GET") and r.endswith(suffix)
    )


def test_targets_stream_without_reading_the_whole_account(emu: dict[str, Any]) -> None:
    _generate(emu, 2500, "2025-01-01T00:00:00Z", "2025-12-01T00:00:00Z")
    plan = PurgePlan(window=SentWindow(before=CUT), accounts=(emu["account_sid"],))
    client = make_client(emu)
    targets = iter_targets(client, plan, concurrency=2)
    first = next(targets)
    assert first.sid.startswith("ME")
    # One page of 1000 messages was read, not all three; a handful of media lists.
    assert _list_requests(emu, "/Messages.json") == 1
    assert _list_requests(emu, "/Media.json") <= 8
    cast("Generator[Media, None, None]", targets).close()  # stop the discovery threads
    client.close()


def test_purger_counts_and_spool_match(emu: dict[str, Any]) -> None:
    _generate(emu, 30, "2025-06-01T00:00:00Z", "2025-12-01T00:00:00Z")
    _generate(emu, 10, "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z")
    everything = media_sids(emu)
    client = make_client(emu)
    plan = PurgePlan(window=SentWindow(before=CUT), accounts=(emu["account_sid"],))
    faults(
        emu,
        [
            {
                "method": "DELETE",
                "path": "/Media/",
                "action": "status",
                "status": 409,
                "code": 20009,
                "times": 4,
            }
        ],
    )
    with Spool() as spool:
        spool.fill(iter_targets(client, plan))
        assert spool.count == 30
        purger = Purger(client, concurrency=4, not_yet_delay=0.01)
        results = list(purger.run(spool))
    assert len(results) == 30
    assert {r.status for r in results} == {"deleted"}
    assert purger.summary.deleted == 30
    assert purger.summary.is_complete
    assert purger.summary.oldest is not None
    assert purger.summary.oldest >= datetime(2025, 6, 1, tzinfo=timezone.utc)
    assert len(media_sids(emu)) == len(everything) - 30
    client.close()
