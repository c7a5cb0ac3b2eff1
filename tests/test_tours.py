# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
import io
from unittest import mock

from openpyxl import load_workbook

from odoo import fields
from odoo.tests import HttpCase, tagged

from .max_common import RESIDENT, MaxCase


def speak_russian(env):
    """The administrator works in Russian, with the catalogues of every
    installed module loaded as *Load a Translation* loads them (this addon's
    i18n_extra/ included)."""
    env["res.lang"]._activate_lang("ru_RU")
    env["ir.module.module"].search([("state", "=", "installed")])._update_translations(
        ["ru_RU"]
    )
    env.ref("base.user_admin").lang = "ru_RU"


@tagged("post_install", "-at_install")
class TestTours(HttpCase):
    """The dispatcher's and the manager's paths, in headless Chromium, in
    Russian as the people who walk them."""

    def setUp(self):
        super().setUp()
        speak_russian(self.env)

    def test_dispatcher_opens_a_breached_appeal_and_localises_the_accident(self):
        today = fields.Date.context_today(self.env["res.users"])
        ticket = self.env["helpdesk.ticket"].create(
            {
                "name": "Tour accident: water in the basement",
                "description": "<p>Water</p>",
                "category_id": self.env.ref(
                    "helpdesk_gis_zhkh_max.category_emergency"
                ).id,
                "gis_appeal_guid": "d2c1b0a9-tour-0000-0000-000000000001",
                "gis_appeal_number": "777001",
                "gis_received_date": today - datetime.timedelta(days=40),
                "gis_deadline": today - datetime.timedelta(days=10),
            }
        )
        states = {d.kind: d.state for d in ticket.deadline_ids}
        self.assertEqual(states["answer"], "breached")
        self.assertEqual(states["localisation"], "running")
        self.start_tour(
            "/odoo/action-helpdesk_gis_zhkh_max.action_deadline_cockpit",
            "hgzm_dispatcher_cockpit",
            login="admin",
        )
        self.assertTrue(ticket.localised_at)
        localisation = ticket.deadline_ids.filtered(lambda d: d.kind == "localisation")
        self.assertEqual(localisation.state, "met")

    def test_manager_exports_the_journal_to_xlsx(self):
        ticket = self.env["helpdesk.ticket"].create(
            {"name": "Tour journal request", "description": "<p>Лифт</p>"}
        )
        produced = []
        report_class = type(
            self.env["report.helpdesk_gis_zhkh_max.request_journal_xlsx"]
        )
        original = report_class.create_xlsx_report

        def spy(report, docids, data):
            # The real export runs; the test only keeps what it produced.
            content, kind = original(report, docids, data)
            produced.append((kind, content))
            return content, kind

        with mock.patch.object(report_class, "create_xlsx_report", spy):
            self.start_tour(
                "/odoo/action-helpdesk_gis_zhkh_max.action_deadline_cockpit",
                "hgzm_manager_journal",
                login="admin",
            )
        self.assertEqual(len(produced), 1)
        kind, content = produced[0]
        self.assertEqual(kind, "xlsx")
        sheet = load_workbook(io.BytesIO(content)).active
        numbers = [row[1] for row in sheet.iter_rows(min_row=5, values_only=True)]
        self.assertIn(ticket.number, numbers)


@tagged("post_install", "-at_install")
class TestMaxReplyTour(MaxCase):
    """A dispatcher answers a MAX resident, in headless Chromium."""

    def test_send_message_to_a_max_resident_asks_no_email(self):
        self.deliver(
            self.fake.resident_message(RESIDENT, "Не греют батареи", first_name="Анна")
        )
        ticket = self.dialog().ticket_ids
        self.assertFalse(ticket.partner_id.email)
        url = f"/odoo/helpdesk.ticket/{ticket.id}"
        self.start_tour(url, "hgzm_max_reply", login="admin")
        self.env.invalidate_all()
        reply = ticket.message_ids.filtered(lambda m: "Мастер придёт" in str(m.body))
        self.assertEqual(len(reply), 1)
        delivery = reply.notification_ids.filtered(
            lambda n: n.notification_type == "gateway"
        )
        self.assertEqual(delivery.notification_status, "ready")
        self.run_jobs()
        self.assertEqual(delivery.notification_status, "sent")
        self.assertIn("Мастер придёт завтра к 10:00", self.texts())
        self.start_tour(url, "hgzm_max_reply_delivered", login="admin")


@tagged("post_install", "-at_install")
class TestTicketFormTour(HttpCase):
    """The ticket form as a dispatcher reads it: in Russian, at 1440 px."""

    browser_size = "1440x900"

    def test_legal_deadlines_are_readable_and_a_gis_difference_explained(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"].search(
            [("name", "=", "helpdesk_gis_zhkh_max")]
        )._update_translations(["ru_RU"])
        self.env.ref("base.user_admin").lang = "ru_RU"
        today = fields.Date.context_today(self.env["res.users"])
        ticket = (
            self.env["helpdesk.ticket"]
            .with_context(lang="ru_RU")
            .create(
                {
                    "name": "Течь в подвале",
                    "description": "<p>Вода в подвале</p>",
                    "category_id": self.env.ref(
                        "helpdesk_gis_zhkh_max.category_emergency"
                    ).id,
                    "gis_appeal_guid": "d2c1b0a9-tour-0000-0000-000000000002",
                    "gis_appeal_number": "777002",
                    "gis_received_date": today,
                    "gis_deadline": today + datetime.timedelta(days=1),
                }
            )
        )
        self.assertTrue(ticket.deadline_gis_mismatch)
        self.assertGreaterEqual(len(ticket.deadline_ids), 3)
        self.start_tour(
            f"/odoo/helpdesk.ticket/{ticket.id}", "hgzm_ticket_deadlines", login="admin"
        )
