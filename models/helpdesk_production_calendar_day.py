# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class HelpdeskProductionCalendarDay(models.Model):
    """A day a decree or a region makes different from the usual week."""

    _name = "helpdesk.production.calendar.day"
    _description = "Production Calendar Day"
    _order = "date desc, id"

    calendar_id = fields.Many2one(
        "helpdesk.production.calendar", required=True, ondelete="cascade", index=True
    )
    date = fields.Date(required=True)
    year = fields.Integer(compute="_compute_year", store=True)
    kind = fields.Selection(
        [
            ("holiday", "Public holiday"),
            ("day_off", "Day off (transferred)"),
            ("working", "Working day (weekend made working)"),
            ("shortened", "Shortened pre-holiday working day"),
        ],
        required=True,
        default="day_off",
    )
    name = fields.Char(string="Reason")
    decree = fields.Char(
        help="The act that sets this day, e.g. ПП РФ № 1335 от 04.10.2024."
    )

    _date_unique = models.Constraint(
        "UNIQUE(calendar_id, date)",
        "A day appears once in a calendar.",
    )

    @api.depends("date")
    def _compute_year(self):
        for day in self:
            day.year = day.date.year if day.date else 0

    @api.model_create_multi
    def create(self, vals_list):
        days = super().create(vals_list)
        self.env.registry.clear_cache()
        return days

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result
