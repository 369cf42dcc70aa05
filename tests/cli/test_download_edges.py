"""`download` at its edges: duplicates, torn manifests, layout changes, list encodings, symlinks."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli_env, invoke, seed, state


def _jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def _one(emu: dict[str, Any], size: int, ctype: str = "image/jpeg") -> tuple[str, str, str]:
    """(message SID, media SID, sha256) of one seeded media."""
    created = seed(emu, {"messages": [{"media": [{"content_type": ctype, "size": size}]}]})
    message = created["messages"][0]
    sid = message["media"][0]["sid"]
    truth = {m["sid"]: m for msg in state(emu)["messages"] for m in msg["media"]}
    return message["sid"], sid, truth[sid]["sha256"]


def test_same_media_twice_in_a_list_is_downloaded_once_and_intact(
    emu: dict[str, Any], tmp_path: Path
) -> None:
    """A list naming one media twice (overlapping `list` windows, two lists cat'ed together):
    both copies were in flight at once and wrote the same .part, so one rename could publish
    a file the other had just truncated, and the other failed."""
    message, sid, digest = _one(emu, 24 * 1024 * 1024)
    out = tmp_path / "out"
    lines = f"{message} {sid}\n{message} {sid}\n"
    result = invoke(
        ["download", "--from-list", "-", "-d", str(out), "-j", "2", "--jsonl"],
        cli_env(emu, tmp_path),
        stdin=lines,
    )
    assert result.exit_code == 0, result.stderr
    rows = _jsonl(result.stdout)
    assert sorted(r["status"] for r in rows) == ["downloaded", "skipped"]
    path = out / message / f"{sid}.jpg"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert all(r["sha256"] == digest for r in rows)
    assert not list(out.rglob("*.part"))


def test_a_torn_last_manifest_line_does_not_swallow_the_next_entry(
    emu: dict[str, Any], tmp_path: Path
) -> None:
    """After a crash leaves a manifest line without its newline, the next entry was appended
    to the fragment: unreadable, so the rerun found a complete file the manifest did not know
    and failed it as "exists"."""
    first_msg, first, _ = _one(emu, 1000)
    second_msg, second, digest = _one(emu, 2000)
    out = tmp_path / "out"
    env = cli_env(emu, tmp_path)
    ok = invoke(["download", first_msg, first, "-d", str(out)], env)
    assert ok.exit_code == 0, ok.stderr
    manifest = out / "manifest.jsonl"
    with manifest.open("a", encoding="utf-8") as handle:
        handle.write('{"account_sid":"AC')  # the torn tail a crash leaves
    got = invoke(["download", second_msg, second, "-d", str(out), "--jsonl"], env)
    assert got.exit_code == 0, got.stderr
    again = invoke(["download", second_msg, second, "-d", str(out), "--jsonl"], env)
    assert again.exit_code == 0, again.stderr
    assert [(r["status"], r["sha256"]) for r in _jsonl(again.stdout)] == [("skipped", digest)]


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_from_list_with_a_byte_order_mark_and_crlf(
    emu: dict[str, Any], tmp_path: Path, source: str
) -> None:
    """Lists saved by Windows tools start with a UTF-8 BOM and end lines with CRLF; the BOM
    made the first line "invalid message SID" (exit 2)."""
    message, sid, digest = _one(emu, 500, "image/png")
    other_msg, other, _ = _one(emu, 600, "image/png")
    doc = json.dumps({"sid": other, "message_sid": other_msg, "content_type": "image/png"})
    text = f"\ufeff{message} {sid}\r\n\r\n{doc}\r\n"
    out = tmp_path / "out"
    env = cli_env(emu, tmp_path)
    if source == "file":
        listing = tmp_path / "list.txt"
        listing.write_bytes(text.encode("utf-8"))
        result = invoke(["download", "--from-list", str(listing), "-d", str(out), "--jsonl"], env)
    else:
        result = invoke(["download", "--from-list", "-", "-d", str(out), "--jsonl"], env, text)
    assert result.exit_code == 0, result.stderr
    rows = _jsonl(result.stdout)
    assert [(r["sid"], r["status"]) for r in rows] == [(sid, "downloaded"), (other, "downloaded")]
    assert rows[0]["sha256"] == digest


def test_rerun_with_another_layout_puts_files_where_the_layout_says(
    emu: dict[str, Any], tmp_path: Path
) -> None:
    """The manifest skipped a media recorded at its old path even though --layout now maps it
    elsewhere: "skipped" with the old path, and nothing at the new one."""
    message, sid, digest = _one(emu, 800, "image/gif")
    out = tmp_path / "out"
    env = cli_env(emu, tmp_path)
    first = invoke(["download", message, "-d", str(out)], env)
    assert first.exit_code == 0, first.stderr
    layout = "{content_type}/{sid}{ext}"
    args = ["download", message, "-d", str(out), "--layout", layout, "--jsonl"]
    second = invoke(args, env)
    assert second.exit_code == 0, second.stderr
    [row] = _jsonl(second.stdout)
    wanted = (out / "image_gif" / f"{sid}.gif").resolve()
    assert Path(row["path"]) == wanted
    assert hashlib.sha256(wanted.read_bytes()).hexdigest() == digest
    third = invoke(args, env)  # and now the manifest knows the new path: skipped
    assert [r["status"] for r in _jsonl(third.stdout)] == ["skipped"]


@pytest.mark.parametrize("resume", [False, True], ids=["fresh", "resume"])
def test_a_part_symlink_inside_the_directory_is_not_written_through(
    emu: dict[str, Any], tmp_path: Path, resume: bool
) -> None:
    """NAME.part was opened following symlinks: a .part planted in a shared -d as a link to a
    file outside it had that file overwritten with the media, and the link renamed into place."""
    message, sid, digest = _one(emu, 3000)
    out = tmp_path / "out"
    (out / message).mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    (out / message / f"{sid}.jpg.part").symlink_to(victim)
    args = ["download", message, "-d", str(out), "--jsonl", *(["--resume"] if resume else [])]
    result = invoke(args, cli_env(emu, tmp_path))
    assert victim.read_bytes() == b"precious"
    assert result.exit_code == 0, result.stderr
    final = out / message / f"{sid}.jpg"
    assert not final.is_symlink()
    assert hashlib.sha256(final.read_bytes()).hexdigest() == digest


def test_claims_are_kept_only_when_the_layout_can_collide(
    emu: dict[str, Any], tmp_path: Path
) -> None:
    """Every target path was kept for the whole run (~750 bytes each: gigabytes over millions
    of files) even when the layout has {sid}, which no two media share. A layout without it
    still fails the second media that maps to a taken path."""
    from media_cli.downloads import Downloader
    from tests.support import make_client

    media = [{"content_type": "image/png", "size": 100 + i} for i in range(3)]
    message = seed(emu, {"messages": [{"media": media}]})["messages"][0]["sid"]
    client = make_client(emu)
    items = list(client.iter_media(emu["account_sid"], message))
    with Downloader(client, directory=tmp_path / "a", manifest_path=None) as downloader:
        assert [downloader.download(m).status for m in items] == ["downloaded"] * 3
        assert len(downloader._claimed) == 0
    layout = "{message_sid}/photo{ext}"
    with Downloader(
        client, directory=tmp_path / "b", layout=layout, manifest_path=None
    ) as downloader:
        results = [downloader.download(m) for m in items]
    assert [r.status for r in results] == ["downloaded", "failed", "failed"]
    assert all("include {sid}" in (r.error or "") for r in results[1:])
    cut = "{message_sid}/{sid:.2}{ext}"  # every SID starts with ME: all map to ME.png
    with Downloader(
        client, directory=tmp_path / "c", layout=cut, manifest_path=None, clobber=True
    ) as dl:
        assert [dl.download(m).status for m in items] == ["downloaded", "failed", "failed"]
