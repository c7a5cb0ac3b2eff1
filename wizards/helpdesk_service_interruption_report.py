# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import UserError


class HelpdeskServiceInterruptionReport(models.TransientModel):
    """The month's interruptions for billing: per building and service, the
    hours, the hours over the limits and the charge reduction (ПП 354
    Annex 1), as XLSX."""

    _name = "helpdesk.service.interruption.report"
    _description = "Communal service interruptions for billing"

    month = fields.Date(
        required=True,
        default=lambda self: self._default_month(),
        help="Any day of the month: the whole month is exported.",
    )
    house_ids = fields.Many2many(
        "gis.zhkh.house", string="Buildings", help="Empty: every building."
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    line_count = fields.Integer(compute="_compute_line_count", string="Lines")

    @api.model
    def _default_month(self):
        # Billing closes the month just ended, in the company's time.
        tz = ZoneInfo(self.env.company.partner_id.tz or "Europe/Moscow")
        today = datetime.datetime.now(tz).date()
        return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)

    def _first_day(self):
        self.ensure_one()
        return self.month.replace(day=1)

    def _domain(self):
        self.ensure_one()
        domain = [
            ("month", "=", self._first_day()),
            ("company_id", "=", self.company_id.id),
        ]
        if self.house_ids:
            domain.append(("house_id", "in", self.house_ids.ids))
        return domain

    def _lines(self):
        lines = self.env["helpdesk.service.interruption.month"].search(self._domain())
        services = dict(lines._fields["service"]._description_selection(self.env))
        return sorted(
            lines,
            key=lambda line: (line.house_id.name or "", services.get(line.service)),
        )

    @api.depends("month", "house_ids", "company_id")
    def _compute_line_count(self):
        for wizard in self:
            wizard.line_count = (
                self.env["helpdesk.service.interruption.month"].search_count(
                    wizard._domain()
                )
                if wizard.month
                else 0
            )

    def _title(self):
        self.ensure_one()
        return self.env._(
            "Communal service interruptions, %(month)s",
            month=self._first_day().strftime("%m.%Y"),
        )

    def action_export_xlsx(self):
        self.ensure_one()
        if not self.line_count:
            raise UserError(self.env._("No interruption in this month."))
        action = self.env.ref(
            "helpdesk_gis_zhkh_max.action_report_interruption_month_xlsx"
        ).report_action(self, config=False)
        action["close_on_report_download"] = True
        return action

    def action_open_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "helpdesk_gis_zhkh_max.helpdesk_service_interruption_month_action"
        )
        action["domain"] = self._domain()
        action["context"] = {}
        return action
