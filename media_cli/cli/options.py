"""Shared option aliases, so every command spells --json, --yes and friends the same way."""

from __future__ import annotations

from typing import Annotated

import typer

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON document (an array for lists).")
]
JsonlOpt = Annotated[
    bool, typer.Option("--jsonl", help="Print one compact JSON object per line, as items arrive.")
]
YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (required without a TTY).")
]
LimitOpt = Annotated[
    int | None,
    typer.Option(
        "--limit", min=1, metavar="N", help="Stop after this many items (no extra page is fetched)."
    ),
]
PageSizeOpt = Annotated[
    int | None,
    typer.Option("--page-size", metavar="N", help="Items per API page, 1 to 1000 (default 1000)."),
]
SentBeforeOpt = Annotated[
    str | None,
    typer.Option(
        "--sent-before",
        metavar="DATE",
        help="Only messages sent before this instant (UTC unless an offset is given).",
    ),
]
SentAfterOpt = Annotated[
    str | None,
    typer.Option(
        "--sent-after", metavar="DATE", help="Only messages sent at or after this instant."
    ),
]
OlderThanOpt = Annotated[
    str | None,
    typer.Option(
        "--older-than",
        metavar="DURATION",
        help="Only messages sent more than this long ago: 90d, 12h, 2w.",
    ),
]
ToOpt = Annotated[
    str | None,
    typer.Option("--to", metavar="NUMBER", help="Only messages sent to this number."),
]
FromOpt = Annotated[
    str | None,
    typer.Option("--from", metavar="NUMBER", help="Only messages sent from this number."),
]
AllSubaccountsOpt = Annotated[
    bool,
    typer.Option(
        "--all-subaccounts",
        help="Also cover every subaccount the credentials can see, except closed ones. One "
        "that refuses access (a suspended one) is reported and skipped; the run exits 1.",
    ),
]
ConcurrencyOpt = Annotated[
    int,
    typer.Option(
        "--concurrency",
        "-j",
        min=1,
        max=64,
        metavar="N",
        help="Requests in flight at once (1 to 64).",
    ),
]
