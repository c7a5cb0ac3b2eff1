# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class MaxBroadcastLine(models.Model):
    """One resident of a building notice: its own send record, sent once
    (``max.delivery.mixin``)."""

    _name = "max.broadcast.line"
    _inherit = ["max.delivery.mixin"]
    _description = "MAX building notice recipient"
    _order = "broadcast_id, id"

    broadcast_id = fields.Many2one(
        "max.broadcast", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="broadcast_id.company_id", store=True)
    dialog_id = fields.Many2one("max.dialog", required=True, ondelete="cascade")
    partner_id = fields.Many2one(related="dialog_id.partner_id")
    house_id = fields.Many2one(related="dialog_id.house_id")

    def _max_refusal(self):
        if self.dialog_id.stopped or not self.dialog_id.notices:
            return self.env._("Notices off")
        return ""

    def _max_check_chat(self):
        chat = self.dialog_id.max_chat_id
        return int(chat) if chat else None

    def _max_text(self):
        return self.broadcast_id.text

    def _max_call(self, client):
        return client.send_message(
            user_id=int(self.dialog_id.max_user_id),
            text=self.broadcast_id.text,
            keyboard=self.env.context.get("max_keyboard"),
        )
