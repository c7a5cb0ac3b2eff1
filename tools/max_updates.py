"""Updates of the MAX Bot API, read safely (plain Python, no Odoo).

A webhook delivery or a long-polling answer is untrusted JSON: it is read
into typed ``Update`` objects, or refused with an ``UpdateError`` that says
why. Updates carry no id and may come twice or out of order: each gets a
dedup key (``message.body.mid`` with the update type, the callback id...)
and an order key (timestamp, then the message's ``seq``). Update types this
module does not know are kept as ``Update(known=False)``: acknowledged and
logged, never an error. An optional part of the wrong type (an API change)
is read as absent and noted in ``Update.warnings``: the resident's message
is not lost to it. What cannot be read at all is still salvaged enough
(``salvage``) to be stored and shown, not dropped.
"""

import dataclasses
import hashlib
import hmac
import json

MAX_BODY_BYTES = 1024 * 1024  # one update; MAX sends far less
MESSAGE_TYPES = ("message_created", "message_edited", "message_removed")
KNOWN_TYPES = (
    *MESSAGE_TYPES,
    "message_callback",
    "bot_started",
    "bot_stopped",
    "bot_added",
    "bot_removed",
    "user_added",
    "user_removed",
    "chat_title_changed",
    "message_chat_created",
    "dialog_muted",
    "dialog_unmuted",
    "dialog_cleared",
    "dialog_removed",
)
FILE_KINDS = ("image", "video", "audio", "file")
# Events of group chats: who joined or left, the title. They say nothing a
# dispatcher needs and name people: never stored (152-ФЗ: collect only what
# is needed).
GROUP_EVENTS = (
    "bot_added",
    "bot_removed",
    "user_added",
    "user_removed",
    "chat_title_changed",
    "message_chat_created",
)


class UpdateError(ValueError):
    """The delivery is not an update we can read."""


@dataclasses.dataclass
class Person:
    user_id: int
    first_name: str = ""
    last_name: str = ""
    username: str = None
    is_bot: bool = False

    @property
    def full_name(self):
        return " ".join(p for p in (self.first_name, self.last_name) if p).strip()


@dataclasses.dataclass
class Contact:
    vcf_info: str = None
    hash: str = None
    max_user_id: int = None
    name: str = ""
    phone: str = None


@dataclasses.dataclass
class Attachment:
    kind: str
    url: str = None
    token: str = None
    filename: str = None
    size: int = None
    contact: Contact = None


@dataclasses.dataclass
class Update:
    update_type: str
    timestamp: int
    key: str
    known: bool = True
    chat_id: int = None
    chat_type: str = None  # dialog, chat, channel
    user: Person = None  # the human who acted
    text: str = ""
    mid: str = None
    seq: int = None
    attachments: list = dataclasses.field(default_factory=list)
    callback_id: str = None
    payload: str = None  # a button's payload, or a deep link's start payload
    locale: str = None
    # Optional parts read as absent because of their type (an API change).
    warnings: list = dataclasses.field(default_factory=list)

    @property
    def is_dialog(self):
        return self.chat_type == "dialog"

    @property
    def order(self):
        """Sort key within a chat: MAX promises no order of delivery."""
        return (self.timestamp or 0, self.seq or 0)

    @property
    def files(self):
        return [a for a in self.attachments if a.kind in FILE_KINDS]

    @property
    def contact(self):
        return next((a.contact for a in self.attachments if a.contact), None)

    @property
    def other_attachments(self):
        """Attachments the bot does not read (a location, a sticker, a kind
        MAX added): named to the staff, not silently dropped."""
        return [
            a
            for a in self.attachments
            if a.kind not in (*FILE_KINDS, "contact", "inline_keyboard")
        ]


def read_body(raw, max_bytes=MAX_BODY_BYTES):
    """The JSON object of a delivery (bytes), or ``UpdateError``."""
    if raw is None or not len(raw):
        raise UpdateError("empty body")
    if len(raw) > max_bytes:
        raise UpdateError(f"body larger than {max_bytes} bytes")
    try:
        data = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # RecursionError: a hostile body nested thousands of levels deep.
        raise UpdateError(f"malformed JSON: {exc.__class__.__name__}") from exc
    if not isinstance(data, dict):
        raise UpdateError("the update is not a JSON object")
    return data


def _get(data, key, kind, required=False, default=None):
    value = data.get(key, default) if isinstance(data, dict) else default
    if value is None:
        if required:
            raise UpdateError(f"{key} missing")
        return default
    if kind is int and isinstance(value, bool):
        raise UpdateError(f"{key}: not an integer")
    if not isinstance(value, kind):
        raise UpdateError(f"{key}: wrong type {type(value).__name__}")
    return value


def _opt(data, key, kind, warnings, default=None):
    """An optional part: of the wrong type, it is read as absent and the
    reader says so in ``warnings`` (MAX may change a field: the message
    itself must still come through)."""
    try:
        return _get(data, key, kind, default=default)
    except UpdateError as error:
        warnings.append(str(error))
        return default


def _person(data, required=False, warnings=None):
    warnings = [] if warnings is None else warnings
    if data is None:
        if required:
            raise UpdateError("user missing")
        return None
    if not isinstance(data, dict):
        raise UpdateError("user: not an object")
    return Person(
        user_id=_get(data, "user_id", int, required=True),
        first_name=_opt(data, "first_name", str, warnings, default="")
        or _opt(data, "name", str, warnings, default=""),
        last_name=_opt(data, "last_name", str, warnings, default=""),
        username=_opt(data, "username", str, warnings),
        is_bot=bool(_opt(data, "is_bot", bool, warnings, default=False)),
    )


def phone_from_vcard(vcf):
    """The first ``TEL`` of a vCard, as written there."""
    for line in (vcf or "").replace("\r\n", "\n").split("\n"):
        name, _sep, value = line.partition(":")
        if name.split(";")[0].strip().upper() == "TEL" and value.strip():
            return value.strip()
    return None


def _name_from_vcard(vcf):
    for line in (vcf or "").replace("\r\n", "\n").split("\n"):
        name, _sep, value = line.partition(":")
        if name.split(";")[0].strip().upper() == "FN" and value.strip():
            return value.strip()
    return ""


def _attachment(data, warnings):
    if not isinstance(data, dict):
        raise UpdateError("attachment: not an object")
    kind = _get(data, "type", str, required=True)
    payload = data.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    attachment = Attachment(
        kind=kind,
        url=_opt(payload, "url", str, warnings),
        token=_opt(payload, "token", str, warnings),
        filename=_opt(data, "filename", str, warnings),
        size=_opt(data, "size", int, warnings),
    )
    if kind == "contact":
        vcf = _get(payload, "vcf_info", str)
        info = payload.get("max_info")
        person = _person(info, warnings=warnings) if isinstance(info, dict) else None
        attachment.contact = Contact(
            vcf_info=vcf,
            hash=_get(payload, "hash", str),
            max_user_id=person.user_id if person else None,
            name=_name_from_vcard(vcf) or (person.full_name if person else ""),
            phone=phone_from_vcard(vcf),
        )
    return attachment


def _message(update, data):
    message = data.get("message")
    if message is None:
        return
    if not isinstance(message, dict):
        raise UpdateError("message: not an object")
    update.user = update.user or _person(
        message.get("sender"), warnings=update.warnings
    )
    recipient = message.get("recipient") or {}
    if not isinstance(recipient, dict):
        raise UpdateError("recipient: not an object")
    update.chat_id = _get(recipient, "chat_id", int, default=update.chat_id)
    update.chat_type = _get(recipient, "chat_type", str, default=update.chat_type)
    update.timestamp = _get(message, "timestamp", int, default=update.timestamp)
    body = message.get("body") or {}
    if not isinstance(body, dict):
        raise UpdateError("body: not an object")
    update.mid = _opt(body, "mid", str, update.warnings)
    update.seq = _opt(body, "seq", int, update.warnings)
    update.text = (_get(body, "text", str, default="") or "").strip()
    attachments = body.get("attachments") or []
    if not isinstance(attachments, list):
        raise UpdateError("attachments: not a list")
    update.attachments = [_attachment(a, update.warnings) for a in attachments]


def _dict(value):
    return value if isinstance(value, dict) else {}


def dedup_key(data):
    """What makes a delivery the same update as another one. Reads untrusted
    JSON: anything of the wrong type falls back to a hash of the whole."""
    update_type = data.get("update_type")
    if update_type in MESSAGE_TYPES:
        body = _dict(_dict(data.get("message")).get("body"))
        mid = body.get("mid") or data.get("message_id")
        if isinstance(mid, str) and mid:
            return f"{update_type}:{mid}"
    if update_type == "message_callback":
        callback_id = _dict(data.get("callback")).get("callback_id")
        if isinstance(callback_id, str) and callback_id:
            return f"callback:{callback_id}"
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return f"{update_type}:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


def parse_update(data):
    """An ``Update`` from a delivered JSON object; ``UpdateError`` when the
    object is not an update (no type, no time, wrong types)."""
    if not isinstance(data, dict):
        raise UpdateError("the update is not a JSON object")
    update_type = _get(data, "update_type", str, required=True)
    timestamp = _get(data, "timestamp", int, required=True)
    update = Update(
        update_type=update_type,
        timestamp=timestamp,
        key=dedup_key(data),
        known=update_type in KNOWN_TYPES,
    )
    update.locale = _opt(data, "user_locale", str, update.warnings)
    if not update.known:
        return update
    if update_type == "message_callback":
        callback = data.get("callback")
        if not isinstance(callback, dict):
            raise UpdateError("callback missing")
        update.callback_id = _get(callback, "callback_id", str, required=True)
        update.payload = _get(callback, "payload", str)
        _message(update, data)
        # That message is the bot's own, holding the keyboard: its sender,
        # text and files are not the user's.
        update.user = _person(callback.get("user"), True, update.warnings)
        update.text, update.attachments = "", []
        update.timestamp = _get(callback, "timestamp", int, default=timestamp)
    elif update_type in ("bot_started", "bot_stopped", "bot_added", "bot_removed"):
        update.user = _person(data.get("user"), True, update.warnings)
        update.chat_id = _get(data, "chat_id", int)
        update.payload = _opt(data, "payload", str, update.warnings)
        dialog = update_type in ("bot_started", "bot_stopped")
        update.chat_type = "dialog" if dialog else "chat"
    elif update_type in MESSAGE_TYPES:
        _message(update, data)
        if update_type == "message_created" and update.user is None:
            raise UpdateError("message without a sender")
    else:
        update.user = _person(data.get("user"), warnings=update.warnings)
        update.chat_id = _get(data, "chat_id", int)
        update.chat_type = "chat" if update_type in GROUP_EVENTS else "dialog"
    return update


def salvage(data):
    """``(update type, chat key, timestamp)`` of a delivery the reader
    refused, as far as they can be read, never raising: enough to store it
    where a manager sees it (and to process it again after an upgrade)."""
    data = _dict(data)
    update_type = data.get("update_type")
    update_type = update_type[:64] if isinstance(update_type, str) else "?"
    timestamp = data.get("timestamp")
    timestamp = timestamp if isinstance(timestamp, int) else 0
    message = _dict(data.get("message"))
    recipient = _dict(message.get("recipient"))
    chat_id = recipient.get("chat_id")
    if recipient.get("chat_type") in ("chat", "channel") and isinstance(chat_id, int):
        return update_type, f"c{chat_id}", timestamp
    for person in (
        _dict(message.get("sender")),
        _dict(_dict(data.get("callback")).get("user")),
        _dict(data.get("user")),
    ):
        user_id = person.get("user_id")
        if isinstance(user_id, int) and not isinstance(user_id, bool):
            return update_type, f"u{user_id}", timestamp
    chat_id = data.get("chat_id")
    if (
        update_type in GROUP_EVENTS
        and isinstance(chat_id, int)
        and not isinstance(chat_id, bool)
    ):
        return update_type, f"c{chat_id}", timestamp
    # A dialog's chat id is not its resident: better unknown than wrong.
    return update_type, "?", timestamp


def contact_is_senders_own(contact, sender_id, token):
    """Whether a shared contact proves the sender's own number: MAX's hash
    of the vCard under the bot token, and the card's MAX user is the sender.
    A card forwarded from someone else fails."""
    if not contact or not contact.vcf_info or not contact.hash or not token:
        return False
    if contact.max_user_id is None or contact.max_user_id != sender_id:
        return False
    expected = hmac.new(
        token.encode("utf-8"), contact.vcf_info.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, contact.hash.lower())


def contact_hash(vcf_info, token):
    """The hash MAX puts on a contact (for the fake and the tests)."""
    return hmac.new(
        token.encode("utf-8"), vcf_info.encode("utf-8"), hashlib.sha256
    ).hexdigest()
