# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
import io
from unittest import mock
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from odoo.exceptions import UserError
from odoo.tests.common import TransactionCase

from .fakes.local_server import closed_url

CLOSED_URL = closed_url()


class TestRequestJournal(TransactionCase):
    """The journal for the housing inspectorate: one line per request."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.house = cls.env["gis.zhkh.house"].create(
            {"name": "Лесная, 7", "address": "г. Москва, ул. Лесная, д. 7"}
        )
        cls.other_house = cls.env["gis.zhkh.house"].create({"name": "Мира, 1"})
        # The journal's day is the company's.
        cls.env.company.partner_id.tz = "Europe/Moscow"
        cls.today = datetime.datetime.now(ZoneInfo("Europe/Moscow")).date()
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
        # A GIS appeal: GIS's date, and when it reached the organisation.
        self.assertEqual(appeal["gis_received"], self.today.strftime("%d.%m.%Y"))
        self.assertEqual(len(appeal["received"]), 16)  # date and time
        self.assertEqual(appeal["registered_by"], "GIS ZhKKh")
        request = next(line for line in lines if line["gis_number"] == "")
        self.assertEqual(request["channel"], "MAX (non-official)")
        self.assertEqual(len(request["received"]), 16)  # date and time
        self.assertEqual(request["gis_received"], "")
        self.assertEqual(request["registered_by"], self.env.user.name)
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

    def test_pdf_needs_wkhtmltopdf_and_says_so(self):
        journal = self.journal(house_ids=[(6, 0, self.house.ids)])
        report = type(self.env["ir.actions.report"])
        with mock.patch.object(report, "get_wkhtmltopdf_state", lambda _s: "install"):
            journal.invalidate_recordset(["pdf_available"])
            self.assertFalse(journal.pdf_available)
            with self.assertRaisesRegex(UserError, "apt install wkhtmltopdf"):
                journal.action_print_pdf()
        with mock.patch.object(report, "get_wkhtmltopdf_state", lambda _s: "ok"):
            journal.invalidate_recordset(["pdf_available"])
            self.assertTrue(journal.pdf_available)
            self.assertEqual(journal.action_print_pdf()["type"], "ir.actions.report")

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

    def wide_journal(self):
        # Today in every zone: the test may run near midnight somewhere.
        return self.journal(
            date_from=self.today - datetime.timedelta(days=1),
            date_to=self.today + datetime.timedelta(days=1),
        )

    def test_resident_text_never_becomes_a_formula_or_a_link(self):
        """A resident's text that starts like a formula, a DDE call or a
        link is written as text, whatever a spreadsheet makes of it."""
        texts = {
            "content": '=HYPERLINK("http://evil.example/x","Открыть")',
            "applicant": "@SUM(1+1)*cmd|' /C calc'!A0",
            "address": "+7 916 000-00-00",
            "performer": "-2+3",
        }
        performer = self.env["res.users"].create(
            {"name": texts["performer"], "login": "journal_formula_performer"}
        )
        self.env["helpdesk.ticket"].create(
            {
                "name": "Formula",
                "description": f"<p>{texts['content']}</p>",
                "partner_name": texts["applicant"],
                "user_id": performer.id,
                "gis_house_id": self.env["gis.zhkh.house"]
                .create({"name": "h", "address": texts["address"]})
                .id,
            }
        )
        content, _kind = self.env["ir.actions.report"]._render(
            "helpdesk_gis_zhkh_max.action_report_request_journal_xlsx",
            self.wide_journal().ids,
        )
        sheet = load_workbook(io.BytesIO(content)).active
        headings = [cell.value for cell in sheet[4]]
        columns = dict(self.env["helpdesk.request.journal"]._columns())
        row = next(
            row
            for row in sheet.iter_rows(min_row=5)
            if row[headings.index(columns["applicant"])].value == texts["applicant"]
        )
        for key, text in texts.items():
            with self.subTest(column=key):
                cell = row[headings.index(columns[key])]
                self.assertEqual(cell.data_type, "s")
                self.assertEqual(cell.value, text)
                self.assertIsNone(cell.hyperlink)
        self.assertFalse(sheet._hyperlinks)

    def test_times_in_the_company_zone_and_actions_when_they_happened(self):
        kamchatka = self.env["res.users"].create(
            {
                "name": "Inspector far east",
                "login": "journal_kamchatka",
                "tz": "Asia/Kamchatka",
                "group_ids": [
                    (4, self.env.ref("helpdesk_mgmt.group_helpdesk_manager").id)
                ],
            }
        )
        # 22:30 UTC: 01:30 the next day in Moscow, 10:30 in Kamchatka.
        reacted = datetime.datetime.combine(
            self.today - datetime.timedelta(days=1), datetime.time(22, 30)
        )
        self.max_request.reacted_at = reacted
        backend = self.env["gis.zhkh.backend"].create(
            {
                "name": "Journal GIS",
                "endpoint_url": CLOSED_URL,
                "org_ppa_guid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
            }
        )
        accepted_at = reacted - datetime.timedelta(days=3)
        operation = self.env["gis.zhkh.operation"].create(
            {
                "ticket_id": self.appeal.id,
                "backend_id": backend.id,
                "appeal_guid": self.appeal.gis_appeal_guid,
                "operation": "executed",
                "key": "journal-times",
                "state": "accepted",
                "done_at": accepted_at,
            }
        )
        # Written since (confirmed by an import, purged): not the action.
        operation.write({"confirmed": True, "comment": False})
        journal = self.wide_journal().with_user(kamchatka)
        lines = {line["number"]: line for line in journal._lines(journal._tickets())}
        moscow = "%d.%m.%Y %H:%M"
        self.assertIn(
            f"reacted {self.today.strftime('%d.%m.%Y')} 01:30",
            lines[self.max_request.number]["actions"],
        )
        received = self.max_request.create_date + datetime.timedelta(hours=3)
        self.assertEqual(
            lines[self.max_request.number]["received"], received.strftime(moscow)
        )
        self.assertIn(
            (accepted_at + datetime.timedelta(hours=3)).strftime(moscow),
            lines[self.appeal.number]["actions"],
        )

    def test_what_the_law_implies_in_xlsx_and_pdf(self):
        """ПП 416 п. 13, 17 and 30 (ПП № 40): the accident, the planned
        timeframe and when the applicant was told it, the local authority,
        the agreed deadline, the actions and their times, the result, the
        call recording; read back from the XLSX and the PDF's HTML."""
        moscow = ZoneInfo("Europe/Moscow")
        registered = datetime.datetime.now().replace(microsecond=0)
        accident = registered - datetime.timedelta(hours=2)
        planned = registered + datetime.timedelta(hours=5)
        ticket = self.env["helpdesk.ticket"].create(
            {
                "name": "Прорыв отопления",
                "description": "<p>Течёт батарея в подъезде</p>",
                "category_id": self.env.ref(
                    "helpdesk_gis_zhkh_max.category_emergency"
                ).id,
                "gis_house_id": self.house.id,
                "accident_at": accident,
                "accident_system": "heating",
                "planned_at": planned,
                "call_recording_url": "https://pbx.example.ru/rec/4711.mp3",
                "execution_result": "Заменён участок стояка",
            }
        )
        self.env["helpdesk.ticket.call"].create(
            {"ticket_id": ticket.id, "called_at": registered, "planned_at": planned}
        )
        minor = self.env["helpdesk.ticket"].create(
            {
                "name": "Кран",
                "description": "<p>Подтекает кран</p>",
                "gis_house_id": self.house.id,
                "agreed_deadline": planned,
                "agreed_scope": "Замена прокладки",
            }
        )

        def moscow_text(moment):
            local = moment.replace(tzinfo=datetime.UTC).astimezone(moscow)
            return local.strftime("%d.%m.%Y %H:%M")

        journal = self.wide_journal()
        content, _kind = self.env["ir.actions.report"]._render(
            "helpdesk_gis_zhkh_max.action_report_request_journal_xlsx", journal.ids
        )
        sheet = load_workbook(io.BytesIO(content)).active
        headings = [cell.value for cell in sheet[4]]
        columns = dict(journal._columns())
        self.assertEqual(headings, list(columns.values()))
        rows = {
            row[headings.index(columns["number"])]: dict(zip(columns, row, strict=True))
            for row in sheet.iter_rows(min_row=5, values_only=True)
        }
        line = rows[ticket.number]
        self.assertEqual(line["accident"], f"{moscow_text(accident)}, Heating")
        self.assertEqual(line["planned"], moscow_text(planned))
        self.assertEqual(line["informed"], f"{moscow_text(registered)} (Phone call)")
        self.assertEqual(line["authority"], "not informed")
        self.assertIn(
            f"call to the applicant {moscow_text(registered)}", line["actions"]
        )
        self.assertEqual(line["milestone_inform"], f"met {moscow_text(registered)}")
        self.assertEqual(line["result"], "New — Заменён участок стояка")
        self.assertEqual(line["recording"], "https://pbx.example.ru/rec/4711.mp3")
        self.assertEqual(
            rows[minor.number]["agreed"], f"by {moscow_text(planned)}: Замена прокладки"
        )
        ticket.action_mark_authority_informed()
        lines = {line["number"]: line for line in journal._lines(journal._tickets())}
        self.assertTrue(
            lines[ticket.number]["authority"].startswith(moscow_text(registered)[:10])
        )
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "helpdesk_gis_zhkh_max.action_report_request_journal_pdf", journal.ids
        )
        html = html.decode()
        for key in ("accident", "informed", "planned", "agreed", "recording"):
            with self.subTest(column=key):
                self.assertIn(columns[key], html)
        self.assertIn("Замена прокладки", html)
        self.assertIn("https://pbx.example.ru/rec/4711.mp3", html)

    def test_one_deadline_met_by_two_rules_is_written_once(self):
        """A GIS appeal about the organisation has C1's and C2's answer
        milestones, both ending on the GIS deadline: one text."""
        appeal = self.env["helpdesk.ticket"].create(
            {
                "name": "Часы работы",
                "description": "<p>Когда работает диспетчерская?</p>",
                "category_id": self.env.ref(
                    "helpdesk_gis_zhkh_max.category_info_organisation"
                ).id,
                "gis_appeal_guid": "5a1d8f3c-journal-0002",
                "gis_received_date": self.today,
                "gis_deadline": self.today + datetime.timedelta(days=3),
            }
        )
        answers = appeal.deadline_ids.filtered(lambda d: d.kind == "answer")
        self.assertEqual(len(answers), 2)
        self.assertEqual(len(set(answers.mapped("deadline"))), 1)
        journal = self.wide_journal()
        line = next(
            line
            for line in journal._lines(journal._tickets())
            if line["number"] == appeal.number
        )
        self.assertEqual(line["milestone_answer"].count("due "), 1)

    def test_the_pdf_says_the_time_of_the_organisation_not_utc(self):
        """A user without a time zone: web.internal_layout printed the time
        in UTC (and in ISO); the journal prints the company's, with its
        offset."""
        nobody = self.env["res.users"].create(
            {
                "name": "Inspector without a zone",
                "login": "journal_no_zone",
                "tz": False,
                "group_ids": [
                    (4, self.env.ref("helpdesk_mgmt.group_helpdesk_manager").id)
                ],
            }
        )
        journal = self.journal(house_ids=[(6, 0, self.house.ids)]).with_user(nobody)
        before = datetime.datetime.now(ZoneInfo("Europe/Moscow"))
        html, _kind = (
            self.env["ir.actions.report"]
            .with_user(nobody)
            ._render_qweb_html(
                "helpdesk_gis_zhkh_max.action_report_request_journal_pdf", journal.ids
            )
        )
        after = datetime.datetime.now(ZoneInfo("Europe/Moscow"))
        html = html.decode()
        self.assertIn("UTC+03:00", html)
        self.assertTrue(
            any(moment.strftime("%d.%m.%Y %H:%M") in html for moment in (before, after))
        )
        utc = datetime.datetime.now(datetime.UTC)
        self.assertNotIn(utc.strftime("%Y-%m-%d %H:"), html)
        self.assertIn('class="page"', html)  # pages numbered (ПП 416 п. 17)
