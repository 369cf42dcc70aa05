"""MediaClient: one keep-alive connection pool, Basic auth, timeouts, retries, pagination."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import IO, TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import urlencode

from media_cli import __version__
from media_cli.errors import (
    ApiError,
    NetworkError,
    RateLimitError,
    ServerError,
    UsageError,
    api_error_for,
)
from media_cli.models import Account, ChatMedia, Media, Message
from media_cli.transport import Pool, Response, TransportError, origin_of

if TYPE_CHECKING:
    from media_cli.credentials import Credentials

API_VERSION: Final = "2010-04-01"
USER_AGENT: Final = f"media-cli/{__version__}"
MAX_PAGE_SIZE: Final = 1000
DEFAULT_TIMEOUT: Final = (10.0, 60.0)
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
MCS_MAX_BYTES: Final = 150 * 1024 * 1024


class Readable(Protocol):
    """A request body that is streamed: anything with ``read(n)`` (and ``len()`` if known)."""

    def read(self, n: int = -1, /) -> bytes: ...


@dataclass
class RetryPolicy:
    """How GET/DELETE are retried on 429, 5xx and connection errors. POST is never retried.

    We retry in our own loop (the transport never retries on its own) so that every 429 can
    be reported to the bulk pool (it shrinks its worker count while throttling lasts) and so
    that the delay can be zeroed in tests.
    """

    attempts: int = 6
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        if retry_after:
            seconds = _parse_retry_after(retry_after)
            if seconds is not None:
                return min(seconds, self.max_retry_after)
        if self.backoff <= 0:
            return 0.0
        ceiling = min(self.max_backoff, self.backoff * (2 ** (attempt - 1)))
        return self.rng.uniform(ceiling / 2, ceiling)  # "equal jitter"


def _parse_retry_after(value: str) -> float | None:
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime  # rare: only for a dated Retry-After

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass
class Content:
    """An open, streamed content response (the bytes of one media)."""

    response: Response
    url: str
    start: int = 0

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def content_type(self) -> str | None:
        value = self.response.headers.get("Content-Type")
        return value.split(";")[0].strip() if value else None

    @property
    def content_length(self) -> int | None:
        value = self.response.headers.get("Content-Length")
        return int(value) if value and value.isdigit() else None

    @property
    def headers(self) -> Mapping[str, str]:
        return self.response.headers

    @property
    def remaining(self) -> int | None:
        """Bytes not read yet, when the server declared the length."""
        return self.response.remaining

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Fill ``buffer`` with the next bytes; 0 at the end. NetworkError if the link drops."""
        try:
            return self.response.readinto(buffer)
        except TransportError as exc:
            raise NetworkError(f"connection lost while reading content: {_brief(exc)}") from exc

    def iter_chunks(self, size: int = 256 * 1024) -> Iterator[bytes]:
        buffer = bytearray(size)
        view = memoryview(buffer)
        while count := self.readinto(buffer):
            yield bytes(view[:count])

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> Content:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _brief(exc: BaseException) -> str:
    """An exception as one line, without URLs' query strings (signed URLs carry tokens)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


class MediaClient:
    """The Twilio REST (2010-04-01) and MCS calls media-cli makes; returns models."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        api_url: str,
        mcs_url: str,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        pool_size: int = 16,
        debug_log: Callable[[str], None] | None = None,
        proxy_env: Mapping[str, str] | None = None,
    ) -> None:
        """``proxy_env``: HTTPS_PROXY/NO_PROXY and the like (none: no proxy)."""
        self.credentials = credentials
        self.api_url = api_url.rstrip("/")
        self.mcs_url = mcs_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.debug_log = debug_log
        self.on_throttle: Callable[[], None] | None = None
        self._auth_origins = {origin_of(self.api_url), origin_of(self.mcs_url)}
        self._lock = threading.Lock()
        self.throttled = 0
        # Auth is added per request, only for the configured API and MCS origins. HTTPS may
        # go through HTTPS_PROXY, as a CONNECT tunnel (the proxy never sees the request).
        self.pool = Pool(
            maxsize=max(pool_size, 4),
            timeout=timeout,
            user_agent=USER_AGENT,
            proxy_env=proxy_env or {},
        )

    # -- low level -------------------------------------------------------------

    def _headers_for(self, url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if origin_of(url) in self._auth_origins:
            import base64

            token = f"{self.credentials.username}:{self.credentials.secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
        return headers

    def _log(self, message: str) -> None:
        if self.debug_log is not None:
            self.debug_log(message)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        data: bytes | IO[bytes] | Readable | None = None,
        stream: bool = False,
        ok_statuses: frozenset[int] = frozenset(),
    ) -> Response:
        """One request with retries (GET/DELETE only); non-2xx raises an ApiError subclass.

        Redirects are not followed (the caller decides where credentials may go). The body is
        read within the retries (a connection lost half-way is retried like one refused)
        unless ``stream``: then read it (``readinto``) and ``close()`` the response.
        """
        retryable = method in ("GET", "DELETE", "HEAD")
        attempts = self.retry.attempts if retryable else 1
        shown = _redact_url(url)
        lost_answer = False  # an earlier attempt may have been carried out
        for attempt in range(1, attempts + 1):
            try:
                self._log(f"{method} {shown} (attempt {attempt})")
                response = self.pool.request(
                    method, url, params=params, headers=self._headers_for(url, headers), body=data
                )
                lost_answer = lost_answer or response.replayed
                if not stream and response.status_code < 300:
                    response.content  # noqa: B018 -- read now, inside the retries
            except ValueError as exc:
                raise UsageError(f"cannot request {shown}: {exc}") from exc
            except TransportError as exc:
                lost_answer = lost_answer or exc.connected
                if attempt < attempts:
                    self.retry.sleep(self.retry.delay(attempt, None))
                    continue
                where = "the proxy (HTTPS_PROXY, NO_PROXY)" if exc.proxied else "the --api-url"
                raise NetworkError(
                    f"{method} {shown} failed: {_brief(exc)}",
                    hint=f"check the network and {where}; media-cli retried {attempts} times",
                ) from exc
            status = response.status_code
            self._log(f"-> {status}")
            if status < 400 or status in ok_statuses:
                return response
            if status in RETRY_STATUSES and retryable:
                if status == 429:
                    with self._lock:
                        self.throttled += 1
                    if self.on_throttle is not None:
                        self.on_throttle()
                if attempt < attempts:
                    delay = self.retry.delay(attempt, response.headers.get("Retry-After"))
                    response.close()
                    self.retry.sleep(delay)
                    lost_answer = lost_answer or status >= 500  # Twilio never acts on a 429
                    continue
            error = self._error_from(response, method, shown, retried=attempt > 1)
            error.after_lost_answer = lost_answer
            raise error
        raise AssertionError("unreachable")  # pragma: no cover

    def _error_from(
        self, response: Response, method: str, shown: str, *, retried: bool
    ) -> ApiError:
        status = response.status_code
        twilio_code: int | None = None
        more_info: str | None = None
        message = f"{method} {shown}: HTTP {status}"
        try:
            body = response.json()
        except (ValueError, RecursionError, TransportError):  # RecursionError: absurd depth
            body = None
        finally:
            response.close()
        if isinstance(body, dict):
            code = body.get("code")
            twilio_code = code if isinstance(code, int) else None
            if isinstance(body.get("message"), str):
                message = f"{body['message']} ({method} {shown}: HTTP {status})"
            if isinstance(body.get("more_info"), str):
                more_info = body["more_info"]
        if retried and status in RETRY_STATUSES:
            message += f"; gave up after {self.retry.attempts} attempts"
        error = api_error_for(status, message=message, twilio_code=twilio_code, more_info=more_info)
        error.retry_after = response.headers.get("Retry-After")
        return error

    def get_json(self, url: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        response = self.request("GET", url, params=params)
        try:
            body = response.json()
        except TransportError as exc:
            raise NetworkError(f"GET {_redact_url(url)} failed: {_brief(exc)}") from exc
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep JSON
            raise ApiError(
                f"GET {_redact_url(url)}: the answer is not valid JSON",
                status=response.status_code,
            ) from exc
        if not isinstance(body, dict):
            raise ApiError(
                f"GET {_redact_url(url)}: expected a JSON object", status=response.status_code
            )
        return body

    def iter_pages(
        self, path: str, params: Mapping[str, str], key: str, *, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Items of a Twilio list, following ``next_page_uri`` lazily until it is null."""
        url: str | None = f"{self.api_url}{path}"
        query: Mapping[str, str] | None = params
        seen: set[str] = set()
        count = 0
        while url is not None:
            body = self.get_json(url, query)
            items = body.get(key)
            if not isinstance(items, list):
                raise ApiError(f"GET {_redact_url(url)}: the list has no {key!r} array", status=200)
            for item in items:
                if not isinstance(item, dict):
                    raise ApiError(f"GET {_redact_url(url)}: malformed list item", status=200)
                yield item
                count += 1
                if limit is not None and count >= limit:
                    return
            next_uri = body.get("next_page_uri")
            if not next_uri or not items:
                return
            if not isinstance(next_uri, str) or not next_uri.startswith("/"):
                raise ApiError(f"GET {_redact_url(url)}: malformed next_page_uri", status=200)
            if next_uri in seen:
                raise ApiError(
                    f"GET {_redact_url(url)}: the next page points back to a page already read",
                    status=200,
                )
            seen.add(next_uri)
            url, query = f"{self.api_url}{next_uri}", None

    # -- paths -----------------------------------------------------------------

    @staticmethod
    def message_path(account_sid: str, message_sid: str) -> str:
        return f"/{API_VERSION}/Accounts/{account_sid}/Messages/{message_sid}"

    def media_path(self, account_sid: str, message_sid: str, media_sid: str) -> str:
        return f"{self.message_path(account_sid, message_sid)}/Media/{media_sid}"

    # -- Messages media ----------------------------------------------------------

    def iter_media(
        self,
        account_sid: str,
        message_sid: str,
        *,
        created_on: date | None = None,
        created_before: date | None = None,
        created_after: date | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        message_date_sent: Any = None,
    ) -> Iterator[Media]:
        """The media of one message (``DateCreated`` filters are inclusive GMT days)."""
        params: dict[str, str] = {"PageSize": str(_page_size(page_size, limit))}
        if created_on:
            params["DateCreated"] = created_on.isoformat()
        if created_before:
            params["DateCreated<"] = created_before.isoformat()
        if created_after:
            params["DateCreated>"] = created_after.isoformat()
        path = f"{self.message_path(account_sid, message_sid)}/Media.json"
        for item in self.iter_pages(path, params, "media_list", limit=limit):
            yield Media.from_api(
                item,
                api_url=self.api_url,
                message_date_sent=message_date_sent,
                account_sid=account_sid,
                message_sid=message_sid,
            )

    def iter_messages(
        self,
        account_sid: str,
        *,
        sent_before: date | None = None,
        sent_after: date | None = None,
        to: str | None = None,
        from_: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Iterator[Message]:
        """Messages of an account, newest first (``DateSent<``/``>`` are inclusive GMT days)."""
        params: dict[str, str] = {"PageSize": str(_page_size(page_size, limit))}
        if sent_before:
            params["DateSent<"] = sent_before.isoformat()
        if sent_after:
            params["DateSent>"] = sent_after.isoformat()
        if to:
            params["To"] = to
        if from_:
            params["From"] = from_
        path = f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"
        for item in self.iter_pages(path, params, "messages", limit=limit):
            yield Message.from_api(item)

    def iter_accounts(self) -> Iterator[Account]:
        """The accounts these credentials can see: the account itself and its subaccounts."""
        path = f"/{API_VERSION}/Accounts.json"
        for item in self.iter_pages(path, {"PageSize": str(MAX_PAGE_SIZE)}, "accounts"):
            yield Account.from_api(item)

    def get_media(self, account_sid: str, message_sid: str, media_sid: str) -> Media:
        url = f"{self.api_url}{self.media_path(account_sid, message_sid, media_sid)}.json"
        return Media.from_api(
            self.get_json(url),
            api_url=self.api_url,
            account_sid=account_sid,
            message_sid=message_sid,
        )

    def get_media_xml(self, account_sid: str, message_sid: str, media_sid: str) -> str:
        url = f"{self.api_url}{self.media_path(account_sid, message_sid, media_sid)}.xml"
        response = self.request("GET", url)
        try:
            return response.text
        except TransportError as exc:
            raise NetworkError(f"GET {_redact_url(url)} failed: {_brief(exc)}") from exc

    def delete_media(self, account_sid: str, message_sid: str, media_sid: str) -> None:
        url = f"{self.api_url}{self.media_path(account_sid, message_sid, media_sid)}.json"
        self.request("DELETE", url).close()

    def open_content(self, content_url: str, *, start: int = 0) -> Content:
        """Stream a media's bytes: ask the API, then follow its redirect without credentials.

        ``start`` > 0 sends ``Range: bytes=start-`` (the caller checks for 206 vs 200).
        """
        range_headers = {"Accept-Encoding": "identity"}
        if start > 0:
            range_headers["Range"] = f"bytes={start}-"
        response = self.request("GET", content_url, headers=range_headers, stream=True)
        url = content_url
        hops = 0
        while response.status_code in REDIRECT_STATUSES:
            location = response.headers.get("Location")
            response.close()
            hops += 1
            if not location or hops > 5:
                raise ApiError(
                    f"GET {_redact_url(content_url)}: bad redirect", status=response.status_code
                )
            from urllib.parse import urljoin

            url = urljoin(url, location)
            # The signed URL is on another host: _headers_for adds no Authorization there.
            response = self.request(
                "GET", url, headers=range_headers, stream=True, ok_statuses=frozenset({416})
            )
        return Content(response=response, url=url, start=start)

    # -- Chat / Conversations media (MCS) --------------------------------------------

    def chat_media_url(self, service_sid: str, media_sid: str | None = None) -> str:
        base = f"{self.mcs_url}/v1/Services/{service_sid}/Media"
        return base if media_sid is None else f"{base}/{media_sid}"

    def upload_chat_media(
        self,
        service_sid: str,
        body: Readable | bytes,
        *,
        filename: str,
        content_type: str,
        size: int,
        multipart: bool = False,
    ) -> ChatMedia:
        """POST the bytes to MCS, raw (``Content-Type`` = the file's) or as multipart/form-data.

        ``body`` is streamed (anything with ``read(n)``; it is never read into memory). The
        upload is never retried once a connection was made, since the POST may have created
        the media; a connection that could not be opened at all (refused, DNS, connect
        timeout) sent nothing and is retried like a GET.
        """
        import io

        from media_cli.multipart import MultipartBody

        url = self.chat_media_url(service_sid)
        if any(c in content_type for c in "\r\n"):
            raise UsageError("a content type cannot contain line breaks")
        data: Readable | bytes = body
        length = size
        if multipart:
            stream = io.BytesIO(body) if isinstance(body, bytes) else body
            data = MultipartBody(stream, size=size, filename=filename, content_type=content_type)
            content_type, length = data.content_type, len(data)
        headers = {"Content-Type": content_type, "Content-Length": str(length)}
        target = f"{url}?{urlencode({'Filename': filename})}"
        attempts = max(1, self.retry.attempts)
        for attempt in range(1, attempts + 1):
            try:
                response = self.request("POST", target, headers=headers, data=data)
                break
            except NetworkError as exc:
                unsent = not getattr(data, "bytes_read", 0) and _never_connected(exc.__cause__)
                if unsent and attempt < attempts:
                    self._log(f"no connection to MCS, nothing sent; retrying ({attempt})")
                    self.retry.sleep(self.retry.delay(attempt, None))
                    continue
                exc.hint = (
                    f"could not connect to MCS ({attempt} attempts); nothing was sent"
                    if unsent
                    else "the upload was not retried: the POST may have created the media"
                )
                raise
            except RateLimitError as exc:
                exc.hint = "Twilio did not process the upload (429); it is safe to run it again"
                raise
            except ServerError as exc:
                not_retried = "not retried: the POST may have created the media"
                exc.hint = f"{not_retried} ({exc.more_info})" if exc.more_info else not_retried
                raise
        else:  # pragma: no cover - the loop either breaks or raises
            raise AssertionError("unreachable")
        try:
            data_json = response.json()
        except TransportError as exc:
            raise NetworkError(
                f"the upload's answer was lost: {_brief(exc)}",
                hint="the POST may have created the media; check before uploading again",
            ) from exc
        except (ValueError, RecursionError) as exc:
            raise ApiError(
                "MCS answered the upload with invalid JSON", status=response.status_code
            ) from exc
        if not isinstance(data_json, dict) or "sid" not in data_json:
            raise ApiError(
                "MCS answered the upload without a media SID", status=response.status_code
            )
        return ChatMedia.from_api(data_json)

    def get_chat_media(self, service_sid: str, media_sid: str) -> ChatMedia:
        return ChatMedia.from_api(self.get_json(self.chat_media_url(service_sid, media_sid)))

    def open_chat_content(self, media: ChatMedia) -> Content:
        """The bytes of a chat media: the temporary direct link (no auth), else ``/Content``."""
        direct = media.links.get("content_direct_temporary")
        if direct:
            try:
                identity = {"Accept-Encoding": "identity"}  # the bytes as stored, no gzip
                response = self.request("GET", direct, headers=identity, stream=True)
                return Content(response=response, url=direct)
            except (ApiError, NetworkError) as exc:
                if isinstance(exc, (RateLimitError, ServerError)):
                    raise
                self._log(f"direct link failed ({exc.message}); using /Content")
        link = media.links.get("content") or ""
        url = (
            link if link.startswith("http") else f"{self.mcs_url}{link}"
        ) or f"{self.chat_media_url(media.service_sid or '', media.sid)}/Content"
        return self.open_content(url)

    def close(self) -> None:
        self.pool.close()


def _never_connected(exc: BaseException | None) -> bool:
    """True when a request failed before a connection existed, so not one byte was sent."""
    return isinstance(exc, TransportError) and not exc.connected


def _redact_url(url: str) -> str:
    """Drop query strings: signed CDN URLs carry their token there."""
    return url.split("?", 1)[0]


def _page_size(page_size: int | None, limit: int | None) -> int:
    """``PageSize``: the user's choice, else the maximum; never more than ``limit`` needs."""
    if page_size is not None and not 1 <= page_size <= MAX_PAGE_SIZE:
        raise UsageError(f"--page-size must be between 1 and {MAX_PAGE_SIZE}")
    size = page_size or MAX_PAGE_SIZE
    if limit is not None:
        size = min(size, limit)
    return max(1, size)


__all__ = ["Content", "MediaClient", "RetryPolicy"]
