"""Chat uploads of files that change, and exit codes of one named media that is missing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from media_cli.errors import MediaCliError
from media_cli.uploads import UploadPlan, upload_one
from tests.support import chat_state, cli_env, invoke, make_client, seed


@pytest.mark.parametrize("multipart", [False, True], ids=["raw", "multipart"])
def test_a_file_that_grew_after_it_was_checked_is_not_uploaded_truncated(
    emu: dict[str, Any], tmp_path: Path, multipart: bool
) -> None:
    """The size is taken when the file is checked; a file still being written (a recording)
    kept growing, and only its first bytes were uploaded, reported as a success."""
    path = tmp_path / "clip.mp4"
    path.write_bytes(os.urandom(300_000))
    plan = UploadPlan(path, "clip.mp4", "video/mp4", 200_000)  # checked at 200 000 bytes
    client = make_client(emu)
    with pytest.raises(MediaCliError, match="grew"):
        upload_one(client, emu["chat_service_sid"], plan, multipart=multipart)
    assert chat_state(emu) == {}


def test_stdout_download_of_a_missing_media_exits_3(emu: dict[str, Any], tmp_path: Path) -> None:
    """`download MM ME -o -` of a media that does not exist exited 1 ("not found"), not the
    documented 3 (fetch and download-chat exit 3)."""
    created = seed(emu, {"messages": [{"media": [{"content_type": "image/png", "size": 10}]}]})
    message = created["messages"][0]["sid"]
    missing = "ME" + "0" * 32
    env = cli_env(emu, tmp_path)
    result = invoke(["download", message, missing, "-o", "-", "--not-found-tries", "1"], env)
    assert result.exit_code == 3, result.stderr
    assert result.stdout_bytes == b""


@pytest.mark.parametrize("target", ["file", "dir"])
def test_one_named_missing_media_exits_3(emu: dict[str, Any], tmp_path: Path, target: str) -> None:
    """`download MM ME -o FILE` and `download MM ME -d DIR` of a missing media exit 3, like
    fetch; the one result is still printed as failed in JSON modes."""
    created = seed(emu, {"messages": [{"media": [{"content_type": "image/png", "size": 10}]}]})
    message = created["messages"][0]["sid"]
    missing = "ME" + "0" * 32
    where = ["-o", str(tmp_path / "x.png")] if target == "file" else ["-d", str(tmp_path / "d")]
    args = ["download", message, missing, *where, "--not-found-tries", "1", "--jsonl"]
    result = invoke(args, cli_env(emu, tmp_path))
    assert result.exit_code == 3, result.stderr
    assert json.loads(result.stdout)["status"] == "failed"
    assert json.loads(result.stderr.strip().splitlines()[-1])["error"]["code"] == "not_found"
