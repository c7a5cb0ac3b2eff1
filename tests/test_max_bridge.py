# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from unittest import mock

from ..models import gis_zhkh_backend
from ..models.gis_zhkh_backend import gis_today
from ..tools import fake_gis
from .common import ORG, XSD_DIR
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
        self.startPatcher(mock.patch.object(gis_zhkh_backend, "poll_wait", list))

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
