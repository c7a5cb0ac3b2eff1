"""Updates of the MAX Bot API, read safely (plain Python, no Odoo).

A webhook delivery or a long-polling answer is untrusted JSON: it is read
into typed ``Update`` objects, or refused with an ``UpdateError`` that says
why. Updates carry no id and may come twice or out of order: each gets a
dedup key (``message.body.mid`` with the update type, the callback id...)
and an order key (timestamp, then the message's ``seq``). Update types this
module does not know are kept as ``Update(known=False)``: acknowledged and
logged, never an error.
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


def _person(data, required=False):
    if data is None:
        if required:
            raise UpdateError("user missing")
        return None
    if not isinstance(data, dict):
        raise UpdateError("user: not an object")
    return Person(
        user_id=_get(data, "user_id", int, required=True),
        first_name=_get(data, "first_name", str, default="")
        or _get(data, "name", str, default=""),
        last_name=_get(data, "last_name", str, default=""),
        username=_get(data, "username", str),
        is_bot=bool(_get(data, "is_bot", bool, default=False)),
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


def _attachment(data):
    if not isinstance(data, dict):
        raise UpdateError("attachment: not an object")
    kind = _get(data, "type", str, required=True)
    payload = data.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    attachment = Attachment(
        kind=kind,
        url=_get(payload, "url", str),
        token=_get(payload, "token", str),
        filename=_get(data, "filename", str),
        size=_get(data, "size", int),
    )
    if kind == "contact":
        vcf = _get(payload, "vcf_info", str)
        info = payload.get("max_info")
        person = _person(info) if isinstance(info, dict) else None
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
    update.user = update.user or _person(message.get("sender"))
    recipient = message.get("recipient") or {}
    if not isinstance(recipient, dict):
        raise UpdateError("recipient: not an object")
    update.chat_id = _get(recipient, "chat_id", int, default=update.chat_id)
    update.chat_type = _get(recipient, "chat_type", str, default=update.chat_type)
    update.timestamp = _get(message, "timestamp", int, default=update.timestamp)
    body = message.get("body") or {}
    if not isinstance(body, dict):
        raise UpdateError("body: not an object")
    update.mid = _get(body, "mid", str)
    update.seq = _get(body, "seq", int)
    update.text = (_get(body, "text", str, default="") or "").strip()
    attachments = body.get("attachments") or []
    if not isinstance(attachments, list):
        raise UpdateError("attachments: not a list")
    update.attachments = [_attachment(a) for a in attachments]


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
        locale=_get(data, "user_locale", str),
    )
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
        update.user = _person(callback.get("user"), required=True)
        update.text, update.attachments = "", []
        update.timestamp = _get(callback, "timestamp", int, default=timestamp)
    elif update_type in ("bot_started", "bot_stopped", "bot_added", "bot_removed"):
        update.user = _person(data.get("user"), required=True)
        update.chat_id = _get(data, "chat_id", int)
        update.payload = _get(data, "payload", str)
        dialog = update_type in ("bot_started", "bot_stopped")
        update.chat_type = "dialog" if dialog else "chat"
    elif update_type in MESSAGE_TYPES:
        _message(update, data)
        if update_type == "message_created" and update.user is None:
            raise UpdateError("message without a sender")
    else:
        update.user = _person(data.get("user"))
        update.chat_id = _get(data, "chat_id", int)
    return update


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
