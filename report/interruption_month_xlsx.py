# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class InterruptionMonthXlsx(models.AbstractModel):
    """A month's interruptions for billing as XLSX (OCA report_xlsx): one
    line per building and service."""

    _name = "report.helpdesk_gis_zhkh_max.interruption_month_xlsx"
    _inherit = "report.report_xlsx.abstract"
    _description = "Communal service interruptions for billing (XLSX)"

    def get_workbook_options(self):
        # Building names and addresses are text, whatever they look like.
        return {
            **super().get_workbook_options(),
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        }

    def generate_xlsx_report(self, workbook, data, objs):
        objs.ensure_one()
        env = self.env
        lines = objs._lines()
        services = dict(
            env["helpdesk.service.interruption.month"]
            ._fields["service"]
            ._description_selection(env)
        )
        roundings = dict(
            env["res.company"]
            ._fields["interruption_rounding"]
            ._description_selection(env)
        )
        sheet = workbook.add_worksheet(env._("Interruptions"))
        bold = workbook.add_format({"bold": True})
        head = workbook.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "border": 1}
        )
        text = workbook.add_format({"valign": "top", "border": 1, "text_wrap": True})
        hours = workbook.add_format(
            {"valign": "top", "border": 1, "num_format": "0.00"}
        )
        percent = workbook.add_format(
            {"valign": "top", "border": 1, "num_format": "0.0000"}
        )
        columns = [
            (env._("Building"), 30),
            (env._("Address"), 40),
            (env._("Service"), 22),
            (env._("Hours"), 10),
            (env._("Hours over the limits"), 12),
            (env._("Charge reduction, %"), 12),
            (env._("Interruptions"), 10),
        ]
        for index, (_heading, width) in enumerate(columns):
            sheet.set_column(index, index, width)
        sheet.write_string(0, 0, objs._title(), bold)
        sheet.write_string(
            1,
            0,
            env._(
                "%(company)s — ПП РФ № 354, приложение 1: 0,15 %% of the month's "
                "charge per hour over the permitted duration; a part of an "
                "hour: %(rounding)s.",
                company=objs.company_id.name,
                rounding=roundings.get(objs.company_id.interruption_rounding, ""),
            ),
        )
        for index, (heading, _width) in enumerate(columns):
            sheet.write_string(3, index, heading, head)
        sheet.freeze_panes(4, 1)
        row = 4
        for line in lines:
            # Every text a text cell: a building named "=..." stays a name.
            sheet.write_string(row, 0, line.house_id.name or "", text)
            sheet.write_string(row, 1, line.house_id.address or "", text)
            sheet.write_string(row, 2, services.get(line.service, ""), text)
            sheet.write_number(row, 3, line.hours_total, hours)
            sheet.write_number(row, 4, line.hours_over_limit, hours)
            sheet.write_number(row, 5, line.reduction_percent, percent)
            sheet.write_number(row, 6, line.interruption_count, text)
            row += 1
