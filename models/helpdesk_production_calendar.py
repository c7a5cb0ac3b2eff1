# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..tools.production_calendar import ProductionCalendar

# Years the calculator covers: enough history for open tickets, and the
# years ahead deadlines can reach.
FIRST_YEAR = 2020
YEARS_AHEAD = 3


class HelpdeskProductionCalendar(models.Model):
    """A production calendar: the federal one, or a region's on top of it."""

    _name = "helpdesk.production.calendar"
    _description = "Production Calendar"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    parent_id = fields.Many2one(
        "helpdesk.production.calendar",
        string="Based on",
        ondelete="restrict",
        help="A regional calendar adds its own days (regional holidays) to the "
        "calendar it is based on.",
    )
    use_package = fields.Boolean(
        string="Federal days from the holidays package",
        default=True,
        help="Start from the Russian public holidays and decree transfers known to "
        "the Python package 'holidays'; the days listed here correct or complete "
        "them (a new decree is entered here, without code).",
    )
    day_ids = fields.One2many("helpdesk.production.calendar.day", "calendar_id")
    note = fields.Text()

    @api.constrains("parent_id")
    def _check_parent(self):
        if self._has_cycle():
            raise ValidationError(
                self.env._("Calendars cannot be based on each other.")
            )

    def _chain(self):
        """This calendar and the ones it is based on, base first."""
        self.ensure_one()
        chain = self.env["helpdesk.production.calendar"]
        calendar = self
        while calendar:
            chain = calendar | chain
            calendar = calendar.parent_id
        return chain

    def _calculator(self):
        """The plain-Python calendar (cached until a day changes)."""
        self.ensure_one()
        last_year = fields.Date.today().year + YEARS_AHEAD
        return self._calculator_cached(last_year)

    @tools.ormcache("self.id", "last_year")
    def _calculator_cached(self, last_year):
        chain = self.sudo().with_context(active_test=False)._chain()
        days = chain.day_ids
        off = [d.date for d in days if d.kind in ("holiday", "day_off")]
        # A shortened day is a working day (1 November 2025 was a Saturday).
        working = [d.date for d in days if d.kind in ("working", "shortened")]
        shortened = [d.date for d in days if d.kind == "shortened"]
        if chain[:1].use_package:
            return ProductionCalendar.russia(
                FIRST_YEAR,
                last_year,
                extra_days_off=off,
                extra_working_days=working,
                extra_shortened_days=shortened,
            )
        return ProductionCalendar(
            FIRST_YEAR,
            last_year,
            days_off=off,
            working_days=working,
            shortened_days=shortened,
        )

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def is_working_day(self, day):
        """Whether ``day`` (a date) is a working day in this calendar."""
        return self._calculator().is_working(fields.Date.to_date(day))

    def action_open_days(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.display_name,
            "res_model": "helpdesk.production.calendar.day",
            "view_mode": "list",
            "domain": [("calendar_id", "=", self.id)],
            "context": {"default_calendar_id": self.id},
        }

    @api.model
    def _default_calendar(self):
        return self.env.ref(
            "helpdesk_gis_zhkh_max.production_calendar_ru", raise_if_not_found=False
        )
