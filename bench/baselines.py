"""Baselines for bench/run.py, each run as its own process exactly as a user's script would be.

Credentials come from TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN in the environment.

  python bench/baselines.py requests-loop LIST DIR    sequential requests.get per URL
  python bench/baselines.py twilio-purge API_URL      sequential purge with the twilio library
  python bench/baselines.py capacity URL THREADS SECONDS
                                                      GET one small JSON resource from
                                                      THREADS sessions; prints the count
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path


def _auth() -> tuple[str, str]:
    return os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"]


def requests_loop(list_path: str, directory: str) -> int:
    """What the community scripts do: one requests.get after another, write each file."""
    import requests

    auth = _auth()
    out = Path(directory)
    for line in Path(list_path).read_text().splitlines():
        name, url = line.split(" ", 1)
        response = requests.get(url, auth=auth, timeout=60)
        response.raise_for_status()
        (out / name).write_bytes(response.content)
    return 0


def twilio_purge(api_url: str) -> int:
    """The official library's obvious purge loop: list messages, list each one's media, delete."""
    from twilio.rest import Client

    client = Client(*_auth())
    client.api.base_url = api_url
    before = datetime.now(timezone.utc)
    for message in client.messages.list(date_sent_before=before):
        for media in client.messages(message.sid).media.list():
            media.delete()
    return 0


def capacity(url: str, threads: int, seconds: float) -> int:
    """Small authenticated GETs from ``threads`` keep-alive connections for ``seconds``.

    Each client is a plain http.client connection: the point is the server's capacity, and
    a heavier client (requests costs ~1 ms of CPU per call under one GIL) would measure
    itself instead of the server on this 2-core machine.
    """
    import base64
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    token = base64.b64encode(":".join(_auth()).encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Accept": "application/json"}
    counts = [0] * threads
    errors = [0] * threads
    start = threading.Event()
    deadline = [0.0]

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        start.wait()
        while time.perf_counter() < deadline[0]:
            connection.request("GET", parts.path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                counts[index] += 1
            else:
                errors[index] += 1
        connection.close()

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    print(json.dumps({"ok": sum(counts), "errors": sum(errors), "seconds": elapsed}))
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["requests-loop"] and len(argv) == 3:
        return requests_loop(argv[1], argv[2])
    if argv[:1] == ["twilio-purge"] and len(argv) == 2:
        return twilio_purge(argv[1])
    if argv[:1] == ["capacity"] and len(argv) == 4:
        return capacity(argv[1], int(argv[2]), float(argv[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
