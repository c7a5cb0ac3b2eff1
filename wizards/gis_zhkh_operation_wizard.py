# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.tools import html2plaintext

from ..models.gis_zhkh_operation import OPERATIONS
from ..tools.gis_operations import TEXT_LIMITS


class GisZhkhOperationWizard(models.TransientModel):
    """Prepare one operation on a ticket's GIS ZhKKh appeal."""

    _name = "gis.zhkh.operation.wizard"
    _description = "GIS ZhKKh Operation Wizard"

    ticket_id = fields.Many2one("helpdesk.ticket", required=True, readonly=True)
    operation = fields.Selection(OPERATIONS, required=True)
    # The ticket is read with the user's rights (related and stored computed
    # fields are computed as superuser by default): whoever may not read a
    # ticket learns nothing of it here.
    gis_appeal_number = fields.Char(
        related="ticket_id.gis_appeal_number", compute_sudo=False
    )
    gis_deadline = fields.Date(related="ticket_id.gis_deadline", compute_sudo=False)
    answerer_name = fields.Char(
        related="ticket_id.gis_answerer_name", compute_sudo=False
    )
    answerer_missing = fields.Boolean(
        related="ticket_id.gis_answerer_missing", compute_sudo=False
    )
    text = fields.Text(
        string="Answer",
        compute="_compute_text",
        compute_sudo=False,
        store=True,
        readonly=False,
        help="Sent as is to the resident through GIS ZhKKh (up to 10,000 characters).",
    )
    attachment_ids = fields.Many2many(
        "ir.attachment",
        string="Documents",
        domain="[('res_model', '=', 'helpdesk.ticket'), ('res_id', '=', ticket_id)]",
        help="Files of the ticket sent with the answer (the act, photos): each is "
        "stored once in the GIS ZhKKh file store and named in the answer with its "
        "GOST R 34.11-94 hash.",
    )
    execution_date = fields.Date(string="New deadline")
    comment = fields.Text(
        help="Why the deadline is extended (20-1000 characters), or why the "
        "appeal is redirected (100-1000 characters).",
    )
    cause = fields.Text(
        help="Why no answer is required (20-1000 characters), e.g. a repeated "
        "appeal already answered.",
    )
    receiver_guid = fields.Char(
        string="Receiver organisation GUID",
        help="orgRootEntityGUID of the organisation the appeal is redirected to.",
    )
    date_of_appointment = fields.Date(
        string="Planned date", help="Planned execution date, at the first appointment."
    )
    answer_guid = fields.Char(
        string="Draft AnswerGUID",
        compute="_compute_answer_guid",
        compute_sudo=False,
        store=True,
        readonly=False,
    )
    text_length = fields.Integer(compute="_compute_text_length")
    text_max = fields.Integer(default=TEXT_LIMITS["text"][1], readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        # Constraints run as superuser: the user's own right, checked here.
        wizards.ticket_id.check_access("read")
        return wizards

    @api.depends("ticket_id", "operation")
    def _compute_text(self):
        for wizard in self:
            ticket = wizard.ticket_id
            # Also on a new wizard, which the form computes before create.
            ticket.check_access("read")
            if wizard.operation not in ("answer", "answer_and_execute"):
                wizard.text = False
            elif ticket.gis_answer_text:
                wizard.text = ticket.gis_answer_text
            else:
                wizard.text = wizard._template_text()

    def _template_text(self):
        """The answer the connection's editable template proposes."""
        ticket = self.ticket_id
        # Only the connection is read as superuser (administrators' model);
        # the template renders the ticket with the user's rights.
        template = ticket.sudo().gis_backend_id.answer_template_id.sudo(False)
        if not template or not ticket:
            return False
        body = template._render_field("body_html", ticket.ids, compute_lang=True)
        return html2plaintext(body[ticket.id] or "").strip() or False

    @api.depends("ticket_id", "operation")
    def _compute_answer_guid(self):
        for wizard in self:
            wizard.answer_guid = (
                wizard.ticket_id.gis_draft_answer_guid
                if wizard.operation == "delete_answer"
                else False
            )

    @api.depends("text")
    def _compute_text_length(self):
        for wizard in self:
            wizard.text_length = len((wizard.text or "").strip())

    def _values(self):
        self.ensure_one()
        return {
            "text": self.text,
            "execution_date": self.execution_date,
            "comment": self.comment,
            "cause": self.cause,
            "receiver_guid": self.receiver_guid and self.receiver_guid.strip(),
            "date_of_appointment": self.date_of_appointment,
            "answer_guid": self.answer_guid,
            "attachment_ids": self.attachment_ids.ids
            if self.operation in ("answer", "answer_and_execute")
            else [],
        }

    def action_confirm(self):
        """Check and queue the operation (UserError says what is wrong)."""
        self.ensure_one()
        ticket = self.ticket_id
        if self.operation in ("answer", "answer_and_execute"):
            ticket.gis_answer_text = self.text
        operation = ticket._gis_queue_operation(self.operation, self._values())
        return operation._notification({"type": "ir.actions.act_window_close"})
