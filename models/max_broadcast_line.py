# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class MaxBroadcastLine(models.Model):
    """One resident of a building notice: whether MAX took it."""

    _name = "max.broadcast.line"
    _description = "MAX building notice recipient"
    _order = "broadcast_id, id"

    broadcast_id = fields.Many2one(
        "max.broadcast", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="broadcast_id.company_id", store=True)
    dialog_id = fields.Many2one("max.dialog", required=True, ondelete="cascade")
    partner_id = fields.Many2one(related="dialog_id.partner_id")
    house_id = fields.Many2one(related="dialog_id.house_id")
    state = fields.Selection(
        [("queued", "Waiting"), ("sent", "Delivered"), ("failed", "Not delivered")],
        default="queued",
        required=True,
        index=True,
    )
    error = fields.Char(readonly=True)
    sent_at = fields.Datetime(readonly=True)
