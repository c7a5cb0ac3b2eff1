"""The file store client against the fake GIS ZhKKh's file store, over real
HTTP on 127.0.0.1: downloads whole and in Range parts, uploads whole and in
parts (resumed after a failure), every refusal header; the common НСИ
service (exportNsiItem) and files in appeals and answers."""

import datetime
import io
import random
import uuid

import pytest
from hgzm.tests.fakes import fake_gis
from hgzm.tools import (
    gis_client,
    gis_files,
    gis_xml_build,
    gis_xml_common,
    gis_xml_parse,
    gost94,
)
from hgzm.tools.gis_files import GisFileError, GisFileTooLarge, UploadProgress

ORG = "11111111-2222-4333-8444-555555555555"
MB = 1024 * 1024


@pytest.fixture
def server(xsd_dir):
    with fake_gis.FakeGisServer(xsd_dir=xsd_dir, org_ppa_guid=ORG) as srv:
        yield srv


@pytest.fixture
def store(server):
    return server.fake.file_store


def client_for(server, **kwargs):
    kwargs.setdefault("timeout", (2, 10))
    return gis_files.GisFileStoreClient(server.url, ORG, **kwargs)


def data_of(size, seed=1):
    return random.Random(seed).randbytes(size)


def calls(store, method):
    return [call for call in store.calls if call[0] == method]


def test_store_url_and_file_names():
    assert gis_files.store_url("https://api.dom.gosuslugi.ru/", "appeals") == (
        "https://api.dom.gosuslugi.ru/ext-bus-file-store-service/rest/appeals"
    )
    full = "http://127.0.0.1:8080" + gis_xml_common.SERVICE_PATH
    assert gis_files.store_url(full, "appeals") == (
        "http://127.0.0.1:8080/ext-bus-file-store-service/rest/appeals"
    )
    with pytest.raises(gis_files.GisConfigError):
        gis_files.store_url("ftp://x", "appeals")
    with pytest.raises(gis_files.GisConfigError):
        gis_files.store_url("http://x", "../etc")
    encoded = gis_files.encode_filename('Акт: "кровля"?.pdf')
    assert encoded.startswith("=?UTF-8?B?") and "\n" not in encoded
    from hgzm.tests.fakes.fake_file_store import decode_filename

    assert decode_filename(encoded) == "Акт_ _кровля__.pdf"


def test_download_whole_file(server, store):
    data = data_of(300_000)
    guid = store.add(data, name="фото.jpg")
    out = io.BytesIO()
    assert client_for(server).download(guid, out) == len(data)
    assert out.getvalue() == data
    # HEAD for the length, then one GET; every call names the organisation.
    assert [c[0] for c in store.calls] == ["HEAD", "GET"]


def test_download_over_5_mb_comes_in_range_parts(server, store):
    data = data_of(12 * MB + 123)
    guid = store.add(data)
    out = io.BytesIO()
    assert client_for(server).download(guid, out) == len(data)
    assert out.getvalue() == data
    gets = calls(store, "GET")
    assert len(gets) == 3 and all(status == 206 for _m, _p, status, _e in gets)


def test_a_whole_get_of_a_big_file_is_refused_by_the_store(server, store):
    guid = store.add(data_of(6 * MB))
    # A client that ignored the protocol's 5 MB limit is refused.
    client = client_for(server, part_size=10 * MB)
    with pytest.raises(GisFileError) as caught:
        client.download(guid, io.BytesIO())
    assert caught.value.code == "InvalidSizeException"
    assert not caught.value.transient


def test_size_limit_is_checked_before_anything_is_read(server, store):
    guid = store.add(data_of(2 * MB))
    with pytest.raises(GisFileTooLarge) as caught:
        client_for(server).download(guid, io.BytesIO(), max_bytes=MB)
    assert (caught.value.size, caught.value.limit) == (2 * MB, MB)
    assert not caught.value.transient
    assert [c[0] for c in store.calls] == ["HEAD"]


@pytest.mark.parametrize(
    ("failure", "code", "transient"),
    [
        ("FileNotFoundException", "FileNotFoundException", False),
        ("InvalidSizeException", "InvalidSizeException", False),
        ("FileVirusInfectionException", "FileVirusInfectionException", False),
        ("FilePermissionException", "FilePermissionException", False),
        ("FieldValidationException", "FieldValidationException", False),
        ("ContextNotFoundException", "ContextNotFoundException", False),
        ("FileVirusNotCheckedException", "FileVirusNotCheckedException", True),
        ("INT002029", "INT002029", True),
        ("SomethingNewException", "SomethingNewException", False),
        ("http", None, True),
        ("drop", None, True),
    ],
)
def test_every_refusal_is_typed(server, store, failure, code, transient):
    guid = store.add(b"x" * 100)
    store.fail_next(failure)
    with pytest.raises(GisFileError) as caught:
        client_for(server).download(guid, io.BytesIO())
    assert caught.value.code == code
    assert caught.value.transient is transient
    if code in gis_files.ERRORS:
        # The store's code and what it means, for the log and the user.
        assert gis_files.ERRORS[code][1] in str(caught.value)


def test_real_refusals_of_the_store(server, store):
    client = client_for(server)
    with pytest.raises(GisFileError) as caught:
        client.download(str(uuid.uuid4()), io.BytesIO())
    assert caught.value.code == "FileNotFoundException"
    infected = store.add(b"EICAR", infected=True)
    with pytest.raises(GisFileError) as caught:
        client.download(infected, io.BytesIO())
    assert caught.value.code == "FileVirusInfectionException"
    assert not caught.value.transient
    other_org = gis_files.GisFileStoreClient(server.url, str(uuid.uuid4()))
    with pytest.raises(GisFileError) as caught:
        other_org.download(store.add(b"x"), io.BytesIO())
    assert caught.value.code == "DataProviderValidationException"
    wrong_context = client_for(server, context="homemanagement")
    with pytest.raises(GisFileError) as caught:
        wrong_context.download(store.add(b"x"), io.BytesIO())
    assert caught.value.code == "ContextNotFoundException"


def test_upload_small_file_whole(server, store):
    data = data_of(200_000)
    guid = client_for(server).upload("Акт осмотра.pdf", io.BytesIO(data), len(data))
    stored = store.files[guid]
    assert stored.data == data and stored.name == "Акт осмотра.pdf"
    assert [c[0] for c in store.calls] == ["PUT"]


def test_upload_over_5_mb_in_parts(server, store):
    data = data_of(11 * MB)
    seen = []
    guid = client_for(server).upload(
        "Фото.jpg",
        io.BytesIO(data),
        len(data),
        on_progress=lambda p: seen.append((p.parts_done, p.completed)),
    )
    assert store.files[guid].data == data
    assert [c[0] for c in store.calls] == ["POST", "PUT", "PUT", "PUT", "POST"]
    assert seen == [(0, False), (1, False), (2, False), (3, False), (3, True)]


def test_upload_resumes_after_a_failed_part(server, store):
    data = data_of(11 * MB)
    client = client_for(server)
    progress = UploadProgress()
    store.fail_next("http")
    with pytest.raises(GisFileError):
        client.upload("a.bin", io.BytesIO(data), len(data), progress)
    assert progress.upload_id is None  # the session itself failed
    store.calls.clear()
    # Now the second part fails: the first is kept in ``progress``.
    original = store._put_part
    failed = []

    def fail_part_two(guid, headers, body):
        if headers.get("X-Upload-Partnumber") == "2" and not failed:
            failed.append(True)
            return gis_files_fake_error("INT002029")
        return original(guid, headers, body)

    store._put_part = fail_part_two
    with pytest.raises(GisFileError) as caught:
        client.upload("a.bin", io.BytesIO(data), len(data), progress)
    assert caught.value.transient
    assert progress.upload_id and progress.parts_done == 1
    store.calls.clear()
    guid = client.upload("a.bin", io.BytesIO(data), len(data), progress)
    assert guid == progress.upload_id and progress.completed
    assert store.files[guid].data == data
    # Only parts 2 and 3 went again, then the completion.
    assert [c[0] for c in store.calls] == ["PUT", "PUT", "POST"]
    # A completed upload is not sent again at all.
    store.calls.clear()
    assert client.upload("a.bin", io.BytesIO(data), len(data), progress) == guid
    assert store.calls == []


def gis_files_fake_error(code):
    from hgzm.tests.fakes.fake_file_store import FileReply

    return FileReply(500, headers={"X-Upload-Error": code})


def test_completion_whose_answer_was_lost(server, store):
    data = data_of(6 * MB)
    client = client_for(server)
    progress = UploadProgress()
    original = store._complete

    def complete_then_drop(guid):
        original(guid)
        from hgzm.tests.fakes.fake_file_store import FileReply

        return FileReply(drop=True)

    store._complete = complete_then_drop
    with pytest.raises(GisFileError):
        client.upload("b.bin", io.BytesIO(data), len(data), progress)
    store._complete = original
    assert not progress.completed
    # The store says the upload is already completed; the file is whole.
    guid = client.upload("b.bin", io.BytesIO(data), len(data), progress)
    assert store.files[guid].data == data and progress.completed


def test_upload_refusals(server, store):
    client = client_for(server)
    with pytest.raises(GisFileError) as caught:
        client.upload("x", io.BytesIO(b""), 0)
    assert not caught.value.transient
    store.fail_next("ExtensionException")
    with pytest.raises(GisFileError) as caught:
        client.upload("x.exe", io.BytesIO(b"MZ"), 2)
    assert caught.value.code == "ExtensionException" and not caught.value.transient


def test_nsi_themes_exported_and_validated(server, validator):
    client = gis_client.GisNsiClient(server.url, ORG, timeout=(2, 5))
    assert client.url.endswith(gis_xml_common.NSI_SERVICE_PATH)
    server.fake.nsi_themes.append(
        gis_xml_parse.NsiElement("7", str(uuid.uuid4()), "Новая тема", True, "6")
    )
    _our, ack = client.export_nsi_item()
    result = gis_client.check_result(client.get_state(ack.message_guid))
    assert result.nsi_registry_number == 220
    names = {e.code: (e.name, e.parent_code) for e in result.nsi_elements}
    assert names["1"] == ("Аварийная ситуация", None)
    assert names["7"] == ("Новая тема", "6")
    # Every request the fake received was valid against the carried XSD.
    assert all(ok for _op, ok, _e in server.fake.calls())
    assert [op for op, _ok, _e in server.fake.calls()] == ["exportNsiItem", "getState"]
    # And what the fake answered is valid too.
    envelope = fake_gis.nsi_state_envelope(
        ack.message_guid, 3, registry=220, elements=server.fake.nsi_themes
    )
    assert validator.errors(gis_xml_parse.soap_body_payload(envelope)) == []


def test_history_files_parsed_and_answer_files_rendered(validator):
    photo = gis_xml_common.AttachmentInfo(
        "акт.pdf", "Акт", str(uuid.uuid4()), "ab" * 32
    )
    appeal = fake_gis.generate_appeals(1, seed=3, photos=True)[0]
    before = appeal.fingerprint()
    appeal.history = [
        gis_xml_parse.HistoryEntry(
            datetime.date(2026, 11, 30),
            "answer",
            None,
            {"answer_guid": str(uuid.uuid4()), "answerer_guid": str(uuid.uuid4())},
            attachments=[photo],
        ),
        gis_xml_parse.HistoryEntry(
            datetime.date(2026, 11, 30),
            "rolled_over",
            None,
            {
                "execution_date": "2026-12-30",
                "comment": "Нужна экспертиза подрядчика",
                "answerer_guid": str(uuid.uuid4()),
            },
            attachments=[photo],
        ),
    ]
    state = fake_gis.state_envelope(str(uuid.uuid4()), 3, appeals=[appeal])
    assert validator.errors(gis_xml_parse.soap_body_payload(state)) == []
    parsed = gis_xml_parse.parse_response(state).appeals[0]
    assert parsed.attachments[0].guid == appeal.attachments[0].guid
    assert [e.attachments[0].guid for e in parsed.history] == [photo.guid] * 2
    # An entry's key does not change with its files (posted once).
    assert (
        parsed.history[0].key()
        == gis_xml_parse.HistoryEntry(
            parsed.history[0].change_date,
            "answer",
            None,
            parsed.history[0].data,
        ).key()
    )
    # An appeal without history files keeps its digest.
    appeal.history = []
    assert appeal.fingerprint() == before
    header = gis_xml_build.RequestHeader.new(ORG)
    body = gis_xml_build.build_import_answer_request(
        header,
        answer_actions=[
            gis_xml_build.AnswerAction(
                answers=[
                    gis_xml_build.AnswerData(
                        str(uuid.uuid4()), text="Ответ", send=True, attachments=[photo]
                    )
                ],
                appeal_guid=str(uuid.uuid4()),
            )
        ],
    )
    assert validator.envelope_errors(body) == []
    assert b"AttachmentHASH" in body


def test_fake_checks_the_hash_of_answer_files(server):
    store = server.fake.file_store
    appeal = fake_gis.generate_appeals(1, seed=4)[0]
    server.fake.seed([appeal])
    data = b"%PDF-1.4 act"
    guid = client_for(server).upload("акт.pdf", io.BytesIO(data), len(data))
    answers = gis_client.GisAppealsClient(server.url, ORG, timeout=(2, 5))

    def answer(digest):
        _guid, ack = answers.import_answers(
            answer_actions=[
                gis_xml_build.AnswerAction(
                    answers=[
                        gis_xml_build.AnswerData(
                            str(uuid.uuid4()),
                            text="Ответ",
                            send=True,
                            attachments=[
                                gis_xml_common.AttachmentInfo(
                                    "акт.pdf", "Акт", guid, digest
                                )
                            ],
                        )
                    ],
                    appeal_guid=appeal.guid,
                )
            ]
        )
        return answers.get_state(ack.message_guid).import_results[0]

    wrong = answer("00" * 32)
    assert wrong.errors and "Хэш" in wrong.errors[0].description
    right = answer(gost94.Gost94(data).hexdigest())
    assert not right.errors
    assert appeal.history[-1].attachments[0].guid == guid
    assert store.files[guid].gost_hash() == gost94.Gost94(data).hexdigest()
