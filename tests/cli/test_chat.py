"""`media-cli upload-chat`, `fetch-chat` and `download-chat` end to end against the emulator."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from media_cli.cli.context import AppContext, GlobalOptions
from media_cli.client import MCS_MAX_BYTES
from media_cli.streams import Streams
from tests.support import chat_state, cli_env, faults, invoke, stats, upload_posts


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def photo(tmp_path: Path) -> tuple[Path, bytes]:
    content = os.urandom(200_000)
    path = tmp_path / "photo.jpg"
    path.write_bytes(content)
    return path, content


@pytest.mark.parametrize("multipart", [False, True], ids=["raw", "multipart"])
def test_upload_fetch_download_round_trip(
    emu: dict[str, Any], tmp_path: Path, photo: tuple[Path, bytes], multipart: bool
) -> None:
    path, content = photo
    env = cli_env(emu, tmp_path / "cfg")
    service = emu["chat_service_sid"]
    args = ["upload-chat", str(path), "--service", service, "--json"]
    result = invoke([*args, "--multipart"] if multipart else args, env)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["sid"].startswith("ME")
    assert (doc["size"], doc["content_type"], doc["filename"]) == (
        len(content),
        "image/jpeg",
        "photo.jpg",
    )
    assert (doc["status"], doc["error"], doc["path"]) == ("uploaded", None, str(path))
    assert set(doc["links"]) >= {"content", "content_direct_temporary"}
    assert chat_state(emu)[doc["sid"]]["sha256"] == _sha(content)

    fetched = invoke(["fetch-chat", service, doc["sid"], "--json"], env)
    assert fetched.exit_code == 0, fetched.stderr
    meta = json.loads(fetched.stdout)
    assert (meta["sid"], meta["size"], meta["filename"]) == (doc["sid"], len(content), "photo.jpg")

    out = tmp_path / "out"
    got = invoke(["download-chat", service, doc["sid"], "-d", str(out), "--json"], env)
    assert got.exit_code == 0, got.stderr
    saved = json.loads(got.stdout)
    assert saved["status"] == "downloaded"
    assert saved["sha256"] == _sha(content)
    assert Path(saved["path"]) == (out / "photo.jpg").resolve()
    assert (out / "photo.jpg").read_bytes() == content
    assert sorted(p.name for p in out.iterdir()) == ["photo.jpg"]  # no .part left over

    again = invoke(["download-chat", service, doc["sid"], "-d", str(out)], env)
    assert again.exit_code == 1
    assert "exists" in again.stderr
    skipped = invoke(["download-chat", service, doc["sid"], "-d", str(out), "--skip-existing"], env)
    assert skipped.exit_code == 0, skipped.stderr
    assert skipped.stdout.split("\t")[1] == "skipped"


def test_download_to_stdout_and_to_a_file(
    emu: dict[str, Any], tmp_path: Path, photo: tuple[Path, bytes]
) -> None:
    path, content = photo
    env = cli_env(emu, tmp_path / "cfg")
    service = emu["chat_service_sid"]
    sid = json.loads(invoke(["upload-chat", str(path), "-s", service, "--json"], env).stdout)["sid"]
    piped = invoke(["download-chat", service, sid, "-o", "-"], env)
    assert piped.exit_code == 0, piped.stderr
    assert piped.stdout_bytes == content
    target = tmp_path / "named.bin"
    saved = invoke(["download-chat", service, sid, "-o", str(target)], env)
    assert saved.exit_code == 0, saved.stderr
    assert target.read_bytes() == content
    both = invoke(["download-chat", service, sid, "-o", str(target), "-d", str(tmp_path)], env)
    assert both.exit_code == 2


@pytest.mark.parametrize(
    ("filename", "expected"), [("../../etc/passwd", "passwd"), ("/tmp/x", "x"), ("..", None)]
)
def test_uploader_file_name_is_never_a_path(
    emu: dict[str, Any], tmp_path: Path, filename: str, expected: str | None
) -> None:
    env = cli_env(emu, tmp_path / "cfg")
    service = emu["chat_service_sid"]
    src = tmp_path / "src.txt"
    src.write_bytes(b"not a password file\n")
    up = invoke(
        [
            "upload-chat",
            str(src),
            "-s",
            service,
            "--filename",
            filename,
            "-t",
            "text/plain",
            "--json",
        ],
        env,
    )
    assert up.exit_code == 0, up.stderr
    doc = json.loads(up.stdout)
    assert doc["filename"] == filename  # stored as given; only the download is made safe
    target_dir = tmp_path / "deep" / "inside"
    got = invoke(["download-chat", service, doc["sid"], "-d", str(target_dir), "--json"], env)
    assert got.exit_code == 0, got.stderr
    saved = Path(json.loads(got.stdout)["path"])
    assert saved.parent == target_dir.resolve()
    assert saved.name == (expected or f"{doc['sid']}.txt")
    assert saved.read_bytes() == b"not a password file\n"
    assert [p.name for p in target_dir.iterdir()] == [saved.name]
    assert not (tmp_path / "etc").exists()
    assert not (tmp_path / "deep" / "passwd").exists()


def test_several_files_json_array_and_a_failure_exits_1(
    emu: dict[str, Any], tmp_path: Path
) -> None:
    env = cli_env(emu, tmp_path / "cfg")
    files = []
    for i, name in enumerate(["a.png", "b.pdf", "c.txt"]):
        path = tmp_path / name
        path.write_bytes(bytes([i + 1]) * (1000 + i))
        files.append(path)
    ok = invoke(["upload-chat", *map(str, files), "-s", emu["chat_service_sid"], "--json"], env)
    assert ok.exit_code == 0, ok.stderr
    docs = json.loads(ok.stdout)
    assert [d["filename"] for d in docs] == ["a.png", "b.pdf", "c.txt"]
    assert [d["content_type"] for d in docs] == ["image/png", "application/pdf", "text/plain"]
    assert {d["status"] for d in docs} == {"uploaded"}
    assert len(chat_state(emu)) == 3

    faults(
        emu,
        [
            {
                "listener": "mcs",
                "method": "POST",
                "path": "/Media",
                "action": "status",
                "status": 500,
                "code": 20500,
                "message": "boom",
                "times": 1,
            }
        ],
    )
    bad = invoke(
        ["upload-chat", *map(str, files), "-s", emu["chat_service_sid"], "-j", "1", "--jsonl"],
        env,
    )
    assert bad.exit_code == 1
    lines = [json.loads(line) for line in bad.stdout.splitlines()]
    assert [d["status"] for d in lines] == ["failed", "uploaded", "uploaded"]
    assert lines[0]["sid"] is None
    assert "boom" in lines[0]["error"]
    assert len(chat_state(emu)) == 5
    assert '"partial_failure"' in bad.stderr


def test_upload_500_is_not_retried_and_exits_5(
    emu: dict[str, Any], tmp_path: Path, photo: tuple[Path, bytes]
) -> None:
    faults(
        emu,
        [
            {
                "listener": "mcs",
                "method": "POST",
                "path": "/Media",
                "action": "status",
                "status": 500,
                "code": 20500,
                "message": "boom",
            }
        ],
    )
    result = invoke(
        ["upload-chat", str(photo[0]), "-s", emu["chat_service_sid"]], cli_env(emu, tmp_path)
    )
    assert result.exit_code == 5
    assert "not retried" in result.stderr
    assert result.stdout == ""
    assert upload_posts(emu) == 1


def test_over_150_mb_is_refused_before_sending(emu: dict[str, Any], tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    with big.open("wb") as handle:
        handle.truncate(MCS_MAX_BYTES + 1)  # sparse
    result = invoke(
        ["upload-chat", str(big), "-s", emu["chat_service_sid"]], cli_env(emu, tmp_path)
    )
    assert result.exit_code == 2
    assert "150 MB" in result.stderr
    assert stats(emu)["total"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--service", "IS123"], "invalid service SID"),
        (["--service", "AC" + "a" * 32], "invalid service SID"),
        (["--content-type", "not a type"], "invalid content type"),
    ],
)
def test_bad_input_exits_2_without_a_request(
    emu: dict[str, Any], tmp_path: Path, photo: tuple[Path, bytes], args: list[str], message: str
) -> None:
    full = ["upload-chat", str(photo[0]), *args]
    if "--service" not in args:
        full += ["--service", emu["chat_service_sid"]]
    result = invoke(full, cli_env(emu, tmp_path))
    assert result.exit_code == 2
    assert message in result.stderr
    assert stats(emu)["total"] == 0


def test_unknown_type_needs_content_type(emu: dict[str, Any], tmp_path: Path) -> None:
    blob = tmp_path / "dump.zzzunknownzzz"
    blob.write_bytes(b"\x00\x01")
    env = cli_env(emu, tmp_path / "cfg")
    refused = invoke(["upload-chat", str(blob), "-s", emu["chat_service_sid"], "--json"], env)
    assert refused.exit_code == 2
    assert json.loads(refused.stderr)["error"]["code"] == "usage"
    assert refused.stdout == ""
    assert stats(emu)["total"] == 0
    given = invoke(
        ["upload-chat", str(blob), "-s", emu["chat_service_sid"], "-t", "application/x-dump"],
        env,
    )
    assert given.exit_code == 0, given.stderr
    fields = given.stdout.rstrip("\n").split("\t")
    assert fields[1:5] == ["uploaded", "2", "application/x-dump", "dump.zzzunknownzzz"]


def test_missing_file_and_directory_exit_2(emu: dict[str, Any], tmp_path: Path) -> None:
    for target in (tmp_path / "nope.jpg", tmp_path):
        result = invoke(
            ["upload-chat", str(target), "-s", emu["chat_service_sid"]], cli_env(emu, tmp_path)
        )
        assert result.exit_code == 2
    assert stats(emu)["total"] == 0


def test_fetch_and_download_bad_sids_exit_2(emu: dict[str, Any], tmp_path: Path) -> None:
    env = cli_env(emu, tmp_path)
    assert invoke(["fetch-chat", "IS1", "ME" + "a" * 32], env).exit_code == 2
    assert invoke(["download-chat", emu["chat_service_sid"], "MM" + "a" * 32], env).exit_code == 2
    assert stats(emu)["total"] == 0
    missing = invoke(["fetch-chat", emu["chat_service_sid"], "ME" + "a" * 32], env)
    assert missing.exit_code == 3


def test_region_rewrites_the_default_mcs_host(tmp_path: Path) -> None:
    """No traffic: only the Settings that the client would be built from."""
    env = {"MEDIA_CLI_CONFIG_DIR": str(tmp_path)}
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith(("TWILIO_", "MEDIA_CLI_")):
                mp.delenv(key)
        for key, value in env.items():
            mp.setenv(key, value)
        ctx = AppContext(Streams.for_test(), options=GlobalOptions(region="ie1"))
        assert ctx.settings().mcs_url == "https://mcs.ie1.twilio.com"
        plain = AppContext(Streams.for_test(), options=GlobalOptions())
        assert plain.settings().mcs_url == "https://mcs.us1.twilio.com"
        given = AppContext(
            Streams.for_test(),
            options=GlobalOptions(region="ie1", mcs_url="http://127.0.0.1:9"),
        )
        assert given.settings().mcs_url == "http://127.0.0.1:9"


def test_peak_memory_stays_flat_for_a_100_mb_upload(emu: dict[str, Any], tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    env = {**os.environ, **cli_env(emu, tmp_path / "cfg")}
    # A wrapper process, so ru_maxrss covers only the CLI (not pytest's other children).
    script = textwrap.dedent(
        """
        import resource, subprocess, sys
        proc = subprocess.run(sys.argv[1:], capture_output=True)
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        sys.stdout.write(proc.stdout.decode())
        kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(f"maxrss_kib={kib} rc={proc.returncode}")
        """
    )
    cmd = [
        sys.executable,
        "-m",
        "media_cli",
        "upload-chat",
        str(big),
        "-s",
        emu["chat_service_sid"],
        "-t",
        "application/octet-stream",
        "--jsonl",
    ]
    done = subprocess.run(
        [sys.executable, "-c", script, *cmd], capture_output=True, text=True, env=env, timeout=120
    )
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr
    summary = dict(item.split("=") for item in lines[-1].split())
    assert summary["rc"] == "0", done.stderr
    doc = json.loads(lines[0])
    assert doc["size"] == 100 * 1024 * 1024
    assert chat_state(emu)[doc["sid"]]["sha256"] == _sha(b"\0" * (100 * 1024 * 1024))
    assert int(summary["maxrss_kib"]) < 80 * 1024, summary


def test_terminal_gets_a_table_and_progress_on_stderr(emu: dict[str, Any], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from media_cli.cli.app import app

    files = []
    for name in ("one.gif", "two.gif"):
        path = tmp_path / name
        path.write_bytes(b"GIF89a" + os.urandom(3000))
        files.append(str(path))
    streams = Streams.for_test(tty=True)
    result = CliRunner().invoke(
        app,
        ["upload-chat", *files, "-s", emu["chat_service_sid"]],
        env=cli_env(emu, tmp_path / "cfg"),
        obj=AppContext(streams),
        catch_exceptions=False,
    )
    assert isinstance(streams.stdout, io.StringIO)
    assert isinstance(streams.stderr, io.StringIO)
    assert result.exit_code == 0, streams.stderr.getvalue()
    table = streams.stdout.getvalue()
    sids = sorted(chat_state(emu))
    assert len(sids) == 2
    assert all(sid in table for sid in sids)
    assert "SID" in table
    assert "uploaded" in table
    assert "uploaded 2, failed 0" in streams.stderr.getvalue()
