# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .helpdesk_ticket import CLOCK_TOLERANCE


class HelpdeskTicketCall(models.Model):
    """A phone call to the applicant, logged with the time it took place.

    A record of its own rather than a chatter message or an activity: the
    time of the call is a field the deadlines and the journal read (an
    activity marked done, or a note, is dated when someone clicks, not when
    the applicant was told), it is checked (not in the future), and nobody
    but an administrator changes or deletes it once logged."""

    _name = "helpdesk.ticket.call"
    _description = "Call to the Applicant"
    _order = "called_at desc, id desc"

    ticket_id = fields.Many2one(
        "helpdesk.ticket", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="ticket_id.company_id", store=True)
    called_at = fields.Datetime(
        string="Call time",
        required=True,
        default=fields.Datetime.now,
        help="When the call took place (not when it is logged).",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Called by",
        required=True,
        readonly=True,
        default=lambda self: self.env.user,
    )
    phone = fields.Char()
    told_planned = fields.Boolean(
        string="Planned timeframe told",
        default=True,
        help="The applicant was told the planned timeframe of the request in "
        "this call (ПП 416 п. 13).",
    )
    planned_at = fields.Datetime(
        string="Planned completion told",
        help="The planned completion the applicant was told.",
    )
    note = fields.Text(string="What was said")

    @api.constrains("called_at", "told_planned", "planned_at")
    def _check_call(self):
        limit = fields.Datetime.now() + CLOCK_TOLERANCE
        for call in self:
            if call.called_at > limit:
                raise ValidationError(
                    self.env._("An accident or a call cannot be in the future.")
                )
            if call.told_planned and not call.planned_at:
                raise ValidationError(
                    self.env._("Say which planned completion the applicant was told.")
                )

    @api.depends("ticket_id", "called_at")
    def _compute_display_name(self):
        for call in self:
            at = call.ticket_id._local_text(call.called_at) if call.ticket_id else ""
            call.display_name = self.env._("Call %(at)s", at=at)

    @api.model_create_multi
    def create(self, vals_list):
        calls = super().create(vals_list)
        # Only who may change the ticket logs a call on it.
        calls.ticket_id.check_access("write")
        for call in calls:
            ticket = call.ticket_id
            if call.told_planned and call.planned_at and not ticket.planned_at:
                ticket.planned_at = call.planned_at
            text = self.env._(
                "Call to the applicant at %(at)s by %(user)s.",
                at=ticket._local_text(call.called_at),
                user=call.user_id.name,
            )
            if call.told_planned and call.planned_at:
                text += " " + self.env._(
                    "Told the planned completion: %(planned)s.",
                    planned=ticket._local_text(call.planned_at),
                )
            if call.note:
                text += " " + call.note
            ticket._message_log(body=text)
        calls.ticket_id._refresh_told()
        return calls

    def write(self, vals):
        result = super().write(vals)
        self.ticket_id._refresh_told()
        return result

    def unlink(self):
        tickets = self.ticket_id
        result = super().unlink()
        tickets._refresh_told()
        return result
