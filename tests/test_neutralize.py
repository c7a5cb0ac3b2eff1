# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.modules.neutralize import neutralize_database
from odoo.tests.common import TransactionCase

from .fakes.local_server import closed_url

CLOSED_URL = closed_url()


class TestNeutralize(TransactionCase):
    """A copy of the database made for tests or training (``odoo-bin
    neutralize``) acts for nobody: no GIS ZhKKh exchange, no MAX message."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        admin = cls.env.ref("base.user_admin")
        cls.backend = cls.env["gis.zhkh.backend"].create(
            {
                "name": "Production GIS",
                "endpoint_url": CLOSED_URL,
                "org_ppa_guid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                "responsible_user_id": admin.id,
            }
        )
        cls.gateway = cls.env["mail.gateway"].create(
            {
                "name": "Production bot",
                "gateway_type": "max",
                "token": "production-token_0123456789",
                "max_api_url": CLOSED_URL,
                "max_responsible_user_id": admin.id,
                "integrated_webhook_state": "integrated",
                "max_subscribed": True,
            }
        )
        cls.import_job = cls.backend.with_delay()._job_import_appeals()
        cls.other_job = cls.env["res.partner"].with_delay().read(["name"])

    def test_a_copy_talks_to_no_one(self):
        neutralize_database(self.env.cr)
        self.env.invalidate_all()
        self.assertFalse(self.backend.active)
        # Senders read the pause as committed (max.sending._status, its own
        # transaction): read it in this test's transaction.
        self.env.cr.execute(
            "SELECT paused, paused_reason FROM max_sending WHERE gateway_id = %s",
            [self.gateway.id],
        )
        paused, reason = self.env.cr.fetchone()
        self.assertTrue(paused)
        self.assertIn("нейтрализована", reason)
        self.assertNotEqual(self.gateway.sudo().token, "production-token_0123456789")
        self.assertFalse(self.gateway.max_subscribed)
        jobs = self.env["queue.job"].search([])
        gis_job = jobs.filtered(lambda j: j.uuid == self.import_job.uuid)
        self.assertEqual(gis_job.state, "cancelled")
        # Jobs of other modules are left as they are.
        other = jobs.filtered(lambda j: j.uuid == self.other_job.uuid)
        self.assertEqual(other.state, "pending")
