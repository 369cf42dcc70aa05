"""The config file: hand-edited files survive a rewrite by `auth login`."""

from __future__ import annotations

from pathlib import Path

from media_cli.config import read_config, save_profile

_AC = "AC" + "c" * 32


def test_quoted_keys_and_non_string_values_survive_a_rewrite(tmp_path: Path) -> None:
    """A hand-written key that needs quotes used to be written bare (the file no longer
    parsed, so every command failed), and numbers and booleans were silently dropped."""
    path = tmp_path / "config.toml"
    path.write_text(
        '"odd key" = "v"\n'
        "color = true\n"
        "retries = 3\n"
        'default_profile = "work"\n'
        '[profiles."we ird"]\n'
        f'account_sid = "{_AC}"\n'
        '"x y" = "z"\n'
        "ratio = 0.5\n",
        encoding="utf-8",
    )
    before = read_config(path)
    save_profile(path, "work", {"account_sid": _AC, "region": "ie1"})
    after = read_config(path)
    assert after["profiles"]["work"] == {"account_sid": _AC, "region": "ie1"}
    del after["profiles"]["work"]
    assert after == before
