"""The resident's conversation with the organisation's own MAX bot.

Plain Python, no Odoo: ``step()`` takes what the bot knows about a dialog
(``DialogState``), one update from the resident and the texts configured on
the gateway, and returns the new state with a list of actions for the Odoo
side to carry out (file the message into a ticket, identify the resident,
answer...). Nothing here sends or stores anything, so every turn of the
conversation is tested without a database.

Rules the actions follow:

* No message is lost: a resident's text or file always becomes a ``File``
  action (the open ticket, or a new one), whatever the bot was waiting for;
  only the answers to its own questions (building, flat) are taken as such:
  they are kept on the resident's contact, and filed too when a ticket is
  open.
* The bot asks for what it still lacks after a message: the contact first
  (a ``request_contact`` button), then the building, then the flat. A flat
  (and an entrance) the resident already wrote ("кв. 15", "подъезд 2") is
  taken from their words (``premises_in``), never asked again.
* A contact identifies the resident only when it is provably their own
  (``max_updates.contact_is_senders_own``).
* Every reply that could be mistaken for an official answer says that this
  bot is not the official channel (the ``not_official`` text).
"""

import dataclasses
import datetime
import re

from . import max_updates

# Button payloads: short, stable, never shown to the resident.
MENU = "m:menu"
EMERGENCY = "m:emergency"
NEW = "m:new"
MINE = "m:mine"
OFFICIAL = "m:official"
CONTACTS = "m:contacts"
NOTICES_OFF = "n:off"
NOTICES_ON = "n:on"
HOUSE_PREFIX = "h:"
HOUSE_OTHER = "h:other"
MAX_HOUSE_BUTTONS = 8

# What the bot waits for.
STEP_NONE = ""
STEP_CONTACT = "contact"
STEP_HOUSE = "house"
STEP_FLAT = "flat"
STEP_DESCRIBE = "describe"
STEPS = (STEP_NONE, STEP_CONTACT, STEP_HOUSE, STEP_FLAT, STEP_DESCRIBE)


@dataclasses.dataclass
class Texts:
    """What the bot says: every text and button label is configured on the
    gateway (in Russian for residents). ``{number}``, ``{phone}`` and
    ``{official_url}`` are filled in by ``render``."""

    welcome: str = "Hello! This is the bot of your management organisation."
    not_official: str = (
        "This bot is not the official channel for legally significant requests."
    )
    menu_emergency: str = "Emergency"
    menu_new: str = "New request"
    menu_mine: str = "My requests"
    menu_official: str = "Official request"
    menu_contacts: str = "Contacts and hours"
    menu_back: str = "Menu"
    describe: str = "Describe the problem; you may attach photos and files."
    emergency: str = "Emergency registered as No. {number}. Dispatcher: {phone}."
    registered: str = "Your request is registered as No. {number}."
    added: str = "Added to your request No. {number}."
    ask_contact: str = "Please share your phone number with the button below."
    contact_button: str = "Share my phone number"
    contact_refused: str = "We can accept only your own number: use the button."
    contact_thanks: str = "Thank you, we have your number."
    ask_house: str = "Which building do you live in?"
    house_other: str = "Another address"
    ask_flat: str = "Your flat number?"
    complete: str = "Thank you, we have everything we need."
    official: str = "An official request is filed through the GIS ZhKKh chatbot."
    official_button: str = "GIS ZhKKh chatbot"
    contacts: str = "Dispatcher: {phone}."
    notices_off: str = "You will not receive notices any more."
    notices_on: str = "You will receive notices again."
    notices_off_button: str = "Stop notices"
    unsupported: str = "Please use the buttons or write your request."


TEXT_FIELDS = tuple(field.name for field in dataclasses.fields(Texts))


@dataclasses.dataclass
class Config:
    texts: Texts = dataclasses.field(default_factory=Texts)
    official_url: str = ""
    dispatcher_phone: str = ""
    token: str = ""  # the bot token: proves a shared contact is the sender's own
    houses: list = dataclasses.field(default_factory=list)  # [(id, name)]


@dataclasses.dataclass
class DialogState:
    step: str = STEP_NONE
    identified: bool = False  # a proven phone number is on file
    house_known: bool = False
    flat_known: bool = False
    entrance_known: bool = False
    open_ticket: bool = False
    new_request: bool = False  # "New request" pressed: the next message opens one
    notices: bool = True


# -- actions -------------------------------------------------------------------


@dataclasses.dataclass
class Button:
    kind: str  # callback, link, request_contact
    text: str
    payload: str = None  # callback payload or link URL


@dataclasses.dataclass
class Say:
    """Send a message to the resident. ``{number}`` is the ticket the turn
    filed into; the Odoo side fills it in."""

    text: str
    keyboard: list = dataclasses.field(default_factory=list)  # rows of Button


@dataclasses.dataclass
class AnswerCallback:
    callback_id: str


@dataclasses.dataclass
class File:
    """Put what the resident sent into a ticket: the open one, or a new one
    when ``new`` (or when none is open). ``urgent`` opens an emergency."""

    text: str
    files: list
    new: bool = False
    urgent: bool = False
    note: str = ""  # why it is filed (an answer to the bot's question...)
    # When the accident happened, as far as the bot knows: the moment the
    # resident pressed the emergency button (ПП 416 п. 13 counts the 3 days
    # of elimination from the accident, not from our registration).
    accident_at: datetime.datetime = None


@dataclasses.dataclass
class Identify:
    phone: str
    name: str


@dataclasses.dataclass
class SetHouse:
    house_id: int = None
    address: str = ""  # free text when the building is not in the list


@dataclasses.dataclass
class SetFlat:
    flat: str


@dataclasses.dataclass
class SetEntrance:
    entrance: str


@dataclasses.dataclass
class ListRequests:
    pass


@dataclasses.dataclass
class SetNotices:
    enabled: bool


@dataclasses.dataclass
class Stopped:
    """The resident blocked or stopped the bot: send nothing more."""


# -- the flat and the entrance in the resident's words ----------------------------

# A number that ends where it seems to: not a part of a date (15.11), a time
# (15:30), a fraction or a range.
_NUMBER_END = r"(?!\w)(?![.,:/-]\d)"
# Nor an amount, an area or a duration: "за квартиру 3500 руб.".
_NOT_A_COUNT = (
    r"(?!\s*(?:руб|р\.|р\b|₽|тыс|коп|%|м2|м²|кв\.?\s*м\b|метр|лет\b|год|"
    r"дн[яеи]|день|час|мин|раз\b|раза\b|чел))"
)
# "кв. 15", "кв 15", "кв.15а", "квартира № 15", "в квартире 15-б".
_FLAT = re.compile(
    r"(?<!\w)(?:квартир\w*|кв)\.?\s*(?:№\s*)?(\d{1,4})(?:-?([а-яa-z]))?"
    + _NUMBER_END
    + _NOT_A_COUNT
)
_ENTRANCE_WORD = r"под[ъь]езд\w*"
# "подъезд 2", "под. 2", "п-д 2", "подъезд № 2".
_ENTRANCE_AFTER = re.compile(
    r"(?<!\w)(?:"
    + _ENTRANCE_WORD
    + r"|под\.|п-д)\s*(?:№\s*)?(\d{1,2})"
    + _NUMBER_END
    + _NOT_A_COUNT
)
# "2-й подъезд", "2 подъезд", "во 2-м подъезде".
_ENTRANCE_BEFORE = re.compile(
    r"(?<![\w.,:/-])(\d{1,2})(?:\s*-?\s*(?:ый|ий|ой|й|ом|ем|м))?\s+" + _ENTRANCE_WORD
)
# "второй подъезд", "в третьем подъезде".
_ORDINALS = {
    "перв": 1,
    "втор": 2,
    "трет": 3,
    "четверт": 4,
    "пят": 5,
    "шест": 6,
    "седьм": 7,
    "восьм": 8,
    "девят": 9,
    "десят": 10,
}
_ENTRANCE_ORDINAL = re.compile(
    r"(?<!\w)("
    + "|".join(_ORDINALS)
    + r")(?:ый|ий|ой|ого|ому|ом|ем|его|ему|ьем|ьего|ьему)\s+"
    + _ENTRANCE_WORD
)
# The number before "подъезд" is another one's when a house, a building or
# a flat is named just before it ("дом 12 подъезд", "кв. 5 подъезд").
_OTHER_NUMBER_BEFORE = re.compile(
    r"(?:(?<!\w)(?:дом\w*|д|корп\w*|к|стр\w*|кв\w*)\.?\s*(?:№\s*)?)$"
)


@dataclasses.dataclass(frozen=True)
class Premises:
    flat: str = None
    entrance: str = None


def premises_in(text):
    """The flat and the entrance a resident wrote in a message, each
    ``None`` unless a word names it: "дом 15", a phone number or a date
    are never taken for one."""
    text = (text or "").lower().replace("ё", "е")
    flat = _FLAT.search(text)
    entrance = None
    found = _ENTRANCE_AFTER.search(text)
    if found:
        entrance = found[1]
    else:
        for found in _ENTRANCE_BEFORE.finditer(text):
            if not _OTHER_NUMBER_BEFORE.search(text[: found.start()]):
                entrance = found[1]
                break
        else:
            found = _ENTRANCE_ORDINAL.search(text)
            if found:
                entrance = str(_ORDINALS[found[1]])
    return Premises(
        # No flat or entrance 0: a typo, not a number to keep.
        flat=flat[1] + (flat[2] or "") if flat and int(flat[1]) else None,
        entrance=entrance if entrance and int(entrance) else None,
    )


# -- rendering -----------------------------------------------------------------


def moment_of(update):
    """When the resident acted, as MAX dates the update (aware, UTC), or
    None when MAX gave no time."""
    if not update.timestamp or update.timestamp <= 0:
        return None
    return datetime.datetime.fromtimestamp(update.timestamp / 1000, tz=datetime.UTC)


def render(text, **values):
    """Fill ``{name}`` placeholders, leaving any other brace untouched (texts
    are edited by users: a stray brace must not break the bot)."""
    text = text or ""
    for key, value in values.items():
        text = text.replace("{" + key + "}", "" if value is None else str(value))
    return text


def menu(config):
    texts = config.texts
    rows = [
        [Button("callback", texts.menu_emergency, EMERGENCY)],
        [Button("callback", texts.menu_new, NEW)],
        [Button("callback", texts.menu_mine, MINE)],
        [Button("callback", texts.menu_official, OFFICIAL)],
        [Button("callback", texts.menu_contacts, CONTACTS)],
    ]
    return rows


def back(config):
    return [[Button("callback", config.texts.menu_back, MENU)]]


def notices_off(config):
    """The button under every notice: the resident can stop them."""
    return [[Button("callback", config.texts.notices_off_button, NOTICES_OFF)]]


def contact_keyboard(config):
    return [
        [Button("request_contact", config.texts.contact_button)],
        *back(config),
    ]


def house_keyboard(config):
    rows = [
        [Button("callback", name[:128], f"{HOUSE_PREFIX}{house_id}")]
        for house_id, name in config.houses[:MAX_HOUSE_BUTTONS]
    ]
    rows.append([Button("callback", config.texts.house_other, HOUSE_OTHER)])
    return rows


def official_keyboard(config):
    rows = []
    if config.official_url:
        rows.append([Button("link", config.texts.official_button, config.official_url)])
    return rows + back(config)


def _official(config, text):
    return render(
        text,
        phone=config.dispatcher_phone,
        official_url=config.official_url,
    )


def _next_question(state, config):
    """Ask for the first thing the bot still lacks, or nothing."""
    texts = config.texts
    if not state.identified:
        state.step = STEP_CONTACT
        return Say(texts.ask_contact, contact_keyboard(config))
    if not state.house_known:
        state.step = STEP_HOUSE
        return Say(texts.ask_house, house_keyboard(config))
    if not state.flat_known:
        state.step = STEP_FLAT
        return Say(texts.ask_flat, back(config))
    state.step = STEP_NONE
    return None


# -- the turn ------------------------------------------------------------------


def step(state, update, config):
    """One turn: ``(new_state, actions)`` for a dialog update."""
    state = dataclasses.replace(state)
    handler = {
        "bot_started": _started,
        "bot_stopped": _stopped,
        "message_callback": _callback,
        "message_created": _message,
        "message_edited": _edited,
    }.get(update.update_type)
    if handler is None:
        return state, []
    return state, handler(state, update, config)


def _started(state, update, config):
    state.step = STEP_NONE
    state.notices = True
    texts = config.texts
    return [Say(f"{texts.welcome}\n\n{texts.not_official}", menu(config))]


def _stopped(state, update, config):
    state.step = STEP_NONE
    state.notices = False
    return [Stopped()]


def _callback(state, update, config):
    texts = config.texts
    actions = [AnswerCallback(update.callback_id)]
    payload = update.payload or ""
    if payload == MENU:
        state.step = STEP_NONE
        actions.append(Say(texts.welcome, menu(config)))
    elif payload == EMERGENCY:
        state.new_request = False
        state.open_ticket = True
        actions.append(
            File(
                text="",
                files=[],
                new=True,
                urgent=True,
                note="emergency",
                accident_at=moment_of(update),
            )
        )
        actions.append(
            Say(
                _official(config, texts.emergency) + "\n\n" + texts.describe,
                back(config),
            )
        )
        question = _next_question(state, config)
        if question:
            actions.append(question)
        else:
            state.step = STEP_DESCRIBE
    elif payload == NEW:
        state.new_request = True
        state.step = STEP_DESCRIBE
        actions.append(Say(f"{texts.describe}\n\n{texts.not_official}", back(config)))
    elif payload == MINE:
        actions.append(ListRequests())
    elif payload == OFFICIAL:
        actions.append(
            Say(_official(config, texts.official), official_keyboard(config))
        )
    elif payload == CONTACTS:
        actions.append(Say(_official(config, texts.contacts), back(config)))
    elif payload in (NOTICES_OFF, NOTICES_ON):
        state.notices = payload == NOTICES_ON
        actions.append(SetNotices(state.notices))
        actions.append(
            Say(texts.notices_on if state.notices else texts.notices_off, back(config))
        )
    elif payload == HOUSE_OTHER:
        state.step = STEP_HOUSE
        actions.append(Say(texts.ask_house, back(config)))
    elif payload.startswith(HOUSE_PREFIX) and payload[len(HOUSE_PREFIX) :].isdigit():
        house_id = int(payload[len(HOUSE_PREFIX) :])
        if any(house_id == known for known, _name in config.houses):
            state.house_known = True
            actions.append(SetHouse(house_id=house_id))
            actions.append(_next_question(state, config) or Say(texts.complete))
        else:
            actions.append(Say(texts.ask_house, house_keyboard(config)))
    else:
        # An old keyboard, or a forged payload: show the menu again.
        actions.append(Say(texts.unsupported, menu(config)))
    return actions


def _contact_turn(state, update, config, contact):
    texts = config.texts
    sender = update.user.user_id if update.user else None
    if not max_updates.contact_is_senders_own(contact, sender, config.token):
        state.step = STEP_CONTACT
        return [Say(texts.contact_refused, contact_keyboard(config))]
    state.identified = True
    actions = [Identify(phone=contact.phone or "", name=contact.name or "")]
    question = _next_question(state, config)
    actions.append(
        Say(texts.contact_thanks + ("" if question else "\n\n" + texts.complete))
    )
    if question:
        actions.append(question)
    return actions


def _premises(state, premises):
    """Keep the flat and the entrance the resident wrote, when the bot does
    not know them yet: it will not ask for them."""
    actions = []
    if premises.flat and not state.flat_known:
        state.flat_known = True
        actions.append(SetFlat(flat=premises.flat))
    if premises.entrance and not state.entrance_known:
        state.entrance_known = True
        actions.append(SetEntrance(entrance=premises.entrance))
    return actions


def _message(state, update, config):
    texts = config.texts
    contact = update.contact
    if contact is not None:
        return _contact_turn(state, update, config, contact)
    text, files = update.text, update.files
    if not text and not files:
        # Stickers, locations, shares: nothing a ticket could use.
        if update.attachments:
            return [Say(texts.unsupported, menu(config))]
        return []
    premises = premises_in(text)
    actions = []
    if state.step == STEP_HOUSE and text and not files:
        state.house_known = True
        actions.append(SetHouse(address=text))
        actions += _premises(state, premises)
        if state.open_ticket:
            actions.append(File(text=text, files=[], note="house"))
        question = _next_question(state, config)
        actions.append(question or Say(texts.complete))
        return actions
    if state.step == STEP_FLAT and text and not files and len(text) <= 20:
        # "кв. 15" is flat 15, as a GIS appeal of that flat says; "подъезд
        # 2" is no flat (the bot asks again); anything else is the answer.
        actions += _premises(state, premises)
        if not (premises.flat or premises.entrance):
            state.flat_known = True
            actions.insert(0, SetFlat(flat=text))
        if state.open_ticket:
            actions.append(File(text=text, files=[], note="flat"))
        question = _next_question(state, config)
        actions.append(question or Say(texts.complete))
        return actions
    new = state.new_request or not state.open_ticket
    actions.append(File(text=text, files=files, new=new))
    actions += _premises(state, premises)
    state.new_request = False
    state.open_ticket = True
    ack = texts.registered if new else texts.added
    question = _next_question(state, config)
    if new:
        ack = f"{ack}\n\n{texts.not_official}"
    if question:
        actions.append(Say(ack))
        actions.append(question)
    elif new:
        actions.append(Say(ack, back(config)))
    # A message added to an open ticket needs no answer when nothing is missing.
    return actions


def _edited(state, update, config):
    if not update.text and not update.files:
        return []
    return [File(text=update.text, files=update.files, note="edited")]
