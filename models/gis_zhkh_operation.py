# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import dataclasses
import datetime
import hashlib
import json
import logging
import re
import uuid

from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.queue_job.exception import RetryableJobError

from ..tools import gis_operations, gis_xml_common
from ..tools.gis_errors import GisError, GisRequestInvalid
from .gis_zhkh_file import UPLOAD_BACKOFF
from .helpdesk_ticket import gis_facts_writer

_logger = logging.getLogger(__name__)

OPERATIONS = [
    ("answer", "Answer"),
    ("answer_and_execute", "Answer and mark executed"),
    ("executed", "Mark executed"),
    ("performer", "Appoint the performer"),
    ("redirect", "Redirect to another organisation"),
    ("rollover", "Extend the deadline"),
    ("answer_not_required", "Answer not required"),
    ("delete_answer", "Delete the draft answer"),
]
# An operation that is neither refused nor cancelled stands: the same one
# (same ticket, operation and values) is not queued a second time.
ACTIVE_STATES = ("queued", "sent", "accepted")
LOCKED_RETRY_SECONDS = 10
# After a failed send: (up to attempt, wait in seconds); the request is sent
# again as is, hourly at the end, until GIS takes or refuses it.
SEND_BACKOFF = ((2, 30), (4, 120), (6, 600), (None, 3600))
JOB_KEY = re.compile(r"^gis-zhkh-operation-(?:prepare|send)-(\d+)")
# A request GIS acknowledged but never finished: asked again hourly for
# this long (GIS keeps results for a while), then left to a person.
RECHECK_DAYS = 30


class GisZhkhOperation(models.Model):
    """One operation on a GIS ZhKKh appeal, sent exactly once."""

    _name = "gis.zhkh.operation"
    _description = "GIS ZhKKh Operation"
    _order = "id desc"

    ticket_id = fields.Many2one(
        "helpdesk.ticket", required=True, ondelete="restrict", index=True
    )
    backend_id = fields.Many2one(
        "gis.zhkh.backend",
        string="Connection",
        required=True,
        ondelete="restrict",
        index=True,
    )
    company_id = fields.Many2one(
        related="backend_id.company_id", store=True, index=True
    )
    appeal_guid = fields.Char(string="AppealGUID", required=True, readonly=True)
    operation = fields.Selection(OPERATIONS, required=True, readonly=True)
    state = fields.Selection(
        [
            ("queued", "Queued"),
            ("sent", "Sent"),
            ("accepted", "Accepted"),
            ("rejected", "Rejected"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="queued",
        index=True,
        readonly=True,
    )
    key = fields.Char(
        required=True,
        readonly=True,
        index=True,
        help="What makes the operation itself: the same key is not queued twice.",
    )
    source = fields.Selection(
        [("manual", "From the ticket"), ("automation", "Automation rule")],
        default="manual",
        readonly=True,
    )
    requested_by_id = fields.Many2one("res.users", readonly=True)
    # What is sent.
    answerer_guid = fields.Char(string="AnswererGUID", readonly=True)
    text = fields.Text(string="Answer text", readonly=True)
    answer_guid = fields.Char(
        string="Draft AnswerGUID",
        readonly=True,
        help="The draft answer the operation deletes.",
    )
    execution_date = fields.Date(string="New deadline", readonly=True)
    comment = fields.Text(readonly=True)
    cause = fields.Text(readonly=True)
    receiver_guid = fields.Char(string="Receiver organisation GUID", readonly=True)
    performer_guid = fields.Char(string="Performer AnswererGUID", readonly=True)
    date_of_appointment = fields.Date(string="Planned date", readonly=True)
    # The request, kept from its preparation: sent again as is after a crash.
    request_message_guid = fields.Char(string="Our MessageGUID", readonly=True)
    transport_answer_action_guid = fields.Char(readonly=True)
    transport_answer_guid = fields.Char(readonly=True)
    transport_appeal_action_guid = fields.Char(readonly=True)
    request_xml = fields.Binary(
        string="Request (as signed)", attachment=True, readonly=True
    )
    prepared_at = fields.Datetime(readonly=True)
    sent_at = fields.Datetime(readonly=True)
    done_at = fields.Datetime(string="Answered by GIS at", readonly=True)
    message_id = fields.Many2one(
        "gis.zhkh.message", string="Exchange", readonly=True, ondelete="set null"
    )
    # Kept here too: the exchange log is purged after its retention period.
    ack_guid = fields.Char(string="GIS MessageGUID", readonly=True)
    # What GIS said.
    result_answer_guid = fields.Char(string="AnswerGUID", readonly=True)
    result_number = fields.Char(string="GIS number", readonly=True)
    error_code = fields.Char(readonly=True)
    error_message = fields.Text(readonly=True)
    last_error = fields.Text(
        readonly=True, help="The last temporary failure; the operation is retried."
    )
    send_attempts = fields.Integer(
        readonly=True, help="Sends that failed on the way; each is kept as proof."
    )
    attempt_ids = fields.One2many(
        "gis.zhkh.message",
        "failed_operation_id",
        string="Failed attempts",
        readonly=True,
        help="Each send that did not reach GIS ZhKKh, with what was sent and "
        "what came back: proof that the organisation tried, and when.",
    )
    result_unknown = fields.Boolean(
        string="Sent, result unknown",
        readonly=True,
        help="GIS ZhKKh refused a repeat of a request it had already received "
        "(it takes a MessageGUID once), and the answer to the first send was "
        "lost: the appeal's next import shows whether GIS applied it.",
    )
    confirmed = fields.Boolean(
        readonly=True, help="An import after the acceptance shows its effect."
    )
    file_ids = fields.One2many(
        "gis.zhkh.file",
        "operation_id",
        string="Documents",
        readonly=True,
        help="The documents sent with the answer: each uploaded once to the GIS "
        "ZhKKh file store, with its GUID and GOST R 34.11-94 hash.",
    )
    conflict = fields.Text(readonly=True)

    _key_active_unique = models.UniqueIndex(
        "(key) WHERE state IN ('queued', 'sent', 'accepted')",
        "This operation is already queued or done for this ticket.",
    )

    @api.depends("operation", "ticket_id")
    def _compute_display_name(self):
        names = dict(self._fields["operation"]._description_selection(self.env))
        for record in self:
            record.display_name = (
                f"{record.ticket_id.number or ''} — {names.get(record.operation, '')}"
            )

    # ------------------------------------------------------------------
    # Queueing from a ticket (its wizard, a server action)
    # ------------------------------------------------------------------

    @api.model
    def _plain_for(self, ticket, operation, values):
        """The operation ``values`` describe, for ``ticket``'s appeal."""
        ticket = ticket.sudo()
        answerer_guid = False
        if ticket.gis_backend_id:
            answerer_guid = ticket.gis_backend_id._answerer_for(ticket.user_id)[0]
        answer_guid = values.get("answer_guid")
        if operation == "delete_answer" and not answer_guid:
            answer_guid = ticket.gis_draft_answer_guid

        def text(name):
            # What is sent is what is compared: " x" and "x" are one request.
            return (values.get(name) or "").strip() or None

        return gis_operations.Operation(
            operation=operation,
            appeal_guid=ticket.gis_appeal_guid,
            answerer_guid=answerer_guid,
            text=text("text"),
            answer_guid=answer_guid or None,
            execution_date=fields.Date.to_date(values.get("execution_date")),
            comment=text("comment"),
            cause=text("cause"),
            receiver_guid=text("receiver_guid"),
            performer_guid=text("performer_guid"),
            date_of_appointment=fields.Date.to_date(values.get("date_of_appointment")),
        )

    @api.model
    def _problems_for(self, ticket, plain):
        """Why ``plain`` cannot go to GIS ZhKKh for ``ticket``, in words for
        the user; [] when it can."""
        ticket = ticket.sudo()
        problems = gis_operations.check(
            plain,
            status=ticket.gis_status,
            deadline=ticket.gis_deadline,
            today=ticket._gis_local_today(),
        )
        if ticket.gis_appeal_guid and not ticket.gis_backend_id.active:
            problems.insert(0, gis_operations.Problem("not_from_gis", "appeal_guid"))
        return list(dict.fromkeys(self._problem_text(ticket, p) for p in problems))

    @api.model
    def _problem_text(self, ticket, problem):
        labels = {
            "text": self.env._("The answer"),
            "comment": self.env._("The comment"),
            "cause": self.env._("The cause"),
            "execution_date": self.env._("The new deadline"),
            "receiver_guid": self.env._("The receiver organisation's GUID"),
            "answerer_guid": self.env._("The AnswererGUID"),
            "performer_guid": self.env._("The performer's AnswererGUID"),
            "date_of_appointment": self.env._("The planned date"),
        }
        field = labels.get(problem.field, problem.field)
        deadline = ticket.sudo().gis_deadline
        if problem.code == "no_answerer" and ticket.user_id:
            no_answerer = self.env._(
                "Nobody answers this ticket in GIS ZhKKh: give %(user)s an "
                "AnswererGUID on the connection, or set its default answerer.",
                user=ticket.user_id.name,
            )
        else:
            no_answerer = self.env._(
                "Nobody answers this ticket in GIS ZhKKh: assign the ticket to a "
                "user who has an AnswererGUID on the connection, or set its "
                "default answerer."
            )
        texts = {
            "not_from_gis": self.env._(
                "This ticket is not an appeal received from GIS ZhKKh."
            ),
            "no_answerer": no_answerer,
            "appeal_withdrawn": self.env._(
                "The resident withdrew the appeal in GIS ZhKKh: it takes no more "
                "answers or actions."
            ),
            "appeal_executed": self.env._(
                "The appeal is already executed in GIS ZhKKh."
            ),
            "length": self.env._(
                "%(field)s must have %(low)s to %(high)s characters (it has "
                "%(length)s).",
                field=field,
                low=problem.low,
                high=problem.high,
                length=problem.length,
            ),
            "bad_characters": self.env._(
                "%(field)s contains characters GIS ZhKKh cannot receive.", field=field
            ),
            "bad_guid": self.env._(
                "%(field)s is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).",
                field=field,
            ),
            "required": self.env._("%(field)s is required.", field=field),
            "not_after_deadline": self.env._(
                "The new deadline must come after the current one (%(deadline)s).",
                deadline=deadline.strftime("%d.%m.%Y") if deadline else "",
            ),
            "not_in_future": self.env._(
                "%(field)s must be in the future.", field=field
            ),
            "no_draft_answer": self.env._(
                "There is no draft answer to delete in GIS ZhKKh."
            ),
            "unknown_operation": self.env._("Unknown GIS ZhKKh operation."),
            "files_not_allowed": self.env._(
                "Only an answer can carry documents to GIS ZhKKh."
            ),
        }
        return texts.get(problem.code, problem.code)

    @api.model
    def _content_key(self, ticket, plain, attachments=None):
        """What makes an operation itself: the ticket and what is sent
        (``attachments``: the documents, by name and content)."""
        values = [
            getattr(plain, f.name)
            for f in dataclasses.fields(plain)
            if f.name != "attachments"
        ]
        if attachments:
            # Only then: the keys of operations without documents stay.
            values.append(sorted(attachments.mapped(lambda a: (a.name, a.checksum))))
        payload = json.dumps([ticket.id, *values], ensure_ascii=False, default=str)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @api.model
    def _queue_for(self, ticket, operation, values=None, source="manual"):
        """Queue ``operation`` on ``ticket``'s appeal, checked first.

        The same request already queued or sent is returned, not queued
        again; so is the one GIS last accepted of this kind when it is the
        same (a rule firing twice sends nothing new). After a different one
        was accepted, the same request is new again: appointing A, then B,
        then A sends A twice. Raises ``UserError`` with every reason it
        cannot be sent."""
        ticket.ensure_one()
        # Whoever cannot change the ticket cannot act on its appeal.
        ticket.check_access("write")
        plain = self._plain_for(ticket, operation, values or {})
        problems = self._problems_for(ticket, plain)
        attachments = self._documents_for(ticket, operation, values or {})
        if problems:
            raise UserError("\n".join(problems))
        ticket = ticket.sudo()
        operations = self.sudo()
        content = self._content_key(ticket, plain, attachments)
        last = operations.search(
            [
                ("ticket_id", "=", ticket.id),
                ("operation", "=", operation),
                ("state", "=", "accepted"),
            ],
            order="done_at desc, id desc",
            limit=1,
        )
        if last and last.key.split("-")[0] == content:
            return last
        key = f"{content}-{last.id or 0}"
        existing = operations.search(
            [("key", "=", key), ("state", "in", ACTIVE_STATES)], limit=1
        )
        if existing:
            return existing
        try:
            with self.env.cr.savepoint():
                record = operations.create(
                    {
                        "ticket_id": ticket.id,
                        "backend_id": ticket.gis_backend_id.id,
                        "appeal_guid": plain.appeal_guid,
                        "operation": operation,
                        "key": key,
                        "source": source,
                        "requested_by_id": self.env.user.id,
                        "answerer_guid": plain.answerer_guid,
                        "text": plain.text,
                        "answer_guid": plain.answer_guid,
                        "execution_date": plain.execution_date,
                        "comment": plain.comment,
                        "cause": plain.cause,
                        "receiver_guid": plain.receiver_guid,
                        "performer_guid": plain.performer_guid,
                        "date_of_appointment": plain.date_of_appointment,
                        "file_ids": [
                            fields.Command.create(
                                {
                                    "ticket_id": ticket.id,
                                    "backend_id": ticket.gis_backend_id.id,
                                    "direction": "out",
                                    "source": "operation",
                                    "name": attachment.name,
                                    "description": attachment.description
                                    or attachment.name,
                                    "attachment_id": attachment.id,
                                }
                            )
                            for attachment in attachments
                        ],
                    }
                )
        except pg_errors.UniqueViolation as error:
            # The same click, at the same moment, in another transaction.
            raise UserError(
                self.env._("This operation is already queued for GIS ZhKKh.")
            ) from error
        record._enqueue_prepare()
        ticket._message_log(
            body=Markup("%s <b>%s</b>")
            % (self.env._("Queued for GIS ZhKKh:"), record._operation_name())
        )
        return record.with_context(gis_operation_new=True)

    @api.model
    def _documents_for(self, ticket, operation, values):
        """The ticket's attachments to send with an answer (``values``'
        ``attachment_ids``), checked: the ticket's own, answers only."""
        ids = values.get("attachment_ids") or []
        if not ids:
            return self.env["ir.attachment"]
        if operation not in gis_operations.ANSWERING:
            raise UserError(
                self.env._("Only an answer can carry documents to GIS ZhKKh.")
            )
        # Read with the user's rights: only what they may see of the ticket.
        attachments = self.env["ir.attachment"].browse(ids).exists()
        if len(attachments) != len(set(ids)) or any(
            a.res_model != "helpdesk.ticket" or a.res_id != ticket.id
            for a in attachments
        ):
            raise UserError(
                self.env._("Only files attached to the ticket can be sent with it.")
            )
        return attachments.sudo()

    def _notification(self, next_action=None):
        """The client action telling the user what became of the request."""
        self.ensure_one()
        params = {
            "title": self.env._("GIS ZhKKh"),
            "message": self._notice(),
            "type": "info" if self.state == "accepted" else "success",
        }
        if next_action:
            params["next"] = next_action
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": params,
        }

    def _notice(self):
        """What the user who asked for this operation is told."""
        self.ensure_one()
        name = self._operation_name()
        if self.state == "accepted":
            return self.env._(
                "GIS ZhKKh has already accepted «%(operation)s» as it is: nothing "
                "new is sent.",
                operation=name,
            )
        if not self.env.context.get("gis_operation_new"):
            return self.env._(
                "«%(operation)s» is already on its way to GIS ZhKKh: it is not "
                "sent twice.",
                operation=name,
            )
        return self.env._(
            "«%(operation)s» is queued for GIS ZhKKh. The ticket shows when GIS "
            "ZhKKh accepts it.",
            operation=name,
        )

    # ------------------------------------------------------------------
    # Plain operation
    # ------------------------------------------------------------------

    def _plain(self):
        """The operation as ``tools.gis_operations`` knows it."""
        self.ensure_one()
        return gis_operations.Operation(
            operation=self.operation,
            appeal_guid=self.appeal_guid,
            answerer_guid=self.answerer_guid,
            text=self.text,
            answer_guid=self.answer_guid,
            execution_date=self.execution_date,
            comment=self.comment,
            cause=self.cause,
            receiver_guid=self.receiver_guid,
            performer_guid=self.performer_guid,
            date_of_appointment=self.date_of_appointment,
            attachments=tuple(
                gis_xml_common.AttachmentInfo(
                    name=record.name,
                    description=record.description or record.name,
                    guid=record.attachment_guid,
                    hash=record.gis_hash,
                )
                for record in self.sudo().file_ids
            ),
        )

    def _transport(self):
        self.ensure_one()
        return gis_operations.TransportGuids(
            answer_action=self.transport_answer_action_guid,
            answer=self.transport_answer_guid,
            appeal_action=self.transport_appeal_action_guid,
        )

    def _roles_by_transport(self):
        """``{TransportGUID: (operation, role)}`` of what GIS answers for."""
        found = {}
        for record in self:
            transport = record._transport()
            for role in gis_operations.result_roles(record.operation):
                found[getattr(transport, role)] = (record, role)
        return found

    # ------------------------------------------------------------------
    # Jobs: prepare (stored), then send (the stored request)
    # ------------------------------------------------------------------

    def _lock(self):
        """Lock this operation's row for the job's transaction, or retry."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM gis_zhkh_operation WHERE id IN %s "
                    "FOR NO KEY UPDATE NOWAIT",
                    [tuple(self.ids)],
                )
        except (pg_errors.LockNotAvailable, pg_errors.SerializationFailure) as error:
            raise RetryableJobError(
                f"GIS ZhKKh operation {self.ids} is being handled",
                seconds=LOCKED_RETRY_SECONDS,
                ignore_retry=True,
            ) from error
        self.invalidate_recordset()

    def _enqueue_prepare(self, eta=None):
        self.ensure_one()
        return self.with_delay(
            eta=eta,
            identity_key=f"gis-zhkh-operation-prepare-{self.id}",
            description=self.env._(
                "GIS ZhKKh: prepare %(operation)s", operation=self.display_name
            ),
        )._job_prepare()

    def _enqueue_send(self, eta=None):
        self.ensure_one()
        return self.with_delay(
            eta=eta,
            identity_key=f"gis-zhkh-operation-send-{self.id}-{self.send_attempts}",
            description=self.env._(
                "GIS ZhKKh: send %(operation)s", operation=self.display_name
            ),
        )._job_send()

    def _job_prepare(self):
        """Job: check the operation again, build and sign its request, keep
        it. The request is committed before anything is sent."""
        self.ensure_one()
        self._lock()
        if self.state != "queued" or self.request_xml:
            return f"Nothing to do: {self.state}, prepared {bool(self.request_xml)}"
        backend = self.backend_id.with_company(self.company_id)
        problems = self._problems_for(self.ticket_id, self._plain())
        if problems:
            # The appeal changed since the operation was queued (withdrawn,
            # executed in GIS...): it is not sent.
            self._reject(
                "LOCAL",
                "\n".join(problems),
                conflict=self.env._(
                    "Not sent: the appeal changed in GIS ZhKKh after "
                    "«%(operation)s» was queued.",
                    operation=self._operation_name(),
                ),
            )
            return "Not sent: " + "; ".join(problems)
        waiting = self._upload_documents(backend)
        if waiting:
            return waiting
        self.write(
            {
                "transport_answer_action_guid": str(uuid.uuid4()),
                "transport_answer_guid": str(uuid.uuid4()),
                "transport_appeal_action_guid": str(uuid.uuid4()),
            }
        )
        answer_actions, appeal_actions = gis_operations.build(
            self._plain(), self._transport()
        )
        try:
            message_guid, body = backend._get_client().prepare_import_answers(
                answer_actions=answer_actions, appeal_actions=appeal_actions
            )
        except GisRequestInvalid as error:
            # Checked against the official formats before signing: GIS would
            # refuse it, and the same request again would change nothing. Kept
            # in the organisation's language, whoever queued it.
            lang = self.company_id.partner_id.lang or self.env.lang
            text = backend.with_context(lang=lang)._format_text(error)
            self._reject(error.code, text, local=True)
            return text
        except GisError as error:
            # A signer that fails is a setting to fix, not a passing fault.
            self._reject(error.code or error.__class__.__name__, str(error))
            return str(error)
        self.write(
            {
                "request_message_guid": message_guid,
                "request_xml": base64.b64encode(body),
                "prepared_at": fields.Datetime.now(),
            }
        )
        self._enqueue_send()
        return f"Prepared, MessageGUID {message_guid}"

    def _upload_documents(self, backend):
        """Upload the answer's documents not uploaded yet, each once (its
        GUID and hash are kept: a retry sends only what is missing). None
        when all are in the GIS file store; else why the request waits (a
        passing failure: tried again later) or was refused."""
        for record in self.sudo().file_ids.filtered(lambda f: f.state != "done"):
            try:
                record._upload(backend)
            except GisError as error:
                if not error.transient:
                    record._fail(backend, error)
                    self._reject(
                        error.code or "FILE",
                        self.env._(
                            "The document %(name)s could not be stored in GIS "
                            "ZhKKh: %(error)s",
                            name=record.name,
                            error=record.error,
                        ),
                        local=True,
                    )
                    return f"Not sent: {record.name}: {error}"
                record.write({"attempts": record.attempts + 1, "error": str(error)})
                wait = record._backoff(UPLOAD_BACKOFF)
                self.write({"last_error": backend._error_text(error)})
                self._enqueue_prepare(eta=wait)
                return f"Document {record.name} not uploaded ({error}); in {wait} s"
        return None

    def _job_send(self):
        """Job: send the prepared request. Sent again after a crash or a
        lost answer, it is the same request under the same MessageGUID, which
        GIS ZhKKh takes once."""
        self.ensure_one()
        self._lock()
        if self.state != "queued" or not self.request_xml:
            return f"Nothing to do: {self.state}"
        backend = self.backend_id.with_company(self.company_id)
        backend._lock_exchanges()
        exchanges = []
        body = base64.b64decode(self.request_xml)
        try:
            ack = backend._get_client(on_exchange=exchanges.append).send_prepared(
                "importAnswer", body, self.request_message_guid
            )
        except GisError as error:
            return self._send_failed(error, exchanges)
        message = self.env["gis.zhkh.message"].create(
            {
                "backend_id": backend.id,
                "operation": "import_answer",
                "purpose": "operation",
                "state": "sent",
                "sent_at": fields.Datetime.now(),
                "message_guid": self.request_message_guid,
                "ack_guid": ack.message_guid,
                "ticket_id": self.ticket_id.id,
                **self.env["gis.zhkh.message"]._proof_values(exchanges, "request"),
            }
        )
        self.write(
            {
                "state": "sent",
                "sent_at": message.sent_at,
                "message_id": message.id,
                "ack_guid": ack.message_guid,
                "last_error": False,
            }
        )
        _logger.info(
            "GIS ZhKKh operation %s (%s) sent, MessageGUID %s",
            self.id,
            self.operation,
            ack.message_guid,
        )
        message._enqueue_fetch()
        return f"Sent, MessageGUID {ack.message_guid}"

    def _send_failed(self, error, exchanges):
        """Keep the failed attempt as proof; send the same request again
        later (transient failures) or report the refusal. The job ends
        normally, so that the proof and the reason are kept."""
        _logger.warning(
            "GIS ZhKKh operation %s (%s) not sent: %s", self.id, self.operation, error
        )
        code = error.code or error.__class__.__name__
        proof = self.env["gis.zhkh.message"]._proof_values(exchanges, "request")
        now = fields.Datetime.now()
        self.env["gis.zhkh.message"].create(
            {
                "backend_id": self.backend_id.id,
                "operation": "import_answer",
                "purpose": "operation",
                "state": "error",
                "sent_at": now,
                "done_at": now,
                "message_guid": self.request_message_guid,
                "ticket_id": self.ticket_id.id,
                "failed_operation_id": self.id,
                "error_code": code,
                "error_message": str(error),
                # No answer at all (timeout, dropped connection): what was
                # sent is the prepared request.
                "request_xml": self.request_xml,
                "request_sent_at": now,
                **proof,
            }
        )
        if not error.transient:
            if self._maybe_received():
                return self._result_unknown(error)
            self._reject(code, str(error))
            return str(error)
        attempts = self.send_attempts + 1
        self.write(
            {
                "send_attempts": attempts,
                "last_error": self.backend_id._error_text(error),
            }
        )
        wait = next(
            s for limit, s in SEND_BACKOFF if limit is None or attempts <= limit
        )
        self._enqueue_send(eta=wait)
        return f"Not sent ({error}); attempt {attempts}, next in {wait} s"

    def _maybe_received(self):
        """Whether GIS may already have this request: an earlier send of its
        MessageGUID failed on the way (its answer lost, a timeout), or an
        earlier run of this very job ended mid-send (a worker killed)."""
        self.ensure_one()
        if self.send_attempts:
            return True
        job_uuid = self.env.context.get("job_uuid")
        job = job_uuid and self.env["queue.job"].sudo().search(
            [("uuid", "=", job_uuid)], limit=1
        )
        # ``retry`` counts the runs before this one.
        return bool(job and job.retry)

    def _result_unknown(self, error):
        """GIS refused a request it may have received already: GIS takes a
        MessageGUID once, so the refusal may only mean "already received".
        The operation stays *sent*, never rejected (and so never queued
        again behind GIS's back): the appeal's next import, asked for at
        once, accepts it when GIS shows its effect; meanwhile a person is
        told, and a manager may cancel it after checking the GIS cabinet."""
        text = self.env._(
            "GIS ZhKKh refused «%(operation)s» sent again under the same "
            "MessageGUID %(guid)s (%(error)s): it had received it before, and "
            "its answer to the first send was lost. Whether GIS applied it is "
            "unknown until the next import shows the appeal: check the appeal "
            "in the GIS ZhKKh cabinet; do not send it again by other means.",
            operation=self._operation_name(),
            guid=self.request_message_guid,
            error=str(error),
        )
        self.write(
            {
                "state": "sent",
                "sent_at": fields.Datetime.now(),
                "result_unknown": True,
                "last_error": text,
            }
        )
        self.ticket_id._message_log(body=text)
        self._tell_responsible(self.ticket_id, text)
        backend = self.backend_id.sudo()
        backend.last_refresh_at = False
        backend._enqueue_import()
        return f"Sent, result unknown: {error}"

    @api.model
    def _cron_resume(self):
        """Queue again the operations a failed or lost job left queued, and
        ask GIS again about the requests it acknowledged and never finished."""
        self._recheck_unfinished()
        stalled = self.search([("state", "=", "queued")])
        jobs = (
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("identity_key", "=like", "gis-zhkh-operation-%"),
                    (
                        "state",
                        "in",
                        ("wait_dependencies", "pending", "enqueued", "started"),
                    ),
                ]
            )
        )
        busy = {
            int(match.group(1))
            for match in (JOB_KEY.match(job.identity_key) for job in jobs)
            if match
        }
        resumed = stalled.filtered(lambda op: op.id not in busy)
        for operation in resumed:
            if operation.request_xml:
                operation._enqueue_send()
            else:
                operation._enqueue_prepare()
        return len(resumed)

    def _unfinished(self):
        """Of these, the operations whose request GIS acknowledged but whose
        result we stopped waiting for."""
        return self.filtered(
            lambda op: (
                op.state == "sent"
                and (op.result_unknown or op.message_id.state == "error")
            )
        )

    @api.model
    def _recheck_unfinished(self):
        since = fields.Datetime.now() - datetime.timedelta(days=RECHECK_DAYS)
        waiting = self.search(
            [
                ("state", "=", "sent"),
                ("message_id.state", "=", "error"),
                ("sent_at", ">=", since),
            ]
        )
        for message in waiting.message_id:
            message._enqueue_recheck()
        # Sent, result unknown: no getState to ask, the appeal's import shows it.
        unknown = self.search(
            [
                ("state", "=", "sent"),
                ("result_unknown", "=", True),
                ("sent_at", ">=", since),
            ]
        )
        for backend in unknown.backend_id.sudo():
            backend.last_refresh_at = False
            backend._enqueue_import()
        return len(waiting) + len(unknown)

    def action_check_again(self):
        """Ask GIS ZhKKh now about a request it acknowledged and did not
        finish processing."""
        self.ticket_id.check_access("write")
        unfinished = self.sudo()._unfinished()
        if not unfinished:
            raise UserError(
                self.env._("Only a sent operation GIS ZhKKh has not finished waits.")
            )
        for message in unfinished.message_id:
            message._enqueue_recheck(eta=0)
        # Without GIS's MessageGUID there is no getState to ask: the
        # appeal's import shows what GIS did.
        for backend in unfinished.filtered("result_unknown").backend_id:
            backend.last_refresh_at = False
            backend._enqueue_import()
        return True

    def action_cancel(self):
        """Give up a queued operation, or one GIS never finished, after
        checking the GIS ZhKKh cabinet: the same operation can be queued
        again. What GIS may have applied is not undone."""
        if not self.env.user.has_group("helpdesk_mgmt.group_helpdesk_manager"):
            raise AccessError(
                self.env._("Only a helpdesk manager can cancel a GIS ZhKKh operation.")
            )
        operations = self.sudo()
        stuck = (
            operations.filtered(lambda op: op.state == "queued")
            | operations._unfinished()
        )
        if not stuck:
            raise UserError(
                self.env._(
                    "Only a queued operation, or one GIS ZhKKh never finished, "
                    "can be cancelled."
                )
            )
        for operation in stuck:
            operation.state = "cancelled"
            operation.ticket_id._message_log(
                body=self.env._(
                    "«%(operation)s» cancelled by %(user)s: it will not be sent "
                    "(again). Check in the GIS ZhKKh cabinet whether GIS applied it.",
                    operation=operation._operation_name(),
                    user=self.env.user.name,
                )
            )
        return True

    # ------------------------------------------------------------------
    # What GIS said
    # ------------------------------------------------------------------

    def _apply_results(self, result):
        """Accept or reject these operations from a finished getState."""
        roles = self._roles_by_transport()
        outcome = {record: {} for record in self}
        for item in result.import_results:
            if item.transport_guid in roles:
                record, role = roles[item.transport_guid]
                outcome[record][role] = item
        for record, items in outcome.items():
            expected = gis_operations.result_roles(record.operation)
            errors = [e for item in items.values() for e in item.errors]
            answer = items.get("answer")
            if errors:
                # "Answer and mark executed": GIS may take the answer and
                # refuse the rest; the answer it took is kept.
                answered = answer if answer and not answer.errors else None
                record._reject(
                    ", ".join(e.code for e in errors if e.code) or "GIS",
                    "\n".join(e.description or e.code for e in errors),
                    answer_guid=answered.guid if answered else False,
                )
            elif set(items) != set(expected):
                record._reject(
                    "MISSING",
                    self.env._("GIS ZhKKh did not say what became of this operation."),
                )
            else:
                record._accept(
                    answer_guid=answer.guid if answer else False,
                    number=answer.unique_number if answer else False,
                )

    def _reject_all(self, code, text):
        for record in self:
            record._reject(code, text)

    def _accept(self, answer_guid=False, number=False, at=None):
        """GIS took the operation (``at``: when, if not now)."""
        self.ensure_one()
        now = at or fields.Datetime.now()
        self.write(
            {
                "state": "accepted",
                "done_at": now,
                "result_answer_guid": answer_guid,
                "result_number": number,
                "error_code": False,
                "error_message": False,
                "last_error": False,
                "result_unknown": False,
            }
        )
        ticket = self.ticket_id
        values = {}
        answering = answer_guid or self.operation in gis_operations.ANSWERING
        if answering and not ticket.gis_answered_at:
            # GIS took the organisation's answer: that meets the answer
            # deadline (helpdesk.ticket.deadline._done_at_of).
            values["gis_answered_at"] = now
        if self.operation == "delete_answer":
            values["gis_draft_answer_guid"] = False
        if values:
            gis_facts_writer(ticket).write(values)
        body = Markup("%s <b>%s</b>") % (
            self.env._("GIS ZhKKh accepted:"),
            self._operation_name(),
        )
        if answer_guid:
            body += Markup(" (AnswerGUID %s)") % answer_guid
        ticket._message_log(body=body)
        if gis_operations.tells_planned_time(self._plain()):
            # The resident sees it in GIS ZhKKh: the planned time is told.
            ticket._refresh_told()
        # The next import checks the open appeals at once: it confirms.
        self.backend_id.sudo().last_refresh_at = False

    def _reject(self, code, text, conflict=None, answer_guid=False, local=False):
        """GIS (or our last check) refused the operation. ``answer_guid``:
        the answer part of an "answer and mark executed" GIS did accept;
        ``local``: refused here, nothing was sent."""
        self.ensure_one()
        now = fields.Datetime.now()
        self.write(
            {
                "state": "rejected",
                "done_at": now,
                "error_code": code,
                "error_message": text,
                "conflict": conflict or False,
                "result_answer_guid": answer_guid,
            }
        )
        ticket = self.ticket_id
        if answer_guid:
            if not ticket.gis_answered_at:
                gis_facts_writer(ticket).gis_answered_at = now
            ticket._refresh_told()
            text = self.env._(
                "GIS ZhKKh accepted the answer (AnswerGUID %(guid)s) but refused "
                "to mark the appeal executed: %(code)s %(message)s. Mark it "
                "executed on its own; do not send the answer again.",
                guid=answer_guid,
                code=code or "",
                message=text or "",
            )
        elif local:
            text = self.env._(
                "«%(operation)s» was not sent to GIS ZhKKh: %(message)s",
                operation=self._operation_name(),
                message=text or "",
            )
        else:
            text = self.env._(
                "GIS ZhKKh refused «%(operation)s»: %(code)s %(message)s",
                operation=self._operation_name(),
                code=code or "",
                message=text or "",
            )
        ticket._message_log(body=text)
        self._tell_responsible(ticket, text)

    @api.model
    def _tell_responsible(self, ticket, text):
        """An activity for whoever must act on ``ticket``: its user, or the
        connection's responsible."""
        user = ticket.user_id or ticket.sudo().gis_backend_id.responsible_user_id
        if user:
            ticket.activity_schedule(
                "helpdesk_gis_zhkh_max.mail_activity_gis_operation_rejected",
                user_id=user.id,
                note=text,
            )

    @api.model
    def _confirm_by_import(self, ticket, appeal, exported_at):
        """An import after accepted operations: confirm what GIS shows, or
        flag, never silently, what it shows against them."""
        pending = ticket.gis_operation_ids.filtered(
            lambda op: (
                op.state == "accepted"
                and not op.confirmed
                and not op.conflict
                and op.done_at
                and exported_at
                and exported_at >= op.done_at
            )
        )
        statuses = dict(ticket._fields["gis_status"]._description_selection(self.env))
        for operation in ticket.gis_operation_ids.filtered("result_unknown"):
            if operation.state == "sent" and gis_operations.effect_seen(
                operation._plain(), appeal
            ):
                # GIS had taken it at its first send.
                first = min(
                    operation.attempt_ids.mapped("sent_at") or [operation.sent_at]
                )
                operation._accept(at=first)
                operation.confirmed = True
        for operation in pending:
            plain = operation._plain()
            if operation.result_answer_guid:
                plain.answer_guid = operation.result_answer_guid
            if appeal.status == "withdrawn":
                conflict = self.env._(
                    "The resident withdrew the appeal in GIS ZhKKh after "
                    "«%(operation)s» was accepted.",
                    operation=operation._operation_name(),
                )
            elif gis_operations.effect_seen(plain, appeal):
                operation.confirmed = True
                continue
            else:
                conflict = self.env._(
                    "GIS ZhKKh accepted «%(operation)s» but does not show it: the "
                    "appeal is «%(status)s» there. Check the appeal in GIS ZhKKh.",
                    operation=operation._operation_name(),
                    status=statuses.get(appeal.status)
                    or appeal.raw_status
                    or self.env._("unknown"),
                )
            operation.conflict = conflict
            ticket.gis_conflict = "\n".join(
                filter(None, [ticket.gis_conflict, conflict])
            )
            ticket._message_log(body=conflict)
            self._tell_responsible(ticket, conflict)

    def _operation_name(self):
        self.ensure_one()
        return dict(self._fields["operation"]._description_selection(self.env))[
            self.operation
        ]
