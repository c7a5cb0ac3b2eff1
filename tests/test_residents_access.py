# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Residents' data and legal facts with the rights of the user who asks:
the operation wizard, the requests journal, the MAX<->GIS link and the
deadline digests, for helpdesk users of another team and company."""

import datetime
import io

from openpyxl import load_workbook

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import GisCase


@tagged("post_install", "-at_install")
class TestResidentsAccess(GisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_team = cls.env["helpdesk.ticket.team"].create(
            {"name": "Another district"}
        )
        # "Team tickets" dispatchers of each team, an "all tickets" user of
        # another company, an employee outside the helpdesk.
        cls.ours = new_test_user(
            cls.env,
            login="access_our_dispatcher",
            groups="helpdesk_mgmt.group_helpdesk_user_team",
        )
        cls.theirs = new_test_user(
            cls.env,
            login="access_their_dispatcher",
            groups="helpdesk_mgmt.group_helpdesk_user_team",
        )
        cls.leader = new_test_user(
            cls.env,
            login="access_our_leader",
            groups="helpdesk_mgmt.group_helpdesk_user_team",
        )
        cls.team.write({"user_ids": [(4, cls.ours.id)], "user_id": cls.leader.id})
        cls.other_team.user_ids = [(4, cls.theirs.id)]
        cls.other_company = cls.env["res.company"].create({"name": "УК Соседняя"})
        cls.foreigner = new_test_user(
            cls.env,
            login="access_other_company",
            groups="helpdesk_mgmt.group_helpdesk_user",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, cls.other_company.ids)],
        )
        cls.employee = new_test_user(
            cls.env, login="access_employee", groups="base.group_user"
        )

    def setUp(self):
        super().setUp()
        self.fake.seed(self.appeals(1))
        self.run_import()
        self.ticket = self.tickets()
        self.ticket.team_id = self.team

    # -- the operation wizard ------------------------------------------------

    def wizard(self, user, operation="answer"):
        return Form(
            self.env["gis.zhkh.operation.wizard"]
            .with_user(user)
            .with_context(default_ticket_id=self.ticket.id, default_operation=operation)
        )

    def test_operation_wizard_reads_the_ticket_with_the_users_rights(self):
        # The team's dispatcher: the answer the template proposes, rendered
        # with their rights, and the ticket's own answer once it has one.
        form = self.wizard(self.ours)
        self.assertIn(self.ticket.gis_appeal_number, form.text)
        self.assertEqual(form.gis_appeal_number, self.ticket.gis_appeal_number)
        self.ticket.gis_answer_text = "Кровля отремонтирована 12.03."
        self.assertEqual(self.wizard(self.ours).text, "Кровля отремонтирована 12.03.")
        # Another team's dispatcher, another company's user: nothing of it,
        # neither the answer nor the appeal's facts.
        for user in (self.theirs, self.foreigner):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.wizard(user)
                with self.assertRaises(AccessError):
                    self.env["gis.zhkh.operation.wizard"].with_user(user).create(
                        {"ticket_id": self.ticket.id, "operation": "executed"}
                    )

    # -- the requests journal ------------------------------------------------

    def journal_numbers(self, user, **values):
        """Request numbers of the journal as ``user`` exports it: lines,
        XLSX and PDF."""
        journal = (
            self.env["helpdesk.request.journal"]
            .with_user(user)
            .create(
                {
                    "date_from": self.today - datetime.timedelta(days=60),
                    "date_to": self.today + datetime.timedelta(days=1),
                    **values,
                }
            )
        )
        lines = {line["number"] for line in journal._lines(journal._tickets())}
        reports = self.env["ir.actions.report"].with_user(user)
        content, _kind = reports._render(
            "helpdesk_gis_zhkh_max.action_report_request_journal_xlsx", journal.ids
        )
        rows = list(
            load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)
        )
        self.assertEqual({row[1] for row in rows[4:]}, lines)
        html, _kind = reports._render_qweb_html(
            "helpdesk_gis_zhkh_max.action_report_request_journal_pdf", journal.ids
        )
        self.assertEqual(journal.ticket_count, len(lines))
        return lines, html

    def test_journal_shows_what_the_user_may_read(self):
        theirs = self.env["helpdesk.ticket"].create(
            {
                "name": "Не работает лифт",
                "description": "<p>Лифт стоит</p>",
                "team_id": self.other_team.id,
            }
        )
        ours, html = self.journal_numbers(self.ours)
        self.assertIn(self.ticket.number, ours)
        self.assertNotIn(theirs.number, ours)
        self.assertNotIn(theirs.number.encode(), html)
        seen, _html = self.journal_numbers(self.theirs)
        self.assertIn(theirs.number, seen)
        self.assertNotIn(self.ticket.number, seen)
        # Asking for another company's journal gives nothing of it.
        foreign, html = self.journal_numbers(self.foreigner, company_id=self.company.id)
        self.assertFalse(foreign)
        self.assertNotIn(self.ticket.gis_appeal_number.encode(), html)

    # -- the MAX<->GIS link ---------------------------------------------------

    def max_request(self, **values):
        """A MAX request of the appeal's resident."""
        return self.env["helpdesk.ticket"].create(
            {
                "name": "Течёт кровля (MAX)",
                "description": "<p>Течёт кровля</p>",
                "channel_id": self.env.ref("helpdesk_gis_zhkh_max.channel_max").id,
                "partner_id": self.ticket.partner_id.id,
                **values,
            }
        )

    def suggest(self, max_ticket):
        self.ticket.sudo().max_link_ticket_id = max_ticket

    def test_link_needs_both_tickets_writable_and_of_one_company(self):
        guid = self.ticket.gis_appeal_guid
        # Our dispatcher may not change another team's MAX request: it does
        # not become the appeal.
        theirs = self.max_request(team_id=self.other_team.id)
        self.suggest(theirs)
        with self.assertRaises(AccessError):
            self.ticket.with_user(self.ours).action_max_link_gis()
        # Nor may their dispatcher, who may not change our appeal, link or
        # dismiss the suggestion.
        with self.assertRaises(AccessError):
            self.ticket.with_user(self.theirs).action_max_link_gis()
        with self.assertRaises(AccessError):
            self.ticket.with_user(self.theirs).action_max_dismiss_link()
        self.assertEqual(self.ticket.max_link_ticket_id, theirs)
        self.assertFalse(theirs.gis_appeal_guid)
        self.assertEqual(self.ticket.gis_appeal_guid, guid)
        # A request of another company is never linked, even by a manager
        # of both companies.
        manager = new_test_user(
            self.env,
            login="access_two_companies",
            groups="helpdesk_mgmt.group_helpdesk_manager",
            company_ids=[(6, 0, (self.company | self.other_company).ids)],
        )
        elsewhere = self.max_request(company_id=self.other_company.id)
        self.suggest(elsewhere)
        both = (self.company | self.other_company).ids
        with self.assertRaisesRegex(UserError, "another company"):
            self.ticket.with_user(manager).with_context(
                allowed_company_ids=both
            ).action_max_link_gis()
        self.assertFalse(elsewhere.gis_appeal_guid)
        # Our dispatcher links our team's request: it carries the appeal.
        ours = self.max_request(team_id=self.team.id)
        self.suggest(ours)
        self.ticket.with_user(self.ours).action_max_link_gis()
        self.assertEqual(ours.gis_appeal_guid, guid)
        self.assertFalse(self.ticket.active)

    def test_dismissing_a_suggestion_needs_the_ticket(self):
        self.suggest(self.max_request(team_id=self.team.id))
        with self.assertRaises(AccessError):
            self.ticket.with_user(self.foreigner).action_max_dismiss_link()
        self.assertTrue(self.ticket.max_link_ticket_id)
        self.ticket.with_user(self.ours).action_max_dismiss_link()
        self.assertFalse(self.ticket.max_link_ticket_id)

    # -- deadline digests ----------------------------------------------------

    def test_deadline_digest_reaches_the_team_not_every_employee(self):
        ticket = self.env["helpdesk.ticket"].create(
            {
                "name": "Прорыв трубы в подвале",
                "description": "<p>Вода в подвале</p>",
                "team_id": self.team.id,
                "category_id": self.env.ref(
                    "helpdesk_gis_zhkh_max.category_emergency"
                ).id,
            }
        )
        deadline = ticket.deadline_ids.filtered(lambda d: d.kind == "localisation")
        deadline.warn_at = datetime.datetime.now() - datetime.timedelta(seconds=1)
        self.env["helpdesk.ticket.deadline"]._cron_sweep()
        self.assertEqual(deadline.state, "at_risk")
        digest = self.env["mail.message"].search(
            [
                ("model", "=", "helpdesk.ticket.team"),
                ("res_id", "=", self.team.id),
                ("body", "ilike", ticket.number),
            ]
        )
        self.assertEqual(len(digest), 1)
        # To the team's members and leader, each notified...
        people = (self.ours | self.leader).partner_id
        self.assertEqual(digest.partner_ids & people, people)
        self.assertEqual(digest.notification_ids.res_partner_id & people, people)
        for user in self.ours | self.leader:
            self.assertEqual(
                self.env["mail.message"]
                .with_user(user)
                .search([("id", "=", digest.id)]),
                digest,
            )
        # ...not posted in the team's chatter, which every employee reads.
        self.assertNotIn(digest, self.team.message_ids)
        for user in (self.employee, self.theirs):
            with self.subTest(user=user.login):
                self.assertTrue(self.team.with_user(user).has_access("read"))
                self.assertFalse(
                    self.env["mail.message"]
                    .with_user(user)
                    .search([("id", "=", digest.id)])
                )
                with self.assertRaises(AccessError):
                    digest.with_user(user).read(["body"])
