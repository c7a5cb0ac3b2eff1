"""A fake GIS ZhKKh ``AppealsAsync`` service, for tests and the demo.

A real HTTP server on 127.0.0.1 that speaks the SOAP contract of the official
WSDL: ``exportAppeal`` and ``importAnswer`` answer with an ``AckRequest``;
``getState`` answers "received"/"processing" and then the result. It
validates every request it receives against the official formats (those the
addon carries, or another folder of them), and the tests validate every
answer it sends.

Scenario controls, from Python or over HTTP (``/control/...``): seed appeals,
make the next calls fail (HTTP errors, SOAP faults, malformed XML, dropped
connections, delays longer than the client's timeout, GIS error messages) and
keep ``getState`` "processing".

Run it alone (from a clone of the addon)::

    python3 tests/fakes/serve.py gis --port 8765 --demo-appeals 20 --tick 20

The themes, houses and people it invents are demo data, not GIS directories.
"""

import argparse
import base64
import dataclasses
import datetime
import hmac
import json
import logging
import random
import socket
import struct
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from lxml import etree

from ...tools import gis_xml_common, gis_xml_parse
from ...tools.gis_schema import SchemaValidator
from ...tools.gis_xml_common import (
    APPEALS_NS,
    BASE_NS,
    DS_NS,
    NSI_COMMON_NS,
    NSI_NS,
    ORG_REG_NS,
    SOAP_NS,
    AttachmentInfo,
)
from ...tools.gis_xml_parse import Appeal, Applicant, HistoryEntry, NsiElement
from .fake_file_store import STORE_PREFIX, FakeFileStore, StoredFile
from .local_server import LocalServer

_logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 10 * 1024 * 1024
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NO_OBJECTS = ("INT002012", "Нет объектов для экспорта")
STATUS_ELEMENTS = {v: k for k, v in gis_xml_common.APPEAL_STATUSES.items()}
STATUS_FILTERS = {v: k for k, v in gis_xml_common.STATUS_FILTER_ELEMENTS.items()}


def _q(ns, tag):
    return f"{{{ns}}}{tag}"


def _sub(parent, ns, tag, text=None):
    el = etree.SubElement(parent, _q(ns, tag))
    if text is not None:
        el.text = str(text)
    return el


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


# ---------------------------------------------------------------------------
# Rendering appeals as GIS does (exportAppealResultType)
# ---------------------------------------------------------------------------


def _render_applicant(parent, tag, applicant):
    el = _sub(parent, APPEALS_NS, tag)
    if applicant.kind == "hcs":
        _sub(el, APPEALS_NS, "HCS", "true")
        return el
    if applicant.kind == "org":
        org = _sub(el, APPEALS_NS, "Org")
        _sub(org, ORG_REG_NS, "orgRootEntityGUID", applicant.org_guid)
    else:
        person = _sub(el, APPEALS_NS, "Person")
        _sub(person, APPEALS_NS, "Surname", applicant.surname or "")
        _sub(person, APPEALS_NS, "FirstName", applicant.first_name or "")
        if applicant.patronymic:
            _sub(person, APPEALS_NS, "Patronymic", applicant.patronymic)
    for attr, name in (
        ("post_address", "PostAddress"),
        ("apartment_number", "ApartmentNumber"),
        ("email", "Email"),
        ("appeal_email", "AppealEmail"),
        ("phone", "PhoneNumber"),
    ):
        value = getattr(applicant, attr)
        if value:
            _sub(el, APPEALS_NS, name, value)
    return el


def _render_attachments(parent, attachments):
    for att in attachments:
        el = _sub(parent, APPEALS_NS, "Attachment")
        _sub(el, BASE_NS, "Name", att.name)
        _sub(el, BASE_NS, "Description", att.description)
        ref = _sub(el, BASE_NS, "Attachment")
        _sub(ref, BASE_NS, "AttachmentGUID", att.guid)
        if att.hash:
            _sub(el, BASE_NS, "AttachmentHASH", att.hash)


def _render_history(parent, entry):
    el = _sub(parent, APPEALS_NS, "AppealHistory")
    if entry.org_guid:
        org = _sub(el, APPEALS_NS, "Organization")
        _sub(org, ORG_REG_NS, "orgRootEntityGUID", entry.org_guid)
    _sub(el, APPEALS_NS, "ChangeDate", entry.change_date.isoformat())
    data = entry.data
    if entry.kind == "answer":
        answer = _sub(el, APPEALS_NS, "Answer")
        for key, tag in (
            ("answer_guid", "AnswerGUID"),
            ("answer_number", "AnswerNumber"),
            ("send_date", "SendAnswerDate"),
        ):
            if data.get(key):
                _sub(answer, APPEALS_NS, tag, data[key])
        answerer = _sub(answer, APPEALS_NS, "Answerer")
        _sub(answerer, APPEALS_NS, "AnswererGUID", data["answerer_guid"])
        _sub(answer, APPEALS_NS, "AnswerText", data.get("text") or "")
        _render_attachments(answer, entry.attachments)
        if data.get("is_sent"):
            _sub(answer, APPEALS_NS, "AnswerIsSent", "true")
    elif entry.kind == "redirected":
        redirected = _sub(el, APPEALS_NS, "Redirected")
        receiver = _sub(redirected, APPEALS_NS, "Receiver")
        _sub(receiver, ORG_REG_NS, "orgRootEntityGUID", data["receiver_guid"])
        if data.get("comment"):
            _sub(redirected, APPEALS_NS, "Comment", data["comment"])
        _render_attachments(redirected, entry.attachments)
        if data.get("answerer_guid"):
            _sub(redirected, APPEALS_NS, "AnswererGUID", data["answerer_guid"])
    elif entry.kind == "rolled_over":
        rolled = _sub(el, APPEALS_NS, "RolledOver")
        _sub(rolled, APPEALS_NS, "ExecutionDate", data["execution_date"])
        _sub(rolled, APPEALS_NS, "Comment", data["comment"])
        _render_attachments(rolled, entry.attachments)
        _sub(rolled, APPEALS_NS, "AnswererGUID", data["answerer_guid"])
    elif entry.kind == "not_required":
        not_required = _sub(el, APPEALS_NS, "IsNotRequired")
        _sub(not_required, APPEALS_NS, "Cause", data.get("cause") or "")
    elif entry.kind == "assessment":
        assessment = _sub(el, APPEALS_NS, "Assesment")
        result = data.get("result")
        if result == "received":
            _sub(assessment, APPEALS_NS, "InformationIsReceived", "true")
        else:
            tag = (
                "AnswerIsPartlyReceived"
                if result == "partly_received"
                else "AnswerIsNotSatisfied"
            )
            _sub(assessment, APPEALS_NS, tag, "true")
            _sub(assessment, APPEALS_NS, "DeclineComment", data.get("comment") or "")
    return el


def _render_status_and_dates(el, appeal):
    _sub(
        el,
        APPEALS_NS,
        "AppealStatus",
        appeal.raw_status or STATUS_ELEMENTS[appeal.status],
    )
    if appeal.redirected:
        _sub(el, APPEALS_NS, "Redirected", "true")
    elif appeal.redirected_not_hcs:
        _sub(el, APPEALS_NS, "RedirectedIsNotHCS", "true")
    if appeal.rolled_over:
        _sub(el, APPEALS_NS, "RolledOver", "true")
    if appeal.answer_not_required:
        _sub(el, APPEALS_NS, "AnswerIsNotRequired", "true")
    if appeal.withdrawn:
        withdrawn = _sub(el, APPEALS_NS, "AppealWithdrawn")
        if appeal.withdrawn_comment:
            _sub(withdrawn, APPEALS_NS, "Comment", appeal.withdrawn_comment)
    if appeal.from_mobile:
        _sub(el, APPEALS_NS, "FromMobile", "true")
    if appeal.execution_end_date:
        _sub(el, APPEALS_NS, "ExecutionEndDate", appeal.execution_end_date.isoformat())
    if appeal.npa_requirements:
        _sub(el, APPEALS_NS, "NPARequirements", appeal.npa_requirements)
    if appeal.date_of_appointment:
        _sub(
            el, APPEALS_NS, "DateOfAppointment", appeal.date_of_appointment.isoformat()
        )
    if appeal.collective:
        _sub(el, APPEALS_NS, "Collective", "true")
    for neighbour in appeal.neighbours:
        _render_applicant(el, "NeighbourInfo", neighbour)


def render_appeal(parent, appeal, tag="ExportAppealResult"):
    """Append ``appeal`` to ``parent`` in the element order of the XSD."""
    el = _sub(parent, APPEALS_NS, tag)
    _sub(el, APPEALS_NS, "AppealGUID", appeal.guid)
    if appeal.parent_guid:
        _sub(el, APPEALS_NS, "ParentAppealGUID", appeal.parent_guid)
    _render_applicant(el, "ApplicantInfo", appeal.applicant)
    _sub(el, APPEALS_NS, "AppealNumber", appeal.number)
    _sub(el, APPEALS_NS, "AppealCreateDate", appeal.create_date.isoformat())
    if appeal.theme_code:
        topic = _sub(el, APPEALS_NS, "AppealTopic")
        _sub(topic, NSI_NS, "Code", appeal.theme_code)
        _sub(topic, NSI_NS, "GUID", appeal.theme_guid)
        if appeal.theme_name:
            _sub(topic, NSI_NS, "Name", appeal.theme_name)
    else:
        _sub(el, APPEALS_NS, "AnotherTopic", appeal.another_topic or "Другое")
    if appeal.fias_house_guid:
        _sub(el, APPEALS_NS, "FIASHouseGuid", appeal.fias_house_guid)
    if appeal.premise_number:
        _sub(el, APPEALS_NS, "PremiseNumber", appeal.premise_number)
    oktmo = _sub(el, APPEALS_NS, "OKTMO")
    _sub(oktmo, BASE_NS, "code", appeal.oktmo_code or "45000000")
    if appeal.oktmo_name:
        _sub(oktmo, BASE_NS, "name", appeal.oktmo_name)
    _sub(el, APPEALS_NS, "AppealText", appeal.text)
    _render_attachments(el, appeal.attachments)
    if appeal.answerer_guid:
        _sub(el, APPEALS_NS, "AnswererGUID", appeal.answerer_guid)
    for entry in appeal.history:
        _render_history(el, entry)
    _render_status_and_dates(el, appeal)
    return el


# ---------------------------------------------------------------------------
# Envelopes
# ---------------------------------------------------------------------------


def _envelope(payload):
    env = etree.Element(
        _q(SOAP_NS, "Envelope"),
        nsmap={"soap": SOAP_NS, "base": BASE_NS, "ap": APPEALS_NS, "nsi": NSI_NS},
    )
    header = _sub(env, SOAP_NS, "Header")
    result_header = _sub(header, BASE_NS, "ResultHeader")
    _sub(
        result_header,
        BASE_NS,
        "Date",
        datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    )
    _sub(result_header, BASE_NS, "MessageGUID", str(uuid.uuid4()))
    body = _sub(env, SOAP_NS, "Body")
    body.append(payload)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def fault_envelope(code, message, fault_code="soap:Server"):
    fault = etree.Element(_q(SOAP_NS, "Fault"))
    etree.SubElement(fault, "faultcode").text = fault_code
    etree.SubElement(fault, "faultstring").text = message
    detail = etree.SubElement(fault, "detail")
    gis_fault = _sub(detail, BASE_NS, "Fault")
    _sub(gis_fault, BASE_NS, "ErrorCode", code)
    _sub(gis_fault, BASE_NS, "ErrorMessage", message)
    return _envelope(fault)


def ack_envelope(ack_guid, requester_guid):
    ack_request = etree.Element(_q(BASE_NS, "AckRequest"))
    ack = _sub(ack_request, BASE_NS, "Ack")
    _sub(ack, BASE_NS, "MessageGUID", ack_guid)
    _sub(ack, BASE_NS, "RequesterMessageGUID", requester_guid)
    return _envelope(ack_request)


def _render_nsi_element(parent, tag, element, children):
    el = _sub(parent, NSI_NS, tag)
    _sub(el, NSI_NS, "Code", element.code)
    _sub(el, NSI_NS, "GUID", element.guid)
    _sub(el, NSI_NS, "Modified", element.modified or "2026-01-15T10:00:00+03:00")
    _sub(el, NSI_NS, "IsActual", "true" if element.is_actual else "false")
    field = _sub(el, NSI_NS, "NsiElementField")
    field.set(f"{{{XSI_NS}}}type", "nsi:NsiElementStringFieldType")
    _sub(field, NSI_NS, "Name", "Тематика обращения")
    _sub(field, NSI_NS, "Value", element.name)
    for child in children.get(element.code, ()):
        _render_nsi_element(el, "ChildElement", child, children)


def nsi_state_envelope(ack_guid, state, *, error=None, registry=None, elements=()):
    """getStateResult of the common НСИ service: a directory's elements
    (``NsiElement``; children under their ``parent_code``)."""
    result = etree.Element(
        _q(NSI_COMMON_NS, "getStateResult"),
        nsmap={"nsic": NSI_COMMON_NS, "nsi": NSI_NS, "xsi": XSI_NS},
    )
    result.set(_q(BASE_NS, "version"), gis_xml_common.NSI_VERSION)
    _sub(result, BASE_NS, "RequestState", state)
    _sub(result, BASE_NS, "MessageGUID", ack_guid)
    if state == gis_xml_common.STATE_DONE:
        if error:
            err = _sub(result, BASE_NS, "ErrorMessage")
            _sub(err, BASE_NS, "ErrorCode", error[0])
            _sub(err, BASE_NS, "Description", error[1])
        else:
            item = _sub(result, NSI_COMMON_NS, "NsiItem")
            _sub(item, NSI_NS, "NsiItemRegistryNumber", registry)
            _sub(item, NSI_NS, "Created", "2026-01-15T10:00:00+03:00")
            children = {}
            for element in elements:
                children.setdefault(element.parent_code, []).append(element)
            for element in children.get(None, ()):
                _render_nsi_element(item, "NsiElement", element, children)
    return _envelope(result)


def state_envelope(ack_guid, state, *, error=None, appeals=(), import_results=()):
    result = etree.Element(_q(APPEALS_NS, "getStateResult"))
    result.set(_q(BASE_NS, "version"), gis_xml_common.GET_STATE_RESULT_VERSION)
    _sub(result, BASE_NS, "RequestState", state)
    _sub(result, BASE_NS, "MessageGUID", ack_guid)
    if state == gis_xml_common.STATE_DONE:
        if error:
            err = _sub(result, BASE_NS, "ErrorMessage")
            _sub(err, BASE_NS, "ErrorCode", error[0])
            _sub(err, BASE_NS, "Description", error[1])
        else:
            for appeal in appeals:
                render_appeal(result, appeal)
            for item in import_results:
                item_el = _sub(result, APPEALS_NS, "ImportResult")
                _sub(item_el, BASE_NS, "TransportGUID", item["transport_guid"])
                if item.get("error"):
                    err = _sub(item_el, BASE_NS, "Error")
                    _sub(err, BASE_NS, "ErrorCode", item["error"][0])
                    _sub(err, BASE_NS, "Description", item["error"][1])
                else:
                    _sub(item_el, BASE_NS, "GUID", item["guid"])
                    if item.get("unique_number"):
                        _sub(item_el, BASE_NS, "UniqueNumber", item["unique_number"])
                    _sub(item_el, BASE_NS, "UpdateDate", item["update_date"])
    return _envelope(result)


# ---------------------------------------------------------------------------
# Schema
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# The fake service
# ---------------------------------------------------------------------------


# Per-item refusals. The published formats give no codes for these cases:
# the fake answers with GIS's generic "wrong value" code and its own words.
NOT_FOUND = ("INT002000", "Обращение не найдено")
APPEAL_WITHDRAWN = ("INT002000", "Обращение отозвано заявителем: действие невозможно")
APPEAL_EXECUTED = ("INT002000", "Обращение уже исполнено: действие невозможно")
ANSWER_NOT_FOUND = ("INT002000", "Ответ с указанным идентификатором не найден")
ANSWER_ALREADY_SENT = ("INT002000", "Отправленный ответ не может быть удалён")
ANSWER_SENT_FINAL = ("INT002000", "Отправленный ответ не может быть изменён")
ATTACHMENT_NOT_FOUND = ("INT002000", "Вложение не найдено в файловом хранилище")
ATTACHMENT_HASH_WRONG = ("INT002000", "Хэш-тег вложения не совпадает с файлом")
NOT_LATER = ("INT002000", "Новый срок должен быть позже текущего")
# GIS takes a MessageGUID once: the same request sent again is refused with
# a fault, and says nothing of what became of the first (no code published).
REPEATED_MESSAGE = ("INT002000", "Сообщение с таким MessageGUID уже было получено")


class _Refused(Exception):
    """An importAnswer item GIS refuses: (code, description)."""


@dataclasses.dataclass
class Failure:
    # http, fault, malformed, drop (before processing), delay, error_message,
    # lost_reply (processed, then the connection drops: the client cannot
    # know whether GIS got the request), trickle (the answer comes a byte
    # every ``delay`` seconds: no single read times out)
    kind: str
    operation: str = None  # exportAppeal, importAnswer, getState; None = any
    code: str = "EXP001000"
    message: str = "Внутренняя ошибка"
    status: int = 500
    delay: float = 0.0


@dataclasses.dataclass
class Pending:
    operation: str
    created: float
    polls: int = 0
    appeals: list = dataclasses.field(default_factory=list)
    import_results: list = dataclasses.field(default_factory=list)
    error: tuple = None
    registry: int = None


@dataclasses.dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    drop: bool = False
    content_type: str = "text/xml; charset=utf-8"
    trickle: float = 0.0
    headers: dict = dataclasses.field(default_factory=dict)


class FakeGis:
    """State and behaviour of the fake service (thread-safe)."""

    def __init__(
        self,
        xsd_dir=None,
        *,
        validate=True,
        org_ppa_guid=None,
        basic_auth=None,
        require_signature=False,
        processing_polls=0,
        photo_size=None,
    ):
        self.validator = SchemaValidator(xsd_dir) if validate else None
        self.file_store = FakeFileStore(org_ppa_guid)
        # Photos of seeded appeals: small PNG pictures, or virtual files of
        # this many bytes (the benchmark's).
        self.photo_size = photo_size
        # Directory 220 as exportNsiItem gives it (``NsiElement``).
        self.nsi_themes = demo_nsi_themes()
        self.org_ppa_guid = org_ppa_guid
        self.basic_auth = basic_auth
        self.require_signature = require_signature
        self.processing_polls = processing_polls
        self.keep_processing = False
        self.lock = threading.RLock()
        self.appeals = {}
        self.pending = {}
        self.failures = []
        self.requests = []  # (operation, valid, errors) of every SOAP call
        self.answer_counter = 0
        # Requests already accepted, by their MessageGUID: the same request
        # sent again gets a fault (REPEATED_MESSAGE) and is not applied again.
        self.acks = {}
        # Every importAnswer item applied: (kind, AppealGUID, TransportGUID).
        self.applied = []
        # (code, text) GIS answers the next AppealAction items with, while
        # the answers of the same request go through.
        self.refused_actions = []
        # Chaos: this share of all calls fails transiently, at random.
        self.chaos_rate = 0.0
        self.chaos = random.Random(0)
        # Delayed answers wait for this (or their delay): reset() releases
        # them, so a test waits for its client's timeout, not for the fake.
        self.released = threading.Event()

    # -- scenario controls ---------------------------------------------------

    def seed(self, appeals):
        with self.lock:
            for appeal in appeals:
                self.appeals[appeal.guid] = appeal
                self._store_photos(appeal)

    def _store_photos(self, appeal):
        """Put into the file store the photos an appeal names and the store
        lacks (generated appeals name theirs by a seeded GUID)."""
        store = self.file_store
        for att in appeal.attachments:
            if att.guid in store.files:
                continue
            if self.photo_size:
                stored = StoredFile(name=att.name, size=self.photo_size, seed=att.guid)
            else:
                data = demo_png(att.guid)
                stored = StoredFile(name=att.name, size=len(data), data=data)
            with store.lock:
                store.files[att.guid] = stored

    def update_appeal(self, guid, **changes):
        with self.lock:
            appeal = self.appeals[guid]
            for key, value in changes.items():
                setattr(appeal, key, value)
            return appeal

    def fail_next(self, kind, count=1, **options):
        with self.lock:
            for _i in range(count):
                self.failures.append(Failure(kind=kind, **options))

    def reset(self):
        with self.lock:
            self.appeals.clear()
            self.pending.clear()
            self.failures.clear()
            self.requests.clear()
            self.keep_processing = False
            self.processing_polls = 0
            self.acks.clear()
            self.applied.clear()
            self.refused_actions.clear()
            self.chaos_rate = 0.0
            self.nsi_themes = demo_nsi_themes()
            self.file_store.reset()
            self.released.set()
            self.released = threading.Event()

    def calls(self, operation=None):
        with self.lock:
            return [r for r in self.requests if operation in (None, r[0])]

    def set_chaos(self, rate, seed=0):
        """Make ``rate`` (0-1) of all calls fail transiently, at random:
        HTTP 503, a GIS internal error, a dropped connection, or a reply lost
        after the request was processed."""
        with self.lock:
            self.chaos_rate = rate
            self.chaos = random.Random(seed)

    def _take_failure(self, operation):
        with self.lock:
            if self.chaos_rate and self.chaos.random() < self.chaos_rate:
                kind = self.chaos.choice(("http", "fault", "drop", "lost_reply"))
                return Failure(kind=kind, status=503)
            for index, failure in enumerate(self.failures):
                if failure.operation in (None, operation) and (
                    failure.kind != "error_message" or operation != "getState"
                ):
                    return self.failures.pop(index)
        return None

    # -- SOAP --------------------------------------------------------------

    def _auth_ok(self, authorization):
        if not self.basic_auth:
            return True
        if not authorization or not authorization.startswith("Basic "):
            return False
        try:
            given = base64.b64decode(authorization[6:]).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return False
        expected = "{}:{}".format(*self.basic_auth)
        return hmac.compare_digest(given.encode(), expected.encode())

    def handle(self, soap_action, body, authorization=None, service="appeals"):
        """Answer one SOAP request to ``service`` (appeals, or nsi: the
        common НСИ service); return a ``Reply``."""
        if not self._auth_ok(authorization):
            return Reply(401, b"Unauthorized", content_type="text/plain")
        operation = (soap_action or "").strip('"').replace("urn:", "")
        allowed = (
            ("exportNsiItem", "getState")
            if service == "nsi"
            else ("exportAppeal", "importAnswer", "getState")
        )
        if operation not in allowed:
            return Reply(
                500, fault_envelope("FMT001300", f"Unknown SOAPAction {soap_action!r}")
            )
        failure = self._take_failure(operation)
        lost_reply = failure is not None and failure.kind == "lost_reply"
        if lost_reply:
            failure = None
        if failure and failure.kind != "error_message":
            reply = self._failure_reply(failure)
            if failure.kind != "delay":
                with self.lock:
                    self.requests.append((operation, None, ["scenario failure"]))
                return reply
            delay = reply.delay
        else:
            delay = 0.0
        checked = self._check_request(operation, body, delay, service)
        if isinstance(checked, Reply):
            return checked
        header, payload = checked
        requester_guid = header.findtext(_q(BASE_NS, "MessageGUID"))
        if operation != "getState":
            with self.lock:
                known = self.acks.get((requester_guid or "").lower())
            if known:
                # Applied once, as GIS does: the repeat gets a fault, not
                # the first request's Ack.
                return (
                    Reply(drop=lost_reply)
                    if lost_reply
                    else Reply(500, fault_envelope(*REPEATED_MESSAGE), delay)
                )
        if operation == "getState":
            return Reply(
                200,
                self._get_state(payload.findtext(_q(BASE_NS, "MessageGUID")), service),
                delay,
            )
        pending = Pending(operation=operation, created=time.time())
        if operation == "exportNsiItem":
            pending.registry = int(
                payload.findtext(_q(NSI_COMMON_NS, "RegistryNumber"))
            )
        elif operation == "exportAppeal":
            self._export(payload, pending)
        else:
            self._import_answer(payload, pending)
        if failure and failure.kind == "error_message":
            pending.error = (failure.code, failure.message)
        ack_guid = str(uuid.uuid4())
        with self.lock:
            self.pending[ack_guid] = pending
            if requester_guid:
                self.acks[requester_guid.lower()] = ack_guid
        if lost_reply:
            return Reply(drop=True)
        return Reply(200, ack_envelope(ack_guid, requester_guid), delay)

    def _check_request(self, operation, body, delay, service="appeals"):
        """``(header, payload)`` of a request GIS would process, or the
        ``Reply`` (a SOAP fault) it would give instead."""
        try:
            root = gis_xml_parse.parse_xml(body)
        except Exception as exc:  # noqa: BLE001 - any parse failure is a fault
            return Reply(500, fault_envelope("FMT001300", f"Некорректный XML: {exc}"))
        errors = self.validator.envelope_errors(body) if self.validator else []
        payload = root.find(f"{{{SOAP_NS}}}Body")
        payload = payload[0] if payload is not None and len(payload) else None
        header_tag = "ISRequestHeader" if service == "nsi" else "RequestHeader"
        header = root.find(f"{{{SOAP_NS}}}Header/{{{BASE_NS}}}{header_tag}")
        with self.lock:
            self.requests.append((operation, not errors, errors))
        if errors:
            return Reply(
                500, fault_envelope("FMT001300", "; ".join(errors)[:2000]), delay
            )
        if payload is None or header is None:
            return Reply(
                500, fault_envelope("FMT001300", "No RequestHeader or body"), delay
            )
        expected_tag = {
            "exportAppeal": _q(APPEALS_NS, "exportAppealRequest"),
            "importAnswer": _q(APPEALS_NS, "importAnswerRequest"),
            "getState": _q(BASE_NS, "getStateRequest"),
            "exportNsiItem": _q(NSI_COMMON_NS, "exportNsiItemRequest"),
        }[operation]
        if payload.tag != expected_tag:
            return Reply(
                500, fault_envelope("FMT001300", "SOAPAction and body differ"), delay
            )
        org = header.findtext(_q(BASE_NS, "orgPPAGUID"))
        if (
            service != "nsi"
            and self.org_ppa_guid
            and (org or "").lower() != self.org_ppa_guid.lower()
        ):
            return Reply(
                500, fault_envelope("AUT011002", "Организация не найдена"), delay
            )
        if (
            self.require_signature
            and operation != "getState"
            and payload.find(_q(DS_NS, "Signature")) is None
        ):
            return Reply(
                500,
                fault_envelope("AUT011009", "Не предоставлен доступ: нет подписи"),
                delay,
            )
        return header, payload

    def _failure_reply(self, failure):
        if failure.kind == "http":
            return Reply(
                failure.status,
                b"<html>Service Unavailable</html>",
                content_type="text/html",
            )
        if failure.kind == "fault":
            return Reply(500, fault_envelope(failure.code, failure.message))
        if failure.kind == "malformed":
            return Reply(
                200, b"<?xml version='1.0'?><soap:Envelope xmlns:soap='x'><broken"
            )
        if failure.kind == "drop":
            return Reply(drop=True)
        if failure.kind == "delay":
            return Reply(delay=failure.delay)
        if failure.kind == "trickle":
            return Reply(
                500,
                fault_envelope(failure.code, failure.message),
                trickle=failure.delay,
            )
        raise ValueError(f"Unknown failure kind {failure.kind!r}")

    def _get_state(self, ack_guid, service="appeals"):
        with self.lock:
            pending = self.pending.get(ack_guid)
            if service == "nsi" or (pending and pending.operation == "exportNsiItem"):
                return self._nsi_state(ack_guid, pending)
            if pending is None:
                return state_envelope(
                    ack_guid or str(uuid.uuid4()),
                    gis_xml_common.STATE_DONE,
                    error=("INT002013", "Запрос не найден"),
                )
            pending.polls += 1
            if self.keep_processing or pending.polls <= self.processing_polls:
                state = (
                    gis_xml_common.STATE_RECEIVED
                    if pending.polls == 1
                    else gis_xml_common.STATE_PROCESSING
                )
                return state_envelope(ack_guid, state)
            if pending.error:
                return state_envelope(
                    ack_guid, gis_xml_common.STATE_DONE, error=pending.error
                )
            if pending.operation == "exportAppeal" and not pending.appeals:
                return state_envelope(
                    ack_guid, gis_xml_common.STATE_DONE, error=NO_OBJECTS
                )
            return state_envelope(
                ack_guid,
                gis_xml_common.STATE_DONE,
                appeals=pending.appeals,
                import_results=pending.import_results,
            )

    def _nsi_state(self, ack_guid, pending):
        if pending is None or pending.operation != "exportNsiItem":
            return nsi_state_envelope(
                ack_guid or str(uuid.uuid4()),
                gis_xml_common.STATE_DONE,
                error=("INT002013", "Запрос не найден"),
            )
        pending.polls += 1
        if self.keep_processing or pending.polls <= self.processing_polls:
            return nsi_state_envelope(ack_guid, gis_xml_common.STATE_PROCESSING)
        if pending.error:
            return nsi_state_envelope(
                ack_guid, gis_xml_common.STATE_DONE, error=pending.error
            )
        if pending.registry != gis_xml_common.NSI_THEMES_REGISTRY:
            return nsi_state_envelope(
                ack_guid, gis_xml_common.STATE_DONE, error=NO_OBJECTS
            )
        return nsi_state_envelope(
            ack_guid,
            gis_xml_common.STATE_DONE,
            registry=pending.registry,
            elements=list(self.nsi_themes),
        )

    def _export(self, payload, pending):
        def texts(tag, ns=APPEALS_NS):
            return [e.text.strip().lower() for e in payload.findall(_q(ns, tag))]

        guids = set(texts("AppealGUID"))
        numbers = {
            e.text.strip() for e in payload.findall(_q(APPEALS_NS, "AppealNumber"))
        }
        start = payload.findtext(_q(APPEALS_NS, "StartDate"))
        end = payload.findtext(_q(APPEALS_NS, "EndDate"))
        houses = set(texts("FIASHouseGuid"))
        theme_code = payload.findtext(f"{{{APPEALS_NS}}}AppealTheme/{{{NSI_NS}}}Code")
        status_el = payload.find(_q(APPEALS_NS, "StatusOfAppeal"))
        statuses = {
            STATUS_FILTERS.get(etree.QName(child).localname)
            for child in (status_el if status_el is not None else ())
        }
        include_hcs = payload.find(_q(APPEALS_NS, "IncludeHCSAppeals")) is not None
        start = datetime.date.fromisoformat(start) if start else None
        end = datetime.date.fromisoformat(end) if end else None
        with self.lock:
            selected = []
            for appeal in self.appeals.values():
                if guids and appeal.guid not in guids:
                    continue
                if numbers and appeal.number not in numbers:
                    continue
                if (
                    not guids
                    and not numbers
                    and appeal.applicant.kind == "hcs"
                    and not include_hcs
                ):
                    continue
                if start and appeal.create_date < start:
                    continue
                if end and appeal.create_date > end:
                    continue
                if houses and appeal.fias_house_guid not in houses:
                    continue
                if theme_code and appeal.theme_code != theme_code:
                    continue
                if statuses and appeal.status not in statuses:
                    continue
                selected.append(appeal)
            # Snapshot: later changes must not alter an answer already prepared.
            pending.appeals = [
                dataclasses.replace(a, history=list(a.history)) for a in selected
            ]

    def _import_answer(self, payload, pending):
        today = datetime.date.today()
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        with self.lock:
            for action in payload.findall(_q(APPEALS_NS, "AnswerAction")):
                appeal = self._find(action)
                for answer_el in action.findall(_q(APPEALS_NS, "Answer")):
                    transport = answer_el.findtext(_q(BASE_NS, "TransportGUID"))
                    try:
                        result = self._apply_answer(appeal, answer_el, today)
                    except _Refused as refused:
                        pending.import_results.append(
                            {"transport_guid": transport, "error": refused.args}
                        )
                        continue
                    self.applied.append((result["kind"], appeal.guid, transport))
                    pending.import_results.append(
                        {
                            "transport_guid": transport,
                            "guid": result["guid"],
                            "unique_number": result.get("number"),
                            "update_date": now,
                        }
                    )
            for action in payload.findall(_q(APPEALS_NS, "AppealAction")):
                transport = action.findtext(_q(BASE_NS, "TransportGUID"))
                appeal = self._find(action)
                try:
                    kinds = self._apply_action(appeal, action, today)
                except _Refused as refused:
                    pending.import_results.append(
                        {"transport_guid": transport, "error": refused.args}
                    )
                    continue
                self.applied.append(("+".join(kinds), appeal.guid, transport))
                pending.import_results.append(
                    {
                        "transport_guid": transport,
                        "guid": appeal.guid,
                        "update_date": now,
                    }
                )

    def _apply_answer(self, appeal, answer_el, today):
        if appeal is None:
            raise _Refused(*NOT_FOUND)
        answer_guid = answer_el.findtext(_q(APPEALS_NS, "AnswerGUID"))
        answerer = answer_el.findtext(_q(APPEALS_NS, "AnswererGUID"))
        if answer_el.find(_q(APPEALS_NS, "DeleteAnswer")) is not None:
            draft = next(
                (
                    h
                    for h in appeal.history
                    if h.kind == "answer"
                    and (h.data.get("answer_guid") or "").lower()
                    == (answer_guid or "").lower()
                ),
                None,
            )
            if draft is None:
                raise _Refused(*ANSWER_NOT_FOUND)
            if draft.data.get("is_sent"):
                raise _Refused(*ANSWER_ALREADY_SENT)
            appeal.history.remove(draft)
            return {"kind": "delete_answer", "guid": answer_guid}
        if appeal.status == "withdrawn":
            raise _Refused(*APPEAL_WITHDRAWN)
        if appeal.status == "executed":
            raise _Refused(*APPEAL_EXECUTED)
        send = answer_el.find(_q(APPEALS_NS, "SendAnswer")) is not None
        text = answer_el.findtext(
            f"{{{APPEALS_NS}}}LoadAnswer/{{{APPEALS_NS}}}AnswerText"
        )
        files = self._answer_files(answer_el)
        draft = next(
            (
                h
                for h in appeal.history
                if answer_guid
                and h.kind == "answer"
                and (h.data.get("answer_guid") or "").lower() == answer_guid.lower()
            ),
            None,
        )
        if draft is not None:
            # A draft loaded again: GIS updates it (and sends it if asked).
            if draft.data.get("is_sent"):
                raise _Refused(*ANSWER_SENT_FINAL)
            if text is not None:
                draft.data["text"] = text
                draft.attachments = files
                draft.data["attachments"] = [f.name for f in files]
            if send:
                draft.data["is_sent"] = True
                draft.data["send_date"] = today.isoformat()
            return {
                "kind": "answer" if send else "draft",
                "guid": draft.data["answer_guid"],
                "number": draft.data.get("answer_number"),
            }
        self.answer_counter += 1
        number = f"A-{self.answer_counter}"
        appeal.history.append(
            HistoryEntry(
                change_date=today,
                kind="answer",
                data={
                    "answer_guid": answer_guid or str(uuid.uuid4()),
                    "answer_number": number,
                    "send_date": today.isoformat() if send else None,
                    "answerer_guid": answerer,
                    "text": text or "",
                    "is_sent": send,
                    "attachments": [f.name for f in files],
                },
                attachments=files,
            )
        )
        if appeal.status == "sent":
            appeal.status, appeal.raw_status = "in_work", "InWork"
        return {
            "kind": "answer" if send else "draft",
            "guid": appeal.history[-1].data["answer_guid"],
            "number": number,
        }

    def _answer_files(self, answer_el):
        """The files of a LoadAnswer, each found in the file store with the
        right GOST R 34.11-94 hash, as GIS checks them."""
        files = []
        for att in answer_el.findall(
            f"{{{APPEALS_NS}}}LoadAnswer/{{{APPEALS_NS}}}Attachment"
        ):
            guid = (
                att.findtext(f"{{{BASE_NS}}}Attachment/{{{BASE_NS}}}AttachmentGUID")
                or ""
            ).lower()
            given = (att.findtext(_q(BASE_NS, "AttachmentHASH")) or "").lower()
            stored = self.file_store.files.get(guid)
            if stored is None or not stored.complete:
                raise _Refused(*ATTACHMENT_NOT_FOUND)
            if given != stored.gost_hash():
                raise _Refused(*ATTACHMENT_HASH_WRONG)
            files.append(
                AttachmentInfo(
                    name=att.findtext(_q(BASE_NS, "Name")),
                    description=att.findtext(_q(BASE_NS, "Description")),
                    guid=guid,
                    hash=given,
                )
            )
        return files

    def _find(self, action):
        guid = action.findtext(_q(APPEALS_NS, "AppealGUID"))
        if guid:
            return self.appeals.get(guid.strip().lower())
        number = action.findtext(_q(APPEALS_NS, "AppealNumber"))
        return next((a for a in self.appeals.values() if a.number == number), None)

    def _apply_action(self, appeal, action, today):
        """Apply an AppealAction as GIS would; return what was done."""

        def child(tag):
            return action.find(_q(APPEALS_NS, tag))

        if appeal is None:
            raise _Refused(*NOT_FOUND)
        if appeal.status == "withdrawn":
            raise _Refused(*APPEAL_WITHDRAWN)
        if appeal.status == "executed":
            raise _Refused(*APPEAL_EXECUTED)
        if self.refused_actions:
            raise _Refused(*self.refused_actions.pop(0))
        kinds = [
            etree.QName(el).localname
            for el in action
            if etree.QName(el).localname
            in (
                "Performer",
                "Executed",
                "RedirectAppeal",
                "RollOverAppeal",
                "AnswerIsNotRequired",
            )
        ]
        roll = child("RollOverAppeal")
        if roll is not None and appeal.execution_end_date:
            new_date = datetime.date.fromisoformat(
                roll.findtext(_q(APPEALS_NS, "ExecutionDate"))
            )
            if new_date <= appeal.execution_end_date:
                raise _Refused(*NOT_LATER)
        performer = child("Performer")
        if performer is not None:
            appeal.answerer_guid = performer.findtext(_q(APPEALS_NS, "AnswererGUID"))
            appointment = performer.findtext(_q(APPEALS_NS, "DateOfAppointment"))
            if appointment:
                appeal.date_of_appointment = datetime.date.fromisoformat(appointment)
            if appeal.status == "sent":
                appeal.status, appeal.raw_status = "in_work", "InWork"
        if child("Executed") is not None:
            appeal.status, appeal.raw_status = "executed", "Executed"
        roll = child("RollOverAppeal")
        if roll is not None:
            new_date = roll.findtext(_q(APPEALS_NS, "ExecutionDate"))
            appeal.rolled_over = True
            appeal.execution_end_date = datetime.date.fromisoformat(new_date)
            appeal.history.append(
                HistoryEntry(
                    change_date=today,
                    kind="rolled_over",
                    data={
                        "execution_date": new_date,
                        "comment": roll.findtext(_q(APPEALS_NS, "Comment")),
                        "answerer_guid": roll.findtext(_q(APPEALS_NS, "AnswererGUID")),
                    },
                )
            )
        not_required = child("AnswerIsNotRequired")
        if not_required is not None:
            appeal.answer_not_required = True
            appeal.history.append(
                HistoryEntry(
                    change_date=today,
                    kind="not_required",
                    data={"cause": not_required.findtext(_q(APPEALS_NS, "Cause"))},
                )
            )
        redirect = child("RedirectAppeal")
        if redirect is not None:
            appeal.redirected = True
            appeal.history.append(
                HistoryEntry(
                    change_date=today,
                    kind="redirected",
                    data={
                        "receiver_guid": redirect.findtext(
                            f"{{{APPEALS_NS}}}Receiver/{{{ORG_REG_NS}}}orgRootEntityGUID"
                        ),
                        "comment": redirect.findtext(_q(APPEALS_NS, "Comment")),
                        "answerer_guid": redirect.findtext(
                            _q(APPEALS_NS, "AnswererGUID")
                        ),
                    },
                )
            )

        return kinds


# ---------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeGisZhkh/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        _logger.debug("fake GIS: " + format, *args)

    def _send(self, status, body, content_type, trickle=0.0, headers=None):
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if self.command == "HEAD":
                return
            if not trickle:
                self.wfile.write(body)
            for index in range(len(body) if trickle else 0):
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
                if self.server.fake.released.wait(trickle):
                    break
        except ConnectionError as exc:
            # The client gave up (its timeout) before a delayed answer.
            self.close_connection = True
            _logger.debug("fake GIS: client gone before the answer: %s", exc)

    def _json(self, status, data):
        self._send(status, json.dumps(data, default=str).encode(), "application/json")

    def _file_store(self, body=b""):
        """A request to the file store, answered by ``FakeFileStore``."""
        url = urlsplit(self.path)
        reply = self.server.fake.file_store.handle(
            self.command, url.path, url.query, self.headers, body
        )
        if reply.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError as exc:
                _logger.debug("fake GIS: connection already gone: %s", exc)
            return None
        return self._send(
            reply.status,
            reply.body,
            "application/octet-stream",
            headers=reply.headers,
        )

    def _body(self):
        """The request's body, or None (and a 413 sent) when too large."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self.close_connection = True
            self._send(413, b"Request too large", "text/plain")
            return None
        return self.rfile.read(length)

    def do_HEAD(self):
        if self.path.startswith(STORE_PREFIX):
            return self._file_store()
        return self._send(404, b"", "text/plain")

    def do_PUT(self):
        if not self.path.startswith(STORE_PREFIX):
            return self._send(404, b"Not found", "text/plain")
        body = self._body()
        if body is not None:
            self._file_store(body)

    def do_GET(self):
        fake = self.server.fake
        if self.path.startswith(STORE_PREFIX):
            return self._file_store()
        if urlsplit(self.path).path == "/control/state":
            with fake.lock:
                data = {
                    "appeals": len(fake.appeals),
                    "pending": len(fake.pending),
                    "failures": [f.kind for f in fake.failures],
                    "requests": [[op, ok] for op, ok, _e in fake.requests[-50:]],
                    "calls": len(fake.requests),
                    "applied": [list(item) for item in fake.applied],
                }
            return self._json(200, data)
        self._send(404, b"Not found", "text/plain")

    def do_POST(self):
        fake = self.server.fake
        path = urlsplit(self.path).path
        body = self._body()
        if body is None:
            return None
        if path.startswith(STORE_PREFIX):
            return self._file_store(body)
        if path.startswith("/control/"):
            return self._control(path, body)
        services = {
            gis_xml_common.SERVICE_PATH: "appeals",
            gis_xml_common.NSI_SERVICE_PATH: "nsi",
        }
        if path not in services:
            return self._send(404, b"Not found", "text/plain")
        reply = fake.handle(
            self.headers.get("SOAPAction"),
            body,
            self.headers.get("Authorization"),
            service=services[path],
        )
        if reply.delay:
            fake.released.wait(reply.delay)
        if reply.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError as exc:
                _logger.debug("fake GIS: connection already gone: %s", exc)
            return
        self._send(reply.status, reply.body, reply.content_type, reply.trickle)

    def _control(self, path, body):
        fake = self.server.fake
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return self._json(400, {"error": "malformed JSON"})
        if path == "/control/reset":
            fake.reset()
        elif path == "/control/generate":
            fake.seed(
                generate_appeals(
                    int(data.get("count", 1)),
                    seed=data.get("seed"),
                    days=int(data.get("days", 0)),
                    residents=data.get("residents"),
                    photos=bool(data.get("photos")),
                )
            )
        elif path == "/control/fail":
            kind = data.pop("kind", "fault")
            count = int(data.pop("count", 1))
            fake.fail_next(kind, count, **data)
        elif path == "/control/chaos":
            fake.set_chaos(float(data.get("rate", 0)), data.get("seed", 0))
        elif path == "/control/photo_size":
            fake.photo_size = int(data.get("size") or 0) or None
        elif path == "/control/processing":
            fake.keep_processing = bool(data.get("keep", False))
            fake.processing_polls = int(data.get("polls", 0))
        else:
            return self._json(404, {"error": "unknown control"})
        return self._json(200, {"ok": True})


class FakeGisServer(LocalServer):
    """Runs a ``FakeGis`` on 127.0.0.1 in a background thread."""

    handler = _Handler

    def __init__(self, fake=None, host="127.0.0.1", port=0, **fake_options):
        super().__init__(fake or FakeGis(**fake_options), host, port)


# ---------------------------------------------------------------------------
# Demo data
# ---------------------------------------------------------------------------

# Houses known to the addon's demo data (same FIAS GUIDs).
DEMO_HOUSES = (
    ("5f2e6a4c-1b3d-4e5f-8a9b-0c1d2e3f4a01", "45000000", "г. Москва, ул. Лесная, д. 7"),
    (
        "5f2e6a4c-1b3d-4e5f-8a9b-0c1d2e3f4a02",
        "45000000",
        "г. Москва, Садовая ул., д. 12",
    ),
    ("5f2e6a4c-1b3d-4e5f-8a9b-0c1d2e3f4a03", "45000000", "г. Москва, пр. Мира, д. 101"),
)
# Demo themes: codes and names chosen for the demo, not the NSI 220 directory.
DEMO_THEMES = (
    ("1", "0a000000-0000-4000-8000-000000000001", "Аварийная ситуация", "high"),
    ("2", "0a000000-0000-4000-8000-000000000002", "Протечка кровли", "high"),
    (
        "3",
        "0a000000-0000-4000-8000-000000000003",
        "Качество коммунальной услуги",
        "normal",
    ),
    ("4", "0a000000-0000-4000-8000-000000000004", "Начисление платы за ЖКУ", "normal"),
    (
        "5",
        "0a000000-0000-4000-8000-000000000005",
        "Содержание общего имущества",
        "normal",
    ),
    (
        "6",
        "0a000000-0000-4000-8000-000000000006",
        "Запрос информации об управляющей организации",
        "low",
    ),
)
DEMO_TEXTS = {
    "1": "В подъезде прорвало трубу горячего водоснабжения, вода заливает лестницу.",
    "2": "После дождя с потолка в комнате капает вода, протекает кровля.",
    "3": "Третий день едва тёплая вода в батареях, в квартире 17 градусов.",
    "4": "Прошу проверить начисление за отопление: сумма выросла вдвое.",
    "5": "Не убирают лестничную клетку и не вывозят мусор из контейнерной площадки.",
    "6": "Прошу сообщить часы приёма и телефоны аварийно-диспетчерской службы.",
}
# (surname, first name, patronymic) stems by gender, for plausible demo names.
MALE = (
    ("Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов"),
    ("Александр", "Сергей", "Дмитрий", "Игорь", "Олег", "Павел"),
    ("Иванович", "Сергеевич", "Дмитриевич", "Петрович", "Алексеевич"),
)
FEMALE = (
    ("Иванова", "Петрова", "Смирнова", "Кузнецова", "Попова", "Соколова"),
    ("Мария", "Анна", "Елена", "Ольга", "Наталья", "Татьяна"),
    ("Ивановна", "Сергеевна", "Дмитриевна", "Петровна", "Алексеевна"),
)
NPA_TEXT = "ЖК РФ ст. 161, ПП РФ № 416 от 15.05.2013"


def generate_appeals(
    count,
    seed=None,
    days=0,
    start_number=None,
    residents=None,
    today=None,
    photos=False,
):
    """Invent ``count`` plausible appeals created over the last ``days`` days.

    ``residents`` limits the number of distinct applicants (as in a real
    house, people write more than once). ``photos``: every appeal names a
    photo in the file store (the fake stores it when seeded).
    """
    rng = random.Random(seed)
    today = today or datetime.date.today()
    number = start_number if start_number is not None else rng.randint(10**6, 10**7)
    residents = residents or count
    appeals = []
    for index in range(count):
        resident = rng.randrange(residents)
        rrng = random.Random(f"{seed}-{resident}")
        house_guid, oktmo, _address = DEMO_HOUSES[resident % len(DEMO_HOUSES)]
        code, theme_guid, theme_name, _prio = DEMO_THEMES[
            rng.randrange(len(DEMO_THEMES))
        ]
        created = today - datetime.timedelta(days=rng.randint(0, days) if days else 0)
        apartment = str(resident % 180 + 1)
        surnames, first_names, patronymics = MALE if resident % 2 else FEMALE
        # Each person their own number and address, whatever the seed: a
        # number shared by people of other names is a case of its own.
        line = rrng.randrange(10**7)
        applicant = Applicant(
            kind="person",
            surname=rrng.choice(surnames),
            first_name=rrng.choice(first_names),
            patronymic=rrng.choice(patronymics),
            apartment_number=apartment,
            phone=f"+7916{line:07d}",
            email=f"r{line:07d}@example.com" if resident % 3 else None,
        )
        appeal = Appeal(
            guid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            number=f"{number + index}",
            create_date=created,
            status="sent",
            raw_status="Send",
            applicant=applicant,
            text=DEMO_TEXTS[code],
            theme_code=code,
            theme_guid=theme_guid,
            theme_name=theme_name,
            fias_house_guid=house_guid,
            premise_number=apartment,
            oktmo_code=oktmo,
            from_mobile=rng.random() < 0.3,
            execution_end_date=created
            + datetime.timedelta(days=1 if code in "12" else 10),
            npa_requirements=NPA_TEXT,
            collective=False,
        )
        if photos:
            appeal.attachments = [
                AttachmentInfo(
                    name=f"Фото {appeal.number}.png",
                    description="Фото от заявителя",
                    guid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                )
            ]
        if index % 11 == 5:
            appeal.collective = True
            appeal.neighbours = [
                Applicant(
                    kind="person",
                    surname="Соседова",
                    first_name="Нина",
                    apartment_number="12",
                ),
                Applicant(
                    kind="person",
                    surname="Соседов",
                    first_name="Олег",
                    apartment_number="14",
                ),
            ]
        appeals.append(appeal)
    return appeals


def demo_nsi_themes():
    """Directory 220 as the fake exports it: the demo themes (not the real
    directory), all actual."""
    return [
        NsiElement(code=code, guid=guid, name=name, is_actual=True)
        for code, guid, name, _priority in DEMO_THEMES
    ]


def demo_png(seed, width=96, height=72):
    """A small PNG picture (a gradient coloured by ``seed``): a resident's
    "photo" of the demo and the tests."""
    rng = random.Random(seed)
    red, green, blue = rng.randrange(256), rng.randrange(256), rng.randrange(256)
    rows = b"".join(
        b"\x00"
        + bytes(
            value
            for x in range(width)
            for value in (
                (red + x * 2) % 256,
                (green + y * 3) % 256,
                (blue + x + y) % 256,
            )
        )
        for y in range(height)
    )

    def chunk(kind, data):
        body = kind + data
        return (
            struct.pack(">I", len(data))
            + body
            + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description="Fake GIS ZhKKh AppealsAsync service")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument(
        "--xsd-dir", help="another folder of the official formats to validate against"
    )
    parser.add_argument(
        "--no-validate",
        action="store_true",
        help="accept requests that do not follow the format",
    )
    parser.add_argument("--org-ppa-guid", help="refuse requests of other organisations")
    parser.add_argument(
        "--demo-appeals", type=int, default=0, help="appeals to seed at start"
    )
    parser.add_argument(
        "--tick", type=float, default=0, help="add one appeal every N seconds"
    )
    parser.add_argument("--processing-polls", type=int, default=1)
    parser.add_argument(
        "--photo-size",
        type=int,
        default=0,
        help="photos of generated appeals: virtual files of this many bytes "
        "(default: small PNG pictures)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s fake-gis %(message)s")
    fake = FakeGis(
        args.xsd_dir,
        validate=not args.no_validate,
        org_ppa_guid=args.org_ppa_guid,
        processing_polls=args.processing_polls,
        photo_size=args.photo_size or None,
    )
    fake.seed(generate_appeals(args.demo_appeals, seed=1, days=5, photos=True))
    server = FakeGisServer(fake, host=args.host, port=args.port).start()
    _logger.info(
        "listening on %s%s (%d appeals, XSD validation %s)",
        server.url,
        gis_xml_common.SERVICE_PATH,
        len(fake.appeals),
        "on" if fake.validator else "off",
    )
    tick = 0
    try:
        while True:
            time.sleep(args.tick or 3600)
            if args.tick:
                tick += 1
                fake.seed(
                    generate_appeals(
                        1, seed=f"tick-{tick}-{time.time()}", photos=tick % 2 == 1
                    )
                )
                _logger.info("new appeal registered (%d in all)", len(fake.appeals))
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
