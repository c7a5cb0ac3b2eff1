# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models


class RequestJournalPdf(models.AbstractModel):
    """The requests journal as a QWeb (PDF) report, from the journal wizard."""

    _name = "report.helpdesk_gis_zhkh_max.report_request_journal"
    _description = "Requests journal (PDF)"

    @api.model
    def _get_report_values(self, docids, data=None):
        journals = self.env["helpdesk.request.journal"].browse(docids)
        journals.ensure_one()
        journals = journals._in_russian()
        return {
            "doc_ids": docids,
            "doc_model": "helpdesk.request.journal",
            "docs": journals,
            "title": journals._title(),
            "columns": journals._columns(),
            "lines": list(journals._lines(journals._tickets())),
            "company": journals.company_id,
            # Not web.internal_layout's print time: it is in the user's zone
            # (UTC for a user without one) and ISO-formatted.
            "printed_at": journals._printed_at(),
            "page_label": journals.env._("Page"),
            "page_of": journals.env._("of"),
        }
