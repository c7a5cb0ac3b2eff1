# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

WIDTHS = {
    "seq": 6,
    "content": 60,
    "address": 30,
    "actions": 30,
    "applicant": 25,
    "agreed": 30,
    "result": 40,
    "recording": 30,
}


class RequestJournalXlsx(models.AbstractModel):
    """The requests journal as XLSX (OCA report_xlsx), from the journal
    wizard."""

    _name = "report.helpdesk_gis_zhkh_max.request_journal_xlsx"
    _inherit = "report.report_xlsx.abstract"
    _description = "Requests journal (XLSX)"

    def get_workbook_options(self):
        # Rows go out as they are written: memory stays flat on big months.
        # Residents write the texts: none becomes a formula, a link or a number.
        return {
            **super().get_workbook_options(),
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        }

    def generate_xlsx_report(self, workbook, data, objs):
        objs.ensure_one()
        objs = objs._in_russian()
        tickets = objs._tickets()
        title = objs._title()
        columns = objs._columns()
        sheet = workbook.add_worksheet(objs.env._("Journal"))
        bold = workbook.add_format({"bold": True})
        head = workbook.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "border": 1}
        )
        cell = workbook.add_format({"text_wrap": True, "valign": "top", "border": 1})
        for index, (key, _heading) in enumerate(columns):
            sheet.set_column(index, index, WIDTHS.get(key, 16))
        sheet.write_string(0, 0, title, bold)
        sheet.write_string(
            1,
            0,
            objs.company_id.name + " — " + objs.env._("ПП РФ № 416, пп. 13, 17"),
        )
        sheet.write_string(2, 0, objs._printed_at())
        for index, (_key, heading) in enumerate(columns):
            sheet.write_string(3, index, heading, head)
        sheet.freeze_panes(4, 2)
        row = 4
        for line in objs._lines(tickets):
            for index, (key, _heading) in enumerate(columns):
                value = line[key]
                # A text cell, always: "=...", "+...", "@..." a resident wrote
                # stay what they wrote, never a formula or a link.
                if isinstance(value, int):
                    sheet.write_number(row, index, value, cell)
                else:
                    sheet.write_string(row, index, str(value or ""), cell)
            row += 1
