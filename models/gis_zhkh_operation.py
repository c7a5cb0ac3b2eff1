# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from ..tools import gis_operations, gis_xml_common

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


class GisZhkhOperation(models.Model):
    """One operation on a GIS ZhKKh appeal, sent exactly once."""

    _name = "gis.zhkh.operation"
    _description = "GIS ZhKKh Operation"
    # One model, its concerns in files of their own (pylint-odoo wants one
    # class per inherited model): the fields here, the behaviour mixed in.
    _inherit = [
        "gis.zhkh.operation.queueing",
        "gis.zhkh.operation.jobs",
        "gis.zhkh.operation.results",
    ]
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

    def _operation_name(self):
        self.ensure_one()
        return dict(self._fields["operation"]._description_selection(self.env))[
            self.operation
        ]
