"""The resident's conversation, turn by turn, without a database."""

import datetime

import pytest
from hgzm.tests.fakes.fake_max import FakeMax
from hgzm.tests.fakes.local_server import closed_url
from hgzm.tools import max_dialog as d
from hgzm.tools.max_updates import parse_update
from hypothesis import given, settings
from hypothesis import strategies as st

CLOSED_URL = closed_url()

TOKEN = "test-bot-token_0123456789"
RESIDENT = 51001
OTHER = 51002


@pytest.fixture(scope="module")
def fake():
    fake = FakeMax(TOKEN)
    fake.base_url = CLOSED_URL
    return fake


@pytest.fixture
def config():
    return d.Config(
        official_url="https://max.ru/gosuslugi_zhkh_bot",
        dispatcher_phone="+7 495 000-00-00",
        token=TOKEN,
        houses=[(7, "ул. Ленина, 5"), (8, "ул. Мира, 12")],
    )


def turn(fake, config, state, raw):
    return d.step(state, parse_update(raw), config)


def kinds(actions):
    return [type(a).__name__ for a in actions]


def payloads(say):
    return [b.payload for row in say.keyboard for b in row]


def test_start_shows_the_menu_and_says_it_is_not_official(fake, config):
    state, actions = turn(fake, config, d.DialogState(), fake.resident_starts(RESIDENT))
    assert kinds(actions) == ["Say"]
    assert config.texts.not_official in actions[0].text
    assert payloads(actions[0]) == [d.EMERGENCY, d.NEW, d.MINE, d.OFFICIAL, d.CONTACTS]
    assert state.notices and state.step == d.STEP_NONE


def test_a_first_message_opens_a_ticket_then_asks_for_the_contact(fake, config):
    state, actions = turn(
        fake, config, d.DialogState(), fake.resident_message(RESIDENT, "Течёт кран")
    )
    assert kinds(actions) == ["File", "Say", "Say"]
    filed = actions[0]
    assert (filed.text, filed.new, filed.urgent) == ("Течёт кран", True, False)
    assert (
        "{number}" in actions[1].text and config.texts.not_official in actions[1].text
    )
    assert actions[2].keyboard[0][0].kind == "request_contact"
    assert state.step == d.STEP_CONTACT and state.open_ticket


def test_messages_while_waiting_for_the_contact_are_filed_not_lost(fake, config):
    state = d.DialogState(step=d.STEP_CONTACT, open_ticket=True)
    state, actions = turn(fake, config, state, fake.resident_message(RESIDENT, "Ещё"))
    assert kinds(actions) == ["File", "Say", "Say"]
    assert actions[0].text == "Ещё" and not actions[0].new
    assert state.step == d.STEP_CONTACT


def test_own_contact_identifies_then_the_bot_asks_building_and_flat(fake, config):
    state = d.DialogState(step=d.STEP_CONTACT, open_ticket=True)
    contact = fake.contact_attachment(RESIDENT, "+79161234567", "Анна Петрова")
    state, actions = turn(
        fake, config, state, fake.resident_message(RESIDENT, "", [contact])
    )
    assert kinds(actions) == ["Identify", "Say", "Say"]
    assert actions[0] == d.Identify(phone="+79161234567", name="Анна Петрова")
    assert payloads(actions[2]) == ["h:7", "h:8", d.HOUSE_OTHER]
    assert state.identified and state.step == d.STEP_HOUSE

    state, actions = turn(fake, config, state, fake.resident_presses(RESIDENT, "h:8"))
    assert kinds(actions) == ["AnswerCallback", "SetHouse", "Say"]
    assert actions[1].house_id == 8 and state.step == d.STEP_FLAT

    state, actions = turn(fake, config, state, fake.resident_message(RESIDENT, "12"))
    assert kinds(actions) == ["SetFlat", "File", "Say"]
    assert actions[0].flat == "12" and actions[1].note == "flat"
    assert actions[2].text == config.texts.complete
    assert state.step == d.STEP_NONE and state.flat_known


def test_a_forwarded_contact_never_identifies(fake, config):
    someone_else = fake.contact_attachment(OTHER, "+79160000000", "Сосед")
    state, actions = turn(
        fake,
        config,
        d.DialogState(step=d.STEP_CONTACT),
        fake.resident_message(RESIDENT, "", [someone_else]),
    )
    assert kinds(actions) == ["Say"] and not state.identified
    assert actions[0].text == config.texts.contact_refused
    forged = fake.contact_attachment(RESIDENT, "+79160000000", own=False)
    state, actions = turn(
        fake, config, state, fake.resident_message(RESIDENT, "", [forged])
    )
    assert kinds(actions) == ["Say"] and not state.identified


def test_a_house_typed_by_hand_and_an_unknown_house_button(fake, config):
    state = d.DialogState(step=d.STEP_HOUSE, identified=True, open_ticket=True)
    state, actions = turn(
        fake, config, state, fake.resident_message(RESIDENT, "пр. Победы, 3")
    )
    assert kinds(actions) == ["SetHouse", "File", "Say"]
    assert actions[0].address == "пр. Победы, 3" and state.step == d.STEP_FLAT
    state = d.DialogState(step=d.STEP_HOUSE, identified=True)
    state, actions = turn(fake, config, state, fake.resident_presses(RESIDENT, "h:99"))
    assert kinds(actions) == ["AnswerCallback", "Say"] and not state.house_known


def test_emergency_files_an_urgent_ticket_at_once_and_gives_the_phone(fake, config):
    known = d.DialogState(identified=True, house_known=True, flat_known=True)
    state, actions = turn(
        fake, config, known, fake.resident_presses(RESIDENT, d.EMERGENCY)
    )
    assert kinds(actions) == ["AnswerCallback", "File", "Say"]
    assert actions[1].urgent and actions[1].new
    assert config.dispatcher_phone in actions[2].text
    assert state.step == d.STEP_DESCRIBE and state.open_ticket
    # The description that follows goes into that emergency ticket.
    state, actions = turn(
        fake, config, state, fake.resident_message(RESIDENT, "Прорвало трубу")
    )
    assert kinds(actions) == ["File"] and not actions[0].new
    # Only the button dates the accident: a message says nothing of when.
    assert actions[0].accident_at is None


def test_the_emergency_button_dates_the_accident(fake, config):
    raw = fake.resident_presses(RESIDENT, d.EMERGENCY)
    pressed = datetime.datetime(2026, 12, 7, 6, 15, 30, tzinfo=datetime.UTC)
    raw["timestamp"] = raw["callback"]["timestamp"] = int(pressed.timestamp() * 1000)
    _state, actions = turn(fake, config, d.DialogState(), raw)
    filed = next(a for a in actions if isinstance(a, d.File))
    assert filed.urgent and filed.accident_at == pressed
    # No time from MAX: no accident time, the registration counts.
    update = parse_update(raw)
    update.timestamp = 0
    _state, actions = d.step(d.DialogState(), update, config)
    assert next(a for a in actions if isinstance(a, d.File)).accident_at is None


def test_new_request_forces_a_new_ticket_even_with_one_open(fake, config):
    known = d.DialogState(
        identified=True, house_known=True, flat_known=True, open_ticket=True
    )
    state, actions = turn(fake, config, known, fake.resident_presses(RESIDENT, d.NEW))
    assert state.new_request and state.step == d.STEP_DESCRIBE
    photo = fake.file_attachment("leak.jpg", b"JPEG")
    state, actions = turn(
        fake, config, state, fake.resident_message(RESIDENT, "Лифт", [photo])
    )
    assert kinds(actions) == ["File", "Say"]
    assert actions[0].new and [f.kind for f in actions[0].files] == ["image"]
    assert not state.new_request


def test_menu_entries(fake, config):
    state = d.DialogState()
    _state, actions = turn(fake, config, state, fake.resident_presses(RESIDENT, d.MINE))
    assert kinds(actions) == ["AnswerCallback", "ListRequests"]
    _state, actions = turn(
        fake, config, state, fake.resident_presses(RESIDENT, d.OFFICIAL)
    )
    link = actions[1].keyboard[0][0]
    assert (link.kind, link.payload) == ("link", config.official_url)
    _state, actions = turn(
        fake, config, state, fake.resident_presses(RESIDENT, d.CONTACTS)
    )
    assert config.dispatcher_phone in actions[1].text
    state, actions = turn(
        fake, config, state, fake.resident_presses(RESIDENT, d.NOTICES_OFF)
    )
    assert actions[1] == d.SetNotices(False) and not state.notices
    state, actions = turn(fake, config, state, fake.resident_starts(RESIDENT))
    assert state.notices
    _state, actions = turn(
        fake, config, state, fake.resident_presses(RESIDENT, "forged:payload")
    )
    assert kinds(actions) == ["AnswerCallback", "Say"]


def test_stop_and_unsupported_input(fake, config):
    stopped = {"update_type": "bot_stopped", "timestamp": 1, "chat_id": RESIDENT}
    stopped["user"] = {"user_id": RESIDENT, "first_name": "А"}
    state, actions = turn(fake, config, d.DialogState(), stopped)
    assert kinds(actions) == ["Stopped"] and not state.notices
    sticker = {"type": "sticker", "payload": {"code": "x"}}
    _state, actions = turn(
        fake, config, d.DialogState(), fake.resident_message(RESIDENT, "", [sticker])
    )
    assert kinds(actions) == ["Say"]


def test_render_leaves_unknown_braces_alone():
    assert d.render("№ {number} {oops} {", number=12) == "№ 12 {oops} {"
    assert d.render(None, number=1) == ""


def test_the_official_link_is_optional(config):
    config.official_url = ""
    assert d.official_keyboard(config) == d.back(config)


# -- properties -------------------------------------------------------------------

EVENTS = st.sampled_from(
    ["text", "photo", "contact", "forged", "start", "press", "house", "number"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(EVENTS, min_size=1, max_size=25), st.data())
def test_no_message_is_ever_lost(fake, events, data):
    """Whatever the resident does, each text or file they send is filed
    exactly once, and the bot never answers with an empty message."""
    config = d.Config(token=TOKEN, houses=[(1, "Дом 1")], dispatcher_phone="01")
    state = d.DialogState()
    sent = []
    filed = []
    for index, event in enumerate(events):
        text = f"сообщение {index}"
        if event == "text":
            raw = fake.resident_message(RESIDENT, text)
            sent.append(text)
        elif event == "photo":
            photo = fake.file_attachment(f"{index}.jpg", b"J")
            raw = fake.resident_message(RESIDENT, "", [photo])
            sent.append(photo["payload"]["token"])
        elif event == "number":
            raw = fake.resident_message(RESIDENT, str(index))
            sent.append(str(index))
        elif event == "contact":
            raw = fake.resident_message(
                RESIDENT, "", [fake.contact_attachment(RESIDENT, "+79160000001")]
            )
        elif event == "forged":
            raw = fake.resident_message(
                RESIDENT, "", [fake.contact_attachment(OTHER, "+79160000002")]
            )
        elif event == "start":
            raw = fake.resident_starts(RESIDENT)
        elif event == "house":
            raw = fake.resident_presses(RESIDENT, "h:1")
        else:
            payload = data.draw(
                st.sampled_from([d.EMERGENCY, d.NEW, d.MINE, d.MENU, d.HOUSE_OTHER])
            )
            raw = fake.resident_presses(RESIDENT, payload)
        state, actions = d.step(state, parse_update(raw), config)
        assert state.step in d.STEPS
        for action in actions:
            if isinstance(action, d.Say):
                assert action.text.strip()
        answers = [
            a.address if isinstance(a, d.SetHouse) else a.flat
            for a in actions
            if isinstance(a, d.SetHouse | d.SetFlat)
        ]
        for action in actions:
            if isinstance(action, d.File) and (action.text or action.files):
                filed.append(action.text or action.files[0].token)
                assert action.new or state.open_ticket
        # An answer to the bot's question is kept on the contact, and filed
        # too when a ticket is open: it counts once.
        filed.extend(a for a in answers if a and a not in filed)
    assert filed == sent


# -- the flat and the entrance in the resident's words ------------------------


@pytest.mark.parametrize(
    ("text", "flat", "entrance"),
    [
        ("кв. 15", "15", None),
        ("кв 15", "15", None),
        ("квартира 15", "15", None),
        ("кв.15а", "15а", None),
        ("Квартира № 15", "15", None),
        ("в квартире 15-Б течёт", "15б", None),
        ("подъезд 2", None, "2"),
        ("под. 2", None, "2"),
        ("2-й подъезд", None, "2"),
        ("во 2-м подъезде не горит свет", None, "2"),
        ("в третьем подъезде", None, "3"),
        ("Течёт потолок, кв. 15, подъезд 2", "15", "2"),
        ("ул. Ленина, д. 5, кв. 40, 3 подъезд", "40", "3"),
        ("дом 12 подъезд 4", None, "4"),
        ("дом 15", None, None),
        ("д. 12 подъезд не убирают", None, None),
        ("кв. 15 подъезд", "15", None),
        ("звоните +7 916 123-45-67", None, None),
        ("с 15.11 нет воды", None, None),
        ("кв. 15.11", None, None),
        ("за квартиру 3500 руб.", None, None),
        ("50 кв. м", None, None),
        ("квитанция 15", None, None),
        ("квартал 15", None, None),
        ("кв. 0", None, None),
        ("в подъезде грязно", None, None),
    ],
)
def test_the_flat_and_the_entrance_in_the_residents_words(text, flat, entrance):
    assert d.premises_in(text) == d.Premises(flat=flat, entrance=entrance)


# Words and numbers a resident writes that name no flat nor entrance.
NOISE = st.one_of(
    st.sampled_from(
        [
            "Течёт потолок",
            "нет горячей воды",
            "не работает лифт",
            "в подъезде грязно",
            "срочно",
            "жду мастера",
        ]
    ),
    st.integers(0, 99999).map(str),
    st.integers(1, 999).map(lambda n: f"дом {n}"),
    st.integers(1, 999).map(lambda n: f"д. {n}"),
    st.integers(1, 999).map(lambda n: f"д.{n}"),
    st.integers(1, 30).map(lambda n: f"{n} этаж"),
    st.integers(1, 9).map(lambda n: f"корп. {n}"),
    st.tuples(st.integers(1, 31), st.integers(1, 12)).map(
        lambda d_m: f"{d_m[0]:02}.{d_m[1]:02}"
    ),
    st.tuples(st.integers(1, 28), st.integers(1, 12), st.integers(2020, 2030)).map(
        lambda dmy: f"{dmy[0]}.{dmy[1]}.{dmy[2]}"
    ),
    st.tuples(st.integers(0, 23), st.integers(0, 59)).map(
        lambda h_m: f"{h_m[0]}:{h_m[1]:02}"
    ),
    st.integers(9000000000, 9999999999).map(
        lambda n: f"+7 {str(n)[:3]} {str(n)[3:6]}-{str(n)[6:8]}-{str(n)[8:]}"
    ),
    st.integers(9000000000, 9999999999).map(lambda n: f"8{n}"),
    st.integers(9000000000, 9999999999).map(
        lambda n: f"8 ({str(n)[:3]}) {str(n)[3:6]} {str(n)[6:8]} {str(n)[8:]}"
    ),
    st.integers(1, 99999).map(lambda n: f"{n} руб."),
)
SEPARATORS = st.sampled_from([" ", ", ", ". ", "\n", " — "])


def _join(parts, separators):
    text = parts[0]
    for part, separator in zip(parts[1:], separators, strict=False):
        text += separator + part
    return text


@settings(max_examples=300, deadline=None)
@given(st.lists(NOISE, min_size=1, max_size=8), st.lists(SEPARATORS, max_size=8))
def test_other_numbers_are_never_a_flat_or_an_entrance(parts, separators):
    assert d.premises_in(_join(parts, separators)) == d.Premises()


FLAT_FORMS = ["кв. {}", "кв {}", "кв.{}", "квартира {}", "квартира № {}", "Кв. {}"]
ENTRANCE_FORMS = ["подъезд {}", "под. {}", "{}-й подъезд", "подъезд № {}"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(NOISE, max_size=4),
    st.lists(NOISE, max_size=4),
    st.integers(1, 9999),
    st.sampled_from(["", "а", "б"]),
    st.sampled_from(FLAT_FORMS),
    st.integers(1, 99),
    st.sampled_from(ENTRANCE_FORMS),
    st.lists(SEPARATORS, min_size=12, max_size=12),
)
def test_a_written_flat_and_entrance_are_found_among_other_numbers(
    before, after, flat, letter, flat_form, entrance, entrance_form, separators
):
    parts = [*before, flat_form.format(f"{flat}{letter}"), *after]
    parts.append(entrance_form.format(entrance))
    # A separator after the flat's number: "кв. 15 16.11" is flat 15, but
    # "кв. 15.11" names none.
    separators = [", " if sep == ". " else sep for sep in separators]
    found = d.premises_in(_join(parts, separators))
    assert found == d.Premises(flat=f"{flat}{letter}", entrance=str(entrance))


def test_a_flat_in_the_first_message_is_not_asked_again(fake, config):
    state, actions = turn(
        fake,
        config,
        d.DialogState(),
        fake.resident_message(RESIDENT, "Течёт потолок, кв. 15, подъезд 2"),
    )
    assert kinds(actions) == ["File", "SetFlat", "SetEntrance", "Say", "Say"]
    assert actions[0].text == "Течёт потолок, кв. 15, подъезд 2"
    assert (actions[1].flat, actions[2].entrance) == ("15", "2")
    assert state.flat_known and state.entrance_known
    contact = fake.contact_attachment(RESIDENT, "+79161234567", "Анна Петрова")
    state, actions = turn(
        fake, config, state, fake.resident_message(RESIDENT, "", [contact])
    )
    assert state.step == d.STEP_HOUSE
    state, actions = turn(fake, config, state, fake.resident_presses(RESIDENT, "h:7"))
    # Everything is known: no question about the flat.
    assert kinds(actions) == ["AnswerCallback", "SetHouse", "Say"]
    assert actions[2].text == config.texts.complete
    assert state.step == d.STEP_NONE
    # Another flat named later does not replace the resident's own.
    state, actions = turn(
        fake, config, state, fake.resident_message(RESIDENT, "И у соседей кв. 16")
    )
    assert kinds(actions) == ["File"]


def test_the_flat_written_with_the_building_or_as_an_answer(fake, config):
    state = d.DialogState(step=d.STEP_HOUSE, identified=True, open_ticket=True)
    state, actions = turn(
        fake, config, state, fake.resident_message(RESIDENT, "пр. Победы, 3, кв. 7")
    )
    assert kinds(actions) == ["SetHouse", "SetFlat", "File", "Say"]
    assert actions[1].flat == "7" and actions[3].text == config.texts.complete
    # Asked for the flat, the resident names it in words: its number is kept.
    state = d.DialogState(
        step=d.STEP_FLAT, identified=True, house_known=True, open_ticket=True
    )
    _state, actions = turn(
        fake, config, state, fake.resident_message(RESIDENT, "кв. 15а")
    )
    assert kinds(actions) == ["SetFlat", "File", "Say"]
    assert actions[0].flat == "15а" and actions[1].note == "flat"
    # An entrance is no flat: kept, and the bot asks for the flat again.
    state, actions = turn(
        fake, config, state, fake.resident_message(RESIDENT, "подъезд 2")
    )
    assert kinds(actions) == ["SetEntrance", "File", "Say"]
    assert actions[2].text == config.texts.ask_flat
    assert state.step == d.STEP_FLAT and state.entrance_known
