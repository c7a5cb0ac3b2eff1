# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from .helpdesk_service_interruption_month import ROUNDING_SELECTION


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
    interruption_rounding = fields.Selection(
        ROUNDING_SELECTION,
        string="Interruptions: a part of an hour over",
        default="started",
        required=True,
        help="How the month's hours over the limits of ПП 354 Annex 1 count a "
        "part of an hour, before the 0.15 % per hour: the Annex says "
        '"for each hour" and not how a part counts. By default every hour '
        "begun counts, so the reduction is never understated.",
    )

    def write(self, vals):
        result = super().write(vals)
        if "interruption_rounding" in vals:
            self.env["helpdesk.service.interruption"]._recompute_companies(self)
        return result

    @api.model
    def _helpdesk_set_default_calendar(self):
        """At install: companies without a production calendar get the
        federal one."""
        calendar = self.env["helpdesk.production.calendar"]._default_calendar()
        self.search(
            [("helpdesk_calendar_id", "=", False)]
        ).helpdesk_calendar_id = calendar
