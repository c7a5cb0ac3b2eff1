"""GIS XML building (validated against the official XSD) and parsing."""

import dataclasses
import datetime
import uuid

import pytest
from hgzm.tests.fakes import fake_gis
from hgzm.tools import gis_xml_build, gis_xml_common, gis_xml_parse
from hgzm.tools.gis_errors import GisRequestInvalid, GisResponseError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

ORG = "11111111-2222-4333-8444-555555555555"
NOW = datetime.datetime(2026, 11, 25, 9, 30, tzinfo=datetime.timezone.utc)


def header():
    return gis_xml_build.RequestHeader.new(ORG, now=NOW)


def payload(envelope):
    return gis_xml_parse.soap_body_payload(envelope)


# -- building --------------------------------------------------------------


@pytest.mark.parametrize("version", gis_xml_common.EXPORT_APPEAL_VERSIONS)
def test_export_by_dates_is_schema_valid(validator, version):
    xml = gis_xml_build.build_export_appeal_request(
        header(),
        version,
        start_date=datetime.date(2026, 11, 1),
        end_date=datetime.date(2026, 11, 25),
    )
    assert validator.envelope_errors(xml) == []
    body = payload(xml)
    assert body.get("Id") == gis_xml_common.SIGNED_ELEMENT_ID
    assert body.get(f"{{{gis_xml_common.BASE_NS}}}version") == version


def test_header_carries_date_guid_and_org(validator):
    head = header()
    xml = gis_xml_build.build_export_appeal_request(
        head, appeal_guids=[str(uuid.uuid4())]
    )
    root = gis_xml_parse.parse_xml(xml)
    ns = {"base": gis_xml_common.BASE_NS, "s": gis_xml_common.SOAP_NS}
    assert (
        root.findtext("s:Header/base:RequestHeader/base:orgPPAGUID", namespaces=ns)
        == ORG
    )
    assert (
        root.findtext("s:Header/base:RequestHeader/base:MessageGUID", namespaces=ns)
        == head.message_guid
    )
    assert root.findtext("s:Header/base:RequestHeader/base:Date", namespaces=ns) == (
        "2026-11-25T09:30:00+00:00"
    )
    assert validator.envelope_errors(xml) == []


@pytest.mark.parametrize(
    "criteria",
    [
        {"appeal_guids": [str(uuid.uuid4()) for _i in range(1000)]},
        {"appeal_numbers": ["12345", "N-1"]},
        {"statuses": ["sent", "in_work", "executed", "withdrawn"]},
        {"statuses": ["withdrawn"], "start_date": datetime.date(2026, 1, 1)},
        {
            "theme": ("12", str(uuid.uuid4())),
            "fias_house_guids": [str(uuid.uuid4()), str(uuid.uuid4())],
            "end_date": datetime.date(2026, 2, 1),
        },
        {"start_date": datetime.date(2026, 1, 1), "include_hcs_appeals": True},
        {},
    ],
)
def test_export_criteria_are_schema_valid(validator, criteria):
    xml = gis_xml_build.build_export_appeal_request(header(), **criteria)
    assert validator.envelope_errors(xml) == []


@pytest.mark.parametrize(
    "criteria",
    [
        {"appeal_guids": ["not-a-guid"]},
        {"appeal_guids": [str(uuid.uuid4())], "start_date": datetime.date(2026, 1, 1)},
        {"appeal_guids": [str(uuid.uuid4()) for _i in range(1001)]},
        {
            "start_date": datetime.date(2026, 2, 1),
            "end_date": datetime.date(2026, 1, 1),
        },
        {"statuses": ["lost"]},
        {"theme": ("x", str(uuid.uuid4()))},
        {"appeal_numbers": ["x" * 31]},
    ],
)
def test_export_refuses_bad_criteria(criteria):
    # A length the format does not allow names its element (GisRequestInvalid).
    with pytest.raises((ValueError, GisRequestInvalid)):
        gis_xml_build.build_export_appeal_request(header(), **criteria)


def test_export_refuses_unknown_version():
    with pytest.raises(ValueError):
        gis_xml_build.build_export_appeal_request(header(), "99.0")


def test_header_refuses_bad_org():
    with pytest.raises(ValueError):
        gis_xml_build.RequestHeader.new("ORG")


def test_get_state_request_is_schema_valid(validator):
    xml = gis_xml_build.build_get_state_request(header(), str(uuid.uuid4()))
    assert validator.envelope_errors(xml) == []
    with pytest.raises(ValueError):
        gis_xml_build.build_get_state_request(header(), "nope")


def test_import_answer_request_is_schema_valid(validator):
    answerer = str(uuid.uuid4())
    xml = gis_xml_build.build_import_answer_request(
        header(),
        answer_actions=[
            gis_xml_build.AnswerAction(
                appeal_guid=str(uuid.uuid4()),
                answers=[
                    gis_xml_build.AnswerData(
                        answerer, text="Ответ по существу", send=True
                    )
                ],
            ),
            gis_xml_build.AnswerAction(
                appeal_number="777",
                answers=[
                    gis_xml_build.AnswerData(
                        answerer, delete=True, answer_guid=str(uuid.uuid4())
                    )
                ],
            ),
        ],
        appeal_actions=[
            gis_xml_build.AppealAction(
                appeal_guid=str(uuid.uuid4()),
                performer_guid=answerer,
                date_of_appointment=datetime.date(2026, 12, 1),
            ),
            gis_xml_build.AppealAction(appeal_number="778", executed_by_guid=answerer),
            gis_xml_build.AppealAction(
                appeal_guid=str(uuid.uuid4()),
                roll_over=(
                    datetime.date(2026, 12, 20),
                    "Нужен выезд подрядчика",
                    answerer,
                ),
                not_required=("Вопрос решён по телефону с заявителем", answerer),
            ),
            gis_xml_build.AppealAction(
                appeal_guid=str(uuid.uuid4()),
                redirect=(
                    str(uuid.uuid4()),
                    "Передано в ресурсоснабжающую организацию. " * 4,
                    answerer,
                ),
            ),
        ],
    )
    assert validator.envelope_errors(xml) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"answer_actions": [gis_xml_build.AnswerAction(answers=[])]},
        {
            "appeal_actions": [
                gis_xml_build.AppealAction(
                    appeal_guid=str(uuid.uuid4()),
                    roll_over=(datetime.date(2026, 1, 1), "short", str(uuid.uuid4())),
                )
            ]
        },
        {"appeal_actions": [gis_xml_build.AppealAction()]},
    ],
)
def test_import_answer_refuses_bad_input(kwargs):
    with pytest.raises((ValueError, GisRequestInvalid)):
        gis_xml_build.build_import_answer_request(header(), **kwargs)


# -- parsing ---------------------------------------------------------------


def _appeal(**changes):
    appeal = fake_gis.generate_appeals(1, seed=7, today=datetime.date(2026, 11, 20))[0]
    return dataclasses.replace(appeal, **changes)


def _state(*appeals, state=3):
    return fake_gis.state_envelope(str(uuid.uuid4()), state, appeals=appeals)


def test_parse_state_result_with_appeals(validator):
    one = _appeal()
    two = _appeal(
        guid=str(uuid.uuid4()),
        number="2",
        theme_code=None,
        another_topic="Шум от соседей",
    )
    xml = _state(one, two)
    assert validator.envelope_errors(xml) == []
    result = gis_xml_parse.parse_response(xml)
    assert result.done and not result.rejected
    assert [a.guid for a in result.appeals] == [one.guid, two.guid]
    assert result.appeals[0] == one
    assert result.appeals[1].another_topic == "Шум от соседей"
    assert result.appeals[1].theme_code is None


@pytest.mark.parametrize("state", [1, 2])
def test_parse_state_in_progress(validator, state):
    xml = fake_gis.state_envelope(str(uuid.uuid4()), state)
    assert validator.envelope_errors(xml) == []
    result = gis_xml_parse.parse_response(xml)
    assert result.request_state == state and not result.done and not result.appeals


def test_parse_state_error_message(validator):
    xml = fake_gis.state_envelope(
        str(uuid.uuid4()), 3, error=("INT002012", "Нет объектов для экспорта")
    )
    assert validator.envelope_errors(xml) == []
    result = gis_xml_parse.parse_response(xml)
    assert result.error.code == "INT002012"


def test_parse_ack(validator):
    xml = fake_gis.ack_envelope(str(uuid.uuid4()), str(uuid.uuid4()))
    assert validator.envelope_errors(xml) == []
    assert isinstance(gis_xml_parse.parse_response(xml), gis_xml_parse.Ack)


def test_parse_fault():
    fault = gis_xml_parse.parse_response(
        fake_gis.fault_envelope("AUT011003", "Доступ запрещен")
    )
    assert isinstance(fault, gis_xml_parse.Fault)
    assert (fault.error_code, fault.error_message) == ("AUT011003", "Доступ запрещен")
    assert fault.fault_code == "soap:Server"


def test_bad_appeal_is_rejected_and_the_rest_kept():
    good = _appeal()
    bad = _appeal(guid=str(uuid.uuid4()))
    xml = _state(good, bad)
    root = gis_xml_parse.parse_xml(xml)
    ns = {"ap": gis_xml_common.APPEALS_NS}
    second = root.xpath("//ap:ExportAppealResult", namespaces=ns)[1]
    second.find("ap:AppealCreateDate", ns).text = "yesterday"
    result = gis_xml_parse.parse_response(etree.tostring(root))
    assert [a.guid for a in result.appeals] == [good.guid]
    assert result.rejected[0].guid == bad.guid
    assert "AppealCreateDate" in result.rejected[0].reason


def test_missing_optional_fields_and_unknown_status():
    appeal = _appeal(
        fias_house_guid=None,
        premise_number=None,
        execution_end_date=None,
        npa_requirements=None,
        raw_status="Archived",
    )
    parsed = gis_xml_parse.parse_response(_state(appeal)).appeals[0]
    assert parsed.status is None
    assert parsed.execution_end_date is None and parsed.fias_house_guid is None
    assert any("AppealStatus" in w for w in parsed.warnings)


def test_wrong_optional_values_become_warnings():
    xml = _state(_appeal())
    root = gis_xml_parse.parse_xml(xml)
    ns = {"ap": gis_xml_common.APPEALS_NS}
    root.find(".//ap:ExecutionEndDate", ns).text = "31.12.2026"
    root.find(".//ap:FIASHouseGuid", ns).text = "house"
    parsed = gis_xml_parse.parse_response(etree.tostring(root)).appeals[0]
    assert parsed.execution_end_date is None and parsed.fias_house_guid is None
    assert len(parsed.warnings) == 2


def test_date_with_time_zone_suffix():
    xml = _state(_appeal())
    root = gis_xml_parse.parse_xml(xml)
    root.find(
        f".//{{{gis_xml_common.APPEALS_NS}}}AppealCreateDate"
    ).text = "2026-11-20+03:00"
    parsed = gis_xml_parse.parse_response(etree.tostring(root)).appeals[0]
    assert parsed.create_date == datetime.date(2026, 11, 20)


def test_history_kinds_are_read(validator):
    answerer = str(uuid.uuid4())
    org = str(uuid.uuid4())
    history = [
        gis_xml_parse.HistoryEntry(datetime.date(2026, 11, 21), "change", org),
        gis_xml_parse.HistoryEntry(
            datetime.date(2026, 11, 22),
            "redirected",
            org,
            {
                "receiver_guid": str(uuid.uuid4()),
                "comment": "В РСО",
                "answerer_guid": answerer,
            },
        ),
        gis_xml_parse.HistoryEntry(
            datetime.date(2026, 11, 23),
            "rolled_over",
            None,
            {
                "execution_date": "2026-12-10",
                "comment": "Требуется выезд подрядчика",
                "answerer_guid": answerer,
            },
        ),
        gis_xml_parse.HistoryEntry(
            datetime.date(2026, 11, 24),
            "answer",
            org,
            {
                "answer_guid": str(uuid.uuid4()),
                "answer_number": "A-1",
                "send_date": "2026-11-24",
                "answerer_guid": answerer,
                "text": "Работы выполнены",
                "is_sent": True,
                "attachments": [],
            },
        ),
        gis_xml_parse.HistoryEntry(
            datetime.date(2026, 11, 24), "not_required", None, {"cause": "Дубликат"}
        ),
        gis_xml_parse.HistoryEntry(
            datetime.date(2026, 11, 25),
            "assessment",
            None,
            {"result": "not_satisfied", "comment": "Не починили"},
        ),
        gis_xml_parse.HistoryEntry(
            datetime.date(2026, 11, 25),
            "assessment",
            None,
            {"result": "received", "comment": None},
        ),
    ]
    appeal = _appeal(
        history=history, status="executed", raw_status="Executed", rolled_over=True
    )
    xml = _state(appeal)
    assert validator.envelope_errors(xml) == []
    parsed = gis_xml_parse.parse_response(xml).appeals[0]
    assert parsed.history == history
    assert len({entry.key() for entry in parsed.history}) == len(history)


def test_applicant_kinds(validator):
    org_guid = str(uuid.uuid4())
    for applicant in (
        gis_xml_parse.Applicant(kind="hcs"),
        gis_xml_parse.Applicant(kind="org", org_guid=org_guid, email="org@example.com"),
    ):
        xml = _state(_appeal(applicant=applicant))
        assert validator.envelope_errors(xml) == []
        assert gis_xml_parse.parse_response(xml).appeals[0].applicant == applicant


def test_collective_appeal_with_neighbours(validator):
    appeal = fake_gis.generate_appeals(6, seed=3)[5]
    assert appeal.collective and len(appeal.neighbours) == 2
    xml = _state(appeal)
    assert validator.envelope_errors(xml) == []
    parsed = gis_xml_parse.parse_response(xml).appeals[0]
    assert parsed.collective
    assert [n.surname for n in parsed.neighbours] == ["Соседова", "Соседов"]


def test_withdrawn_appeal(validator):
    appeal = _appeal(
        status="withdrawn",
        raw_status="Withdrawn",
        withdrawn=True,
        withdrawn_comment="Решено",
    )
    xml = _state(appeal)
    assert validator.envelope_errors(xml) == []
    parsed = gis_xml_parse.parse_response(xml).appeals[0]
    assert parsed.status == "withdrawn" and parsed.withdrawn_comment == "Решено"


def test_fingerprint_changes_only_with_content():
    one = _appeal()
    assert (
        one.fingerprint()
        == gis_xml_parse.parse_response(_state(one)).appeals[0].fingerprint()
    )
    assert one.fingerprint() != _appeal(status="withdrawn").fingerprint()


# -- hostile and broken input -----------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&lol3;</soap:Body></soap:Envelope>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><a>&xxe;</a></soap:Body></soap:Envelope>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE foo SYSTEM "http://127.0.0.1:9/evil.dtd">
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>"""


@pytest.mark.parametrize(
    "data",
    [
        BILLION_LAUGHS,
        XXE,
        EXTERNAL_DTD,
        b"",
        b"   ",
        b"<not xml",
        b"\xff\xfe\x00garbage",
        b"<html><body>502 Bad Gateway</body></html>",
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"/>',
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><x/></soap:Body></soap:Envelope>',
    ],
)
def test_hostile_or_broken_xml_is_refused(data):
    with pytest.raises(GisResponseError):
        gis_xml_parse.parse_response(data)


def test_cdata_looking_like_a_doctype_is_fine():
    xml = _state(_appeal(text="<!DOCTYPE x> в тексте жителя & прочее"))
    assert gis_xml_parse.parse_response(xml).appeals[0].text.startswith("<!DOCTYPE x>")


@pytest.mark.parametrize("value", ["", "4", "x"])
def test_bad_request_state_is_refused(value):
    xml = fake_gis.state_envelope(str(uuid.uuid4()), 3)
    root = gis_xml_parse.parse_xml(xml)
    root.find(f".//{{{gis_xml_common.BASE_NS}}}RequestState").text = value
    with pytest.raises(GisResponseError):
        gis_xml_parse.parse_response(etree.tostring(root))


# -- round trip (hypothesis) ------------------------------------------------

text = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc")),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)
guids = st.uuids(version=4).map(str)
dates = st.dates(datetime.date(2015, 1, 1), datetime.date(2030, 12, 31))

persons = st.builds(
    gis_xml_parse.Applicant,
    kind=st.just("person"),
    surname=text,
    first_name=text,
    patronymic=st.none() | text,
    post_address=st.none() | text,
    apartment_number=st.none() | text,
    email=st.none() | st.emails().map(lambda e: e[:100]),
    phone=st.none() | st.from_regex(r"\+7[0-9]{10}", fullmatch=True),
)
appeals = st.builds(
    gis_xml_parse.Appeal,
    guid=guids,
    number=st.from_regex(r"[0-9A-Z-]{1,30}", fullmatch=True),
    create_date=dates,
    status=st.sampled_from(list(gis_xml_common.APPEAL_STATUSES.values())),
    raw_status=st.none(),
    applicant=persons,
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=300
    ).map(str.strip),
    theme_code=st.from_regex(r"[1-9][0-9]{0,3}", fullmatch=True),
    theme_guid=guids,
    theme_name=st.none() | text,
    premise_number=st.none() | text,
    oktmo_code=st.from_regex(r"[0-9]{8}|[0-9]{11}", fullmatch=True),
    fias_house_guid=st.none() | guids,
    execution_end_date=st.none() | dates,
    npa_requirements=st.none() | text,
    collective=st.booleans(),
    from_mobile=st.booleans(),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(appeal=appeals)
def test_render_parse_round_trip(validator, appeal):
    appeal.raw_status = {v: k for k, v in gis_xml_common.APPEAL_STATUSES.items()}[
        appeal.status
    ]
    xml = _state(appeal)
    assert validator.envelope_errors(xml) == []
    parsed = gis_xml_parse.parse_response(xml).appeals[0]
    assert parsed == dataclasses.replace(appeal, guid=appeal.guid.lower())
    assert parsed.fingerprint() == appeal.fingerprint()


def test_a_text_over_its_length_names_its_element():
    answer = gis_xml_build.AnswerAction(
        appeal_guid=str(uuid.uuid4()),
        answers=[
            gis_xml_build.AnswerData(str(uuid.uuid4()), text="я" * 10001, send=True)
        ],
    )
    with pytest.raises(GisRequestInvalid) as refused:
        gis_xml_build.build_import_answer_request(header(), answer_actions=[answer])
    (problem,) = refused.value.problems
    assert (problem.element, problem.kind) == ("AnswerText", "too_long")
    assert (problem.actual, problem.limit) == (10001, 10000)
