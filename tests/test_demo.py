# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import GisCase


@tagged("post_install", "-at_install")
class TestDemoAndLanguage(GisCase):
    """What a newcomer sees first: the residents' appeals, in Russian."""

    def test_helpdesk_mgmt_english_demo_tickets_are_out_of_the_way(self):
        demo = self.env["ir.model.data"].search(
            [("module", "=", "helpdesk_mgmt"), ("model", "=", "helpdesk.ticket")]
        )
        if not demo:
            self.skipTest("installed without demo data")
        tickets = (
            self.env["helpdesk.ticket"]
            .with_context(active_test=False)
            .browse(demo.mapped("res_id"))
        )
        self.assertTrue(tickets)
        self.assertFalse(tickets.filtered("active"), tickets.mapped("name"))

    def test_a_russian_organisation_gets_russian_ticket_titles(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"].search(
            [("name", "=", "helpdesk_gis_zhkh_max")]
        )._update_translations(["ru_RU"])
        self.company.partner_id.lang = "ru_RU"
        self.fake.seed(self.appeals(1, seed="russian-title"))
        self.run_import()
        ticket = self.tickets()
        self.assertEqual(len(ticket), 1)
        self.assertTrue(
            ticket.name.startswith(f"Обращение ГИС ЖКХ № {ticket.gis_appeal_number}"),
            ticket.name,
        )

    def test_the_demo_works_in_moscow_time(self):
        if not self.env.ref(
            "helpdesk_gis_zhkh_max.demo_team_dispatch", raise_if_not_found=False
        ):
            self.skipTest("installed without demo data")
        self.assertEqual(self.env.ref("base.user_admin").tz, "Europe/Moscow")
        self.assertEqual(self.env.ref("base.main_partner").tz, "Europe/Moscow")
