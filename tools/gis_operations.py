"""The operations an organisation performs on a GIS ZhKKh appeal.

Each operation becomes one ``importAnswerRequest`` (``AppealsAsync``): an
answer (``LoadAnswer`` then ``SendAnswer``), the deletion of a draft answer,
the appointment of a performer, the "executed" mark, a redirection, a
deadline extension, or "no answer required". This module says what each one
needs, checks it before anything is sent (the limits are the 16.3.0.0
schema's) and builds the request's actions with TransportGUIDs given by the
caller, so that a request sent again is the very same request.

An answer may carry documents: they are uploaded to the GIS file store
first (``gis_files``), and the request names each by its AttachmentGUID with
its GOST R 34.11-94 hash (``AttachmentInfo``).
"""

import dataclasses
import datetime
import re

from .gis_xml_build import AnswerAction, AnswerData, AppealAction
from .gis_xml_common import is_guid

OPERATIONS = (
    "answer",
    "answer_and_execute",
    "executed",
    "performer",
    "redirect",
    "rollover",
    "answer_not_required",
    "delete_answer",
)
# Operations that answer the resident (they meet the answer deadline).
ANSWERING = ("answer", "answer_and_execute")
# Operations after which GIS shows the appeal executed.
EXECUTING = ("answer_and_execute", "executed")
# What the schema allows (characters).
TEXT_LIMITS = {
    "text": (1, 10000),
    "rollover_comment": (20, 1000),
    "redirect_comment": (100, 1000),
    "cause": (20, 1000),
}
# GIS refuses most operations on appeals in these statuses.
CLOSED_STATUSES = ("executed", "withdrawn")
ALLOWED_WHEN_CLOSED = {"executed": ("delete_answer",), "withdrawn": ()}


@dataclasses.dataclass(frozen=True)
class Problem:
    """Why an operation cannot be sent; ``code`` is stable, for translation."""

    code: str
    field: str = None
    low: int = None
    high: int = None
    length: int = None


@dataclasses.dataclass
class Operation:
    operation: str
    appeal_guid: str
    answerer_guid: str
    text: str = None  # answer, answer_and_execute
    answer_guid: str = None  # delete_answer: the draft to delete
    execution_date: datetime.date = None  # rollover: the new deadline
    comment: str = None  # rollover, redirect
    cause: str = None  # answer_not_required
    receiver_guid: str = None  # redirect: orgRootEntityGUID of the receiver
    performer_guid: str = None  # performer (default: the answerer)
    date_of_appointment: datetime.date = None  # performer: planned date
    # answer, answer_and_execute: documents already in the GIS file store
    # (``gis_xml_common.AttachmentInfo``).
    attachments: tuple = ()


@dataclasses.dataclass
class TransportGuids:
    """The TransportGUIDs of one request: kept with the operation, so that a
    request sent again (after a crash) is identical."""

    answer_action: str = None
    answer: str = None
    appeal_action: str = None


# Characters XML 1.0 cannot carry (control characters, U+FFFE, U+FFFF...).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _length_problem(value, field, limits_key):
    low, high = TEXT_LIMITS[limits_key]
    length = len((value or "").strip())
    if not low <= length <= high:
        return Problem("length", field, low, high, length)
    if value and NOT_XML.search(value):
        return Problem("bad_characters", field)
    return None


def _check_answer(operation, deadline, today):
    return [_length_problem(operation.text, "text", "text")]


def _check_delete(operation, deadline, today):
    if not is_guid(operation.answer_guid):
        return [Problem("no_draft_answer", "answer_guid")]
    return []


def _check_rollover(operation, deadline, today):
    problems = [_length_problem(operation.comment, "comment", "rollover_comment")]
    new_date = operation.execution_date
    if not new_date:
        problems.append(Problem("required", "execution_date"))
    elif deadline and new_date <= deadline:
        problems.append(Problem("not_after_deadline", "execution_date"))
    elif today and new_date <= today:
        problems.append(Problem("not_in_future", "execution_date"))
    return problems


def _check_redirect(operation, deadline, today):
    problems = [_length_problem(operation.comment, "comment", "redirect_comment")]
    if not is_guid(operation.receiver_guid):
        problems.append(Problem("bad_guid", "receiver_guid"))
    return problems


def _check_not_required(operation, deadline, today):
    return [_length_problem(operation.cause, "cause", "cause")]


def _check_performer(operation, deadline, today):
    problems = []
    if operation.performer_guid and not is_guid(operation.performer_guid):
        problems.append(Problem("bad_guid", "performer_guid"))
    planned = operation.date_of_appointment
    if planned and today and planned < today:
        problems.append(Problem("not_in_future", "date_of_appointment"))
    return problems


CHECKS = {
    "answer": _check_answer,
    "answer_and_execute": _check_answer,
    "delete_answer": _check_delete,
    "rollover": _check_rollover,
    "redirect": _check_redirect,
    "answer_not_required": _check_not_required,
    "performer": _check_performer,
}


def check(operation, status=None, deadline=None, today=None):
    """The problems that keep ``operation`` from being sent, [] when none.

    ``status`` is the appeal's GIS status, ``deadline`` its current GIS
    deadline (a new one must come after it), ``today`` a date.
    """
    op = operation.operation
    if op not in OPERATIONS:
        return [Problem("unknown_operation", "operation")]
    problems = []
    if not is_guid(operation.appeal_guid):
        problems.append(Problem("not_from_gis", "appeal_guid"))
    if not operation.answerer_guid:
        problems.append(Problem("no_answerer", "answerer_guid"))
    elif not is_guid(operation.answerer_guid):
        problems.append(Problem("bad_guid", "answerer_guid"))
    if status in CLOSED_STATUSES and op not in ALLOWED_WHEN_CLOSED[status]:
        problems.append(Problem(f"appeal_{status}", "status"))
    if operation.attachments and op not in ANSWERING:
        problems.append(Problem("files_not_allowed", "attachments"))
    if op in CHECKS:
        problems += CHECKS[op](operation, deadline, today)
    return [p for p in problems if p]


def build(operation, transport):
    """``(answer_actions, appeal_actions)`` of ``operation`` for
    ``gis_xml_build.build_import_answer_request``. Raises ``ValueError`` on an
    operation ``check`` would refuse."""
    problems = check(operation)
    if problems:
        raise ValueError(f"{operation.operation}: {problems}")
    op = operation.operation
    answer_actions, appeal_actions = [], []
    if op in ANSWERING or op == "delete_answer":
        if op == "delete_answer":
            answer = AnswerData(
                answerer_guid=operation.answerer_guid,
                answer_guid=operation.answer_guid,
                delete=True,
                transport_guid=transport.answer,
            )
        else:
            answer = AnswerData(
                answerer_guid=operation.answerer_guid,
                text=operation.text.strip(),
                send=True,
                attachments=list(operation.attachments),
                transport_guid=transport.answer,
            )
        answer_actions.append(
            AnswerAction(
                answers=[answer],
                appeal_guid=operation.appeal_guid,
                transport_guid=transport.answer_action,
            )
        )
    action = AppealAction(
        appeal_guid=operation.appeal_guid, transport_guid=transport.appeal_action
    )
    if op in EXECUTING:
        action.executed_by_guid = operation.answerer_guid
    elif op == "performer":
        action.performer_guid = operation.performer_guid or operation.answerer_guid
        action.date_of_appointment = operation.date_of_appointment
    elif op == "redirect":
        action.redirect = (
            operation.receiver_guid,
            operation.comment.strip(),
            operation.answerer_guid,
        )
    elif op == "rollover":
        action.roll_over = (
            operation.execution_date,
            operation.comment.strip(),
            operation.answerer_guid,
        )
    elif op == "answer_not_required":
        action.not_required = (operation.cause.strip(), operation.answerer_guid)
    else:
        action = None
    if action is not None:
        appeal_actions.append(action)
    return answer_actions, appeal_actions


def tells_planned_time(operation):
    """Whether GIS ZhKKh, once it accepted ``operation``, shows the resident
    the planned timeframe of their appeal (ПП 416 п. 13: the applicant is
    told it within 30 minutes of the registration).

    Two operations do: the performer appointed with a planned date (the
    appeal's ``DateOfAppointment``, "Планируемая дата исполнения обращения",
    which GIS exports with the appeal the resident follows), and an answer
    sent to the resident (GIS delivers it to them). A performer without a
    date, a redirection, an extension or "no answer required" tell them no
    timeframe of ours."""
    if operation.operation in ANSWERING:
        return True
    return operation.operation == "performer" and bool(operation.date_of_appointment)


def transport_roles(operation):
    """Which TransportGUIDs ``operation`` needs, and which of them GIS
    answers for in ``ImportResult``: the answer (its AnswerGUID) and/or the
    appeal action."""
    op = operation if isinstance(operation, str) else operation.operation
    roles = []
    if op in ANSWERING or op == "delete_answer":
        roles += ["answer_action", "answer"]
    if op not in ("answer", "delete_answer"):
        roles.append("appeal_action")
    return roles


def result_roles(operation):
    """The roles whose ``ImportResult`` says whether GIS accepted it."""
    return [r for r in transport_roles(operation) if r != "answer_action"]


def effect_seen(operation, appeal):
    """Whether ``appeal`` (as GIS exports it after the operation was
    accepted) shows the operation's effect. ``operation`` is an ``Operation``
    whose ``answer_guid`` is the AnswerGUID GIS gave (answers) or the draft
    deleted (deletions)."""
    op = operation.operation
    answers = {
        (entry.data.get("answer_guid") or "").lower(): entry
        for entry in appeal.history
        if entry.kind == "answer"
    }
    answer = answers.get((operation.answer_guid or "").lower())
    if answer is None and not operation.answer_guid and op != "delete_answer":
        # No AnswerGUID from GIS (its answer to the request was lost): the
        # answer sent with the same text.
        answer = next(
            (
                entry
                for entry in answers.values()
                if entry.data.get("is_sent")
                and (entry.data.get("text") or "").strip() == (operation.text or "")
            ),
            None,
        )
    checks = {
        "answer": answer is not None and answer.data.get("is_sent"),
        "answer_and_execute": appeal.status == "executed",
        "executed": appeal.status == "executed",
        "performer": (appeal.answerer_guid or "").lower()
        == (operation.performer_guid or operation.answerer_guid or "").lower(),
        "redirect": appeal.redirected or appeal.redirected_not_hcs,
        "rollover": appeal.rolled_over
        and appeal.execution_end_date == operation.execution_date,
        "answer_not_required": appeal.answer_not_required,
        "delete_answer": answer is None,
    }
    return bool(checks[op])
