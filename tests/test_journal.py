# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
import io

from openpyxl import load_workbook

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests.common import TransactionCase


class TestRequestJournal(TransactionCase):
    """The journal for the housing inspectorate: one line per request."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.house = cls.env["gis.zhkh.house"].create(
            {"name": "Лесная, 7", "address": "г. Москва, ул. Лесная, д. 7"}
        )
        cls.other_house = cls.env["gis.zhkh.house"].create({"name": "Мира, 1"})
        cls.today = fields.Date.context_today(cls.env["res.users"])
        emergency = cls.env.ref("helpdesk_gis_zhkh_max.category_emergency")
        cls.appeal = cls.env["helpdesk.ticket"].create(
            {
                "name": "GIS appeal",
                "description": "<p>Течёт крыша над квартирой</p>",
                "category_id": emergency.id,
                "gis_appeal_guid": "5a1d8f3c-journal-0001",
                "gis_appeal_number": "123456",
                "gis_received_date": cls.today,
                "gis_deadline": cls.today + datetime.timedelta(days=10),
                "gis_house_id": cls.house.id,
                "gis_premise_number": "12",
                "gis_assessment": "not_satisfied",
                "gis_assessment_comment": "Течёт снова",
                "partner_name": "Анна Петрова",
            }
        )
        cls.appeal.action_mark_localised()
        cls.max_request = cls.env["helpdesk.ticket"].create(
            {
                "name": "MAX request",
                "description": "<p>Не работает домофон</p>",
                "channel_id": cls.env.ref("helpdesk_gis_zhkh_max.channel_max").id,
                "gis_house_id": cls.house.id,
            }
        )
        cls.elsewhere = cls.env["helpdesk.ticket"].create(
            {
                "name": "Other house",
                "description": "<p>x</p>",
                "gis_house_id": cls.other_house.id,
            }
        )

    def journal(self, **values):
        return self.env["helpdesk.request.journal"].create(
            {"date_from": self.today, "date_to": self.today, **values}
        )

    def test_lines_carry_what_the_inspector_asks(self):
        journal = self.journal(house_ids=[(6, 0, self.house.ids)])
        self.assertEqual(journal.ticket_count, 2)
        lines = list(journal._lines(journal._tickets()))
        self.assertEqual([line["seq"] for line in lines], [1, 2])
        appeal = next(line for line in lines if line["gis_number"] == "123456")
        self.assertEqual(appeal["channel"], "GIS ZhKKh (official)")
        self.assertEqual(appeal["address"], "г. Москва, ул. Лесная, д. 7, flat 12")
        self.assertEqual(appeal["applicant"], "Анна Петрова")
        self.assertIn("Течёт крыша", appeal["content"])
        self.assertIn("localised", appeal["actions"])
        self.assertTrue(appeal["milestone_localisation"].startswith("met "))
        self.assertTrue(appeal["milestone_answer"].startswith("due "))
        self.assertEqual(appeal["assessment"], "Not satisfied — Течёт снова")
        self.assertEqual(appeal["received"], self.today.strftime("%d.%m.%Y"))
        request = next(line for line in lines if line["gis_number"] == "")
        self.assertEqual(request["channel"], "MAX (non-official)")
        self.assertEqual(len(request["received"]), 16)  # date and time
        headings = [heading for _key, heading in journal._columns()]
        self.assertEqual(len(headings), len(lines[0]))

    def test_xlsx_export(self):

        journal = self.journal()
        content, kind = self.env["ir.actions.report"]._render(
            "helpdesk_gis_zhkh_max.action_report_request_journal_xlsx", journal.ids
        )
        self.assertEqual(kind, "xlsx")
        sheet = load_workbook(io.BytesIO(content)).active
        rows = list(sheet.iter_rows(values_only=True))
        self.assertIn("Requests journal from", rows[0][0])
        self.assertEqual(rows[3][1], "Request No.")
        numbers = {row[2] for row in rows[4:]}
        self.assertIn("123456", numbers)
        self.assertEqual(len(rows) - 4, journal.ticket_count)

    def test_pdf_report(self):
        journal = self.journal(house_ids=[(6, 0, self.house.ids)])
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "helpdesk_gis_zhkh_max.action_report_request_journal_pdf", journal.ids
        )
        self.assertIn(b"123456", html)
        self.assertIn("Не работает домофон".encode(), html)
        self.assertNotIn(b"Other house", html)

    def test_bad_periods(self):
        with self.assertRaises(UserError):
            self.journal(
                date_from=self.today, date_to=self.today - datetime.timedelta(days=1)
            )._ticket_domain()
        empty = self.journal(
            date_from=self.today - datetime.timedelta(days=400),
            date_to=self.today - datetime.timedelta(days=399),
        )
        with self.assertRaises(UserError):
            empty.action_export_xlsx()
