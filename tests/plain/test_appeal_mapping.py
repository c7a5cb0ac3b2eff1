"""When an appeal reached its GIS status, and the first guess for new themes."""

import datetime

import pytest
from hgzm.tools.appeal_mapping import guess_theme_defaults, status_reached_on
from hgzm.tools.gis_xml_parse import Appeal, Applicant, HistoryEntry
from hypothesis import given
from hypothesis import strategies as st

D = datetime.date
RECEIVED = D(2026, 11, 2)


def appeal(status, history=(), received=RECEIVED):
    return Appeal(
        guid="8f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
        number="1",
        create_date=received,
        status=status,
        raw_status=status,
        applicant=Applicant("person"),
        history=list(history),
    )


def entry(day, kind="change", **data):
    return HistoryEntry(change_date=day, kind=kind, data=data)


def test_executed_on_the_day_the_answer_was_sent():
    history = [
        entry(D(2026, 11, 3)),
        entry(D(2026, 11, 9), "answer", is_sent=True, send_date="2026-11-10"),
        entry(D(2026, 11, 12), "assessment", result="received"),
    ]
    # The assessment comes after the execution; the sending day counts.
    assert status_reached_on(appeal("executed", history)) == D(2026, 11, 10)


def test_a_draft_answer_does_not_execute():
    history = [
        entry(D(2026, 11, 5), "answer", is_sent=False),
        entry(D(2026, 11, 6), "not_required", cause="duplicate"),
    ]
    assert status_reached_on(appeal("executed", history)) == D(2026, 11, 6)


def test_other_statuses_take_the_latest_entry_or_the_receipt():
    history = [entry(D(2026, 11, 3)), entry(D(2026, 11, 4), "redirected")]
    assert status_reached_on(appeal("withdrawn", history)) == D(2026, 11, 4)
    assert status_reached_on(appeal("withdrawn")) == D(2026, 11, 2)
    assert status_reached_on(appeal("executed")) == D(2026, 11, 2)


def test_a_bad_send_date_falls_back_to_the_entry_date():
    history = [entry(D(2026, 11, 7), "answer", is_sent=True, send_date="07.11")]
    assert status_reached_on(appeal("executed", history)) == D(2026, 11, 7)


@given(
    st.lists(
        st.tuples(
            st.dates(D(2025, 1, 1), D(2027, 12, 31)),
            st.sampled_from(
                ["change", "answer", "redirected", "not_required", "assessment"]
            ),
            st.booleans(),
        ),
        max_size=6,
    ),
    st.sampled_from(["sent", "in_work", "executed", "withdrawn"]),
)
def test_status_date_is_a_known_gis_date(items, status):
    history = [entry(day, kind, is_sent=sent) for day, kind, sent in items]
    day = status_reached_on(appeal(status, history))
    assert day in {e.change_date for e in history} | {D(2026, 11, 2)}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Аварийная ситуация на инженерных сетях", ("emergency", "3")),
        ("Запах газа в подъезде", ("emergency", "3")),
        ("Протечка кровли", ("repair", "2")),
        ("Неисправность лифта", ("repair", "2")),
        ("Качество горячего водоснабжения", ("utilities", "2")),
        ("Начисление платы за ЖКУ", ("billing", "1")),
        ("Запрос информации об управляющей организации", ("information", "0")),
        ("Содержание газона во дворе", ("other", "1")),
        ("", ("other", "1")),
        (None, ("other", "1")),
    ],
)
def test_guess_theme_defaults(name, expected):
    assert guess_theme_defaults(name) == expected
