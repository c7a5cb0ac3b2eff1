# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import dataclasses
import datetime
import uuid

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

from ..models.gis_zhkh_backend_import import gis_today
from ..tools import gis_client, gis_xml_common, gis_xml_parse
from .common import ORG, XSD_DIR, GisCase, WorkersCase
from .fakes import fake_gis
from .fakes.local_server import closed_url

CLOSED_URL = closed_url()

MUTED = "odoo.addons.helpdesk_gis_zhkh_max.models.gis_zhkh_backend_import"


@tagged("post_install", "-at_install")
class TestOneExportAtATime(GisCase):
    def exports(self):
        return [op for op, _ok, _e in self.fake.calls() if op == "exportAppeal"]

    @mute_logger(MUTED)
    def test_no_new_export_while_one_is_in_flight(self):
        self.fake.seed(self.appeals(2))
        self.fake.keep_processing = True
        with trap_jobs() as trap:
            self.backend._enqueue_import()
            trap.perform_enqueued_jobs()  # plans
            trap.perform_enqueued_jobs()  # sends
            self.assertEqual(len(self.exports()), 1)
            # GIS is still processing: the next import asks nothing again.
            result = self.backend._job_import_appeals()
            self.assertIn("Skipped", result)
            self.assertEqual(trap.enqueued_jobs[1:], [])
        self.assertEqual(len(self.exports()), 1)

        # Given up on (past the connection's wait), it no longer blocks.
        message = self.env["gis.zhkh.message"].search(
            [("backend_id", "=", self.backend.id)]
        )
        message.sent_at -= datetime.timedelta(
            hours=self.backend.poll_timeout_hours, minutes=1
        )
        with trap_jobs() as trap:
            self.assertIn("queued", self.backend._job_import_appeals())
            trap.assert_jobs_count(1, only=self.backend._job_send_export)

    def test_no_new_export_while_one_waits_to_be_sent(self):
        # A real queued job (not trapped): sent later by the job runner.
        self.backend._enqueue_send("window", {"start_date": self.today})
        self.assertIn("1 queued", self.backend._job_import_appeals())
        self.assertFalse(self.fake.calls())


@tagged("post_install", "-at_install")
class TestConcurrentResultImports(WorkersCase):
    """Two result imports of one connection side by side, each in its own
    transaction as two job workers would run them (without the fix they
    would wait on each other's rows)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.appeals = fake_gis.generate_appeals(
            3, seed="concurrent-imports", today=gis_today()
        )
        cls.result = gis_xml_parse.StateResult(
            request_state=gis_xml_common.STATE_DONE,
            message_guid=str(uuid.uuid4()),
            appeals=cls.appeals,
        )

    def setUp(self):
        super().setUp()
        with self.committed() as env:
            company = env["res.company"].create(
                {"name": f"УК Параллельная {uuid.uuid4().hex[:8]}"}
            )
            backend = env["gis.zhkh.backend"].create(
                {
                    "name": "Concurrent",
                    "company_id": company.id,
                    "endpoint_url": CLOSED_URL,
                    "org_ppa_guid": str(uuid.uuid4()),
                    "responsible_user_id": False,
                }
            )
            messages = env["gis.zhkh.message"].create(
                [
                    {
                        "backend_id": backend.id,
                        "operation": "export_appeal",
                        "purpose": purpose,
                        "state": "processing",
                        "sent_at": datetime.datetime.now(),
                        "ack_guid": str(uuid.uuid4()),
                    }
                    for purpose in ("window", "refresh")
                ]
            )
            # A second connection of the same company (another GIS account
            # of the organisation): it shares the company's contacts and houses.
            sibling = backend.copy(
                {"name": "Concurrent sibling", "org_ppa_guid": str(uuid.uuid4())}
            )
            sibling_message = env["gis.zhkh.message"].create(
                {
                    "backend_id": sibling.id,
                    "operation": "export_appeal",
                    "purpose": "window",
                    "state": "processing",
                    "sent_at": datetime.datetime.now(),
                    "ack_guid": str(uuid.uuid4()),
                }
            )
            self.ids = {
                "company": company.id,
                "backend": backend.id,
                "sibling": sibling.id,
                "messages": messages.ids,
                "sibling_message": sibling_message.id,
            }

    def drop_committed_data(self):
        with self.committed({"active_test": False}) as env:
            company = env["res.company"].browse(self.ids["company"])
            env["helpdesk.ticket"].search([("company_id", "=", company.id)]).unlink()
            partner = company.partner_id
            env["res.partner"].search(
                [("company_id", "=", company.id), ("id", "!=", partner.id)]
            ).unlink()
            env["gis.zhkh.house"].search([("company_id", "=", company.id)]).unlink()
            env["gis.appeal.theme"].search(
                [("code", "in", [a.theme_code for a in self.appeals])]
            ).filtered(lambda t: t.create_date >= company.create_date).unlink()
            env["gis.zhkh.message"].search(
                [("backend_id", "in", [self.ids["backend"], self.ids["sibling"]])]
            ).unlink()
            env["gis.zhkh.backend"].browse(
                [self.ids["backend"], self.ids["sibling"]]
            ).unlink()
            company.unlink()
            partner.unlink()

    def import_in(self, env, index):
        message = env["gis.zhkh.message"].browse(self.ids["messages"][index])
        return message._import_result(self.result)

    def duplicates(self, env):
        """Contacts, houses and themes that exist twice."""
        company = env["res.company"].browse(self.ids["company"])
        partners = (
            env["res.partner"]
            .with_context(active_test=False)
            .search([("company_id", "=", company.id)])
        )
        houses = env["gis.zhkh.house"].search([("company_id", "=", company.id)])
        themes = (
            env["gis.appeal.theme"]
            .with_context(active_test=False)
            .search([("code", "in", [a.theme_code for a in self.appeals])])
        )
        keys = (
            [("phone", p.phone_sanitized) for p in partners if p.phone_sanitized]
            + [("email", p.email_normalized) for p in partners if p.email_normalized]
            + [("house", h.fias_guid) for h in houses]
            + [("theme", t.code, t.company_id.id) for t in themes]
        )
        return [key for key in set(keys) if keys.count(key) > 1]

    def tickets(self, env):
        return env["helpdesk.ticket"].search_count(
            [("company_id", "=", self.ids["company"])]
        )

    def test_second_import_waits_for_the_first(self):
        first, second = self.worker(), self.worker()
        # The second worker's snapshot predates the first one's commit.
        self.assertEqual(self.tickets(second), 0)
        self.assertIn("3 created", self.import_in(first, 0))
        with self.assertRaises(RetryableJobError) as busy:
            self.import_in(second, 1)
        self.assertTrue(busy.exception.ignore_retry)
        first.cr.commit()
        # Still the old snapshot: it must not import from it either.
        with self.assertRaises(RetryableJobError):
            self.import_in(second, 1)
        second.cr.rollback()
        # The job runner retries in a new transaction: nothing is duplicated.
        self.assertIn("0 created, 0 updated, 3 unchanged", self.import_in(second, 1))
        second.cr.commit()
        self.assertEqual(self.tickets(second), 3)
        self.assertEqual(self.duplicates(second), [])
        self.assertTrue(
            env_partners := second["res.partner"].search_count(
                [("company_id", "=", self.ids["company"])]
            )
        )
        self.assertLessEqual(env_partners, 3)

    def test_an_exchange_imported_once(self):
        first, second = self.worker(), self.worker()
        self.import_in(first, 0)
        first.cr.commit()
        # The same exchange fetched twice (a retried job): the second does nothing.
        self.assertIn("Nothing to do", self.import_in(second, 0))

    def test_two_connections_of_one_company_take_turns(self):
        """The same residents and buildings reach the company through two of
        its connections at once: one contact and one house each."""
        first, second = self.worker(), self.worker()
        self.assertIn("3 created", self.import_in(first, 0))
        same_people = dataclasses.replace(
            self.result,
            appeals=[
                dataclasses.replace(appeal, guid=str(uuid.uuid4()))
                for appeal in self.appeals
            ],
        )
        sibling = second["gis.zhkh.message"].browse(self.ids["sibling_message"])
        with self.assertRaises(RetryableJobError) as busy:
            sibling._import_result(same_people)
        self.assertTrue(busy.exception.ignore_retry)
        first.cr.commit()
        second.cr.rollback()
        self.assertIn("3 created", sibling._import_result(same_people))
        second.cr.commit()
        self.assertEqual(self.tickets(second), 6)
        self.assertEqual(self.duplicates(second), [])

    def test_a_result_is_downloaded_once_whatever_waits_for_its_turn(self):
        """GIS answers while another exchange of the company has its turn:
        the result is kept, and its import later reads it from there, not
        from GIS again (a month of appeals is hundreds of megabytes)."""
        server = fake_gis.FakeGisServer(xsd_dir=XSD_DIR, org_ppa_guid=ORG).start()
        self.addCleanup(server.stop)
        server.fake.seed(self.appeals)
        ack = gis_client.GisAppealsClient(server.url, ORG).export_appeals(
            appeal_guids=[a.guid for a in self.appeals]
        )[1]
        with self.committed() as env:
            env["gis.zhkh.backend"].browse(self.ids["backend"]).write(
                {"endpoint_url": server.url, "org_ppa_guid": ORG}
            )
            env["gis.zhkh.message"].browse(
                self.ids["messages"][0]
            ).ack_guid = ack.message_guid
        holder, fetcher = self.worker(), self.worker()
        holder["gis.zhkh.backend"].browse(self.ids["sibling"])._lock_exchanges()
        message = fetcher["gis.zhkh.message"].browse(self.ids["messages"][0])
        with trap_jobs() as trap:
            self.assertIn("kept", message._job_fetch_result())
            (again,) = trap.enqueued_jobs
            self.assertEqual(again.method_name, "_job_fetch_result")
        fetcher.cr.commit()  # the job ends normally: what GIS sent is kept
        self.assertEqual(len(server.fake.calls("getState")), 1)
        # Still busy: the job waits for its turn, without asking GIS.
        with self.assertRaises(RetryableJobError):
            message._job_fetch_result()
        fetcher.cr.rollback()
        holder.cr.rollback()
        self.assertIn("3 created", message._job_fetch_result())
        fetcher.cr.commit()
        self.assertEqual(message.state, "done")
        self.assertEqual(len(server.fake.calls("getState")), 1)
        self.assertEqual(self.tickets(fetcher), 3)

    def test_cron_passes_over_a_connection_an_import_holds(self):
        holder, cron = self.worker(), self.worker()
        backends = cron["gis.zhkh.backend"].browse(
            [self.ids["backend"], self.ids["sibling"]]
        )
        backends.write({"next_import_at": False})
        cron.cr.commit()
        holder["gis.zhkh.backend"].browse(self.ids["backend"])._lock_exchanges()
        cron.cr.execute("SET lock_timeout = '1s'")
        with trap_jobs() as trap:
            # Neither waits for the holder's lock nor fails on it.
            backends._cron_import_appeals()
            queued = sum(
                (job.recordset for job in trap.enqueued_jobs), backends.browse()
            )
            self.assertFalse(queued & backends)
            self.assertEqual(backends.mapped("next_import_at"), [False, False])
        holder.cr.rollback()
        with trap_jobs() as trap:
            backends._cron_import_appeals()
            queued = sum(
                (job.recordset for job in trap.enqueued_jobs), backends.browse()
            )
            self.assertEqual(queued & backends, backends)
