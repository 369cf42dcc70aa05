"""media-cli: Twilio Messages and Chat media from the shell."""

__version__ = "0.1.0"
