"""A local Twilio-compatible server (API, MCS and CDN listeners); standard library only."""

from media_cli.emulator.server import Emulator, EmulatorConfig

__all__ = ["Emulator", "EmulatorConfig"]
