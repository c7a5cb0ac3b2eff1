# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import logging
import uuid

from psycopg2 import errors as pg_errors

from odoo import api, fields, models

from odoo.addons.queue_job.exception import RetryableJobError

from ..tools import gis_operations
from ..tools.gis_errors import GisError

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
    ack_guid = fields.Char(
        related="message_id.ack_guid", string="GIS MessageGUID", readonly=True
    )
    # What GIS said.
    result_answer_guid = fields.Char(string="AnswerGUID", readonly=True)
    result_number = fields.Char(string="GIS number", readonly=True)
    error_code = fields.Char(readonly=True)
    error_message = fields.Text(readonly=True)
    last_error = fields.Text(
        readonly=True, help="The last temporary failure; the operation is retried."
    )
    confirmed = fields.Boolean(
        readonly=True, help="An import after the acceptance shows its effect."
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

    def _enqueue_prepare(self):
        self.ensure_one()
        return self.with_delay(
            identity_key=f"gis-zhkh-operation-prepare-{self.id}",
            description=self.env._(
                "GIS ZhKKh: prepare %(operation)s", operation=self.display_name
            ),
        )._job_prepare()

    def _enqueue_send(self):
        self.ensure_one()
        return self.with_delay(
            identity_key=f"gis-zhkh-operation-send-{self.id}",
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
        problems = self.ticket_id._gis_operation_problems(self._plain())
        if problems:
            # The appeal changed since the operation was queued (withdrawn,
            # executed in GIS...): it is not sent.
            self._reject(
                "LOCAL", "\n".join(problems), conflict=self.ticket_id.gis_status
            )
            return "Not sent: " + "; ".join(problems)
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
            return self._send_failed(error)
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

    def _send_failed(self, error):
        _logger.warning(
            "GIS ZhKKh operation %s (%s) not sent: %s", self.id, self.operation, error
        )
        backend = self.backend_id
        if error.transient:
            self.last_error = backend._error_text(error)
            if not backend._is_last_job_attempt():
                raise RetryableJobError(str(error)) from error
            # Out of retries: still queued and visible; the hourly check
            # queues it again.
            return str(error)
        self._reject(error.code or error.__class__.__name__, str(error))
        return str(error)

    @api.model
    def _cron_resume(self):
        """Queue again the operations a failed or lost job left queued."""
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
        busy = {job.identity_key.rsplit("-", 1)[1] for job in jobs}
        resumed = stalled.filtered(lambda op: str(op.id) not in busy)
        for operation in resumed:
            if operation.request_xml:
                operation._enqueue_send()
            else:
                operation._enqueue_prepare()
        return len(resumed)

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
            if errors:
                record._reject(
                    ", ".join(e.code for e in errors if e.code) or "GIS",
                    "\n".join(e.description or e.code for e in errors),
                )
            elif set(items) != set(expected):
                record._reject(
                    "MISSING",
                    self.env._("GIS ZhKKh did not say what became of this operation."),
                )
            else:
                answer = items.get("answer")
                record._accept(
                    answer_guid=answer.guid if answer else False,
                    number=answer.unique_number if answer else False,
                )

    def _reject_all(self, code, text):
        for record in self:
            record._reject(code, text)

    def _accept(self, answer_guid=False, number=False):
        self.ensure_one()
        now = fields.Datetime.now()
        self.write(
            {
                "state": "accepted",
                "done_at": now,
                "result_answer_guid": answer_guid,
                "result_number": number,
                "error_code": False,
                "error_message": False,
                "last_error": False,
            }
        )
        self.ticket_id._gis_operation_accepted(self)
        # The next import checks the open appeals at once: it confirms.
        self.backend_id.sudo().last_refresh_at = False

    def _reject(self, code, text, conflict=None):
        self.ensure_one()
        self.write(
            {
                "state": "rejected",
                "done_at": fields.Datetime.now(),
                "error_code": code,
                "error_message": text,
                "conflict": conflict or False,
            }
        )
        self.ticket_id._gis_operation_rejected(self)

    def _operation_name(self):
        self.ensure_one()
        return dict(self._fields["operation"]._description_selection(self.env))[
            self.operation
        ]
