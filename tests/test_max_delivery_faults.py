# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Exactly once with real transactions: each worker below is a PostgreSQL
connection of its own, as two job workers are. A worker "killed" rolls its
transaction back and goes away, as PostgreSQL does when Odoo kills a worker
at ``limit_time_real``; what it committed on the side stays."""

import itertools
import uuid

import psycopg2

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.exception import RetryableJobError

from ..models.max_update import MAX_ATTEMPTS
from ..tools import max_updates
from .common import WorkersCase
from .fakes import fake_max
from .fakes.local_server import closed_url
from .max_common import MAX_OPENAPI, RESIDENT, TOKEN

CLOSED_URL = closed_url()

MUTED = (
    "odoo.addons.helpdesk_gis_zhkh_max.models.max_sending",
    "odoo.addons.helpdesk_gis_zhkh_max.models.max_delivery_mixin",
)


@tagged("post_install", "-at_install")
class TestMaxDeliveryFaults(WorkersCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = fake_max.FakeMaxServer(TOKEN, openapi=MAX_OPENAPI).start()
        cls.addClassCleanup(cls.server.stop)
        cls.fake = cls.server.fake

    def setUp(self):
        super().setUp()
        self.fake.reset()
        with self.committed() as env:
            company = env["res.company"].create(
                {"name": f"УК Отправка {uuid.uuid4().hex[:8]}"}
            )
            gateway = env["mail.gateway"].create(
                {
                    "name": "Faults bot",
                    "gateway_type": "max",
                    "token": TOKEN,
                    "max_api_url": self.server.url,
                    "company_id": company.id,
                }
            )
            dialog = env["max.dialog"].create(
                {
                    "name": "Жилец",
                    "gateway_id": gateway.id,
                    "max_user_id": str(RESIDENT),
                    # The fake's dialog chat is the user's id.
                    "max_chat_id": str(RESIDENT),
                }
            )
            records = env["max.outbox"].create(
                [
                    {
                        "gateway_id": gateway.id,
                        "lane": dialog._lane(),
                        "kind": "reply",
                        "dialog_id": dialog.id,
                        "text": text,
                    }
                    for text in ("Первый ответ", "Второй ответ")
                ]
            )
            self.ids = {
                "company": company.id,
                "gateway": gateway.id,
                "lane": dialog._lane(),
                "records": records.ids,
            }

    def drop_committed_data(self):
        with self.committed({"active_test": False}) as env:
            env["mail.gateway"].browse(self.ids["gateway"]).unlink()
            company = env["res.company"].browse(self.ids["company"])
            partner = company.partner_id
            company.unlink()
            partner.unlink()

    def send(self, env):
        return env["max.outbox"]._job_send_lane(self.ids["gateway"], self.ids["lane"])

    def states(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT state FROM max_outbox WHERE id = ANY(%s) ORDER BY id",
                [self.ids["records"]],
            )
            return [row[0] for row in cr.fetchall()]

    def age_sending(self, seconds=60):
        with self.registry.cursor() as cr:
            cr.execute(
                """UPDATE max_outbox SET sending_since = sending_since
                       - make_interval(secs => %s)
                    WHERE id = ANY(%s) AND state = 'sending'""",
                [seconds, self.ids["records"]],
            )

    def texts(self):
        return self.fake.texts_to(user_id=RESIDENT)

    def test_a_job_whose_transaction_fails_never_sends_again(self):
        # A serialization failure at the job's commit: everything it did in
        # its own transaction is lost, not what MAX was told.
        first = self.worker()
        self.assertIn("2 sent", self.send(first))
        self.kill(first)
        self.assertEqual(self.states(), ["sent", "sent"])
        second = self.worker()
        self.assertEqual(self.send(second), "Nothing to send")
        self.assertEqual(self.texts(), ["Первый ответ", "Второй ответ"])

    @mute_logger(*MUTED)
    def test_killed_after_max_took_it_it_is_found_not_sent_again(self):
        self.fake.fail_next(lost_answer=True, path="/messages")
        first = self.worker()
        with self.assertRaises(RetryableJobError):
            self.send(first)
        self.kill(first)
        self.assertEqual(self.states(), ["sending", "queued"])
        # Too early to know: the next job neither asks nor sends.
        second = self.worker()
        calls = len(self.fake.sent)
        with self.assertRaises(RetryableJobError) as early:
            self.send(second)
        self.assertGreater(early.exception.seconds, 30)
        self.assertEqual(len(self.fake.sent), calls)
        self.kill(second)
        self.age_sending()
        third = self.worker()
        self.assertIn("sent", self.send(third))
        third.cr.commit()
        self.assertEqual(self.states(), ["sent", "sent"])
        self.assertEqual(self.texts(), ["Первый ответ", "Второй ответ"])

    @mute_logger(*MUTED)
    def test_killed_before_max_got_it_it_is_sent_once(self):
        self.fake.fail_next(drop=True, path="/messages")
        first = self.worker()
        with self.assertRaises(RetryableJobError):
            self.send(first)
        self.kill(first)
        self.assertEqual(self.texts(), [])
        self.age_sending()
        second = self.worker()
        self.send(second)
        second.cr.commit()
        self.assertEqual(self.states(), ["sent", "sent"])
        self.assertEqual(self.texts(), ["Первый ответ", "Второй ответ"])

    def test_one_sender_per_chat(self):
        holder = self.worker()
        self.assertTrue(
            holder["max.outbox"]._lane_lock(self.ids["gateway"], self.ids["lane"])
        )
        other = self.worker()
        with self.assertRaises(RetryableJobError) as busy:
            self.send(other)
        self.assertTrue(busy.exception.ignore_retry)
        self.assertEqual(self.fake.sent, [])

    def test_the_pace_is_shared_by_workers(self):
        first, second = self.worker(), self.worker()
        interval = 0.1
        delays = [
            env["max.sending"]._reserve(self.ids["gateway"], interval)[0]
            for env in (first, second, first, second)
        ]
        for earlier, later in itertools.pairwise(delays):
            self.assertAlmostEqual(later - earlier, interval, delta=0.03)

    @mute_logger(*MUTED)
    def test_a_refused_token_stays_paused_whatever_the_job_does(self):
        self.fake.token = "revoked-token"
        self.addCleanup(setattr, self.fake, "token", TOKEN)
        first = self.worker()
        self.assertIn("paused", self.send(first))
        self.kill(first)
        checker = self.worker()
        status = checker["max.sending"]._status([self.ids["gateway"]])
        self.assertIn("refused", status[self.ids["gateway"]][0])
        self.assertEqual(self.states(), ["queued", "queued"])
        self.assertEqual(self.fake.refused, 1)


@tagged("post_install", "-at_install")
class TestMaxUpdateConflicts(WorkersCase):
    """An update that keeps conflicting with concurrent work is tried a
    bounded number of times, then failed with its reason; its chat goes on."""

    def setUp(self):
        super().setUp()
        fake = fake_max.FakeMax(TOKEN)
        fake.base_url = CLOSED_URL
        with self.committed() as env:
            company = env["res.company"].create(
                {"name": f"УК Конфликт {uuid.uuid4().hex[:8]}"}
            )
            gateway = env["mail.gateway"].create(
                {
                    "name": "Conflicts bot",
                    "gateway_type": "max",
                    "token": TOKEN,
                    "max_api_url": CLOSED_URL,
                    "company_id": company.id,
                }
            )
            first = fake.resident_message(RESIDENT, "Первое")
            env["max.update"]._store_updates(
                gateway, [(first, max_updates.parse_update(first))]
            )
            dialog = env["max.dialog"]._for_update(
                gateway, max_updates.parse_update(first)
            )
            later = fake.resident_message(RESIDENT, "Второе")
            later["timestamp"] = later["message"]["timestamp"] = first["timestamp"] + 1
            env["max.update"]._store_updates(
                gateway, [(later, max_updates.parse_update(later))]
            )
            self.ids = {
                "company": company.id,
                "gateway": gateway.id,
                "dialog": dialog.id,
                "partner": dialog.partner_id.id,
            }

    def drop_committed_data(self):
        with self.committed({"active_test": False}) as env:
            env["queue.job"].search(
                [("identity_key", "like", f"max-%-{self.ids['gateway']}-%")]
            ).unlink()
            env["helpdesk.ticket"].search(
                [("company_id", "=", self.ids["company"])]
            ).unlink()
            env["mail.gateway"].browse(self.ids["gateway"]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()
            company = env["res.company"].browse(self.ids["company"])
            partner = company.partner_id
            company.unlink()
            partner.unlink()

    def process_while_someone_writes_the_dialog(self):
        job = self.worker()
        # The job's snapshot is taken...
        job["max.dialog"].browse(self.ids["dialog"]).read(["name"])
        # ...then a dispatcher's change to the dialog commits first.
        with self.committed() as env:
            env["max.dialog"].browse(self.ids["dialog"]).flat = "12"
        try:
            return job["max.update"]._job_process_chat(
                self.ids["gateway"], f"u{RESIDENT}"
            )
        finally:
            job.cr.rollback()

    def updates(self):
        with self.registry.cursor() as cr:
            cr.execute(
                """SELECT state, attempts, error FROM max_update
                    WHERE gateway_id = %s ORDER BY timestamp""",
                [self.ids["gateway"]],
            )
            return cr.fetchall()

    @mute_logger("odoo.sql_db")
    def test_a_conflicting_update_is_failed_after_bounded_tries(self):
        for attempt in range(1, MAX_ATTEMPTS + 1):
            with self.assertRaises(psycopg2.errors.SerializationFailure):
                self.process_while_someone_writes_the_dialog()
            state, attempts, error = self.updates()[0]
            self.assertEqual(attempts, attempt)
            self.assertIn("SerializationFailure", error)
        self.assertEqual(state, "failed")
        # The chat goes on: the later update is processed.
        job = self.worker()
        job["max.update"]._job_process_chat(self.ids["gateway"], f"u{RESIDENT}")
        job.cr.commit()
        self.assertEqual([row[0] for row in self.updates()], ["failed", "done"])
