"""The GIS client against the fake GIS ZhKKh, a real HTTP server on 127.0.0.1."""

import datetime
import sys
import time
import uuid
from pathlib import Path

import pytest
from hgzm.tests.fakes import fake_gis
from hgzm.tests.fakes.local_server import closed_url
from hgzm.tools import (
    gis_client,
    gis_schema,
    gis_xml_build,
    gis_xml_common,
    gis_xml_parse,
)
from hgzm.tools.gis_errors import (
    GisConfigError,
    GisFaultError,
    GisHttpError,
    GisRequestInvalid,
    GisResponseError,
    GisResultError,
    GisSigningError,
    GisTransportError,
    is_transient_code,
)
from hgzm.tools.gis_signer import (
    SIGNER_ENV_NAMES,
    CommandSigner,
    make_signer,
    profile_signer,
    read_profiles,
)

CLOSED_URL = closed_url()

ORG = "11111111-2222-4333-8444-555555555555"
# A fixed day: a module-level date.today() raced midnight when a run crossed it.
TODAY = datetime.date(2026, 11, 30)


@pytest.fixture
def server(xsd_dir):
    with fake_gis.FakeGisServer(xsd_dir=xsd_dir, org_ppa_guid=ORG) as srv:
        yield srv


def client_for(server, **kwargs):
    kwargs.setdefault("timeout", (2, 5))
    return gis_client.GisAppealsClient(server.url, ORG, **kwargs)


def no_sleep(_seconds):
    return None


def test_service_url():
    assert gis_client.service_url("https://api.dom.gosuslugi.ru/") == (
        "https://api.dom.gosuslugi.ru/ext-bus-appeals-service/services/AppealsAsync"
    )
    full = "http://127.0.0.1:8080" + gis_xml_common.SERVICE_PATH
    assert gis_client.service_url(full) == full
    with pytest.raises(GisConfigError):
        gis_client.service_url("ftp://x")
    with pytest.raises(GisConfigError):
        gis_client.GisAppealsClient("http://x", "not-a-guid")


def test_export_ack_and_state_cycle(server):
    server.fake.seed(fake_gis.generate_appeals(5, seed=1, days=3, today=TODAY))
    server.fake.processing_polls = 2
    client = client_for(server)
    our_guid, ack = client.export_appeals(
        start_date=TODAY - datetime.timedelta(days=5), end_date=TODAY
    )
    assert ack.requester_message_guid == our_guid
    assert gis_xml_common.is_guid(ack.message_guid) and ack.message_guid != our_guid
    first = client.get_state(ack.message_guid)
    assert first.request_state == gis_xml_common.STATE_RECEIVED
    assert (
        client.get_state(ack.message_guid).request_state
        == gis_xml_common.STATE_PROCESSING
    )
    result = gis_client.check_result(client.get_state(ack.message_guid))
    assert result.done and len(result.appeals) == 5
    assert all(ok for _op, ok, _errors in server.fake.calls())


def test_wait_for_result_and_empty_export(server):
    client = client_for(server)
    _our, ack = client.export_appeals(appeal_guids=[str(uuid.uuid4())])
    result = client.wait_for_result(ack.message_guid, sleep=no_sleep)
    assert result.done and result.error.code == "INT002012"
    assert gis_client.check_result(result).appeals == []


def test_keep_processing(server):
    server.fake.keep_processing = True
    client = client_for(server)
    _our, ack = client.export_appeals(start_date=TODAY)
    result = client.wait_for_result(ack.message_guid, delays=(0, 0, 0), sleep=no_sleep)
    assert not result.done


def test_export_filters(server):
    appeals = fake_gis.generate_appeals(30, seed=2, days=10, today=TODAY)
    server.fake.seed(appeals)
    client = client_for(server)
    target = appeals[3]
    for criteria, expected in (
        ({"appeal_guids": [target.guid]}, {target.guid}),
        ({"appeal_numbers": [target.number]}, {target.guid}),
        (
            {"start_date": target.create_date, "end_date": target.create_date},
            {a.guid for a in appeals if a.create_date == target.create_date},
        ),
        (
            {"fias_house_guids": [target.fias_house_guid]},
            {a.guid for a in appeals if a.fias_house_guid == target.fias_house_guid},
        ),
    ):
        _our, ack = client.export_appeals(**criteria)
        result = client.wait_for_result(ack.message_guid, sleep=no_sleep)
        assert {a.guid for a in result.appeals} == expected


def test_get_state_of_unknown_message(server):
    result = client_for(server).get_state(str(uuid.uuid4()))
    with pytest.raises(GisResultError) as err:
        gis_client.check_result(result)
    assert err.value.code == "INT002013" and not err.value.transient


def test_result_error_message_transient_and_permanent(server):
    client = client_for(server)
    server.fake.fail_next(
        "error_message", code="EXP001000", message="Внутренняя ошибка"
    )
    _our, ack = client.export_appeals(start_date=TODAY)
    with pytest.raises(GisResultError) as err:
        gis_client.check_result(client.get_state(ack.message_guid))
    assert err.value.transient and err.value.message_guid == ack.message_guid
    server.fake.fail_next("error_message", code="AUT011003", message="Доступ запрещен")
    _our, ack = client.export_appeals(start_date=TODAY)
    with pytest.raises(GisResultError) as err:
        gis_client.check_result(client.get_state(ack.message_guid))
    assert not err.value.transient


@pytest.mark.parametrize(
    ("failure", "error", "transient"),
    [
        ({"kind": "http", "status": 503}, GisHttpError, True),
        ({"kind": "http", "status": 502}, GisHttpError, True),
        ({"kind": "http", "status": 404}, GisHttpError, False),
        ({"kind": "fault", "code": "EXP001000"}, GisFaultError, True),
        (
            {"kind": "fault", "code": "AUT011003", "message": "Доступ запрещен"},
            GisFaultError,
            False,
        ),
        ({"kind": "malformed"}, GisResponseError, True),
        ({"kind": "drop"}, GisTransportError, True),
        ({"kind": "delay", "delay": 1.5}, GisTransportError, True),
    ],
)
def test_failures_are_typed(server, failure, error, transient):
    server.fake.fail_next(operation="exportAppeal", **failure)
    client = client_for(server, timeout=(1, 0.5))
    with pytest.raises(error) as err:
        client.export_appeals(start_date=TODAY)
    assert err.value.transient is transient
    assert gis_xml_common.is_guid(err.value.message_guid)
    # The failure was used up: the next call goes through.
    _our, ack = client_for(server).export_appeals(start_date=TODAY)
    assert ack.message_guid


def test_connection_refused():
    client = gis_client.GisAppealsClient(CLOSED_URL, ORG, timeout=(1, 1))
    with pytest.raises(GisTransportError) as err:
        client.export_appeals(start_date=TODAY)
    assert err.value.transient


def test_wrong_organisation_is_permanent(server):
    client = gis_client.GisAppealsClient(server.url, str(uuid.uuid4()), timeout=(2, 5))
    with pytest.raises(GisFaultError) as err:
        client.export_appeals(start_date=TODAY)
    assert err.value.code == "AUT011002" and not err.value.transient


def test_basic_auth(xsd_dir):
    with fake_gis.FakeGisServer(xsd_dir=xsd_dir, basic_auth=("sit", "secret")) as srv:
        with pytest.raises(GisHttpError) as err:
            client_for(srv).export_appeals(start_date=TODAY)
        assert err.value.status == 401 and not err.value.transient
        with pytest.raises(GisHttpError):
            client_for(srv, basic_auth=("sit", "wrong")).export_appeals(
                start_date=TODAY
            )
        _our, ack = client_for(srv, basic_auth=("sit", "secret")).export_appeals(
            start_date=TODAY
        )
        assert ack.message_guid


def test_huge_answer_is_refused(server):
    server.fake.seed(fake_gis.generate_appeals(50, seed=3, today=TODAY))
    client = client_for(server, max_response_bytes=20_000)
    _our, ack = client.export_appeals(start_date=TODAY)
    with pytest.raises(GisResponseError, match="larger than"):
        client.get_state(ack.message_guid)


def test_import_answer_round_trip(server):
    appeal = fake_gis.generate_appeals(1, seed=4, today=TODAY)[0]
    server.fake.seed([appeal])
    client = client_for(server)
    answerer = str(uuid.uuid4())
    new_deadline = (appeal.execution_end_date or TODAY) + datetime.timedelta(days=9)
    _our, ack = client.import_answers(
        answer_actions=[
            gis_xml_build.AnswerAction(
                appeal_guid=appeal.guid,
                answers=[
                    gis_xml_build.AnswerData(answerer, text="Трубу заменили", send=True)
                ],
            ),
            gis_xml_build.AnswerAction(
                appeal_guid=str(uuid.uuid4()),
                answers=[gis_xml_build.AnswerData(answerer, text="?")],
            ),
        ],
        appeal_actions=[
            gis_xml_build.AppealAction(
                appeal_guid=appeal.guid,
                roll_over=(
                    new_deadline,
                    "Ждём поставки материалов",
                    answerer,
                ),
            )
        ],
    )
    result = client.wait_for_result(ack.message_guid, sleep=no_sleep)
    assert len(result.import_results) == 3
    assert [bool(item.errors) for item in result.import_results] == [False, True, False]
    _our, ack = client.export_appeals(appeal_guids=[appeal.guid])
    exported = client.wait_for_result(ack.message_guid, sleep=no_sleep).appeals[0]
    # An answer sent does not execute the appeal by itself (Executed does).
    assert exported.status == "in_work" and exported.rolled_over
    assert exported.execution_end_date == new_deadline
    assert [h.kind for h in exported.history][-2:] == ["answer", "rolled_over"]


def executed_action(appeal, answerer=None):
    return gis_xml_build.AppealAction(
        appeal_guid=appeal.guid, executed_by_guid=answerer or str(uuid.uuid4())
    )


def test_the_same_request_sent_again_is_applied_once(server):
    """GIS takes a MessageGUID once: the repeat gets a fault, which says
    nothing of the first (the caller must not read it as a refusal)."""
    appeal = fake_gis.generate_appeals(1, seed=5, today=TODAY)[0]
    server.fake.seed([appeal])
    client = client_for(server)
    message_guid, body = client.prepare_import_answers(
        appeal_actions=[executed_action(appeal)]
    )
    first = client.send_prepared("importAnswer", body, message_guid)
    with pytest.raises(GisFaultError) as repeated:
        client.send_prepared("importAnswer", body, message_guid)
    assert not repeated.value.transient
    assert "MessageGUID" in repeated.value.message
    assert [kind for kind, _guid, _t in server.fake.applied] == ["Executed"]
    result = client.wait_for_result(first.message_guid, sleep=no_sleep)
    assert not result.import_results[0].errors


def test_a_lost_reply_then_the_same_request_applies_once(server):
    appeal = fake_gis.generate_appeals(1, seed=6, today=TODAY)[0]
    server.fake.seed([appeal])
    client = client_for(server)
    message_guid, body = client.prepare_import_answers(
        appeal_actions=[executed_action(appeal)]
    )
    server.fake.fail_next("lost_reply", operation="importAnswer")
    with pytest.raises(GisTransportError):
        client.send_prepared("importAnswer", body, message_guid)
    assert len(server.fake.applied) == 1  # GIS got it; the client cannot know
    with pytest.raises(GisFaultError):
        client.send_prepared("importAnswer", body, message_guid)
    assert len(server.fake.applied) == 1
    # What GIS did shows in the appeal itself.
    _our, ack = client.export_appeals(appeal_guids=[appeal.guid])
    (exported,) = client.wait_for_result(ack.message_guid, sleep=no_sleep).appeals
    assert exported.status == "executed"


def test_closed_appeals_refuse_actions_per_item(server):
    withdrawn, executed = fake_gis.generate_appeals(2, seed=7, today=TODAY)
    withdrawn.status, executed.status = "withdrawn", "executed"
    server.fake.seed([withdrawn, executed])
    client = client_for(server)
    answerer = str(uuid.uuid4())
    _our, ack = client.import_answers(
        answer_actions=[
            gis_xml_build.AnswerAction(
                appeal_guid=withdrawn.guid,
                answers=[gis_xml_build.AnswerData(answerer, text="Ответ", send=True)],
            )
        ],
        appeal_actions=[executed_action(executed, answerer)],
    )
    result = client.wait_for_result(ack.message_guid, sleep=no_sleep)
    errors = [item.errors[0].description for item in result.import_results]
    assert "отозвано" in errors[0] and "исполнено" in errors[1]
    assert server.fake.applied == []


def test_a_draft_answer_is_deleted_a_sent_one_is_not(server):
    appeal = fake_gis.generate_appeals(1, seed=8, today=TODAY)[0]
    appeal.status = "in_work"
    server.fake.seed([appeal])
    client = client_for(server)
    answerer = str(uuid.uuid4())
    draft_guid, sent_guid = str(uuid.uuid4()), str(uuid.uuid4())
    _our, ack = client.import_answers(
        answer_actions=[
            gis_xml_build.AnswerAction(
                appeal_guid=appeal.guid,
                answers=[
                    gis_xml_build.AnswerData(
                        answerer, text="Черновик", answer_guid=draft_guid
                    ),
                    gis_xml_build.AnswerData(
                        answerer, text="Ответ", send=True, answer_guid=sent_guid
                    ),
                ],
            )
        ]
    )
    client.wait_for_result(ack.message_guid, sleep=no_sleep)
    _our, ack = client.import_answers(
        answer_actions=[
            gis_xml_build.AnswerAction(
                appeal_guid=appeal.guid,
                answers=[
                    gis_xml_build.AnswerData(answerer, answer_guid=guid, delete=True)
                    for guid in (draft_guid, sent_guid)
                ],
            )
        ]
    )
    result = client.wait_for_result(ack.message_guid, sleep=no_sleep)
    assert [bool(i.errors) for i in result.import_results] == [False, True]
    texts = [h.data["text"] for h in server.fake.appeals[appeal.guid].history]
    assert "Черновик" not in texts and "Ответ" in texts


def test_an_answer_that_trickles_in_is_given_up_on_time(server):
    # A byte every 0.1 s never trips the read timeout; the call's budget
    # (connect 0.5 s + read 0.5 s) ends it all the same.
    server.fake.fail_next("trickle", delay=0.1)
    client = client_for(server, timeout=(0.5, 0.5))
    started = time.monotonic()
    with pytest.raises(GisTransportError, match="still coming"):
        client.export_appeals(appeal_guids=[str(uuid.uuid4())])
    assert time.monotonic() - started < 2.5
    # The connection is usable again.
    server.fake.reset()
    _our, ack = client.export_appeals(appeal_guids=[str(uuid.uuid4())])
    assert ack.message_guid


def test_a_draft_loaded_again_is_updated_then_sent(server):
    appeal = fake_gis.generate_appeals(1, seed=10, today=TODAY)[0]
    server.fake.seed([appeal])
    client = client_for(server)
    answerer, guid = str(uuid.uuid4()), str(uuid.uuid4())

    def load(text, send):
        _our, ack = client.import_answers(
            answer_actions=[
                gis_xml_build.AnswerAction(
                    appeal_guid=appeal.guid,
                    answers=[
                        gis_xml_build.AnswerData(
                            answerer, text=text, send=send, answer_guid=guid
                        )
                    ],
                )
            ]
        )
        return client.wait_for_result(ack.message_guid, sleep=no_sleep)

    load("Черновик", send=False)
    result = load("Окончательный ответ", send=True)
    assert not result.import_results[0].errors
    answers = [
        h for h in server.fake.appeals[appeal.guid].history if h.kind == "answer"
    ]
    assert len(answers) == 1
    assert answers[0].data["text"] == "Окончательный ответ"
    assert answers[0].data["is_sent"]
    # Sent: it can no longer change.
    assert load("Исправление", send=True).import_results[0].errors


def test_every_exchange_is_handed_over(server):
    exchanges = []
    appeal = fake_gis.generate_appeals(1, seed=9, today=TODAY)[0]
    server.fake.seed([appeal])
    client = gis_client.GisAppealsClient(server.url, ORG, on_exchange=exchanges.append)
    _our, ack = client.export_appeals(appeal_guids=[appeal.guid])
    client.wait_for_result(ack.message_guid, delays=(0,), sleep=no_sleep)
    assert [e.action for e in exchanges] == ["exportAppeal", "getState"]
    assert b"exportAppealRequest" in exchanges[0].request
    assert ack.message_guid.encode() in exchanges[0].response
    assert appeal.guid.encode() in exchanges[1].response
    assert exchanges[0].sent_at <= exchanges[0].received_at


def test_every_fake_answer_is_schema_valid(server, validator):
    """The fake sends only what the XSD allows, so the client meets real GIS shapes."""
    server.fake.seed(fake_gis.generate_appeals(12, seed=5, days=2, today=TODAY))
    client = client_for(server)
    sent = []
    original = client.session.post

    def spy(*args, **kwargs):
        response = original(*args, **{**kwargs, "stream": False})
        sent.append(response.content)
        return response

    client.session.post = spy
    _our, ack = client.export_appeals(start_date=TODAY - datetime.timedelta(days=3))
    client.wait_for_result(ack.message_guid, sleep=no_sleep)
    client.get_state(str(uuid.uuid4()))
    assert len(sent) == 3
    for body in sent:
        assert validator.envelope_errors(body) == []


def test_invalid_request_gets_a_format_fault(server):
    import requests

    bad = gis_xml_build.build_export_appeal_request(
        gis_xml_build.RequestHeader.new(ORG), start_date=TODAY
    )
    bad = bad.replace(b"StartDate", b"StartDay")
    response = requests.post(
        server.url + gis_xml_common.SERVICE_PATH,
        data=bad,
        headers={"SOAPAction": "urn:exportAppeal"},
        timeout=5,
    )
    fault = gis_xml_parse.parse_response(response.content)
    assert response.status_code == 500 and fault.error_code == "FMT001300"
    assert server.fake.calls("exportAppeal")[-1][1] is False


# -- signing ----------------------------------------------------------------


@pytest.fixture
def signer_script():
    # Shared with the Odoo tests.
    return Path(__file__).with_name("fake_signer.py")


def test_command_signer_signs_and_fake_accepts(xsd_dir, signer_script):
    signer = CommandSigner([sys.executable, str(signer_script)])
    with fake_gis.FakeGisServer(xsd_dir=xsd_dir, require_signature=True) as srv:
        with pytest.raises(GisFaultError) as err:
            client_for(srv).export_appeals(start_date=TODAY)
        assert err.value.code == "AUT011009"
        client = client_for(srv, signer=signer)
        _our, ack = client.export_appeals(start_date=TODAY)
        # getState is not signed, and GIS does not ask for it.
        assert client.wait_for_result(ack.message_guid, sleep=no_sleep).done
        assert all(ok for _op, ok, _e in srv.fake.calls())


@pytest.mark.parametrize(
    ("command", "match"),
    [
        (["/nonexistent/signer"], "not found"),
        ([sys.executable, "-c", "import sys; sys.exit(3)"], "exit code 3"),
        ([sys.executable, "-c", "print('not xml')"], "no valid XML"),
        (
            [sys.executable, "-c", "import sys; sys.stdout.write(sys.stdin.read())"],
            "no ds:Signature",
        ),
        ([sys.executable, "-c", "import time; time.sleep(5)"], "did not answer"),
    ],
)
def test_command_signer_failures(command, match):
    signer = CommandSigner(command, timeout=1)
    xml = gis_xml_build.build_export_appeal_request(
        gis_xml_build.RequestHeader.new(ORG), start_date=TODAY
    )
    with pytest.raises(GisSigningError, match=match) as err:
        signer.sign(xml)
    assert not err.value.transient


def test_command_signer_gets_a_minimal_environment(monkeypatch, caplog):
    monkeypatch.setenv("PGPASSWORD", "odoo-db-secret")
    monkeypatch.setenv("ODOO_RC", "/etc/odoo/odoo.conf")
    monkeypatch.setenv("GIS_SIGNER_CONTAINER", "ООО УК")
    dump = "import os, sys; sys.stderr.write(' '.join(sorted(os.environ))); sys.exit(3)"
    signer = CommandSigner([sys.executable, "-c", dump], timeout=5)
    with pytest.raises(GisSigningError):
        signer.sign(b"<x/>")
    names = set(caplog.records[-1].getMessage().rsplit("\n", 1)[1].split())
    assert "GIS_SIGNER_CONTAINER" in names
    assert "PATH" in names
    assert not names & {"PGPASSWORD", "ODOO_RC"}
    assert names <= set(SIGNER_ENV_NAMES) | {"GIS_SIGNER_CONTAINER"}


def test_the_signer_error_output_goes_to_the_log_only(caplog):
    """What the signer writes on stderr (paths, containers, PINs) is the
    server log's, not the message users see on a ticket or a screen."""
    noisy = "import sys; sys.stderr.write('container ООО УК pin 1234'); sys.exit(2)"
    signer = CommandSigner([sys.executable, "-c", noisy], timeout=5, profile="prod")
    with pytest.raises(GisSigningError) as err:
        signer.sign(b"<x/>")
    assert "pin 1234" not in str(err.value)
    assert "exit code 2" in str(err.value)
    assert "profile prod" in str(err.value)
    assert "server log" in str(err.value)
    assert "pin 1234" in caplog.text
    missing = CommandSigner(["/nonexistent/secret-path/signer"], profile="prod")
    with pytest.raises(GisSigningError, match="not found") as err:
        missing.sign(b"<x/>")
    assert "secret-path" not in str(err.value)
    assert "secret-path" in caplog.text


def test_signer_profiles_from_the_configuration_file(tmp_path, xsd_dir):
    signer_script = Path(__file__).with_name("fake_signer.py")
    conf = tmp_path / "odoo.conf"
    conf.write_text(
        "[options]\ndb_name = x\n\n[helpdesk_gis_zhkh_max]\n"
        f"signer.Production = {sys.executable} {signer_script}\n"
        "signer.bad name = /bin/true\n"
        "other = 1\n",
        encoding="utf-8",
    )
    profiles = read_profiles(str(conf))
    assert profiles == {"production": f"{sys.executable} {signer_script}"}
    assert read_profiles(str(tmp_path / "missing.conf")) == {}
    signer = profile_signer("command", "production", profiles, timeout=10)
    with fake_gis.FakeGisServer(xsd_dir=xsd_dir, require_signature=True) as srv:
        client = client_for(srv, signer=signer)
        _our, ack = client.export_appeals(start_date=TODAY)
        assert client.wait_for_result(ack.message_guid, sleep=no_sleep).done
    # A profile the file does not have: every request says so, nothing runs.
    with pytest.raises(GisSigningError, match="signer.archive"):
        profile_signer("command", "archive", profiles).sign(b"<x/>")
    with pytest.raises(GisSigningError, match="No signer profile"):
        profile_signer("command", False, profiles).sign(b"<x/>")
    assert profile_signer("none", False, {}).sign(b"<x/>") == b"<x/>"


def test_make_signer():
    assert make_signer("none").sign(b"<x/>") == b"<x/>"
    with pytest.raises(GisSigningError):
        make_signer("command", "")
    with pytest.raises(GisSigningError):
        make_signer("gostcrypto")


@pytest.mark.parametrize(
    ("code", "transient"),
    [
        ("EXP001000", True),
        ("EXP002003", True),
        ("INT002012", False),
        ("AUT011003", False),
        ("FMT001300", False),
        (None, False),
        ("", False),
    ],
)
def test_transient_codes(code, transient):
    assert is_transient_code(code) is transient


class RecordingSigner:
    def __init__(self):
        self.signed = []

    def sign(self, body):
        self.signed.append(body)
        return body


def test_an_invalid_request_is_never_signed_nor_sent(server, monkeypatch):
    # The builder's own length check slipped (a bug): the schema stops it.
    monkeypatch.setattr(gis_xml_build, "_check_text", lambda value, *_a, **_k: value)
    signer = RecordingSigner()
    client = client_for(server, signer=signer)
    answer = gis_xml_build.AnswerAction(
        appeal_guid=str(uuid.uuid4()),
        answers=[
            gis_xml_build.AnswerData(
                answerer_guid=str(uuid.uuid4()), text="Ответ. " * 2000, send=True
            )
        ],
    )
    calls = len(server.fake.calls())
    with pytest.raises(GisRequestInvalid) as refused:
        client.import_answers(answer_actions=[answer])
    error = refused.value
    assert not error.transient and error.code == "FORMAT"
    (problem,) = error.problems
    assert problem.element == "AnswerText" and problem.kind == "too_long"
    assert (problem.actual, problem.limit) == (14000, 10000)
    assert "maximum length" in problem.detail and problem.path
    assert "AnswerText" in str(error)
    assert signer.signed == [] and len(server.fake.calls()) == calls
    # Nor prepared to be sent later.
    with pytest.raises(GisRequestInvalid):
        client.prepare_import_answers(answer_actions=[answer])
    assert signer.signed == []


def test_the_fake_validates_with_the_carried_formats():
    fake = fake_gis.FakeGis()
    assert fake.validator is not None
    assert gis_schema.FORMATS_DIR.joinpath(gis_schema.TYPES_XSD).is_file()
    assert fake_gis.FakeGis(validate=False).validator is None


def test_the_schema_is_compiled_once():
    assert gis_schema.load_schema() is gis_schema.load_schema()


@pytest.mark.parametrize(
    "change, element, kind",
    [
        (
            lambda x: x.replace(b"<base:MessageGUID>", b"<base:MessageGUID>x"),
            "MessageGUID",
            "pattern",
        ),
        (
            lambda x: x.replace(
                b"<ap:AnswererGUID>", b"<ap:Wrong>x</ap:Wrong><ap:AnswererGUID>"
            ),
            "Wrong",
            "content",
        ),
    ],
)
def test_the_validator_names_the_element_and_the_fault(change, element, kind):
    answer = gis_xml_build.AnswerAction(
        appeal_guid=str(uuid.uuid4()),
        answers=[gis_xml_build.AnswerData(str(uuid.uuid4()), text="Ответ", send=True)],
    )
    header = gis_xml_build.RequestHeader.new(ORG)
    valid = gis_xml_build.build_import_answer_request(
        header, gis_xml_common.DEFAULT_IMPORT_ANSWER_VERSION, answer_actions=[answer]
    )
    validator = gis_schema.SchemaValidator()
    assert validator.envelope_problems(valid) == []
    broken = change(valid)
    assert broken != valid
    problems = validator.envelope_problems(broken)
    assert [(p.element, p.kind) for p in problems][:1] == [(element, kind)]
    with pytest.raises(GisRequestInvalid):
        validator.check_request(broken, "importAnswer")
