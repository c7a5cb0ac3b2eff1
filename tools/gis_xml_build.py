"""Build the requests of the GIS ZhKKh services ``AppealsAsync`` and the
common НСИ service: envelopes, checked as the format requires (GUIDs,
lengths, one way of selecting appeals), as bytes ready to sign.

Formats: the official WSDL/XSD set 16.3.0.0. Only plain Python and lxml: no
Odoo import.
"""

import dataclasses
import datetime

from lxml import etree

from .gis_errors import GisRequestInvalid, Problem
from .gis_xml_common import (
    APPEALS_NS,
    BASE_NS,
    DEFAULT_EXPORT_APPEAL_VERSION,
    DEFAULT_IMPORT_ANSWER_VERSION,
    EXPORT_APPEAL_VERSIONS,
    IMPORT_ANSWER_VERSIONS,
    MAX_GUIDS_PER_REQUEST,
    NSI_CODE_RE,
    NSI_COMMON_NS,
    NSI_NS,
    NSI_THEMES_REGISTRY,
    NSI_VERSION,
    NSMAP,
    ORG_REG_NS,
    SIGNED_ELEMENT_ID,
    SOAP_NS,
    STATUS_FILTER_ELEMENTS,
    _q,
    is_guid,
    new_guid,
)


@dataclasses.dataclass(frozen=True)
class RequestHeader:
    org_ppa_guid: str
    message_guid: str
    date: datetime.datetime

    @classmethod
    def new(cls, org_ppa_guid, now=None, message_guid=None):
        if not is_guid(org_ppa_guid):
            raise ValueError(f"orgPPAGUID is not a GUID: {org_ppa_guid!r}")
        now = now or datetime.datetime.now(datetime.timezone.utc)
        if now.tzinfo is None:
            now = now.replace(tzinfo=datetime.timezone.utc)
        return cls(org_ppa_guid, message_guid or new_guid(), now)


def _sub(parent, ns, tag, text=None):
    el = etree.SubElement(parent, _q(ns, tag))
    if text is not None:
        el.text = text
    return el


def _envelope(header, body_payload, header_tag="RequestHeader"):
    env = etree.Element(_q(SOAP_NS, "Envelope"), nsmap=NSMAP)
    soap_header = _sub(env, SOAP_NS, "Header")
    req_header = _sub(soap_header, BASE_NS, header_tag)
    _sub(req_header, BASE_NS, "Date", header.date.isoformat(timespec="seconds"))
    _sub(req_header, BASE_NS, "MessageGUID", header.message_guid)
    if header_tag == "RequestHeader":
        # The common НСИ service's ISRequestHeader names no organisation.
        _sub(req_header, BASE_NS, "orgPPAGUID", header.org_ppa_guid)
    body = _sub(env, SOAP_NS, "Body")
    body.append(body_payload)
    return env


def serialize(envelope):
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _check_guids(values, label):
    values = list(values or ())
    if len(values) > MAX_GUIDS_PER_REQUEST:
        raise ValueError(f"At most {MAX_GUIDS_PER_REQUEST} {label} per request")
    for value in values:
        if not is_guid(value):
            raise ValueError(f"{label} is not a GUID: {value!r}")
    return values


def _check_text(value, label, min_len=0, max_len=None):
    """``value``, within the length the format allows for the element
    ``label``; else ``GisRequestInvalid`` naming it, as the schema would."""
    value = value or ""
    too_long = max_len is not None and len(value) > max_len
    if too_long or len(value) < min_len:
        raise GisRequestInvalid(
            f"{label} must have {min_len} to {max_len} characters",
            problems=[
                Problem(
                    element=label,
                    kind="too_long" if too_long else "too_short",
                    detail=f"{len(value)} characters, {min_len} to {max_len} allowed",
                    actual=len(value),
                    limit=max_len if too_long else min_len,
                )
            ],
        )
    return value


def _check_selection(appeal_guids, appeal_numbers, by_attributes):
    if sum(map(bool, (appeal_guids, appeal_numbers, by_attributes))) > 1:
        raise ValueError("Select appeals by GUIDs, by numbers or by attributes")
    if len(appeal_numbers) > MAX_GUIDS_PER_REQUEST:
        raise ValueError("Too many appeal numbers in one request")


def build_export_appeal_request(
    header,
    version=DEFAULT_EXPORT_APPEAL_VERSION,
    *,
    appeal_guids=(),
    appeal_numbers=(),
    start_date=None,
    end_date=None,
    theme=None,
    fias_house_guids=(),
    statuses=(),
    include_hcs_appeals=False,
):
    """Build an ``exportAppealRequest`` envelope (bytes).

    Exactly one way of selecting appeals: by GUIDs, by numbers, or by
    attributes (creation date range, theme ``(code, guid)``, houses,
    statuses). ``statuses`` are the module's names: sent, in_work, ...
    """
    if version not in EXPORT_APPEAL_VERSIONS:
        raise ValueError(f"Unsupported exportAppeal version {version!r}")
    appeal_guids = _check_guids(appeal_guids, "AppealGUID")
    fias_house_guids = _check_guids(fias_house_guids, "FIASHouseGuid")
    appeal_numbers = list(appeal_numbers or ())
    _check_selection(
        appeal_guids,
        appeal_numbers,
        bool(start_date or end_date or theme or fias_house_guids or statuses),
    )
    if start_date and end_date and start_date > end_date:
        raise ValueError("The start date is after the end date")

    request = etree.Element(_q(APPEALS_NS, "exportAppealRequest"))
    request.set("Id", SIGNED_ELEMENT_ID)
    request.set(_q(BASE_NS, "version"), version)
    for guid in appeal_guids:
        _sub(request, APPEALS_NS, "AppealGUID", guid)
    for number in appeal_numbers:
        _sub(
            request,
            APPEALS_NS,
            "AppealNumber",
            _check_text(number, "AppealNumber", 1, 30),
        )
    if start_date:
        _sub(request, APPEALS_NS, "StartDate", start_date.isoformat())
    if end_date:
        _sub(request, APPEALS_NS, "EndDate", end_date.isoformat())
    if theme:
        code, guid = theme
        if not NSI_CODE_RE.match(code or "") or not is_guid(guid):
            raise ValueError("A theme filter needs an NSI code and GUID")
        theme_el = _sub(request, APPEALS_NS, "AppealTheme")
        _sub(theme_el, NSI_NS, "Code", code)
        _sub(theme_el, NSI_NS, "GUID", guid)
    for guid in fias_house_guids:
        _sub(request, APPEALS_NS, "FIASHouseGuid", guid)
    if statuses:
        unknown = set(statuses) - set(STATUS_FILTER_ELEMENTS)
        if unknown:
            raise ValueError(f"Unknown appeal status filter {sorted(unknown)}")
        status_el = _sub(request, APPEALS_NS, "StatusOfAppeal")
        # The schema fixes the order of these flags.
        for status, tag in STATUS_FILTER_ELEMENTS.items():
            if status in statuses:
                _sub(status_el, APPEALS_NS, tag, "true")
    if include_hcs_appeals:
        _sub(request, APPEALS_NS, "IncludeHCSAppeals", "true")
    return serialize(_envelope(header, request))


def build_get_state_request(header, message_guid, header_tag="RequestHeader"):
    """Build a ``getStateRequest`` for the GIS-assigned ``message_guid``
    (``header_tag``: ISRequestHeader for the common НСИ service)."""
    if not is_guid(message_guid):
        raise ValueError(f"MessageGUID is not a GUID: {message_guid!r}")
    request = etree.Element(_q(BASE_NS, "getStateRequest"))
    _sub(request, BASE_NS, "MessageGUID", message_guid)
    return serialize(_envelope(header, request, header_tag))


def build_export_nsi_item_request(
    header, registry_number=NSI_THEMES_REGISTRY, list_group="NSI", modified_after=None
):
    """Build an ``exportNsiItemRequest`` of the common НСИ service (bytes):
    the whole directory ``registry_number``, or its elements changed after
    ``modified_after`` (an aware datetime)."""
    if not 1 <= int(registry_number) <= 10000:
        raise ValueError(f"Not an НСИ registry number: {registry_number!r}")
    if list_group not in ("NSI", "NSIRAO"):
        raise ValueError(f"Unknown НСИ list group {list_group!r}")
    request = etree.Element(
        _q(NSI_COMMON_NS, "exportNsiItemRequest"), nsmap={"nsic": NSI_COMMON_NS}
    )
    request.set("Id", SIGNED_ELEMENT_ID)
    request.set(_q(BASE_NS, "version"), NSI_VERSION)
    _sub(request, NSI_COMMON_NS, "RegistryNumber", str(int(registry_number)))
    _sub(request, NSI_NS, "ListGroup", list_group)
    if modified_after:
        _sub(request, NSI_COMMON_NS, "ModifiedAfter", modified_after.isoformat())
    return serialize(_envelope(header, request, "ISRequestHeader"))


@dataclasses.dataclass
class AnswerData:
    """One answer of an ``AnswerAction``: load text (with files already in
    the GIS file store, ``attachments`` of ``AttachmentInfo``), send, or
    delete."""

    answerer_guid: str
    text: str = None
    attachments: list = dataclasses.field(default_factory=list)
    send: bool = False
    delete: bool = False
    answer_guid: str = None
    transport_guid: str = dataclasses.field(default_factory=new_guid)


@dataclasses.dataclass
class AnswerAction:
    answers: list
    appeal_guid: str = None
    appeal_number: str = None
    transport_guid: str = dataclasses.field(default_factory=new_guid)


@dataclasses.dataclass
class AppealAction:
    """Status actions of ``importAnswerRequest`` on one appeal."""

    appeal_guid: str = None
    appeal_number: str = None
    performer_guid: str = None
    date_of_appointment: datetime.date = None
    executed_by_guid: str = None
    roll_over: tuple = None  # (execution date, comment, answerer GUID)
    not_required: tuple = None  # (cause, answerer GUID)
    redirect: tuple = None  # (receiver org root GUID, comment, answerer GUID)
    transport_guid: str = dataclasses.field(default_factory=new_guid)


def _appeal_ref(parent, action):
    if bool(action.appeal_guid) == bool(action.appeal_number):
        raise ValueError("Give either the AppealGUID or the AppealNumber")
    if action.appeal_guid:
        _check_guids([action.appeal_guid], "AppealGUID")
        _sub(parent, APPEALS_NS, "AppealGUID", action.appeal_guid)
    else:
        _sub(
            parent,
            APPEALS_NS,
            "AppealNumber",
            _check_text(action.appeal_number, "AppealNumber", 1, 30),
        )


def _render_attachments(parent, attachments, ns=APPEALS_NS):
    """``Attachment`` elements (``base:AttachmentType``): a file already in
    the GIS file store, with the GOST R 34.11-94 hash the format requires in
    import requests."""
    for att in attachments:
        if not is_guid(att.guid):
            raise ValueError(f"AttachmentGUID is not a GUID: {att.guid!r}")
        if not att.hash:
            raise ValueError(f"AttachmentHASH missing for {att.guid}")
        el = _sub(parent, ns, "Attachment")
        _sub(el, BASE_NS, "Name", _check_text(att.name, "Name", 1, 1024))
        _sub(
            el,
            BASE_NS,
            "Description",
            _check_text(att.description, "Description", 1, 500),
        )
        ref = _sub(el, BASE_NS, "Attachment")
        _sub(ref, BASE_NS, "AttachmentGUID", att.guid)
        _sub(el, BASE_NS, "AttachmentHASH", att.hash)


def _render_answer(action_el, answer):
    answer_el = _sub(action_el, APPEALS_NS, "Answer")
    _sub(answer_el, BASE_NS, "TransportGUID", answer.transport_guid)
    if answer.answer_guid:
        _check_guids([answer.answer_guid], "AnswerGUID")
        _sub(answer_el, APPEALS_NS, "AnswerGUID", answer.answer_guid)
    _check_guids([answer.answerer_guid], "AnswererGUID")
    _sub(answer_el, APPEALS_NS, "AnswererGUID", answer.answerer_guid)
    if answer.delete:
        if answer.text or answer.send:
            raise ValueError("A deleted answer can be neither loaded nor sent")
        _sub(answer_el, APPEALS_NS, "DeleteAnswer", "true")
        return
    if answer.text is not None:
        load = _sub(answer_el, APPEALS_NS, "LoadAnswer")
        text = _check_text(answer.text, "AnswerText", 0, 10000)
        _sub(load, APPEALS_NS, "AnswerText", text)
        _render_attachments(load, answer.attachments)
    if answer.send:
        _sub(answer_el, APPEALS_NS, "SendAnswer", "true")


def _render_answer_action(request, action):
    action_el = _sub(request, APPEALS_NS, "AnswerAction")
    _sub(action_el, BASE_NS, "TransportGUID", action.transport_guid)
    _appeal_ref(action_el, action)
    if not action.answers:
        raise ValueError("An AnswerAction needs at least one answer")
    for answer in action.answers:
        _render_answer(action_el, answer)


def _render_appeal_action(request, action):
    # The schema fixes the order: Performer, Executed, RedirectAppeal,
    # RollOverAppeal, AnswerIsNotRequired.
    action_el = _sub(request, APPEALS_NS, "AppealAction")
    _sub(action_el, BASE_NS, "TransportGUID", action.transport_guid)
    _appeal_ref(action_el, action)
    if action.performer_guid:
        _check_guids([action.performer_guid], "AnswererGUID")
        performer = _sub(action_el, APPEALS_NS, "Performer")
        _sub(performer, APPEALS_NS, "AnswererGUID", action.performer_guid)
        if action.date_of_appointment:
            appointment = action.date_of_appointment.isoformat()
            _sub(performer, APPEALS_NS, "DateOfAppointment", appointment)
    if action.executed_by_guid:
        _check_guids([action.executed_by_guid], "AnswererGUID")
        executed = _sub(action_el, APPEALS_NS, "Executed")
        _sub(executed, APPEALS_NS, "AnswererGUID", action.executed_by_guid)
    if action.redirect:
        receiver_guid, comment, answerer_guid = action.redirect
        _check_guids([receiver_guid, answerer_guid], "GUID")
        redirect = _sub(action_el, APPEALS_NS, "RedirectAppeal")
        receiver = _sub(redirect, APPEALS_NS, "Receiver")
        _sub(receiver, ORG_REG_NS, "orgRootEntityGUID", receiver_guid)
        comment = _check_text(comment, "Comment", 100, 1000)
        _sub(redirect, APPEALS_NS, "Comment", comment)
        _sub(redirect, APPEALS_NS, "AnswererGUID", answerer_guid)
    if action.roll_over:
        execution_date, comment, answerer_guid = action.roll_over
        _check_guids([answerer_guid], "AnswererGUID")
        roll = _sub(action_el, APPEALS_NS, "RollOverAppeal")
        _sub(roll, APPEALS_NS, "ExecutionDate", execution_date.isoformat())
        comment = _check_text(comment, "Comment", 20, 1000)
        _sub(roll, APPEALS_NS, "Comment", comment)
        _sub(roll, APPEALS_NS, "AnswererGUID", answerer_guid)
    if action.not_required:
        cause, answerer_guid = action.not_required
        _check_guids([answerer_guid], "AnswererGUID")
        not_required = _sub(action_el, APPEALS_NS, "AnswerIsNotRequired")
        _sub(not_required, APPEALS_NS, "Cause", _check_text(cause, "Cause", 20, 1000))
        _sub(not_required, APPEALS_NS, "AnswererGUID", answerer_guid)


def build_import_answer_request(
    header,
    version=DEFAULT_IMPORT_ANSWER_VERSION,
    *,
    answer_actions=(),
    appeal_actions=(),
):
    """Build an ``importAnswerRequest`` envelope (bytes)."""
    if version not in IMPORT_ANSWER_VERSIONS:
        raise ValueError(f"Unsupported importAnswer version {version!r}")
    if not answer_actions and not appeal_actions:
        raise ValueError("Nothing to import")
    request = etree.Element(_q(APPEALS_NS, "importAnswerRequest"))
    request.set("Id", SIGNED_ELEMENT_ID)
    request.set(_q(BASE_NS, "version"), version)
    for action in answer_actions:
        _render_answer_action(request, action)
    for action in appeal_actions:
        _render_appeal_action(request, action)
    return serialize(_envelope(header, request))
