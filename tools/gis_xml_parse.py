"""Parse the answers of the GIS ZhKKh services ``AppealsAsync`` and the
common НСИ service into plain data (``Ack``, ``StateResult``, ``Fault``).

Parsing is hardened: no DTD, no entities, no network access, no huge trees;
a document that declares a DOCTYPE is refused outright. Only plain Python
and lxml: no Odoo import.
"""

import dataclasses
import datetime
import hashlib
import json

from lxml import etree

from .gis_errors import GisResponseError
from .gis_xml_common import (
    APPEAL_STATUSES,
    APPEALS_NS,
    BASE_NS,
    NSI_CODE_RE,
    NSI_COMMON_NS,
    NSI_NS,
    ORG_REG_NS,
    SOAP_NS,
    STATE_DONE,
    STATE_PROCESSING,
    STATE_RECEIVED,
    AttachmentInfo,
    _q,
    is_guid,
)

# ---------------------------------------------------------------------------
# Safe parsing
# ---------------------------------------------------------------------------


def _safe_parser():
    # A new parser per call: lxml parsers are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data):
    """Parse bytes into an element, refusing DTDs, entities and garbage."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data or not data.strip():
        raise GisResponseError("Empty XML document")
    try:
        root = etree.fromstring(data, _safe_parser())
    except etree.XMLSyntaxError as exc:
        raise GisResponseError(f"Malformed XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise GisResponseError("XML with a DOCTYPE declaration refused")
    return root


# ---------------------------------------------------------------------------
# Parsed data
# ---------------------------------------------------------------------------


@dataclasses.dataclass
class ErrorInfo:
    code: str
    description: str

    def __str__(self):
        return f"[{self.code}] {self.description}"


@dataclasses.dataclass
class Ack:
    message_guid: str
    requester_message_guid: str


@dataclasses.dataclass
class Fault:
    fault_code: str
    fault_string: str
    error_code: str = None
    error_message: str = None


@dataclasses.dataclass
class Applicant:
    kind: str  # person, org or hcs (the appeal was formed by GIS itself)
    surname: str = None
    first_name: str = None
    patronymic: str = None
    org_guid: str = None
    post_address: str = None
    apartment_number: str = None
    email: str = None
    appeal_email: str = None
    phone: str = None

    @property
    def full_name(self):
        return " ".join(
            p for p in (self.surname, self.first_name, self.patronymic) if p
        )


@dataclasses.dataclass
class HistoryEntry:
    change_date: datetime.date
    kind: str  # change, answer, redirected, rolled_over, not_required, assessment
    org_guid: str = None
    data: dict = dataclasses.field(default_factory=dict)
    # The files of an answer, a redirection or a roll-over (``AttachmentInfo``):
    # not part of ``key()``, which entries posted before files were read keep.
    attachments: list = dataclasses.field(default_factory=list)

    def key(self):
        """Stable identity of the entry, to post each one once."""
        payload = json.dumps(
            [self.change_date.isoformat(), self.kind, self.org_guid, self.data],
            sort_keys=True,
            default=str,
            ensure_ascii=False,
        )
        return hashlib.sha1(payload.encode("utf-8")).hexdigest()[:16]


@dataclasses.dataclass
class Appeal:
    guid: str
    number: str
    create_date: datetime.date
    status: str  # sent, in_work, executed, withdrawn; None when GIS sends another
    raw_status: str
    applicant: Applicant
    text: str = ""
    parent_guid: str = None
    theme_code: str = None
    theme_guid: str = None
    theme_name: str = None
    another_topic: str = None
    fias_house_guid: str = None
    premise_number: str = None
    oktmo_code: str = None
    oktmo_name: str = None
    attachments: list = dataclasses.field(default_factory=list)
    answerer_guid: str = None
    history: list = dataclasses.field(default_factory=list)
    redirected: bool = False
    redirected_not_hcs: bool = False
    rolled_over: bool = False
    answer_not_required: bool = False
    withdrawn: bool = False
    withdrawn_comment: str = None
    from_mobile: bool = False
    execution_end_date: datetime.date = None
    npa_requirements: str = None
    date_of_appointment: datetime.date = None
    collective: bool = False
    neighbours: list = dataclasses.field(default_factory=list)
    warnings: list = dataclasses.field(default_factory=list)

    def fingerprint(self):
        """Digest of everything GIS said about the appeal: equal digests mean
        a re-import has nothing to change."""
        data = dataclasses.asdict(self)
        data.pop("warnings")
        for entry in data["history"]:
            # History files came later: an entry without any keeps the
            # digest it had.
            if not entry["attachments"]:
                del entry["attachments"]
        payload = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclasses.dataclass
class RejectedAppeal:
    """An ``Appeal`` element that could not be read; the rest of the batch is kept."""

    guid: str
    position: int
    reason: str


@dataclasses.dataclass
class NsiElement:
    """One element of an НСИ directory (children flattened, with their
    parent's code)."""

    code: str
    guid: str
    name: str
    is_actual: bool
    parent_code: str = None
    modified: str = None


@dataclasses.dataclass
class StateResult:
    request_state: int
    message_guid: str
    error: ErrorInfo = None
    appeals: list = dataclasses.field(default_factory=list)
    rejected: list = dataclasses.field(default_factory=list)
    import_results: list = dataclasses.field(default_factory=list)
    # exportNsiItem: the directory's elements (``NsiElement``), None when
    # the result is not a directory.
    nsi_elements: list = None
    nsi_registry_number: int = None

    @property
    def done(self):
        return self.request_state == STATE_DONE


@dataclasses.dataclass
class ImportResultItem:
    transport_guid: str
    guid: str = None
    unique_number: str = None
    update_date: str = None
    errors: list = dataclasses.field(default_factory=list)


# ---------------------------------------------------------------------------
# Parsing responses
# ---------------------------------------------------------------------------


def _local(el):
    return etree.QName(el).localname


def _children(el, ns, tag):
    return el.findall(_q(ns, tag))


def _text(el, ns, tag):
    child = el.find(_q(ns, tag))
    if child is None or child.text is None:
        return None
    return child.text.strip()


def _flag(el, ns, tag):
    value = _text(el, ns, tag)
    return value in ("true", "1")


def _date(value):
    if not value:
        return None
    # xs:date may carry a time zone suffix ("2026-09-01+03:00", "...Z").
    return datetime.date.fromisoformat(value[:10])


class _Reader:
    """Reads optional values, collecting warnings instead of failing."""

    def __init__(self):
        self.warnings = []

    def date(self, el, ns, tag):
        value = _text(el, ns, tag)
        try:
            return _date(value)
        except ValueError:
            self.warnings.append(f"{tag}: not a date ({value!r})")
            return None

    def guid(self, el, ns, tag):
        value = _text(el, ns, tag)
        if value and not is_guid(value):
            self.warnings.append(f"{tag}: not a GUID ({value!r})")
            return None
        return value


def parse_fault(fault_el):
    detail = fault_el.find("detail")
    error_code = error_message = None
    if detail is not None:
        gis_fault = detail.find(_q(BASE_NS, "Fault"))
        if gis_fault is not None:
            error_code = _text(gis_fault, BASE_NS, "ErrorCode")
            error_message = _text(gis_fault, BASE_NS, "ErrorMessage")
    return Fault(
        fault_code=(fault_el.findtext("faultcode") or "").strip(),
        fault_string=(fault_el.findtext("faultstring") or "").strip(),
        error_code=error_code,
        error_message=error_message,
    )


def _error_info(el):
    return ErrorInfo(
        code=_text(el, BASE_NS, "ErrorCode") or "",
        description=_text(el, BASE_NS, "Description") or "",
    )


def parse_applicant(el):
    if _flag(el, APPEALS_NS, "HCS"):
        return Applicant(kind="hcs")
    reader = _Reader()
    person = el.find(_q(APPEALS_NS, "Person"))
    org = el.find(_q(APPEALS_NS, "Org"))
    if person is not None:
        applicant = Applicant(
            kind="person",
            surname=_text(person, APPEALS_NS, "Surname"),
            first_name=_text(person, APPEALS_NS, "FirstName"),
            patronymic=_text(person, APPEALS_NS, "Patronymic"),
        )
    elif org is not None:
        applicant = Applicant(
            kind="org", org_guid=reader.guid(org, ORG_REG_NS, "orgRootEntityGUID")
        )
    else:
        applicant = Applicant(kind="unknown")
    applicant.post_address = _text(el, APPEALS_NS, "PostAddress")
    applicant.apartment_number = _text(el, APPEALS_NS, "ApartmentNumber")
    applicant.email = _text(el, APPEALS_NS, "Email")
    applicant.appeal_email = _text(el, APPEALS_NS, "AppealEmail")
    applicant.phone = _text(el, APPEALS_NS, "PhoneNumber")
    return applicant


def _attachments(el, ns=APPEALS_NS):
    result = []
    for att in _children(el, ns, "Attachment"):
        ref = att.find(_q(BASE_NS, "Attachment"))
        result.append(
            AttachmentInfo(
                name=_text(att, BASE_NS, "Name") or "",
                description=_text(att, BASE_NS, "Description") or "",
                guid=_text(ref, BASE_NS, "AttachmentGUID") if ref is not None else None,
                hash=_text(att, BASE_NS, "AttachmentHASH"),
            )
        )
    return result


def _org_guid(el):
    if el is None:
        return None
    return _text(el, ORG_REG_NS, "orgRootEntityGUID")


def _parse_history(el, reader):
    change_date = reader.date(el, APPEALS_NS, "ChangeDate")
    org_guid = _org_guid(el.find(_q(APPEALS_NS, "Organization")))
    kind, data, attachments = "change", {}, []
    answer = el.find(_q(APPEALS_NS, "Answer"))
    redirected = el.find(_q(APPEALS_NS, "Redirected"))
    rolled = el.find(_q(APPEALS_NS, "RolledOver"))
    not_required = el.find(_q(APPEALS_NS, "IsNotRequired"))
    assessment = el.find(_q(APPEALS_NS, "Assesment"))
    if answer is not None:
        kind = "answer"
        answerer = answer.find(_q(APPEALS_NS, "Answerer"))
        data = {
            "answer_guid": _text(answer, APPEALS_NS, "AnswerGUID"),
            "answer_number": _text(answer, APPEALS_NS, "AnswerNumber"),
            "send_date": _text(answer, APPEALS_NS, "SendAnswerDate"),
            "answerer_guid": _text(answerer, APPEALS_NS, "AnswererGUID")
            if answerer is not None
            else None,
            "text": _text(answer, APPEALS_NS, "AnswerText") or "",
            "is_sent": _flag(answer, APPEALS_NS, "AnswerIsSent"),
            "attachments": [a.name for a in _attachments(answer)],
        }
        attachments = _attachments(answer)
    elif redirected is not None:
        kind = "redirected"
        data = {
            "receiver_guid": _org_guid(redirected.find(_q(APPEALS_NS, "Receiver"))),
            "comment": _text(redirected, APPEALS_NS, "Comment"),
            "answerer_guid": _text(redirected, APPEALS_NS, "AnswererGUID"),
        }
        attachments = _attachments(redirected)
    elif rolled is not None:
        kind = "rolled_over"
        data = {
            "execution_date": _text(rolled, APPEALS_NS, "ExecutionDate"),
            "comment": _text(rolled, APPEALS_NS, "Comment"),
            "answerer_guid": _text(rolled, APPEALS_NS, "AnswererGUID"),
        }
        attachments = _attachments(rolled)
    elif not_required is not None:
        kind = "not_required"
        data = {"cause": _text(not_required, APPEALS_NS, "Cause")}
    elif assessment is not None:
        kind = "assessment"
        if _flag(assessment, APPEALS_NS, "InformationIsReceived"):
            result = "received"
        elif _flag(assessment, APPEALS_NS, "AnswerIsPartlyReceived"):
            result = "partly_received"
        elif _flag(assessment, APPEALS_NS, "AnswerIsNotSatisfied"):
            result = "not_satisfied"
        else:
            result = "unknown"
        data = {
            "result": result,
            "comment": _text(assessment, APPEALS_NS, "DeclineComment"),
        }
    if change_date is None:
        return None
    return HistoryEntry(
        change_date=change_date,
        kind=kind,
        org_guid=org_guid,
        data=data,
        attachments=attachments,
    )


def parse_appeal(el):
    """Read one ``exportAppealResultType`` element.

    Raises ``ValueError`` when a field the ticket cannot do without is missing
    or wrong (GUID, number, date of receipt); anything optional that is wrong
    becomes a warning on the appeal.
    """
    guid = _text(el, APPEALS_NS, "AppealGUID")
    if not is_guid(guid):
        raise ValueError(f"AppealGUID missing or not a GUID ({guid!r})")
    number = _text(el, APPEALS_NS, "AppealNumber")
    if not number:
        raise ValueError("AppealNumber missing")
    try:
        create_date = _date(_text(el, APPEALS_NS, "AppealCreateDate"))
    except ValueError:
        create_date = None
    if not create_date:
        raise ValueError("AppealCreateDate missing or not a date")
    applicant_el = el.find(_q(APPEALS_NS, "ApplicantInfo"))
    if applicant_el is None:
        raise ValueError("ApplicantInfo missing")

    reader = _Reader()
    raw_status = _text(el, APPEALS_NS, "AppealStatus")
    status = APPEAL_STATUSES.get(raw_status)
    if status is None:
        reader.warnings.append(f"AppealStatus: unknown value {raw_status!r}")

    appeal = Appeal(
        guid=guid.lower(),
        number=number,
        create_date=create_date,
        status=status,
        raw_status=raw_status,
        applicant=parse_applicant(applicant_el),
        text=(el.findtext(_q(APPEALS_NS, "AppealText")) or "").strip(),
        parent_guid=reader.guid(el, APPEALS_NS, "ParentAppealGUID"),
        another_topic=_text(el, APPEALS_NS, "AnotherTopic"),
        fias_house_guid=reader.guid(el, APPEALS_NS, "FIASHouseGuid"),
        premise_number=_text(el, APPEALS_NS, "PremiseNumber"),
        answerer_guid=reader.guid(el, APPEALS_NS, "AnswererGUID"),
        redirected=_flag(el, APPEALS_NS, "Redirected"),
        redirected_not_hcs=_flag(el, APPEALS_NS, "RedirectedIsNotHCS"),
        rolled_over=_flag(el, APPEALS_NS, "RolledOver"),
        answer_not_required=_flag(el, APPEALS_NS, "AnswerIsNotRequired"),
        from_mobile=_flag(el, APPEALS_NS, "FromMobile"),
        execution_end_date=reader.date(el, APPEALS_NS, "ExecutionEndDate"),
        npa_requirements=_text(el, APPEALS_NS, "NPARequirements"),
        date_of_appointment=reader.date(el, APPEALS_NS, "DateOfAppointment"),
        collective=_flag(el, APPEALS_NS, "Collective"),
    )
    if appeal.fias_house_guid:
        appeal.fias_house_guid = appeal.fias_house_guid.lower()
    topic = el.find(_q(APPEALS_NS, "AppealTopic"))
    if topic is not None:
        appeal.theme_code = _text(topic, NSI_NS, "Code")
        appeal.theme_guid = reader.guid(topic, NSI_NS, "GUID")
        appeal.theme_name = _text(topic, NSI_NS, "Name")
    elif not appeal.another_topic:
        reader.warnings.append("Neither AppealTopic nor AnotherTopic given")
    oktmo = el.find(_q(APPEALS_NS, "OKTMO"))
    if oktmo is not None:
        appeal.oktmo_code = _text(oktmo, BASE_NS, "code")
        appeal.oktmo_name = _text(oktmo, BASE_NS, "name")
    appeal.attachments = _attachments(el)
    withdrawn = el.find(_q(APPEALS_NS, "AppealWithdrawn"))
    if withdrawn is not None:
        appeal.withdrawn = True
        appeal.withdrawn_comment = _text(withdrawn, APPEALS_NS, "Comment")
    for hist_el in _children(el, APPEALS_NS, "AppealHistory"):
        entry = _parse_history(hist_el, reader)
        if entry is None:
            reader.warnings.append("AppealHistory entry without a valid ChangeDate")
        else:
            appeal.history.append(entry)
    appeal.neighbours = [
        parse_applicant(n) for n in _children(el, APPEALS_NS, "NeighbourInfo")
    ]
    appeal.warnings = reader.warnings
    return appeal


def parse_state_result(el):
    state_text = _text(el, BASE_NS, "RequestState")
    try:
        request_state = int(state_text)
    except (TypeError, ValueError) as exc:
        raise GisResponseError(
            f"getStateResult without a valid RequestState ({state_text!r})"
        ) from exc
    if request_state not in (STATE_RECEIVED, STATE_PROCESSING, STATE_DONE):
        raise GisResponseError(f"Unknown RequestState {request_state}")
    result = StateResult(
        request_state=request_state,
        message_guid=_text(el, BASE_NS, "MessageGUID"),
    )
    error_el = el.find(_q(BASE_NS, "ErrorMessage"))
    if error_el is not None:
        result.error = _error_info(error_el)
    for position, appeal_el in enumerate(
        _children(el, APPEALS_NS, "ExportAppealResult")
    ):
        try:
            result.appeals.append(parse_appeal(appeal_el))
        except ValueError as exc:
            guid = _text(appeal_el, APPEALS_NS, "AppealGUID")
            result.rejected.append(
                RejectedAppeal(guid=guid, position=position, reason=str(exc))
            )
    nsi_item = el.find(_q(NSI_COMMON_NS, "NsiItem"))
    if nsi_item is not None:
        result.nsi_registry_number, result.nsi_elements = parse_nsi_item(nsi_item)
    for item_el in _children(el, APPEALS_NS, "ImportResult"):
        item = ImportResultItem(
            transport_guid=_text(item_el, BASE_NS, "TransportGUID"),
            guid=_text(item_el, BASE_NS, "GUID"),
            unique_number=_text(item_el, BASE_NS, "UniqueNumber"),
            update_date=_text(item_el, BASE_NS, "UpdateDate"),
        )
        item.errors = [_error_info(e) for e in _children(item_el, BASE_NS, "Error")]
        result.import_results.append(item)
    return result


# The field that names a theme in directory 220 is not documented in the
# carried formats: the first string field with one of these words in its
# name, else the first string field with a value.
NSI_NAME_FIELDS = ("наименование", "тема", "тематика", "значение", "name")


def _nsi_name(element_el):
    strings = []
    for field in element_el.findall(_q(NSI_NS, "NsiElementField")):
        value = _text(field, NSI_NS, "Value")
        if value and value.lower() not in ("true", "false"):
            strings.append(((_text(field, NSI_NS, "Name") or "").lower(), value))
    for label, value in strings:
        if any(word in label for word in NSI_NAME_FIELDS):
            return value
    return strings[0][1] if strings else None


def _nsi_elements(parent_el, parent_code=None):
    elements = []
    for el in parent_el.findall(_q(NSI_NS, "NsiElement")) + parent_el.findall(
        _q(NSI_NS, "ChildElement")
    ):
        code = _text(el, NSI_NS, "Code")
        guid = _text(el, NSI_NS, "GUID")
        if not code or not NSI_CODE_RE.match(code) or not is_guid(guid):
            continue
        elements.append(
            NsiElement(
                code=code,
                guid=guid.lower(),
                name=_nsi_name(el) or code,
                is_actual=_flag(el, NSI_NS, "IsActual"),
                parent_code=parent_code,
                modified=_text(el, NSI_NS, "Modified"),
            )
        )
        elements += _nsi_elements(el, code)
    return elements


def parse_nsi_item(el):
    """``(registry number, [NsiElement])`` of an ``NsiItemType`` element."""
    number = _text(el, NSI_NS, "NsiItemRegistryNumber")
    try:
        number = int(number)
    except (TypeError, ValueError) as exc:
        raise GisResponseError(
            f"NsiItem without a registry number ({number!r})"
        ) from exc
    return number, _nsi_elements(el)


def parse_ack(el):
    ack = el.find(_q(BASE_NS, "Ack"))
    if ack is None:
        raise GisResponseError("AckRequest without Ack")
    message_guid = _text(ack, BASE_NS, "MessageGUID")
    if not is_guid(message_guid):
        raise GisResponseError(f"Ack without a valid MessageGUID ({message_guid!r})")
    return Ack(
        message_guid=message_guid,
        requester_message_guid=_text(ack, BASE_NS, "RequesterMessageGUID"),
    )


def soap_body_payload(data):
    """Return the first element of the SOAP body of ``data`` (bytes)."""
    root = parse_xml(data)
    if root.tag != _q(SOAP_NS, "Envelope"):
        raise GisResponseError(f"Not a SOAP envelope (root element {_local(root)!r})")
    body = root.find(_q(SOAP_NS, "Body"))
    if body is None or not len(body):
        raise GisResponseError("SOAP envelope without a body")
    return body[0]


def parse_response(data):
    """Parse a GIS answer into an ``Ack``, a ``StateResult`` or a ``Fault``."""
    payload = soap_body_payload(data)
    if payload.tag == _q(SOAP_NS, "Fault"):
        return parse_fault(payload)
    if payload.tag == _q(BASE_NS, "AckRequest"):
        return parse_ack(payload)
    if payload.tag in (
        _q(APPEALS_NS, "getStateResult"),
        _q(NSI_COMMON_NS, "getStateResult"),
    ):
        return parse_state_result(payload)
    raise GisResponseError(f"Unexpected answer element {payload.tag}")
