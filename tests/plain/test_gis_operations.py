"""Operations on GIS ZhKKh appeals: what they need, and the requests they make."""

import dataclasses
import datetime
import uuid

import pytest
from hgzm.tools import gis_operations, gis_xml_build, gis_xml_common, gis_xml_parse
from hgzm.tools.gis_operations import (
    OPERATIONS,
    Operation,
    Problem,
    TransportGuids,
    build,
    check,
    result_roles,
    transport_roles,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

ORG = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
APPEAL = "0b1c2d3e-4f50-4a61-8b72-9c8d7e6f5a40"
ANSWERER = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
RECEIVER = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
DRAFT = "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f"
TODAY = datetime.date(2026, 11, 30)

VALID = {
    "answer": {"text": "Протечка устранена 28.11, кровля отремонтирована."},
    "answer_and_execute": {"text": "Перерасчёт выполнен в квитанции за ноябрь."},
    "executed": {},
    "performer": {"date_of_appointment": TODAY + datetime.timedelta(days=3)},
    "redirect": {
        "receiver_guid": RECEIVER,
        "comment": "Вопрос о начислениях за электроэнергию относится к "
        "компетенции гарантирующего поставщика, обращение направлено ему "
        "для рассмотрения по существу.",
    },
    "rollover": {
        "execution_date": TODAY + datetime.timedelta(days=20),
        "comment": "Нужна экспертиза кровли подрядчиком.",
    },
    "answer_not_required": {"cause": "Повторное обращение по тому же вопросу."},
    "delete_answer": {"answer_guid": DRAFT},
}


def operation(name, **changes):
    values = dict(VALID[name], **changes)
    return Operation(name, APPEAL, ANSWERER, **values)


def transport():
    return TransportGuids(
        answer_action=str(uuid.uuid4()),
        answer=str(uuid.uuid4()),
        appeal_action=str(uuid.uuid4()),
    )


def request_xml(op, guids=None):
    answers, actions = build(op, guids or transport())
    header = gis_xml_build.RequestHeader.new(ORG)
    return gis_xml_build.build_import_answer_request(
        header, answer_actions=answers, appeal_actions=actions
    )


@pytest.mark.parametrize("name", OPERATIONS)
def test_every_operation_makes_a_schema_valid_request(validator, name):
    op = operation(name)
    assert check(op, status="in_work", today=TODAY) == []
    xml = request_xml(op)
    assert validator.envelope_errors(xml) == []


@pytest.mark.parametrize(
    ("name", "elements"),
    [
        ("answer", {"LoadAnswer", "SendAnswer"}),
        ("answer_and_execute", {"LoadAnswer", "SendAnswer", "Executed"}),
        ("executed", {"Executed"}),
        ("performer", {"Performer", "DateOfAppointment"}),
        ("redirect", {"RedirectAppeal", "Receiver"}),
        ("rollover", {"RollOverAppeal", "ExecutionDate"}),
        ("answer_not_required", {"AnswerIsNotRequired", "Cause"}),
        ("delete_answer", {"DeleteAnswer"}),
    ],
)
def test_each_operation_says_what_it_means(name, elements):
    root = gis_xml_parse.parse_xml(request_xml(operation(name)))
    tags = {etree.QName(el).localname for el in root.iter()}
    assert elements <= tags
    others = {
        "LoadAnswer",
        "SendAnswer",
        "DeleteAnswer",
        "Executed",
        "Performer",
        "RedirectAppeal",
        "RollOverAppeal",
        "AnswerIsNotRequired",
    } - elements
    assert not others & tags


def test_the_same_transport_guids_make_the_same_request():
    guids = transport()
    first = gis_xml_parse.parse_xml(request_xml(operation("answer_and_execute"), guids))
    again = gis_xml_parse.parse_xml(request_xml(operation("answer_and_execute"), guids))
    ns = {"base": gis_xml_common.BASE_NS}
    assert first.xpath("//base:TransportGUID/text()", namespaces=ns) == again.xpath(
        "//base:TransportGUID/text()", namespaces=ns
    )
    assert set(first.xpath("//base:TransportGUID/text()", namespaces=ns)) == {
        guids.answer_action,
        guids.answer,
        guids.appeal_action,
    }


@pytest.mark.parametrize(
    ("name", "changes", "expected"),
    [
        ("answer", {"text": "   "}, Problem("length", "text", 1, 10000, 0)),
        ("answer", {"text": "x" * 10001}, Problem("length", "text", 1, 10000, 10001)),
        ("rollover", {"comment": "Коротко"}, Problem("length", "comment", 20, 1000, 7)),
        ("rollover", {"execution_date": None}, Problem("required", "execution_date")),
        (
            "rollover",
            {"execution_date": TODAY},
            Problem("not_in_future", "execution_date"),
        ),
        (
            "redirect",
            {"comment": "Не наш дом."},
            Problem("length", "comment", 100, 1000, 11),
        ),
        (
            "redirect",
            {"receiver_guid": "ООО Энерго"},
            Problem("bad_guid", "receiver_guid"),
        ),
        (
            "answer_not_required",
            {"cause": "Дубль"},
            Problem("length", "cause", 20, 1000, 5),
        ),
        (
            "delete_answer",
            {"answer_guid": None},
            Problem("no_draft_answer", "answer_guid"),
        ),
        (
            "performer",
            {"date_of_appointment": TODAY - datetime.timedelta(days=1)},
            Problem("not_in_future", "date_of_appointment"),
        ),
    ],
)
def test_bad_values_are_refused_before_sending(name, changes, expected):
    op = operation(name, **changes)
    assert check(op, status="in_work", today=TODAY) == [expected]
    if expected.code != "not_in_future":  # the only check that needs today
        with pytest.raises(ValueError):
            build(op, transport())


def test_characters_xml_cannot_carry_are_refused():
    op = operation("answer", text="Ответ\x00 с нулём\ufffe")
    assert check(op) == [Problem("bad_characters", "text")]


def test_a_new_deadline_must_come_after_the_current_one():
    op = operation("rollover", execution_date=TODAY + datetime.timedelta(days=5))
    problems = check(op, deadline=TODAY + datetime.timedelta(days=5), today=TODAY)
    assert problems == [Problem("not_after_deadline", "execution_date")]


def test_no_answerer_and_not_a_gis_appeal():
    op = dataclasses.replace(
        operation("executed"), answerer_guid=None, appeal_guid=None
    )
    assert check(op) == [
        Problem("not_from_gis", "appeal_guid"),
        Problem("no_answerer", "answerer_guid"),
    ]


@pytest.mark.parametrize("name", OPERATIONS)
def test_closed_appeals(name):
    assert check(operation(name), status="withdrawn") == [
        Problem("appeal_withdrawn", "status")
    ]
    expected = [] if name == "delete_answer" else [Problem("appeal_executed", "status")]
    assert check(operation(name), status="executed") == expected


def test_result_roles():
    assert transport_roles("answer") == ["answer_action", "answer"]
    assert result_roles("answer") == ["answer"]
    assert result_roles("answer_and_execute") == ["answer", "appeal_action"]
    assert result_roles("rollover") == ["appeal_action"]
    assert result_roles("delete_answer") == ["answer"]


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(OPERATIONS),
    text=st.text(min_size=0, max_size=1200),
)
def test_whatever_passes_the_check_is_schema_valid(validator, name, text):
    changes = {
        "answer": {"text": text},
        "answer_and_execute": {"text": text},
        "redirect": {"comment": text},
        "rollover": {"comment": text},
        "answer_not_required": {"cause": text},
    }.get(name, {})
    op = operation(name, **changes)
    if check(op, status="sent", today=TODAY):
        return
    assert validator.envelope_errors(request_xml(op)) == []


def test_limits_follow_the_schema():
    # The 16.3.0.0 schema: String10000Type, RollOverAppealType/Comment 20-1000,
    # RedirectAppealType/Comment 100-1000, AnswerIsNotRequired/Cause 20-1000.
    assert gis_operations.TEXT_LIMITS == {
        "text": (1, 10000),
        "rollover_comment": (20, 1000),
        "redirect_comment": (100, 1000),
        "cause": (20, 1000),
    }


@pytest.mark.parametrize(
    ("name", "changes", "tells"),
    [
        # The resident sees the planned date of the appeal, or the answer.
        ("performer", {}, True),
        ("answer", {}, True),
        ("answer_and_execute", {}, True),
        # A performer without a date, and what tells no timeframe of ours.
        ("performer", {"date_of_appointment": None}, False),
        ("executed", {}, False),
        ("redirect", {}, False),
        ("rollover", {}, False),
        ("answer_not_required", {}, False),
        ("delete_answer", {}, False),
    ],
)
def test_which_operations_tell_the_resident_the_planned_time(name, changes, tells):
    assert gis_operations.tells_planned_time(operation(name, **changes)) is tells
