# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.interruptions import Limit

SERVICES = [
    ("cold_water", "Cold water"),
    ("hot_water", "Hot water"),
    ("sewage", "Sewage"),
    ("electricity", "Electricity"),
    ("gas", "Gas"),
    ("heating", "Heating"),
]
INTERRUPTION_KINDS = [("planned", "Planned"), ("accident", "Accident")]
POWER_SOURCES = [
    ("1", "One supply"),
    ("2", "Two independent supplies"),
]


class HelpdeskServiceInterruptionLimit(models.Model):
    """A permitted interruption of a communal service (ПП 354, Annex 1): how
    long at one time and in total within a month, and when it applies."""

    _name = "helpdesk.service.interruption.limit"
    _description = "Permitted interruption of a communal service"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", help="Leave empty for a limit of every company."
    )
    service = fields.Selection(SERVICES, required=True)
    kind = fields.Selection(
        INTERRUPTION_KINDS, help="Empty: planned works and accidents alike."
    )
    power_sources = fields.Selection(
        POWER_SOURCES,
        string="Power supplies",
        help="Electricity: applies to buildings with this many independent power "
        "supplies. Empty: any building.",
    )
    by_temperature = fields.Boolean(
        string="By indoor temperature",
        help="Heating: applies from this indoor temperature up to the next band.",
    )
    temperature_from = fields.Float(string="From (°C)", digits=(4, 1))
    dead_end_main = fields.Boolean(
        string="Accident on a dead-end main",
        help="Hot water: applies only to an accident on a dead-end main.",
    )
    single_limit_hours = fields.Float(
        string="At one time (hours)",
        digits=(6, 2),
        help="The longest an interruption may last. 0: the Annex sets no such "
        "limit for this service.",
    )
    monthly_limit_hours = fields.Float(
        string="In a month (hours)",
        digits=(6, 2),
        help="The longest the service may be interrupted in total within a "
        "calendar month of the building. 0: the Annex sets no such limit.",
    )
    warn_before = fields.Integer(
        string="Warn before (minutes)",
        default=60,
        help="The interruption's responsible is warned this long before a limit "
        "is reached.",
    )
    legal_act = fields.Char(default="ПП РФ № 354 от 06.05.2011, приложение 1")
    legal_clause = fields.Char(string="Clause")
    note = fields.Text()

    @api.constrains(
        "single_limit_hours", "monthly_limit_hours", "warn_before", "service"
    )
    def _check_hours(self):
        for limit in self:
            if limit.single_limit_hours < 0 or limit.monthly_limit_hours < 0:
                raise ValidationError(self.env._("A limit is a positive duration."))
            if limit.warn_before < 0:
                raise ValidationError(self.env._("Warn before a limit, not after it."))

    @api.depends("name", "legal_clause")
    def _compute_display_name(self):
        for limit in self:
            clause = f" ({limit.legal_clause})" if limit.legal_clause else ""
            limit.display_name = f"{limit.name}{clause}"

    def _as_limit(self):
        """The row as the arithmetic reads it (tools/interruptions.py)."""
        self.ensure_one()
        return Limit(
            self.service,
            self.single_limit_hours or None,
            self.monthly_limit_hours or None,
            kind=self.kind or None,
            power_sources=int(self.power_sources) if self.power_sources else None,
            temperature_from=self.temperature_from if self.by_temperature else None,
            dead_end_main=self.dead_end_main,
            warn_minutes=self.warn_before,
            clause=self.legal_clause or "",
            key=self.id,
        )

    @api.model
    def _limits_by_company(self, companies):
        """``{company id: [Limit]}``: the active limits of each company."""
        rows = self.sudo().search([("company_id", "in", [False, *companies.ids])])
        return {
            company.id: [
                row._as_limit()
                for row in rows
                if not row.company_id or row.company_id == company
            ]
            for company in companies
        }

    # A limit changed: the figures and clocks of its service change too.
    @api.model_create_multi
    def create(self, vals_list):
        limits = super().create(vals_list)
        limits._recompute_interruptions()
        return limits

    def write(self, vals):
        services = set(self.mapped("service"))
        result = super().write(vals)
        self._recompute_interruptions(services)
        return result

    def unlink(self):
        services = set(self.mapped("service"))
        result = super().unlink()
        self.env["helpdesk.service.interruption"]._recompute_services(services)
        return result

    def _recompute_interruptions(self, services=()):
        services = set(services) | set(self.mapped("service"))
        self.env["helpdesk.service.interruption"]._recompute_services(services)
