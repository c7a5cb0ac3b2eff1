"""A fake MAX Bot API for the tests, the benchmarks and the demo.

A real HTTP server on 127.0.0.1 that behaves like ``platform-api2.max.ru`` as
the OpenAPI file (v0.0.32) and ``NOTES.md`` describe it: the raw token in
``Authorization``, JSON bodies checked against the OpenAPI schemas when the
file is given, ``success`` answers, webhook subscriptions with their secret,
long polling with a marker, uploads then ``attachment.not.ready`` on demand.
It records what the bot sends, and plays the residents: their messages,
photos, contacts (hashed as MAX hashes them), button presses and deep-link
starts, delivered to the subscribed webhook with the secret header — also
twice, out of order, or with a wrong secret — or kept for long polling.

    python3 tests/fakes/serve.py max --port 8766 --token demo-token [--openapi FILE]
"""

import argparse
import base64
import copy
import dataclasses
import email
import email.policy
import hmac
import itertools
import json
import logging
import random
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from ...tools.max_updates import contact_hash
from .local_server import LocalServer

_logger = logging.getLogger(__name__)

BOT_USER_ID = 900000001
SECRET_RE = re.compile(r"^[a-zA-Z0-9_-]{5,256}$")
MAX_REQUEST_BYTES = 32 * 1024 * 1024
LONG_POLL_MAX = 90


def now_ms():
    return int(time.time() * 1000)


@dataclasses.dataclass
class Failure:
    """The next call to ``path`` (any when None) fails like this."""

    status: int = 503
    code: str = "service.unavailable"
    message: str = "Service temporarily unavailable"
    path: str = None
    success_false: bool = False  # HTTP 200 with {"success": false}
    drop: bool = False  # close the connection without an answer
    # Do the call, then close the connection without an answer: MAX took
    # the message but its sender never learns it (a worker killed, a
    # timeout on the way back).
    lost_answer: bool = False
    retry_after: str = None  # the Retry-After header of the answer
    after: int = 0  # let this many matching calls through first


# Where the OpenAPI file is wrong (NOTES.md): a dialog's recipient has
# chat_type "dialog", which its ChatType enum lacks.
ERRATA = ("'dialog' is not one of ['chat']",)


class SchemaCheck:
    """Validates JSON against a schema of the MAX OpenAPI file."""

    def __init__(self, openapi_path):
        import yaml  # only the fake needs these
        from openapi_schema_validator import OAS30Validator

        with open(openapi_path, encoding="utf-8") as handle:
            self.components = yaml.safe_load(handle)["components"]
        self.validator_class = OAS30Validator
        self.cache = {}

    def errors(self, name, instance):
        validator = self.cache.get(name)
        if validator is None:
            schema = {
                "$ref": f"#/components/schemas/{name}",
                "components": self.components,
            }
            validator = self.cache[name] = self.validator_class(schema)
        return [
            f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:200]}"
            for e in validator.iter_errors(instance)
            if e.message not in ERRATA
        ]


class FakeMax:
    """State and behaviour of the fake API (thread-safe)."""

    def __init__(self, token, *, openapi=None, allow_http_webhooks=True):
        self.token = token
        self.schema = SchemaCheck(openapi) if openapi else None
        self.allow_http_webhooks = allow_http_webhooks
        self.lock = threading.RLock()
        self.arrived = threading.Condition(self.lock)
        self.base_url = None
        self.reset()

    def reset(self):
        with self.lock:
            self.sent = []  # (kind, params, body) of every call the bot made
            self.messages = []  # messages the bot sent: dicts as MAX returns
            self.callback_answers = []
            self.subscriptions = []
            self.updates = []  # for long polling: (marker, update)
            self.markers = itertools.count(1)
            self.deliveries = []  # (update, status or error) of webhook POSTs
            self.failures = []
            self.uploads = {}  # token -> (filename, bytes)
            self.files = {}  # file id -> (filename, bytes, content type)
            self.not_ready = set()  # upload tokens answering attachment.not.ready
            self.invalid = []  # schema errors of requests
            self.seq = itertools.count(1)
            self.mids = itertools.count(1)
            self.chat_log = []  # (user_id, "me"|"bot", text, buttons) for /chat
            # Requests per second MAX accepts from the bot before it answers
            # HTTP 429 (None: no limit), and the Retry-After it then sends.
            self.rate_limit = None
            self.rate_retry_after = "1"
            self.recent_calls = []
            self.rate_limited = 0
            self.refused = 0  # calls refused for a wrong token
            # A bad day: this share of the bot's calls answered 429 or 503.
            self.chaos_share = 0.0
            self.chaos_rng = random.Random(0)
            self.chaos_answers = 0

    # -- scenario controls -----------------------------------------------------

    def fail_next(self, count=1, **options):
        with self.lock:
            self.failures.extend(Failure(**options) for _ in range(count))

    def _take_failure(self, path):
        with self.lock:
            for index, failure in enumerate(self.failures):
                if failure.path in (None, path):
                    if failure.after:
                        failure.after -= 1
                        return None
                    return self.failures.pop(index)
        return None

    def chaos(self):
        """A fault of a bad day for the next call, or None."""
        with self.lock:
            if not self.chaos_share or self.chaos_rng.random() >= self.chaos_share:
                return None
            self.chaos_answers += 1
            if self.chaos_rng.random() < 0.5:
                return Failure(
                    status=429,
                    code="too.many.requests",
                    message="Too many requests",
                    retry_after="1",
                )
            return Failure()

    def over_rate(self):
        """Whether one more call now exceeds ``rate_limit`` per second."""
        with self.lock:
            if not self.rate_limit:
                return False
            now = time.monotonic()
            self.recent_calls = [t for t in self.recent_calls if t > now - 1.0]
            if len(self.recent_calls) >= self.rate_limit:
                self.rate_limited += 1
                return True
            self.recent_calls.append(now)
            return False

    def messages_in(self, chat_id):
        """The bot's messages in a chat (a dialog's chat id is the user's
        id here), newest first, as ``GET /messages`` lists them."""
        with self.lock:
            return [
                m
                for m in reversed(self.messages)
                if m["recipient"]["chat_id"] == chat_id
            ]

    def texts_to(self, user_id=None, chat_id=None):
        with self.lock:
            return [
                m["body"]["text"]
                for m in self.messages
                if (user_id is None or m["recipient"].get("user_id") == user_id)
                and (chat_id is None or m["recipient"].get("chat_id") == chat_id)
            ]

    # -- residents ---------------------------------------------------------------

    def user(self, user_id, first_name="Жилец", last_name=None):
        return {
            "user_id": user_id,
            "first_name": first_name,
            "last_name": last_name,
            "name": " ".join(p for p in (first_name, last_name) if p),
            "username": None,
            "is_bot": False,
            "last_activity_time": now_ms(),
        }

    def _message(self, user_id, chat_id, chat_type, text, attachments, **user):
        return {
            "sender": self.user(user_id, **user),
            "recipient": {
                "chat_id": chat_id,
                "chat_type": chat_type,
                "user_id": BOT_USER_ID if chat_type == "dialog" else None,
            },
            "timestamp": now_ms(),
            "link": None,
            "body": {
                "mid": f"mid.{uuid.uuid4().hex}",
                "seq": next(self.seq),
                "text": text,
                "attachments": attachments or None,
                "link": None,
                "markup": None,
            },
        }

    def resident_message(self, user_id, text="", attachments=None, **user):
        """A ``message_created`` of a resident in their dialog with the bot."""
        return {
            "update_type": "message_created",
            "timestamp": now_ms(),
            "message": self._message(
                user_id, user_id, "dialog", text, attachments, **user
            ),
            "user_locale": "ru",
        }

    def group_message(self, chat_id, user_id, text, **user):
        """A message in a house group chat where the bot is an administrator."""
        return {
            "update_type": "message_created",
            "timestamp": now_ms(),
            "message": self._message(user_id, chat_id, "chat", text, None, **user),
        }

    def resident_starts(self, user_id, payload=None, **user):
        return {
            "update_type": "bot_started",
            "timestamp": now_ms(),
            "chat_id": user_id,
            "user": self.user(user_id, **user),
            "payload": payload,
            "user_locale": "ru",
        }

    def resident_presses(self, user_id, payload, **user):
        """A button press on the bot's last message to the resident."""
        with self.lock:
            shown = next(
                (
                    m
                    for m in reversed(self.messages)
                    if m["recipient"].get("user_id") == user_id
                ),
                None,
            )
        return {
            "update_type": "message_callback",
            "timestamp": now_ms(),
            "callback": {
                "timestamp": now_ms(),
                "callback_id": f"cb.{uuid.uuid4().hex}",
                "payload": payload,
                "user": self.user(user_id, **user),
            },
            "message": copy.deepcopy(shown),
            "user_locale": "ru",
        }

    def contact_attachment(self, user_id, phone, name="Жилец", own=True):
        """A shared contact card, hashed with the bot token as MAX does. A
        card that is not the sender's own (forwarded) names another user."""
        vcf = (
            "BEGIN:VCARD\r\nVERSION:3.0\r\n"
            f"FN:{name}\r\nTEL;TYPE=cell:{phone}\r\nEND:VCARD\r\n"
        )
        owner = user_id if own else user_id + 1
        return {
            "type": "contact",
            "payload": {
                "vcf_info": vcf,
                "hash": contact_hash(vcf, self.token),
                "max_info": self.user(owner, first_name=name),
            },
        }

    def file_attachment(self, filename, content, kind="image", content_type=None):
        """A photo, video, voice message or file a resident sends: kept,
        served at its URL. As in MAX, only a file says its name and size;
        videos and audio are streamed without a size."""
        file_id = uuid.uuid4().hex
        default_type = {"video": "video/mp4", "audio": "audio/ogg"}.get(
            kind, "application/octet-stream"
        )
        with self.lock:
            self.files[file_id] = (filename, content, content_type or default_type)
        url = f"{self.base_url}/files/{file_id}"
        if kind == "image":
            return {
                "type": "image",
                "payload": {"photo_id": 1, "token": file_id, "url": url},
            }
        if kind == "video":
            return {
                "type": "video",
                "payload": {"url": url, "token": file_id},
                "thumbnail": None,
                "width": 1280,
                "height": 720,
                "duration": 60,
            }
        if kind == "audio":
            return {
                "type": "audio",
                "payload": {"url": url, "token": file_id},
                "transcription": None,
            }
        return {
            "type": kind,
            "payload": {"url": url, "token": file_id},
            "filename": filename,
            "size": len(content),
        }

    # -- delivery ----------------------------------------------------------------

    def deliver(self, update, *, times=1, secret=None, timeout=10):
        """Deliver ``update`` to the webhook (``times`` times), or keep it for
        long polling when no webhook is subscribed. Returns the HTTP statuses
        (or error names) of the deliveries."""
        with self.lock:
            subscription = self.subscriptions[-1] if self.subscriptions else None
        if subscription is None:
            with self.lock:
                for _ in range(times):
                    self.updates.append((next(self.markers), update))
                self.arrived.notify_all()
            return []
        headers = {"Content-Type": "application/json"}
        sent_secret = subscription.get("secret") if secret is None else secret
        if sent_secret:
            headers["X-Max-Bot-Api-Secret"] = sent_secret
        results = []
        for _ in range(times):
            try:
                response = requests.post(
                    subscription["url"],
                    data=json.dumps(update, ensure_ascii=False).encode("utf-8"),
                    headers=headers,
                    timeout=timeout,
                )
                results.append(response.status_code)
            except requests.RequestException as exc:
                results.append(exc.__class__.__name__)
        with self.lock:
            self.deliveries.extend((update, result) for result in results)
        return results

    # -- API -----------------------------------------------------------------------

    def check(self, name, instance):
        if not self.schema:
            return []
        errors = self.schema.errors(name, instance)
        if errors:
            with self.lock:
                self.invalid.append((name, errors))
        return errors

    def send_message(self, params, body):
        errors = self.check("NewMessageBody", body)
        if errors:
            return 400, {"code": "proto.payload", "message": "; ".join(errors)}
        text = body.get("text") or ""
        if len(text) > 4000:
            return 400, {"code": "proto.payload", "message": "text: too long"}
        for attachment in body.get("attachments") or []:
            token = (attachment.get("payload") or {}).get("token")
            with self.lock:
                if token in self.not_ready:
                    self.not_ready.discard(token)
                    return 400, {
                        "code": "attachment.not.ready",
                        "message": "Key: errors.process.attachment.file.not.processed",
                    }
        user_id = params.get("user_id")
        chat_id = params.get("chat_id")
        if not user_id and not chat_id:
            return 400, {"code": "proto.payload", "message": "user_id or chat_id"}
        message = {
            "sender": {**self.user(BOT_USER_ID, first_name="Бот УК"), "is_bot": True},
            "recipient": {
                "chat_id": int(chat_id or user_id),
                "chat_type": "dialog" if user_id else "chat",
                "user_id": int(user_id) if user_id else None,
            },
            "timestamp": now_ms(),
            "link": None,
            "body": {
                "mid": f"mid.bot.{next(self.mids)}",
                "seq": next(self.seq),
                "text": text,
                "attachments": body.get("attachments"),
                "link": None,
                "markup": None,
            },
        }
        with self.lock:
            self.messages.append(message)
            if user_id:
                self.chat_log.append((int(user_id), "bot", text, _buttons(body)))
        return 200, {"message": message}

    def subscribe(self, body):
        errors = self.check("SubscriptionRequestBody", body)
        url = body.get("url") or ""
        if errors or not SECRET_RE.match(body.get("secret") or "x" * 5):
            return 400, {
                "code": "proto.payload",
                "message": "; ".join(errors) or "secret",
            }
        if not url.startswith("https://") and not (
            self.allow_http_webhooks and url.startswith("http://127.0.0.1")
        ):
            return 400, {"code": "proto.payload", "message": "url must be https"}
        with self.lock:
            self.subscriptions = [s for s in self.subscriptions if s["url"] != url]
            self.subscriptions.append(
                {
                    "url": url,
                    "time": now_ms(),
                    "update_types": body.get("update_types") or None,
                    "secret": body.get("secret"),
                }
            )
        return 200, {"success": True}

    def get_updates(self, params):
        limit = min(int((params.get("limit") or ["100"])[0]), 1000)
        timeout = min(int((params.get("timeout") or ["30"])[0]), LONG_POLL_MAX)
        marker = params.get("marker")
        marker = int(marker[0]) if marker else 0
        deadline = time.monotonic() + timeout
        with self.lock:
            if self.subscriptions:
                return 400, {
                    "code": "subscription.exists",
                    "message": "Long polling does not work while a webhook is set",
                }
            while True:
                ready = [(m, u) for m, u in self.updates if m > marker][:limit]
                remaining = deadline - time.monotonic()
                if ready or remaining <= 0:
                    break
                self.arrived.wait(remaining)
        next_marker = ready[-1][0] if ready else (marker or None)
        return 200, {"updates": [u for _m, u in ready], "marker": next_marker}


def _buttons(body):
    """The inline keyboard of a message the bot sent, for the chat page."""
    for attachment in body.get("attachments") or []:
        if attachment.get("type") == "inline_keyboard":
            return (attachment.get("payload") or {}).get("buttons") or []
    return []


CHAT_PAGE = Path(__file__).with_name("fake_max_chat.html")


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeMaxBotApi/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        _logger.debug("fake MAX: " + format, *args)

    def _json(self, status, data, headers=None):
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except ConnectionError as exc:
            _logger.debug("fake MAX: client gone: %s", exc)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            raise ValueError("too large")
        return self.rfile.read(length) if length else b""

    def _authorised(self, query):
        fake = self.server.fake
        if "access_token" in query:
            return False  # query-string tokens are refused
        given = self.headers.get("Authorization") or ""
        return hmac.compare_digest(given.encode(), fake.token.encode())

    def _route(self, method):
        fake = self.server.fake
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        try:
            raw = self._body()
        except ValueError:
            self.close_connection = True
            return self._json(413, {"code": "too.large", "message": "Body too large"})
        if path == "/chat" and method == "GET":
            return self._page()
        if path.startswith("/control/"):
            return self._control(path, raw, query)
        is_file = path.startswith("/files/") and method == "GET"
        if not is_file and not self._authorised(query):
            with fake.lock:
                fake.refused += 1
            return self._json(
                401, {"code": "verify.token", "message": "Invalid access_token"}
            )
        if not is_file and fake.over_rate():
            with fake.lock:
                fake.sent.append((f"{method} {path}", query, "rate limited"))
            return self._json(
                429,
                {"code": "too.many.requests", "message": "Too many requests"},
                headers={"Retry-After": fake.rate_retry_after},
            )
        failure = fake._take_failure(path)
        if failure is None and not is_file:
            failure = fake.chaos()
        if failure is None and is_file:
            return self._file(path.rsplit("/", 1)[1])
        if failure and failure.lost_answer:
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {}
            with fake.lock:
                fake.sent.append((f"{method} {path}", query, body))
            params = {k: v[0] for k, v in query.items()}
            self._dispatch(method, path, params, query, body, raw)
            self.close_connection = True
            return None
        if failure:
            with fake.lock:
                fake.sent.append((f"{method} {path}", query, "failure"))
            if failure.drop:
                self.close_connection = True
                return None
            if failure.success_false:
                return self._json(
                    200,
                    {
                        "success": False,
                        "code": failure.code,
                        "message": failure.message,
                    },
                )
            headers = (
                {"Retry-After": failure.retry_after} if failure.retry_after else {}
            )
            return self._json(
                failure.status,
                {"code": failure.code, "message": failure.message},
                headers=headers,
            )
        try:
            body = json.loads(raw) if raw and not path.startswith("/upload/") else {}
        except ValueError:
            return self._json(400, {"code": "proto.payload", "message": "Bad JSON"})
        with fake.lock:
            fake.sent.append((f"{method} {path}", query, body))
        params = {k: v[0] for k, v in query.items()}
        status, data = self._dispatch(method, path, params, query, body, raw)
        return self._json(status, data)

    def _dispatch(self, method, path, params, query, body, raw):
        fake = self.server.fake
        if method == "GET" and path == "/me":
            return 200, {**fake.user(BOT_USER_ID, first_name="Бот УК"), "is_bot": True}
        if method == "POST" and path == "/messages":
            return fake.send_message(params, body)
        if method == "GET" and path == "/messages":
            if not params.get("chat_id"):
                return 400, {"code": "proto.payload", "message": "chat_id"}
            count = min(int(params.get("count") or 50), 100)
            return 200, {"messages": fake.messages_in(int(params["chat_id"]))[:count]}
        if method == "POST" and path == "/answers":
            if not params.get("callback_id"):
                return 400, {"code": "proto.payload", "message": "callback_id"}
            errors = fake.check("CallbackAnswer", body)
            if errors:
                return 400, {"code": "proto.payload", "message": "; ".join(errors)}
            with fake.lock:
                fake.callback_answers.append((params["callback_id"], body))
            return 200, {"success": True}
        if method == "POST" and path == "/uploads":
            kind = params.get("type")
            if kind not in ("image", "video", "audio", "file"):
                return 400, {"code": "proto.payload", "message": "type"}
            upload_id = uuid.uuid4().hex
            return 200, {"url": f"{fake.base_url}/upload/{upload_id}?type={kind}"}
        if method == "POST" and path.startswith("/upload/"):
            return self._upload(params.get("type"), raw)
        if path == "/subscriptions":
            if method == "GET":
                with fake.lock:
                    subs = [
                        {k: s[k] for k in ("url", "time", "update_types")}
                        for s in fake.subscriptions
                    ]
                return 200, {"subscriptions": subs}
            if method == "POST":
                return fake.subscribe(body)
            if method == "DELETE":
                with fake.lock:
                    before = len(fake.subscriptions)
                    fake.subscriptions = [
                        s for s in fake.subscriptions if s["url"] != params.get("url")
                    ]
                    found = len(fake.subscriptions) < before
                return 200, {"success": found}
        if method == "GET" and path == "/updates":
            return fake.get_updates(query)
        return 404, {"code": "not.found", "message": f"{method} {path}"}

    def _upload(self, kind, raw):
        fake = self.server.fake
        content_type = self.headers.get("Content-Type") or ""
        if not content_type.startswith("multipart/form-data"):
            return 400, {"code": "proto.payload", "message": "multipart expected"}
        message = email.message_from_bytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw,
            policy=email.policy.HTTP,
        )
        data = next(
            (
                part.get_payload(decode=True)
                for part in message.iter_parts()
                if part.get_param("name", header="content-disposition") == "data"
            ),
            None,
        )
        if data is None:
            return 400, {"code": "proto.payload", "message": "field data missing"}
        token = uuid.uuid4().hex
        with fake.lock:
            fake.uploads[token] = data
        if kind == "image":
            return 200, {"photos": {"1": {"token": token}}}
        return 200, {"token": token}

    def _file(self, file_id):
        fake = self.server.fake
        with fake.lock:
            found = fake.files.get(file_id)
        if not found:
            return self._json(404, {"code": "not.found", "message": "file"})
        _name, content, content_type = found
        try:
            self._stream(content, content_type)
        except ConnectionError as exc:
            # The client stopped reading (a file over its limit).
            _logger.debug("fake MAX: download cut: %s", exc)
            self.close_connection = True
        return None

    def _stream(self, content, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        if content_type.startswith(("video/", "audio/")):
            # As MAX's CDN streams media: chunked, no size announced.
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(content), 65536):
                chunk = content[start : start + 65536]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _page(self):
        content = CHAT_PAGE.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _control(self, path, raw, query=None):
        """Scenario controls, and what the demo's chat page calls."""
        fake = self.server.fake
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return self._json(400, {"error": "malformed JSON"})
        if not isinstance(data, dict):
            return self._json(400, {"error": "not an object"})
        try:
            return self._json(200, self._controlled(fake, path, data, query or {}))
        except (KeyError, TypeError, ValueError) as exc:
            return self._json(400, {"error": f"{exc.__class__.__name__}: {exc}"})
        except LookupError:
            return self._json(404, {"error": "unknown control"})

    def _controlled(self, fake, path, data, query):
        user = data.get("user") or {}
        if path == "/control/reset":
            fake.reset()
            return {"ok": True}
        if path == "/control/fail":
            fake.fail_next(int(data.pop("count", 1)), **data)
            return {"ok": True}
        if path == "/control/chaos":
            with fake.lock:
                fake.chaos_share = float(data.get("share") or 0)
                fake.chaos_rng = random.Random(data.get("seed") or 0)
                fake.chaos_answers = 0
            return {"ok": True}
        if path == "/control/counts":
            # How many times the bot sent each text (exactly-once checks).
            with fake.lock:
                counts = {}
                for message in fake.messages:
                    text = message["body"]["text"]
                    counts[text] = counts.get(text, 0) + 1
                return {
                    "counts": counts,
                    "chaos_answers": fake.chaos_answers,
                    "calls": len(fake.sent),
                }
        if path == "/control/state":
            with fake.lock:
                return {
                    "messages": fake.messages[-50:],
                    "subscriptions": fake.subscriptions,
                    "invalid": fake.invalid[-20:],
                }
        if path == "/control/dialog":
            user_id = int((query.get("user_id") or [data.get("user_id")])[0])
            with fake.lock:
                entries = [e for e in fake.chat_log if e[0] == user_id]
            return {
                "entries": [
                    {"who": who, "text": text, "buttons": buttons}
                    for _user, who, text, buttons in entries[-100:]
                ]
            }
        user_id = int(data["user_id"])
        if path == "/control/start":
            update = fake.resident_starts(user_id, data.get("payload"), **user)
            shown = "/start"
        elif path == "/control/say":
            attachments = []
            if data.get("file"):
                file = data["file"]
                content = base64.b64decode(file["content"])
                kind = (
                    "image" if (file.get("type") or "").startswith("image/") else "file"
                )
                attachments.append(
                    fake.file_attachment(file["name"], content, kind, file.get("type"))
                )
            update = fake.resident_message(
                user_id, data.get("text", ""), attachments, **user
            )
            shown = data.get("text", "") + (
                f" [{data['file']['name']}]" if data.get("file") else ""
            )
        elif path == "/control/press":
            update = fake.resident_presses(user_id, data["payload"], **user)
            shown = f"[{data.get('label') or data['payload']}]"
        elif path == "/control/contact":
            contact = fake.contact_attachment(
                user_id, data["phone"], data.get("name") or "Жилец"
            )
            update = fake.resident_message(user_id, "", [contact], **user)
            shown = f"☎ {data['phone']}"
        elif path == "/control/group":
            update = fake.group_message(
                int(data["chat_id"]), user_id, data.get("text", ""), **user
            )
            shown = None
        else:
            raise LookupError(path)
        if shown is not None:
            with fake.lock:
                fake.chat_log.append((user_id, "me", shown, []))
        return {"results": fake.deliver(update)}

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_DELETE(self):
        self._route("DELETE")


class FakeMaxServer(LocalServer):
    """``FakeMax`` behind a threaded HTTP server on 127.0.0.1."""

    handler = _Handler

    def __init__(self, token, host="127.0.0.1", port=0, **options):
        super().__init__(FakeMax(token, **options), host, port)
        self.fake.base_url = self.url

    def stop(self):
        with self.fake.lock:
            self.fake.arrived.notify_all()  # long polls waiting
        return super().stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--token", default="demo-max-token")
    parser.add_argument("--openapi", help="MAX OpenAPI file: validate requests")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s fake-max %(message)s")
    openapi = args.openapi
    if openapi:
        try:
            import openapi_schema_validator  # noqa: F401 pylint: disable=unused-import
            import yaml  # noqa: F401 pylint: disable=unused-import
        except ImportError:
            # The demo runs without the test tools: no checks, said once.
            _logger.warning(
                "PyYAML or openapi-schema-validator missing: requests not checked"
            )
            openapi = None
    server = FakeMaxServer(args.token, port=args.port, openapi=openapi).start()
    _logger.info(
        "listening on %s (requests checked against the OpenAPI file: %s)",
        server.url,
        "yes" if openapi else "no",
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
