# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import contextlib
import datetime
import os
from pathlib import Path
from unittest import mock

from lxml import etree

from odoo import api
from odoo.tests.common import TransactionCase
from odoo.tools import config

from odoo.addons.queue_job.tests.common import trap_jobs

from ..models import gis_zhkh_backend_connection
from ..models.gis_zhkh_backend_import import gis_today
from .fakes import fake_gis

ORG = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
ADDON_DIR = Path(__file__).resolve().parents[1]
# The formats the addon carries, unless the environment names others.
XSD_DIR = Path(
    os.environ.get("GIS_XSD_DIR", ADDON_DIR / "data" / "gis-formats-16.3.0.0")
)


# The dummy signer of the plain tests (an external program, as in production).
SIGNER = Path(__file__).parent / "plain" / "fake_signer.py"


def use_signer_profile(case, name, command):
    """A signer profile as the server's configuration names it, set at run
    time for the test's duration."""
    key = f"helpdesk_gis_zhkh_max.signer.{name}"
    config[key] = command
    case.addCleanup(config.options.pop, key, None)


class WorkersCase(TransactionCase):
    """Real transactions side by side, as the job workers, the cron thread
    and the HTTP workers run them: each ``worker()`` is a PostgreSQL
    connection of its own. What a test commits (in ``setUp``, or in
    ``committed()``) is removed by its ``drop_committed_data``, after the
    workers are rolled back and closed."""

    # A worker waiting longer than this for a lock fails the test.
    lock_timeout = "3s"

    def setUp(self):
        super().setUp()
        self.cursors = []
        self.addCleanup(self._end_workers)

    def _end_workers(self):
        for cr in self.cursors:
            cr.rollback()
            cr.close()
        self.cursors = []
        self.drop_committed_data()

    def drop_committed_data(self):
        """Remove what the test committed."""

    @contextlib.contextmanager
    def committed(self, context=None):
        """A transaction committed on leaving, as the superuser."""
        with self.registry.cursor() as cr:
            yield api.Environment(cr, api.SUPERUSER_ID, context or {})

    def worker(self):
        cr = self.registry.cursor()
        self.cursors.append(cr)
        cr.execute("SET lock_timeout = %s", [self.lock_timeout])
        return api.Environment(cr, api.SUPERUSER_ID, {})

    def kill(self, env):
        """The worker dies: its transaction is rolled back and its
        connection closed (its advisory locks go with it)."""
        env.cr.rollback()
        env.cr.close()
        self.cursors.remove(env.cr)


def view_fields(env, model, view_type):
    """The names of the fields a view shows (as the user would get it)."""
    arch = env[model].get_view(view_type=view_type)["arch"]
    return set(etree.fromstring(arch).xpath("//field/@name"))


class GisCase(TransactionCase):
    """Runs a fake GIS ZhKKh on 127.0.0.1 that validates every request
    against the official XSD, and a connection pointing at it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not (XSD_DIR / "appeals").is_dir():
            raise RuntimeError(
                f"Official GIS XSD not found at {XSD_DIR}: set GIS_XSD_DIR"
            )
        cls.server = fake_gis.FakeGisServer(xsd_dir=XSD_DIR, org_ppa_guid=ORG).start()
        cls.addClassCleanup(cls.server.stop)
        cls.fake = cls.server.fake
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.company = cls.env.company
        cls.team = cls.env["helpdesk.ticket.team"].create({"name": "GIS test team"})
        cls.backend = cls.env["gis.zhkh.backend"].create(
            {
                "name": "Fake GIS",
                "endpoint_url": cls.server.url,
                "org_ppa_guid": ORG,
                "timeout": 5,
                "team_id": cls.team.id,
                "initial_days": 10,
                "refresh_interval": 0,
                "responsible_user_id": cls.env.ref("base.user_admin").id,
            }
        )
        cls.today = gis_today()

    def setUp(self):
        super().setUp()
        self.fake.reset()
        # The connection test's waits between getState calls: recorded, not slept.
        self.waits = []
        self.startPatcher(
            mock.patch.object(
                gis_zhkh_backend_connection, "poll_wait", self.waits.append
            )
        )

    def appeals(self, count=1, **kwargs):
        kwargs.setdefault("seed", self._testMethodName)
        kwargs.setdefault("today", self.today)
        return fake_gis.generate_appeals(count, **kwargs)

    def run_import(self, backend=None, rounds=5):
        """Run the import job and every job it queues, like the job runner."""
        backend = backend or self.backend
        with trap_jobs() as trap:
            backend._enqueue_import()
            self.perform_all(trap, rounds)
        return self.env["gis.zhkh.message"].search([("backend_id", "=", backend.id)])

    def perform_all(self, trap, rounds=5):
        for _round in range(rounds):
            if not trap.enqueued_jobs:
                return
            trap.perform_enqueued_jobs()
        raise AssertionError("Jobs keep queueing more jobs")

    def tickets(self, backend=None):
        return (
            self.env["helpdesk.ticket"]
            .with_context(active_test=False)
            .search([("gis_backend_id", "=", (backend or self.backend).id)])
        )

    def days_ago(self, days):
        return self.today - datetime.timedelta(days=days)
