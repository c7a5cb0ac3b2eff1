"""HTTP client of the MAX Bot API (``platform-api2.max.ru``).

A plain, synchronous class on ``requests``: Odoo's workers are synchronous and
own the HTTP side, so no event loop of a bot framework. It gets its settings
as arguments and imports nothing from Odoo. Every call has a timeout, is
throttled below the API's 30 requests per second per bot (by a throttle the
caller may share between processes), backs off briefly on the answers that
say "later" (5xx, ``attachment.not.ready``), never sleeps on HTTP 429 (it
raises at once with the ``Retry-After`` the API gave, for the caller to come
back then), and fails with a typed ``MaxError`` that says whether retrying
makes sense.

What the OpenAPI file leaves out (host, raw token in ``Authorization``, the
Russian Trusted CA, ``success: false`` with HTTP 200) is in
``shared/reference/max-bot-api/NOTES.md``.
"""

import datetime
import email.utils
import hashlib
import json
import logging
import math
import os
import re
import threading
import time
from pathlib import Path

import certifi
import requests

from .http_util import mount_timeouts
from .max_errors import (
    MaxApiError,
    MaxAuthError,
    MaxConfigError,
    MaxFileTooLarge,
    MaxRequestError,
    MaxResponseError,
    MaxTransportError,
)

_logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://platform-api2.max.ru"
DEFAULT_TIMEOUT = (5, 30)  # connect, read (seconds)
MAX_TEXT = 4000
MAX_PAYLOAD = 1024
# Below the API's 30 requests per second per bot, to leave room for clocks.
DEFAULT_RATE = 25
# Answers larger than this are refused (a message list is a few hundred KB).
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
UPLOAD_TYPES = ("image", "video", "audio", "file")
SECRET_RE = re.compile(r"^[a-zA-Z0-9_-]{5,256}$")
# A Retry-After longer than this is read as this (a broken header must not
# park a bot for days).
MAX_RETRY_AFTER = 3600.0
# The client sleeps between its own retries at most this long; an answer
# asking for a longer wait is raised for the caller to come back later.
MAX_SLEEP = 5.0


def parse_retry_after(value, now=None):
    """Seconds to wait, from a ``Retry-After`` header: delta-seconds or an
    HTTP date (RFC 9110); None when absent or unreadable. Never negative,
    at most ``MAX_RETRY_AFTER``."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        now = now or datetime.datetime.now(datetime.timezone.utc)
        seconds = (when - now).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def trusted_ca_bundle(extra_pem, directory):
    """A CA bundle file made of certifi's authorities plus ``extra_pem`` (the
    Russian Trusted Root and Sub CA the MAX API host chains to), written once
    in ``directory``: ``requests`` takes one bundle in ``verify=``."""
    extra = Path(extra_pem).read_bytes()
    base = Path(certifi.where()).read_bytes()
    digest = hashlib.sha256(base + extra).hexdigest()[:16]
    target = Path(directory) / f"max-ca-bundle-{digest}.pem"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(base.rstrip(b"\n") + b"\n" + extra)
        partial.replace(target)  # atomic: another worker may write it too
    return str(target)


class Throttle:
    """At most ``rate`` calls per second, shared by the threads of one
    process. A caller with several processes (Odoo's workers) gives the
    client a throttle of its own with the same ``wait()``."""

    def __init__(self, rate, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1.0 / rate if rate else 0.0
        self.clock = clock
        self.sleep = sleep
        self.lock = threading.Lock()
        self.next_at = 0.0

    def wait(self):
        if not self.interval:
            return
        with self.lock:
            now = self.clock()
            delay = self.next_at - now
            self.next_at = max(now, self.next_at) + self.interval
        if delay > 0:
            self.sleep(delay)


# -- keyboards ---------------------------------------------------------------


def _button(kind, text, **extra):
    text = (text or "").strip()
    if not 1 <= len(text) <= 128:
        raise MaxRequestError(f"A button text has 1 to 128 characters ({text!r})")
    return {"type": kind, "text": text, **extra}


def callback_button(text, payload, intent=None):
    if not payload or len(payload) > MAX_PAYLOAD:
        raise MaxRequestError("A callback payload has 1 to 1024 characters")
    button = _button("callback", text, payload=payload)
    if intent:
        button["intent"] = intent
    return button


def link_button(text, url):
    if not url or not url.startswith(("https://", "http://")) or len(url) > 2048:
        raise MaxRequestError(f"A link button needs an http(s) URL ({url!r})")
    return _button("link", text, url=url)


def request_contact_button(text):
    return _button("request_contact", text)


def message_button(text):
    return _button("message", text)


def inline_keyboard(rows):
    """The attachment of an inline keyboard: ``rows`` of buttons."""
    rows = [list(row) for row in rows if row]
    if not rows:
        raise MaxRequestError("A keyboard needs at least one button")
    return {"type": "inline_keyboard", "payload": {"buttons": rows}}


def split_text(text, limit=MAX_TEXT):
    """Cut ``text`` into messages of at most ``limit`` characters, at
    paragraph, line or word boundaries where possible."""
    text = (text or "").strip()
    chunks = []
    while len(text) > limit:
        # The widest boundary in the second half of the message: a paragraph
        # rather than a line, a line rather than a word.
        cuts = [text.rfind(sep, 0, limit + 1) for sep in ("\n\n", "\n", " ")]
        cut = next((c for c in cuts if c >= limit // 2), max(cuts))
        if cut <= 0:
            cut = limit
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks


class MaxBotClient:
    """One bot's client. Thread-safe: one instance may serve a worker."""

    def __init__(
        self,
        token,
        *,
        base_url=DEFAULT_BASE_URL,
        timeout=DEFAULT_TIMEOUT,
        verify=True,
        session=None,
        rate=DEFAULT_RATE,
        throttle=None,
        retries=3,
        backoff=1.0,
        sleep=time.sleep,
        clock=time.monotonic,
        max_response_bytes=DEFAULT_MAX_RESPONSE_BYTES,
    ):
        if not token or not str(token).strip():
            raise MaxConfigError("No MAX bot token")
        base_url = (base_url or "").strip().rstrip("/")
        if not base_url.startswith(("https://", "http://")):
            raise MaxConfigError(f"The MAX API URL must be http(s) ({base_url!r})")
        self.token = str(token).strip()
        self.base_url = base_url
        self.timeout = timeout
        self.verify = verify
        self.session = mount_timeouts(session or requests.Session(), timeout)
        self.throttle = throttle or Throttle(rate, clock=clock, sleep=sleep)
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.max_response_bytes = max_response_bytes

    def __repr__(self):
        # Never the token.
        return f"<MaxBotClient {self.base_url}>"

    # -- transport ---------------------------------------------------------

    def _read(self, response):
        chunks, size = [], 0
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > self.max_response_bytes:
                response.close()
                raise MaxResponseError(
                    f"Answer larger than {self.max_response_bytes} bytes refused",
                    status=response.status_code,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _send_once(self, method, url, *, headers=None, timeout=None, **kwargs):
        self.throttle.wait()
        headers = dict(headers or {}, Authorization=self.token)
        try:
            # No timeout here: the session's adapter applies the client's,
            # except for long polling, which waits longer on purpose.
            response = self.session.request(
                method,
                url,
                headers=headers,
                timeout=timeout,
                verify=self.verify,
                stream=True,
                **kwargs,
            )
            with response:
                content = self._read(response)
        except requests.Timeout as exc:
            raise MaxTransportError(
                f"{method} {self._path(url)}: no answer in time"
            ) from exc
        except requests.RequestException as exc:
            raise MaxTransportError(
                f"{method} {self._path(url)}: connection failed "
                f"({exc.__class__.__name__})"
            ) from exc
        return response, content

    def _path(self, url):
        return url.removeprefix(self.base_url)

    def _parse(self, method, url, response, content):
        path = self._path(url)
        try:
            data = json.loads(content) if content else {}
        except ValueError as exc:
            if response.status_code >= 400:
                raise MaxApiError(
                    f"{method} {path}: HTTP {response.status_code}",
                    status=response.status_code,
                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                ) from exc
            raise MaxResponseError(
                f"{method} {path}: the answer is not JSON", status=response.status_code
            ) from exc
        if response.status_code >= 400 or (
            isinstance(data, dict) and data.get("success") is False
        ):
            data = data if isinstance(data, dict) else {}
            code = data.get("code") or data.get("error")
            message = data.get("message") or f"HTTP {response.status_code}"
            error_class = (
                MaxAuthError
                if response.status_code == 401 or code == "verify.token"
                else MaxApiError
            )
            raise error_class(
                f"{method} {path}: {message}",
                code=code,
                status=response.status_code,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if not isinstance(data, dict):
            raise MaxResponseError(f"{method} {path}: the answer is not an object")
        return data

    def _request(
        self, method, path, *, params=None, json_body=None, safe=None, **kwargs
    ):
        """Call the API; retry briefly what the API asks to retry. ``safe``:
        the call may be sent again after a connection failure too (reads).
        HTTP 429, or any answer asking for a longer wait than ``MAX_SLEEP``,
        is raised at once with its ``retry_after``: the caller comes back
        then, no worker sleeps through it."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        safe = method == "GET" if safe is None else safe
        attempt = 0
        while True:
            try:
                response, content = self._send_once(
                    method, url, params=params, json=json_body, **kwargs
                )
                return self._parse(method, url, response, content)
            except (MaxApiError, MaxTransportError, MaxResponseError) as error:
                # 5xx and attachment.not.ready: the API did not take it.
                retry = (isinstance(error, MaxApiError) and error.transient) or (
                    safe and isinstance(error, MaxTransportError)
                )
                if (
                    not retry
                    or attempt >= self.retries
                    or getattr(error, "rate_limited", False)
                    or (error.retry_after or 0) > MAX_SLEEP
                ):
                    raise
                delay = min(
                    error.retry_after
                    if error.retry_after is not None
                    else self.backoff * (2**attempt),
                    MAX_SLEEP,
                )
                _logger.info(
                    "MAX %s %s: %s; again in %.1f s",
                    method,
                    path,
                    error.code or error,
                    delay,
                )
                self.sleep(delay)
                attempt += 1

    # -- bot -----------------------------------------------------------------

    def get_me(self):
        """The bot's own profile (``GET /me``): a cheap check of the token."""
        return self._request("GET", "/me")

    # -- messages ------------------------------------------------------------

    def send_message(
        self,
        *,
        user_id=None,
        chat_id=None,
        text=None,
        text_format=None,
        attachments=None,
        keyboard=None,
        notify=True,
        disable_link_preview=None,
    ):
        """Send a message to a user (their dialog) or to a chat; return the
        ``Message`` MAX created. ``keyboard``: rows of buttons."""
        if (user_id is None) == (chat_id is None):
            raise MaxRequestError("Give either a user_id or a chat_id")
        if text is not None and len(text) > MAX_TEXT:
            raise MaxRequestError(
                f"A message text has at most {MAX_TEXT} characters ({len(text)})"
            )
        attachments = list(attachments or [])
        if keyboard:
            attachments.append(inline_keyboard(keyboard))
        if not text and not attachments:
            raise MaxRequestError("A message needs a text or an attachment")
        if text_format not in (None, "markdown", "html"):
            raise MaxRequestError(f"Unknown text format {text_format!r}")
        # The OpenAPI file requires text, attachments and link, nullable.
        body = {
            "text": text,
            "attachments": attachments or None,
            "link": None,
            "notify": notify,
        }
        if text_format:
            body["format"] = text_format
        params = {"user_id": user_id} if user_id is not None else {"chat_id": chat_id}
        if disable_link_preview is not None:
            params["disable_link_preview"] = str(bool(disable_link_preview)).lower()
        data = self._request("POST", "/messages", params=params, json_body=body)
        if "message" not in data:
            raise MaxResponseError("POST /messages: no message in the answer")
        return data["message"]

    def answer_callback(self, callback_id, *, notification=None, message=None):
        """Answer a button press (``POST /answers``): a one-off notice and/or
        a new body for the message that held the keyboard."""
        if not callback_id:
            raise MaxRequestError("No callback_id")
        body = {}
        if notification:
            body["notification"] = notification
        if message:
            body["message"] = message
        return self._request(
            "POST", "/answers", params={"callback_id": callback_id}, json_body=body
        )

    # -- files -----------------------------------------------------------------

    def upload(self, kind, filename, content, content_type=None):
        """Upload a file; return the attachment to send with a message."""
        if kind not in UPLOAD_TYPES:
            raise MaxRequestError(f"Unknown upload type {kind!r}")
        endpoint = self._request("POST", "/uploads", params={"type": kind})
        if not endpoint.get("url"):
            raise MaxResponseError("POST /uploads: no upload URL")
        files = {
            "data": (filename, content, content_type or "application/octet-stream")
        }
        uploaded = self._request("POST", endpoint["url"], files=files, safe=False)
        token = endpoint.get("token") or uploaded.get("token")
        if not token and isinstance(uploaded.get("photos"), dict):
            # Images: {"photos": {"<size id>": {"token": ...}}}
            token = next(
                (p.get("token") for p in uploaded["photos"].values() if p.get("token")),
                None,
            )
        if not token:
            raise MaxResponseError("The upload gave no token")
        return {"type": kind, "payload": {"token": token}}

    def download(self, url, max_bytes=None):
        """Fetch a file a resident sent (its ``payload.url``). Videos, images
        and audio come without a size: the ``Content-Length`` the server
        declares is checked before reading, and the reading stops at the
        limit (``MaxFileTooLarge``, which no retry cures)."""
        limit = max_bytes or self.max_response_bytes
        self.throttle.wait()
        try:
            response = self.session.get(url, verify=self.verify, stream=True)
            with response:
                if response.status_code >= 400:
                    raise MaxApiError(
                        f"Download failed: HTTP {response.status_code}",
                        status=response.status_code,
                        retry_after=parse_retry_after(
                            response.headers.get("Retry-After")
                        ),
                    )
                declared = response.headers.get("Content-Length")
                if declared and declared.strip().isdigit() and int(declared) > limit:
                    raise MaxFileTooLarge(
                        f"File of {int(declared)} bytes, larger than {limit} bytes"
                    )
                chunks, size = [], 0
                for chunk in response.iter_content(chunk_size=65536):
                    size += len(chunk)
                    if size > limit:
                        raise MaxFileTooLarge(f"File larger than {limit} bytes")
                    chunks.append(chunk)
                return b"".join(chunks), response.headers.get("Content-Type")
        except requests.RequestException as exc:
            raise MaxTransportError(
                f"Download failed ({exc.__class__.__name__})"
            ) from exc

    def get_messages(self, chat_id, count=50):
        """The latest messages of a chat, newest first (``GET /messages``):
        how a sender finds out whether MAX took a message whose answer it
        never read."""
        params = {"chat_id": chat_id, "count": max(1, min(int(count), 100))}
        messages = self._request("GET", "/messages", params=params).get("messages")
        if not isinstance(messages, list):
            raise MaxResponseError("GET /messages: no message list")
        return messages

    # -- updates ---------------------------------------------------------------

    def subscriptions(self):
        """The webhook subscriptions of the bot (``GET /subscriptions``)."""
        return self._request("GET", "/subscriptions").get("subscriptions") or []

    def subscribe(self, url, secret, update_types=None):
        """Subscribe ``url`` to the bot's updates; MAX sends ``secret`` back in
        the ``X-Max-Bot-Api-Secret`` header of every delivery."""
        local_fake = self.base_url.startswith(("http://127.0.0.1", "http://localhost"))
        if not url or not (
            url.startswith("https://") or (local_fake and url.startswith("http://"))
        ):
            # MAX delivers to HTTPS on port 443 only; a local fake takes HTTP.
            raise MaxRequestError("A webhook URL must be https://")
        if not SECRET_RE.match(secret or ""):
            raise MaxRequestError(
                "A webhook secret has 5 to 256 letters, digits, '-' or '_'"
            )
        body = {"url": url, "secret": secret}
        if update_types:
            body["update_types"] = list(update_types)
        return self._request("POST", "/subscriptions", json_body=body, safe=True)

    def unsubscribe(self, url):
        return self._request("DELETE", "/subscriptions", params={"url": url}, safe=True)

    def get_updates(self, marker=None, timeout=30, limit=100, types=None):
        """Long polling (``GET /updates``): ``(updates, marker)``. Keep the
        marker even when no update came."""
        params = {"timeout": timeout, "limit": limit}
        if marker is not None:
            params["marker"] = marker
        if types:
            params["types"] = ",".join(types)
        # MAX holds the request up to ``timeout`` seconds when nothing comes.
        data = self._request("GET", "/updates", params=params, timeout=timeout + 10.0)
        updates = data.get("updates")
        if not isinstance(updates, list):
            raise MaxResponseError("GET /updates: no update list")
        return updates, data.get("marker", marker)
