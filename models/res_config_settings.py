# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from .helpdesk_metrics import TOKEN_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    interruption_rounding = fields.Selection(
        related="company_id.interruption_rounding", readonly=False
    )
    # A secret: a system parameter, read and set by administrators only.
    hgzm_metrics_token = fields.Char(
        string="Metrics token",
        config_parameter=TOKEN_PARAM,
        groups="base.group_system",
        help="The monitoring system sends it as «Authorization: Bearer "
        "<token>». Empty: the metrics endpoint is disabled.",
    )

    def action_hgzm_generate_metrics_token(self):
        """A new random token (the old one stops working at once)."""
        self.env["helpdesk.metrics"]._generate_token()
        return {"type": "ir.actions.client", "tag": "reload"}
