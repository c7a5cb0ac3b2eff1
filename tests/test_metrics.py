# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
import json
import logging
import uuid

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user

from odoo.addons.queue_job.models.queue_job import QueueJob

from ..models.helpdesk_metrics import TOKEN_PARAM
from ..tools.metrics_text import CONTENT_TYPE, parse, samples
from .fakes.local_server import closed_url

CLOSED_URL = closed_url()

PATH = "/helpdesk_gis_zhkh_max/metrics"
TOKEN = "metrics-test-token_0123456789abcdef"
LOGGER = "odoo.addons.helpdesk_gis_zhkh_max.controllers.metrics"
# What a resident left in the database: none of it may reach the metrics.
PERSONAL = {
    "name": "Зебулон Квиксотов",
    "phone": "+7 999 123-45-67",
    "phone digits": "9991234567",
    "email": "zebulon.metrics@example.com",
    "street": "ул. Неприметная, 13",
    "subject": "Протечка у Зебулона",
    "chat id": "987654321",
    "error text": "Квиксотов",
}


class TestMetrics(HttpCase):
    """The monitoring endpoint: refused without the token, the figures as
    the cockpit and the health compute them, nothing about residents."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        # Jobs left by the demo data or committed tests are not this test's.
        env["queue.job"].search([]).unlink()
        now = fields.Datetime.now()
        cls.now = now
        cls.company = env["res.company"].create({"name": "УК «Метрика»"})
        cls.down = env["gis.zhkh.backend"].create(
            {
                "name": "Metrics GIS down",
                "endpoint_url": CLOSED_URL,
                "org_ppa_guid": str(uuid.uuid4()),
                "last_success_at": now - datetime.timedelta(hours=5),
                "last_error_at": now - datetime.timedelta(minutes=1),
                "last_error": "HTTP 503 for " + PERSONAL["error text"],
            }
        )
        cls.fine = env["gis.zhkh.backend"].create(
            {
                "name": 'Metrics "GIS" fine',
                "endpoint_url": CLOSED_URL,
                "org_ppa_guid": str(uuid.uuid4()),
                "last_success_at": now - datetime.timedelta(hours=2),
                # Silent for 2 hours is normal for an hourly import.
                "import_interval": 60,
            }
        )
        cls.gateway = env["mail.gateway"].create(
            {
                "name": "Metrics bot",
                "gateway_type": "max",
                "token": "metrics-bot-token_0123456789",
                "max_api_url": CLOSED_URL,
                "integrated_webhook_state": "integrated",
                "max_subscribed": True,
            }
        )
        partner = env["res.partner"].create(
            {
                "name": PERSONAL["name"],
                "phone": PERSONAL["phone"],
                "email": PERSONAL["email"],
                "street": PERSONAL["street"],
            }
        )
        cls.ticket = env["helpdesk.ticket"].create(
            {
                "name": PERSONAL["subject"],
                "description": f"<p>{PERSONAL['phone']}</p>",
                "partner_id": partner.id,
                "company_id": cls.company.id,
                "gis_appeal_guid": str(uuid.uuid4()),
                "category_id": env.ref("helpdesk_gis_zhkh_max.category_emergency").id,
            }
        )
        # Breached, as the sweep would leave it.
        cls.ticket.deadline_ids[:1].write(
            {"state": "breached", "deadline": now - datetime.timedelta(hours=1)}
        )
        Update = env["max.update"]
        for key, state in (("1", "pending"), ("2", "pending"), ("3", "failed")):
            Update.create(
                {
                    "gateway_id": cls.gateway.id,
                    "dedup_key": f"metrics:{key}",
                    "update_type": "message_created",
                    "chat_key": "u" + PERSONAL["chat id"],
                    "payload": json.dumps({"phone": PERSONAL["phone"]}),
                    "state": state,
                }
            )
        # One of the pending updates waits for an hour: stale.
        env.cr.execute(
            "UPDATE max_update SET create_date = %s WHERE dedup_key = 'metrics:1'",
            [now - datetime.timedelta(hours=1)],
        )
        edit = env["queue.job"].with_context(_job_edit_sentinel=QueueJob.EDIT_SENTINEL)
        failed = cls.down.with_delay()._job_import_appeals().db_record()
        edit.browse(failed.id).write({"state": "failed"})
        stuck = cls.fine.with_delay()._job_import_appeals().db_record()
        edit.browse(stuck.id).write(
            {"state": "started", "date_started": now - datetime.timedelta(hours=2)}
        )
        cls.jobs = failed | stuck

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param(TOKEN_PARAM, TOKEN)

    def get(self, token=TOKEN, headers=None, **kwargs):
        send = dict(headers or {})
        if token:
            send["Authorization"] = f"Bearer {token}"
        self.env.flush_all()
        return self.url_open(PATH, headers=send, **kwargs)

    def series(self, response):
        return samples(response.text)

    def test_refused_without_the_token(self):
        with self.assertLogs(LOGGER, logging.WARNING) as logs:
            responses = {
                "none": self.get(token=None),
                "wrong": self.get(token="metrics-test-token_0123456789abcdeX"),
                "basic": self.get(
                    token=None, headers={"Authorization": "Basic " + TOKEN}
                ),
                # In the URL it would be written to the access logs.
                "in the URL": self.get(token=None, params={"token": TOKEN}),
            }
        statuses = {name: response.status_code for name, response in responses.items()}
        self.assertEqual(
            statuses, {"none": 401, "wrong": 403, "basic": 401, "in the URL": 401}
        )
        for response in responses.values():
            self.assertNotIn("hgzm_", response.text)
            self.assertNotIn("Metrics bot", response.text)
        self.assertEqual(
            responses["none"].headers["WWW-Authenticate"], 'Bearer realm="metrics"'
        )
        self.assertEqual(len(logs.records), len(responses))
        self.assertNotIn(TOKEN, "\n".join(logs.output))
        self.assertIn("not accepted", logs.output[-1])

    def test_disabled_without_a_configured_token(self):
        self.env["ir.config_parameter"].sudo().set_param(TOKEN_PARAM, False)
        for token in (TOKEN, None, ""):
            response = self.get(token=token)
            self.assertEqual(response.status_code, 404)
            self.assertNotIn("hgzm_", response.text)

    def test_get_only_and_no_session(self):
        self.env.flush_all()
        response = self.url_open(
            PATH, data=b"x", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        self.assertEqual(response.status_code, 405)
        response = self.get()
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("Set-Cookie", response.headers)

    def test_the_database_by_header(self):
        # Several databases on one server: the monitoring names its own.
        response = self.get(headers={"X-Odoo-Database": self.env.cr.dbname})
        self.assertEqual(response.status_code, 200)
        self.assertIn("hgzm_integration_health", response.text)
        response = self.get(headers={"X-Odoo-Database": "hgzm_metrics_no_such_db"})
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("hgzm_", response.text)

    def test_prometheus_text_with_the_figures(self):
        response = self.get()
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.headers["Content-Type"], CONTENT_TYPE)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        families = parse(response.text)
        for family in families:
            self.assertTrue(family.name.startswith("hgzm_"), family.name)
            self.assertTrue(family.help, family.name)
            self.assertEqual(family.type, "gauge", family.name)
        figures = self.series(response)

        def value(metric, /, **labels):
            return figures[(metric, frozenset(labels.items()))]

        def connection(record):
            return {
                "id": str(record.id),
                "name": record.name,
                "company": record.company_id.name,
            }

        health = self.env["helpdesk.integration.health"]
        self.assertEqual(
            value(
                "hgzm_integration_health",
                **connection(self.down),
                kind="gis",
                state="down",
            ),
            2,
        )
        # The failed and the stuck GIS jobs make the working one degraded,
        # as on the cockpit.
        self.assertEqual(health._gis_status(self.fine, self.now)["state"], "degraded")
        self.assertEqual(
            value(
                "hgzm_integration_health",
                **connection(self.fine),
                kind="gis",
                state="degraded",
            ),
            1,
        )
        # A quote in a connection's name is escaped, and read back.
        self.assertIn('name="Metrics \\"GIS\\" fine"', response.text)
        bot_state = health._max_status(self.gateway, self.now)["state"]
        self.assertEqual(
            value(
                "hgzm_integration_health",
                **connection(self.gateway),
                kind="max",
                state=bot_state,
            ),
            {"ok": 0, "degraded": 1, "down": 2}[bot_state],
        )
        # Its failed and stale updates.
        self.assertEqual(bot_state, "degraded")
        age = value("hgzm_gis_last_success_age_seconds", **connection(self.fine))
        self.assertAlmostEqual(age, 2 * 3600, delta=120)
        self.assertEqual(
            value("hgzm_queue_jobs", channel="root.gis_zhkh", state="failed"), 1
        )
        self.assertEqual(
            value("hgzm_queue_jobs", channel="root.gis_zhkh", state="started"), 1
        )
        self.assertEqual(value("hgzm_queue_jobs_stuck", channel="root.gis_zhkh"), 1)
        # Every configured channel has its series, zeros included.
        self.assertEqual(
            value("hgzm_queue_jobs", channel="root.max", state="failed"), 0
        )
        self.assertEqual(value("hgzm_queue_jobs_stuck_threshold_seconds"), 3600)
        bot = connection(self.gateway)
        self.assertEqual(value("hgzm_max_updates", **bot, state="pending"), 2)
        self.assertEqual(value("hgzm_max_updates", **bot, state="failed"), 1)
        self.assertEqual(value("hgzm_max_updates_stale", **bot), 1)
        self.assertEqual(value("hgzm_max_outbox_messages", **bot, state="queued"), 0)
        company = self.company.name
        self.assertEqual(
            value("hgzm_legal_deadlines_breached", company=company, source="gis"), 1
        )
        self.assertEqual(
            value("hgzm_legal_deadlines_breached", company=company, source="max"), 0
        )
        self.assertEqual(
            value("hgzm_legal_deadlines_at_risk", company=company, source="gis"), 0
        )
        # Closed, it no longer counts.
        self.ticket.stage_id = self.env["helpdesk.ticket.stage"].search(
            [("closed", "=", True)], limit=1
        )
        figures = self.series(self.get())
        self.assertEqual(
            value("hgzm_legal_deadlines_breached", company=company, source="gis"), 0
        )

    def test_no_personal_data(self):
        response = self.get()
        self.assertEqual(response.status_code, 200)
        body = response.text
        for what, text in PERSONAL.items():
            self.assertNotIn(text, body, what)
        # Nothing but counts, states and configuration names in the labels.
        allowed = {"id", "name", "company", "kind", "state", "channel", "source"}
        for family in parse(body):
            for labels, _value in family.samples:
                self.assertLessEqual(set(labels), allowed, family.name)

    def test_the_token_is_the_administrators(self):
        manager = new_test_user(
            self.env,
            login="metrics_manager",
            groups="helpdesk_mgmt.group_helpdesk_manager",
        )
        with self.assertRaises(AccessError):
            self.env["helpdesk.metrics"].with_user(manager)._generate_token()
        with self.assertRaises(AccessError):
            self.env["helpdesk.metrics"].with_user(manager).metrics_text()
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.hgzm_metrics_token, TOKEN)
        settings.action_hgzm_generate_metrics_token()
        token = self.env["ir.config_parameter"].sudo().get_param(TOKEN_PARAM)
        self.assertNotEqual(token, TOKEN)
        self.assertGreaterEqual(len(token), 40)
        self.assertEqual(self.get().status_code, 403)
        self.assertEqual(self.get(token=token).status_code, 200)
        # Pasted with a line feed around it, it is the same token.
        self.env["ir.config_parameter"].sudo().set_param(TOKEN_PARAM, f" {TOKEN}\n")
        self.assertEqual(self.get().status_code, 200)
        # The monitoring user reads the figures and nothing else.
        user = self.env.ref("helpdesk_gis_zhkh_max.user_metrics")
        self.assertFalse(user.active)
        for model in ("helpdesk.ticket", "res.partner", "max.update", "queue.job"):
            self.assertFalse(self.env[model].with_user(user).has_access("read"), model)
