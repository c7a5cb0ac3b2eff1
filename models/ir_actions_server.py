# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from .gis_zhkh_operation import OPERATIONS

_logger = logging.getLogger(__name__)


class IrActionsServer(models.Model):
    """Server action types "GIS ZhKKh operation" and "Send MAX message",
    for automation rules."""

    _inherit = "ir.actions.server"

    state = fields.Selection(
        selection_add=[
            ("gis_zhkh", "GIS ZhKKh operation"),
            ("max_message", "Send MAX message"),
        ],
        ondelete={"gis_zhkh": "cascade", "max_message": "cascade"},
    )
    max_template_id = fields.Many2one(
        "mail.template",
        string="MAX message template",
        domain="[('model', '=', 'helpdesk.ticket')]",
        help="Rendered for the ticket as plain text and sent by the MAX bot to "
        "the resident (their own dialog, or the dialog of the resident of a "
        "GIS appeal), if they accept notices.",
    )
    gis_zhkh_operation = fields.Selection(
        OPERATIONS,
        string="GIS ZhKKh operation",
        help="Answer: sends the ticket's 'Answer for GIS ZhKKh'. Performer: "
        "appoints the ticket's user (their AnswererGUID).",
    )
    gis_zhkh_comment = fields.Text(
        string="Comment",
        help="Extension: why (20-1000 characters); redirection: why "
        "(100-1000 characters).",
    )
    gis_zhkh_cause = fields.Text(
        string="Cause", help="Why no answer is required (20-1000 characters)."
    )
    gis_zhkh_receiver_guid = fields.Char(
        string="Receiver organisation GUID",
        help="Redirection: orgRootEntityGUID of the receiving organisation.",
    )
    gis_zhkh_rollover_days = fields.Integer(
        string="Extend by (days)",
        default=30,
        help="Extension: the new deadline is the current GIS deadline plus this.",
    )

    @api.depends("state")
    def _compute_available_model_ids(self):
        gis_actions = self.filtered(
            lambda action: action.state in ("gis_zhkh", "max_message")
        )
        ticket_model = self.env["ir.model"]._get("helpdesk.ticket")
        for action in gis_actions:
            action.available_model_ids = ticket_model.ids
        return super(IrActionsServer, self - gis_actions)._compute_available_model_ids()

    @api.model
    def _warning_depends(self):
        return [*super()._warning_depends(), "gis_zhkh_operation", "max_template_id"]

    def _get_warning_messages(self):
        self.ensure_one()
        warnings = super()._get_warning_messages()
        if self.state == "gis_zhkh":
            if self.model_id.model != "helpdesk.ticket":
                warnings.append(
                    self.env._("GIS ZhKKh operations apply to helpdesk tickets only.")
                )
            if not self.gis_zhkh_operation:
                warnings.append(self.env._("Choose the GIS ZhKKh operation."))
        if self.state == "max_message":
            if self.model_id.model != "helpdesk.ticket":
                warnings.append(
                    self.env._("MAX messages are sent for helpdesk tickets only.")
                )
            if not self.max_template_id:
                warnings.append(self.env._("Choose the template of the MAX message."))
        return warnings

    def _gis_zhkh_values(self, ticket):
        """What the operation sends for ``ticket``: from the ticket, else
        from this action's settings."""
        self.ensure_one()
        values = {
            "text": ticket.gis_answer_text,
            "comment": self.gis_zhkh_comment,
            "cause": self.gis_zhkh_cause,
            "receiver_guid": self.gis_zhkh_receiver_guid,
        }
        if self.gis_zhkh_operation == "rollover" and ticket.gis_deadline:
            values["execution_date"] = ticket.gis_deadline + datetime.timedelta(
                days=self.gis_zhkh_rollover_days
            )
        return values

    def _run_action_gis_zhkh_multi(self, eval_context=None):
        records = eval_context.get("records") or eval_context.get("record")
        if not records or records._name != "helpdesk.ticket":
            return False
        automated = bool(self.base_automation_id)
        # A rule watching every ticket passes over those not from GIS; run by
        # hand on one, the action says why nothing is sent.
        tickets = records.filtered("gis_appeal_guid") if automated else records
        operation = False
        for ticket in tickets:
            try:
                operation = ticket._gis_queue_operation(
                    self.gis_zhkh_operation,
                    self._gis_zhkh_values(ticket),
                    source="automation" if automated else "manual",
                )
            except UserError as error:
                if not automated:
                    raise
                # An automation rule must not block the change that fired it:
                # the ticket says why nothing went to GIS ZhKKh.
                text = self.env._(
                    "Automation rule %(rule)s could not send «%(operation)s» to "
                    "GIS ZhKKh: %(reason)s",
                    rule=self.base_automation_id.name,
                    operation=dict(
                        self._fields["gis_zhkh_operation"]._description_selection(
                            self.env
                        )
                    ).get(self.gis_zhkh_operation),
                    reason=error.args[0],
                )
                ticket.sudo()._message_log(body=text)
                self.env["gis.zhkh.operation"].sudo()._tell_responsible(
                    ticket.sudo(), text
                )
        if automated or not operation:
            return False
        return operation._notification()

    def _run_action_max_message_multi(self, eval_context=None):
        records = eval_context.get("records") or eval_context.get("record")
        if (
            not records
            or records._name != "helpdesk.ticket"
            or not self.max_template_id
        ):
            return False
        dialogs = self.env["max.gis.bridge"]._dialogs_for_notices(records)
        for ticket in records:
            if ticket.id in dialogs:
                dialogs[ticket.id]._send_template(self.max_template_id, ticket)
        return False
