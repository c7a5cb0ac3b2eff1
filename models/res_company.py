# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    helpdesk_calendar_id = fields.Many2one(
        "helpdesk.production.calendar",
        string="Production calendar",
        default=lambda self: self.env[
            "helpdesk.production.calendar"
        ]._default_calendar(),
        help="Working days for the legal deadlines of the company's tickets; a "
        "building may have its own (a regional calendar).",
    )

    @api.model
    def _helpdesk_set_default_calendar(self):
        """At install: companies without a production calendar get the
        federal one."""
        calendar = self.env["helpdesk.production.calendar"]._default_calendar()
        self.search(
            [("helpdesk_calendar_id", "=", False)]
        ).helpdesk_calendar_id = calendar
