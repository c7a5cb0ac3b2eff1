# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from unittest import mock

from ..models import gis_zhkh_backend_connection
from ..models.gis_zhkh_backend_import import gis_today
from .common import ORG, XSD_DIR
from .fakes import fake_gis
from .max_common import RESIDENT, MaxCase


class TestMaxGisBridge(MaxCase):
    """A bot user's official appeal comes from the fake GIS ZhKKh: the bot
    tells them its number and deadline, and the dispatcher links it to the
    MAX request it repeats."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gis_server = fake_gis.FakeGisServer(
            xsd_dir=XSD_DIR, org_ppa_guid=ORG
        ).start()
        cls.addClassCleanup(cls.gis_server.stop)
        cls.backend = cls.env["gis.zhkh.backend"].create(
            {
                "name": "Fake GIS",
                "endpoint_url": cls.gis_server.url,
                "org_ppa_guid": ORG,
                "timeout": 5,
                "team_id": cls.team.id,
                "initial_days": 10,
                "refresh_interval": 0,
            }
        )

    def setUp(self):
        super().setUp()
        self.gis_server.fake.reset()
        self.startPatcher(
            mock.patch.object(gis_zhkh_backend_connection, "poll_wait", list)
        )

    def test_gis_registration_notice_and_one_click_link(self):
        fake = self.fake
        # The resident writes to the bot and proves their number.
        self.deliver(fake.resident_message(RESIDENT, "Течёт кровля над кухней"))
        contact = fake.contact_attachment(RESIDENT, "+79160000000", "Жилец")
        self.deliver(fake.resident_message(RESIDENT, "", [contact]))
        max_ticket = self.dialog().ticket_ids
        # Then files the same thing officially through the GIS ZhKKh chatbot.
        appeal = fake_gis.generate_appeals(1, seed="bridge", today=gis_today())[0]
        appeal.applicant.phone = "+79160000000"
        self.gis_server.fake.seed([appeal])
        before = len(self.texts())
        self.backend._enqueue_import()
        self.run_jobs()
        gis_ticket = self.env["helpdesk.ticket"].search(
            [("gis_appeal_guid", "=", appeal.guid)]
        )
        self.assertEqual(gis_ticket.partner_id, max_ticket.partner_id)
        told = self.texts()[before:]
        self.assertEqual(len(told), 1)
        self.assertIn(appeal.number, told[0])
        self.assertTrue(gis_ticket.max_gis_notified)
        self.assertEqual(gis_ticket.max_link_ticket_id, max_ticket)

        gis_ticket.action_max_link_gis()
        self.assertFalse(gis_ticket.active)
        self.assertEqual(max_ticket.gis_appeal_number, appeal.number)
        self.assertEqual(max_ticket.gis_deadline, appeal.execution_end_date)
        self.assertTrue(max_ticket.deadline_ids)
        # The next import finds the appeal on the MAX ticket: no new ticket,
        # and the resident is not told twice.
        before = len(self.texts())
        self.backend._enqueue_import()
        self.run_jobs()
        self.assertEqual(
            self.env["helpdesk.ticket"]
            .with_context(active_test=False)
            .search_count([("gis_appeal_guid", "=", appeal.guid)]),
            1,
        )
        self.assertEqual(self.texts()[before:], [])

    # -- what a bot user hears outside the official channel -----------------------

    def bot_user_with_a_gis_appeal(self, **changes):
        """A resident identified in the bot whose appeal comes from GIS."""
        fake = self.fake
        self.deliver(fake.resident_message(RESIDENT, "Здравствуйте"))
        contact = fake.contact_attachment(RESIDENT, "+79160000001", "Жилец")
        self.deliver(fake.resident_message(RESIDENT, "", [contact]))
        appeal = fake_gis.generate_appeals(1, seed="privacy", today=gis_today())[0]
        appeal.applicant.phone = "+79160000001"
        for name, value in changes.items():
            setattr(appeal, name, value)
        self.gis_server.fake.seed([appeal])
        self.backend._enqueue_import()
        self.run_jobs()
        return self.env["helpdesk.ticket"].search(
            [("gis_appeal_guid", "=", appeal.guid)]
        )

    def test_gis_stage_changes_reach_max_only_where_the_organisation_opts_in(self):
        self.assertTrue(self.gateway.max_stage_notices)
        cancelled = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_cancelled")
        self.backend.withdrawn_stage_id = cancelled
        ticket = self.bot_user_with_a_gis_appeal()
        self.assertTrue(self._dialogs(ticket))
        done = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        before = len(self.texts())
        # Staff close it: the official answer goes through GIS ZhKKh.
        ticket.stage_id = done
        self.run_jobs()
        self.assertEqual(self.texts()[before:], [])
        # The organisation opts in: the bot tells the resident.
        self.backend.stage_mail_to_residents = True
        ticket.stage_id = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new")
        self.run_jobs()
        self.assertEqual(len(self.texts()[before:]), 1)
        # Even then an import (the appeal withdrawn in GIS) tells nothing.
        before = len(self.texts())
        self.gis_server.fake.update_appeal(
            ticket.gis_appeal_guid,
            status="withdrawn",
            raw_status="Withdrawn",
            withdrawn=True,
            withdrawn_comment="Передумал",
        )
        self.backend.last_refresh_at = False
        self.backend._enqueue_import()
        self.run_jobs()
        self.assertEqual(ticket.stage_id, cancelled)
        self.assertEqual(self.texts()[before:], [])

    def _dialogs(self, ticket):
        return self.env["max.gis.bridge"]._dialogs_for_notices(ticket)

    def test_a_max_resident_is_told_in_max_not_by_english_mail(self):
        self.deliver(self.fake.resident_message(RESIDENT, "Не работает лифт"))
        ticket = self.dialog().ticket_ids
        ticket.partner_id.email = "resident-max@example.com"
        self.env.flush_all()
        self.env.cr.precommit.run()
        before = len(self.texts())
        ticket.stage_id = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.run_jobs()
        self.assertEqual(len(self.texts()[before:]), 1)
        mails = self.env["mail.mail"].search(
            [("recipient_ids", "in", ticket.partner_id.ids)]
        )
        self.assertFalse(mails)

    def test_new_appeals_cost_the_same_few_queries_however_many(self):
        bridge = self.env["max.gis.bridge"]
        partners = self.env["res.partner"].create(
            [{"name": f"Жилец {i}"} for i in range(20)]
        )
        tickets = self.env["helpdesk.ticket"].create(
            [
                {
                    "name": f"Обращение {i}",
                    "description": "x",
                    "partner_id": partner.id,
                    "gis_appeal_guid": f"00000000-0000-4000-8000-{i:012d}",
                    "gis_backend_id": self.backend.id,
                }
                for i, partner in enumerate(partners)
            ]
        )
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=6):
            bridge._new_appeals(tickets[:2])
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=6):
            bridge._new_appeals(tickets[2:])
