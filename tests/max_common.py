# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os
from pathlib import Path
from unittest import mock

from odoo.fields import Datetime
from odoo.tests.common import HttpCase
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

from ..models import mail_gateway
from .fakes import fake_max

ADDON_DIR = Path(__file__).resolve().parents[1]
# The OpenAPI file the addon carries, unless the environment names another.
MAX_OPENAPI = Path(
    os.environ.get(
        "MAX_OPENAPI", ADDON_DIR / "data" / "max-bot-api" / "openapi-2026-07-01.yaml"
    )
)
TOKEN = "odoo-test-bot-token_0123456789"
RESIDENT = 70001


class MaxCase(HttpCase):
    """A fake MAX Bot API on 127.0.0.1 (checking every request against the
    OpenAPI file) subscribed to this Odoo's real webhook route: updates go
    over HTTP, as MAX sends them, and the queue jobs run as the runner
    would run them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Jobs queued before this class (the demo connection's first import,
        # what committed tests left) are not this test's: running them would
        # call the demo's endpoints, and whatever listens there.
        cls.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM queue_job")
        cls.jobs_before = cls.env.cr.fetchone()[0]
        if not MAX_OPENAPI.is_file():
            raise RuntimeError(f"MAX OpenAPI file not found at {MAX_OPENAPI}")
        cls.server = fake_max.FakeMaxServer(TOKEN, openapi=MAX_OPENAPI).start()
        cls.addClassCleanup(cls.server.stop)
        cls.fake = cls.server.fake
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.team = cls.env["helpdesk.ticket.team"].create({"name": "MAX test team"})
        cls.house = cls.env["gis.zhkh.house"].create(
            {"name": "ул. Ленина, 5", "address": "г. Тверь, ул. Ленина, 5"}
        )
        cls.gateway = cls.env["mail.gateway"].create(
            {
                "name": "Test MAX bot",
                "gateway_type": "max",
                "token": TOKEN,
                "max_api_url": cls.server.url,
                "max_team_id": cls.team.id,
                "max_dispatcher_phone": "+7 4822 00-00-00",
                "max_official_url": "https://max.ru/gosuslugi_dom_bot",
                "max_house_ids": [(6, 0, cls.house.ids)],
            }
        )

    def setUp(self):
        super().setUp()
        self.fake.reset()
        self.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", self.base_url()
        )
        self.sleeps = []
        self.startPatcher(
            mock.patch.object(mail_gateway, "max_sleep", self.sleeps.append)
        )
        self.gateway.action_max_subscribe()

    # -- helpers ---------------------------------------------------------------------

    def deliver(self, update, run=True, **kwargs):
        # The webhook runs in the server's thread: it must see what the test
        # wrote, and the test what it wrote.
        self.env.flush_all()
        # MAX sends no test cookie: let every request in, as in production.
        with self.allow_requests(all_requests=True):
            statuses = self.fake.deliver(update, **kwargs)
        self.env.invalidate_all()
        if run:
            self.run_jobs()
        return statuses

    def pending_jobs(self):
        """This class's jobs waiting to run (not the demo's, nor those of
        committed tests before it)."""
        return self.env["queue.job"].search(
            [("state", "=", "pending"), ("id", ">", self.jobs_before)]
        )

    def run_jobs(self, rounds=10, due_only=False):
        """Run the stored queue jobs the way the job runner does; with
        ``due_only``, only those whose time has come (as the runner would),
        until none is due."""
        for _round in range(rounds):
            domain = [
                ("state", "in", ("pending", "enqueued")),
                ("id", ">", self.jobs_before),
            ]
            if due_only:
                domain += ["|", ("eta", "=", False), ("eta", "<=", Datetime.now())]
            records = self.env["queue.job"].search(domain, order="id")
            if not records:
                return
            for record in records:
                job = Job.load(self.env, record.uuid)
                job.set_started()
                job.store()
                try:
                    job.perform()
                except RetryableJobError as error:
                    job.postpone(result=str(error), seconds=error.seconds)
                    job.set_pending(reset_retry=False)
                    job.store()
                    continue
                job.set_done()
                job.store()
        raise AssertionError("Jobs keep queueing more jobs")

    def outbox(self, **domain):
        return self.env["max.outbox"].search(
            [("gateway_id", "=", self.gateway.id)]
            + [(name, "=", value) for name, value in domain.items()],
            order="id",
        )

    def age_sending(self, seconds=60):
        """As if the sends in flight had started ``seconds`` ago."""
        self.env.flush_all()
        for table in ("max_outbox", "max_broadcast_line"):
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET sending_since = sending_since - "
                    "make_interval(secs => %s) WHERE state = 'sending'",
                    SQL.identifier(table),
                    seconds,
                )
            )
        self.env.invalidate_all()

    def dialog(self, user_id=RESIDENT):
        return self.env["max.dialog"].search(
            [("gateway_id", "=", self.gateway.id), ("max_user_id", "=", str(user_id))]
        )

    def texts(self, user_id=RESIDENT):
        return self.fake.texts_to(user_id=user_id)
