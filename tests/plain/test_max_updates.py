"""MAX updates read safely: typed, deduplicated, ordered, contacts proven."""

import json

import pytest
from hgzm.tests.fakes.fake_max import FakeMax, SchemaCheck
from hgzm.tests.fakes.local_server import closed_url
from hgzm.tools.max_updates import (
    UpdateError,
    contact_is_senders_own,
    parse_update,
    phone_from_vcard,
    read_body,
    salvage,
)
from hypothesis import given, settings
from hypothesis import strategies as st

CLOSED_URL = closed_url()

TOKEN = "test-bot-token_0123456789"
RESIDENT = 51001


@pytest.fixture(scope="module")
def fake():
    fake = FakeMax(TOKEN)
    fake.base_url = CLOSED_URL
    return fake


@pytest.fixture(scope="module")
def schema(max_openapi):
    return SchemaCheck(max_openapi)


def test_what_the_fake_delivers_follows_the_openapi_file(fake, schema):
    cases = {
        "MessageCreatedUpdate": fake.resident_message(RESIDENT, "Течёт потолок"),
        "BotStartedUpdate": fake.resident_starts(RESIDENT, "house-12"),
        "MessageCallbackUpdate": fake.resident_presses(RESIDENT, "menu:new"),
    }
    for name, update in cases.items():
        assert schema.errors(name, update) == [], name


def test_a_residents_message(fake):
    photo = fake.file_attachment("leak.jpg", b"JPEG", "image")
    update = parse_update(
        fake.resident_message(RESIDENT, "  Течёт потолок  ", [photo], first_name="Анна")
    )
    assert update.update_type == "message_created" and update.is_dialog
    assert (update.user.user_id, update.user.full_name) == (RESIDENT, "Анна")
    assert update.text == "Течёт потолок"
    assert update.key == f"message_created:{update.mid}"
    assert [a.kind for a in update.files] == ["image"]
    assert update.files[0].url.endswith("/files/" + photo["payload"]["token"])
    assert update.chat_id == RESIDENT and update.locale == "ru"


def test_a_button_press_and_a_start(fake):
    pressed = parse_update(fake.resident_presses(RESIDENT, "menu:emergency"))
    assert pressed.payload == "menu:emergency"
    assert pressed.user.user_id == RESIDENT
    assert pressed.key == f"callback:{pressed.callback_id}"
    assert pressed.text == "" and pressed.attachments == []
    started = parse_update(fake.resident_starts(RESIDENT, "house-12"))
    assert (started.update_type, started.payload) == ("bot_started", "house-12")
    assert started.is_dialog and started.user.user_id == RESIDENT


def test_a_group_chat_message(fake):
    update = parse_update(fake.group_message(-7001, RESIDENT, "Запах газа в подъезде!"))
    assert update.chat_type == "chat" and update.chat_id == -7001
    assert not update.is_dialog


def test_the_same_update_twice_has_one_key_others_differ(fake):
    message = fake.resident_message(RESIDENT, "Раз")
    again = json.loads(json.dumps(message))
    assert parse_update(message).key == parse_update(again).key
    other = fake.resident_message(RESIDENT, "Раз")
    assert parse_update(other).key != parse_update(message).key
    edited = dict(message, update_type="message_edited")
    assert parse_update(edited).key != parse_update(message).key


def test_order_within_a_dialog(fake):
    first = parse_update(fake.resident_message(RESIDENT, "1"))
    second = parse_update(fake.resident_message(RESIDENT, "2"))
    assert sorted([second, first], key=lambda u: u.order) == [first, second]


def test_unknown_update_types_are_kept_not_refused():
    update = parse_update({"update_type": "message_reaction", "timestamp": 5})
    assert not update.known
    assert update.key.startswith("message_reaction:")


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"timestamp": 1},
        {"update_type": "message_created"},
        {"update_type": 5, "timestamp": 1},
        {"update_type": "message_created", "timestamp": "yesterday"},
        {"update_type": "message_created", "timestamp": True},
        {"update_type": "message_created", "timestamp": 1, "message": "hi"},
        {"update_type": "message_created", "timestamp": 1, "message": {}},
        {
            "update_type": "message_created",
            "timestamp": 1,
            "message": {"sender": {"user_id": "me"}, "body": {}},
        },
        {"update_type": "message_callback", "timestamp": 1, "callback": {}},
        {"update_type": "bot_started", "timestamp": 1},
    ],
)
def test_malformed_updates_are_refused_with_a_reason(data):
    with pytest.raises(UpdateError):
        parse_update(data)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"\xff\xfe",
        b"[1, 2]",
        b"null",
        b"x" * (1024 * 1024 + 1),
        b"[" * 100000 + b"]" * 100000,  # nested past the parser's recursion
    ],
)
def test_bodies_that_are_not_an_update(raw):
    with pytest.raises(UpdateError):
        read_body(raw)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=300)
@given(
    st.fixed_dictionaries(
        {
            "update_type": st.sampled_from(
                ["message_created", "message_callback", "bot_started", "x"]
            )
            | st.text(max_size=10),
            "timestamp": st.integers() | json_values,
        },
        optional={
            "message": json_values,
            "callback": json_values,
            "user": json_values,
            "chat_id": json_values,
        },
    )
)
def test_fuzzed_updates_never_crash(data):
    try:
        update = parse_update(data)
    except UpdateError:
        return
    assert update.key and isinstance(update.timestamp, int)


def _paths(value, prefix=()):
    """Every path to a value inside nested dicts and lists."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


@settings(max_examples=500)
@given(st.data(), json_values)
def test_any_part_of_a_real_update_replaced_never_crashes(fake, data, value):
    """Real updates with one nested value replaced by anything: the reader
    refuses with an UpdateError or reads an update, nothing else (a crash
    here is a 500 at the webhook)."""
    photo = fake.file_attachment("a.jpg", b"J", "image")
    contact = fake.contact_attachment(RESIDENT, "+79160000001")
    update = data.draw(
        st.sampled_from(
            [
                fake.resident_message(RESIDENT, "текст", [photo, contact]),
                fake.resident_presses(RESIDENT, "m:menu"),
                fake.resident_starts(RESIDENT, "x"),
                fake.group_message(-5, RESIDENT, "потоп"),
            ]
        )
    )
    path = data.draw(st.sampled_from(list(_paths(update))[1:]))
    target = update
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    try:
        parsed = parse_update(update)
    except UpdateError:
        return
    assert isinstance(parsed.key, str) and parsed.key


def test_a_contact_proves_the_senders_own_number(fake):
    own = fake.contact_attachment(RESIDENT, "+79165550001", "Анна Петрова")
    update = parse_update(fake.resident_message(RESIDENT, "", [own]))
    contact = update.contact
    assert contact.phone == "+79165550001" and contact.name == "Анна Петрова"
    assert contact_is_senders_own(contact, RESIDENT, TOKEN)
    # Forwarded: the card is someone else's.
    forwarded = fake.contact_attachment(RESIDENT, "+79165550002", own=False)
    contact = parse_update(fake.resident_message(RESIDENT, "", [forwarded])).contact
    assert not contact_is_senders_own(contact, RESIDENT, TOKEN)
    # Tampered: the number changed after MAX hashed the card.
    tampered = fake.contact_attachment(RESIDENT, "+79165550001")
    tampered["payload"]["vcf_info"] = tampered["payload"]["vcf_info"].replace(
        "0001", "0009"
    )
    contact = parse_update(fake.resident_message(RESIDENT, "", [tampered])).contact
    assert not contact_is_senders_own(contact, RESIDENT, TOKEN)
    # Another bot's token, or no hash at all.
    assert not contact_is_senders_own(
        parse_update(fake.resident_message(RESIDENT, "", [own])).contact,
        RESIDENT,
        "another-token",
    )
    own["payload"]["hash"] = None
    contact = parse_update(fake.resident_message(RESIDENT, "", [own])).contact
    assert not contact_is_senders_own(contact, RESIDENT, TOKEN)


@pytest.mark.parametrize(
    ("vcf", "phone"),
    [
        ("BEGIN:VCARD\nTEL:+7 916 555-00-01\nEND:VCARD", "+7 916 555-00-01"),
        ("BEGIN:VCARD\r\nTEL;TYPE=cell:89165550001\r\nEND:VCARD", "89165550001"),
        ("BEGIN:VCARD\nFN:Без телефона\nEND:VCARD", None),
        ("", None),
        (None, None),
    ],
)
def test_phone_from_vcard(vcf, phone):
    assert phone_from_vcard(vcf) == phone


def test_a_changed_optional_field_is_read_as_absent(fake):
    update = fake.resident_message(RESIDENT, "Вот акт", first_name="Анна")
    document = fake.file_attachment("акт.pdf", b"%PDF", "file")
    document["size"] = "4"
    update["message"]["sender"]["username"] = ["new"]
    update["message"]["body"]["seq"] = "7"
    update["message"]["body"]["attachments"] = [document]
    parsed = parse_update(update)
    assert parsed.text == "Вот акт" and parsed.user.first_name == "Анна"
    assert parsed.files[0].size is None and parsed.files[0].url
    assert parsed.seq is None
    assert len(parsed.warnings) == 3


def test_what_the_bot_does_not_read_is_listed(fake):
    update = fake.resident_message(RESIDENT, "Я здесь")
    update["message"]["body"]["attachments"] = [
        {"type": "location", "latitude": 1.0, "longitude": 2.0},
        fake.file_attachment("a.jpg", b"J", "image"),
    ]
    parsed = parse_update(update)
    assert [a.kind for a in parsed.other_attachments] == ["location"]
    assert [a.kind for a in parsed.files] == ["image"]


def test_group_events_belong_to_the_group(fake):
    for update_type in ("user_added", "user_removed", "chat_title_changed"):
        parsed = parse_update(
            {
                "update_type": update_type,
                "timestamp": 1,
                "chat_id": -5,
                "user": fake.user(RESIDENT),
            }
        )
        assert parsed.chat_type == "chat" and parsed.chat_id == -5
    muted = parse_update(
        {"update_type": "dialog_muted", "timestamp": 1, "user": fake.user(RESIDENT)}
    )
    assert muted.chat_type == "dialog"


GROUP_RECIPIENT = {"chat_type": "chat", "chat_id": -4}
DIALOG_RECIPIENT = {"chat_type": "dialog", "chat_id": 9}


@pytest.mark.parametrize(
    "data, expected",
    [
        (
            {"update_type": "message_created", "timestamp": 3},
            ("message_created", "?", 3),
        ),
        (
            {"update_type": 5, "message": {"sender": {"user_id": 7}}},
            ("?", "u7", 0),
        ),
        (
            {
                "update_type": "x",
                "message": {"recipient": {"chat_type": "chat", "chat_id": -4}},
            },
            ("x", "c-4", 0),
        ),
        (
            {
                "update_type": "x",
                "message": {"recipient": {"chat_type": "dialog", "chat_id": 9}},
            },
            ("x", "?", 0),
        ),
        ({"update_type": "user_added", "chat_id": -8}, ("user_added", "c-8", 0)),
        ({"callback": {"user": {"user_id": True}}}, ("?", "?", 0)),
        ([], ("?", "?", 0)),
    ],
)
def test_salvage_reads_what_it_can(data, expected):
    assert salvage(data) == expected


@settings(max_examples=300)
@given(json_values)
def test_salvage_never_fails(data):
    update_type, chat_key, timestamp = salvage(data)
    assert isinstance(update_type, str) and isinstance(chat_key, str)
    assert isinstance(timestamp, int)
