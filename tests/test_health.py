# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
import time
import uuid
from unittest import mock

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from ..models.helpdesk_integration_health import HelpdeskIntegrationHealth
from .common import WorkersCase
from .fakes.local_server import closed_url

CLOSED_URL = closed_url()


class TestIntegrationHealth(TransactionCase):
    """One state per GIS connection and MAX bot, and one alert per outage."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.health = cls.env["helpdesk.integration.health"]
        # Jobs left by the demo data are not this test's.
        cls.env["queue.job"].search([]).unlink()
        cls.admin = cls.env.ref("base.user_admin")
        cls.backend = cls.env["gis.zhkh.backend"].create(
            {
                "name": "Health GIS",
                "endpoint_url": CLOSED_URL,
                "org_ppa_guid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                "responsible_user_id": cls.admin.id,
                "import_interval": 15,
                "health_alert_minutes": 30,
            }
        )
        cls.gateway = cls.env["mail.gateway"].create(
            {
                "name": "Health bot",
                "gateway_type": "max",
                "token": "health-token_0123456789",
                "max_api_url": CLOSED_URL,
                "max_responsible_user_id": cls.admin.id,
                "integrated_webhook_state": "integrated",
                "max_subscribed": True,
            }
        )

    def status(self, record):
        return next(
            line
            for line in self.health.health_data()
            if line["id"] == record.id
            and line["kind"] == ("gis" if record._name == "gis.zhkh.backend" else "max")
        )

    def test_states_and_reasons(self):
        now = fields.Datetime.now()
        self.backend.write({"last_success_at": now})
        self.assertEqual(self.status(self.backend)["state"], "ok")
        self.backend.write(
            {
                "last_error_at": now + datetime.timedelta(seconds=1),
                "last_error": "HTTP 503",
            }
        )
        status = self.status(self.backend)
        self.assertEqual(status["state"], "down")
        self.assertIn("HTTP 503", status["reason"])
        self.assertEqual(self.status(self.gateway)["state"], "ok")
        self.gateway.max_subscribed = False
        self.assertEqual(self.status(self.gateway)["state"], "down")
        self.gateway.max_subscribed = True
        self.env["max.update"].create(
            {
                "gateway_id": self.gateway.id,
                "dedup_key": "x:1",
                "update_type": "message_created",
                "chat_key": "u1",
                "payload": "{}",
                "state": "failed",
            }
        )
        self.assertEqual(self.status(self.gateway)["state"], "degraded")
        cockpit = self.env["helpdesk.deadline.cockpit"].cockpit_data()
        self.assertIn(self.backend.id, [h["id"] for h in cockpit["health"]])

    def test_imported_today_is_the_company_s_day(self):
        self.env.company.partner_id.tz = "Asia/Kamchatka"  # UTC+12
        ticket = self.env["helpdesk.ticket"].create(
            {
                "name": "Appeal",
                "description": "x",
                "gis_backend_id": self.backend.id,
                "gis_appeal_guid": str(uuid.uuid4()),
            }
        )
        # Imported at 23:00 on the 10th in Kamchatka (11:00 UTC); it is now
        # 01:00 on the 11th there, still the 10th in UTC.
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET create_date = %s WHERE id = %s",
            [datetime.datetime(2026, 3, 10, 11, 0), ticket.id],
        )
        ticket.invalidate_recordset()
        now = datetime.datetime(2026, 3, 10, 13, 0)
        self.assertEqual(
            self.health._gis_status(self.backend, now)["imported_today"], 0
        )
        later = datetime.datetime(2026, 3, 11, 11, 59)  # 23:59 on the 11th there
        self.assertEqual(
            self.health._gis_status(self.backend, later)["imported_today"], 0
        )
        self.env.company.partner_id.tz = "Europe/Kaliningrad"  # UTC+2
        self.assertEqual(
            self.health._gis_status(self.backend, now)["imported_today"], 1
        )

    def test_one_alert_per_outage(self):
        now = fields.Datetime.now()
        self.backend.write(
            {
                "last_success_at": now - datetime.timedelta(hours=3),
                "last_error_at": now,
                "last_error": "Timeout",
            }
        )
        activities = self.env["mail.activity"].search_count
        mine = [
            ("res_model", "=", "gis.zhkh.backend"),
            ("res_id", "=", self.backend.id),
        ]
        mails = self.env["mail.mail"].search_count
        before = (activities(mine), mails([]))
        self.health._cron_check()
        self.assertEqual(self.backend.health_state, "down")
        # Not yet: down for less than the alert delay.
        self.assertEqual((activities(mine), mails([])), before)
        later = now + datetime.timedelta(minutes=31)
        with mock.patch.object(fields.Datetime, "now", return_value=later):
            self.health._cron_check()
            self.health._cron_check()
        self.assertEqual(activities(mine), before[0] + 1)
        self.assertGreaterEqual(mails([]), before[1] + 1)
        self.assertTrue(self.backend.health_notified)
        # Recovers, fails anew: told again.
        self.backend.write({"last_success_at": later + datetime.timedelta(minutes=1)})
        with mock.patch.object(
            fields.Datetime, "now", return_value=later + datetime.timedelta(minutes=2)
        ):
            self.health._cron_check()
        self.assertEqual(self.backend.health_state, "ok")
        self.assertFalse(self.backend.health_notified)
        self.backend.write({"last_error_at": later + datetime.timedelta(minutes=3)})
        for minutes in (4, 40):  # down again, then for longer than the delay
            with mock.patch.object(
                fields.Datetime,
                "now",
                return_value=later + datetime.timedelta(minutes=minutes),
            ):
                self.health._cron_check()
        self.assertEqual(activities(mine), before[0] + 2)

    def test_who_sees_the_cockpit_and_the_health(self):
        """The cockpit for helpdesk users, connection errors and health for
        helpdesk managers; nobody else, whatever they call over RPC."""
        cockpit = self.env["helpdesk.deadline.cockpit"]
        users = {
            group: new_test_user(self.env, login=f"health_{name}", groups=group)
            for name, group in (
                ("portal", "base.group_portal"),
                ("employee", "base.group_user"),
                ("user", "helpdesk_mgmt.group_helpdesk_user"),
                ("manager", "helpdesk_mgmt.group_helpdesk_manager"),
            )
        }
        for group in ("base.group_portal", "base.group_user"):
            user = users[group]
            with self.subTest(group=group):
                with self.assertRaises(AccessError):
                    cockpit.with_user(user).cockpit_data()
                with self.assertRaises(AccessError):
                    cockpit.with_user(user).action_open("breached")
                with self.assertRaises(AccessError):
                    self.health.with_user(user).health_data()
        user = users["helpdesk_mgmt.group_helpdesk_user"]
        data = cockpit.with_user(user).cockpit_data()
        self.assertIn("breached", data["totals"])
        self.assertEqual(data["health"], [])
        self.assertEqual(
            cockpit.with_user(user).action_open("breached")["res_model"],
            "helpdesk.ticket",
        )
        with self.assertRaises(AccessError):
            self.health.with_user(user).health_data()
        manager = users["helpdesk_mgmt.group_helpdesk_manager"]
        health = cockpit.with_user(manager).cockpit_data()["health"]
        self.assertIn(self.backend.id, [h["id"] for h in health if h["kind"] == "gis"])
        self.assertTrue(self.health.with_user(manager).health_data())


@tagged("post_install", "-at_install")
class TestHealthCronBesideGisJobs(WorkersCase):
    """The health cron and a GIS ZhKKh job, each in its own transaction as
    the cron thread and a job worker run them."""

    # Were the cron to wait for the job's lock, it would fail here.
    lock_timeout = "2s"

    def setUp(self):
        super().setUp()
        with self.committed() as env:
            company = env["res.company"].create(
                {"name": f"УК Здоровая {uuid.uuid4().hex[:8]}"}
            )
            backend = env["gis.zhkh.backend"].create(
                {
                    "name": "Busy GIS",
                    "company_id": company.id,
                    "endpoint_url": CLOSED_URL,
                    "org_ppa_guid": str(uuid.uuid4()),
                    "responsible_user_id": False,
                    "last_error_at": fields.Datetime.now(),
                    "last_error": "HTTP 503",
                }
            )
            self.ids = {"company": company.id, "backend": backend.id}
        # The cron looks at this connection only: what it commits is this test's.
        self.startPatcher(
            mock.patch.object(
                HelpdeskIntegrationHealth,
                "_connections",
                lambda health, every_company=False: (
                    health.env["gis.zhkh.backend"].sudo().browse(self.ids["backend"]),
                    health.env["mail.gateway"],
                ),
            )
        )

    def drop_committed_data(self):
        with self.committed({"active_test": False}) as env:
            company = env["res.company"].browse(self.ids["company"])
            partner = company.partner_id
            env["gis.zhkh.backend"].browse(self.ids["backend"]).unlink()
            company.unlink()
            partner.unlink()

    def backend(self, env):
        return env["gis.zhkh.backend"].browse(self.ids["backend"])

    def test_the_health_cron_never_waits_for_a_gis_job(self):
        job, cron = self.worker(), self.worker()
        # A GIS ZhKKh job takes its company's turn for a long exchange.
        self.backend(job)._lock_exchanges()
        started = time.monotonic()
        cron["helpdesk.integration.health"]._cron_check()
        self.assertLess(time.monotonic() - started, 1.5)
        # Passed over: the next run catches up.
        self.assertFalse(self.backend(cron).health_state)
        cron.cr.rollback()
        job.cr.rollback()
        cron["helpdesk.integration.health"]._cron_check()
        self.assertEqual(self.backend(cron).health_state, "down")
        cron.cr.commit()
        # The job's next exchange: the state has not changed, so the cron
        # writes nothing and needs no lock.
        self.backend(job)._lock_exchanges()
        with mock.patch.object(
            HelpdeskIntegrationHealth,
            "_lock_or_skip",
            side_effect=AssertionError("an unchanged state was written"),
        ):
            cron["helpdesk.integration.health"]._cron_check()
        self.assertEqual(self.backend(cron).health_state, "down")
