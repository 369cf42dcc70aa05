"""Run media-cli as ``python -m media_cli``."""

from media_cli.cli.app import main

if __name__ == "__main__":
    main()
