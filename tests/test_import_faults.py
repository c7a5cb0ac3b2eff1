# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
import uuid
from unittest import mock

from lxml import etree
from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs

from ..models.gis_appeal_import import GisAppealImport
from ..tools import gis_xml_common, gis_xml_parse
from .common import GisCase
from .fakes import fake_gis

MUTED = (
    "odoo.addons.helpdesk_gis_zhkh_max.models.gis_zhkh_backend_connection",
    "odoo.addons.helpdesk_gis_zhkh_max.models.gis_zhkh_backend_import",
    "odoo.addons.helpdesk_gis_zhkh_max.models.gis_zhkh_message",
    "odoo.addons.helpdesk_gis_zhkh_max.models.helpdesk_ticket",
)


@tagged("post_install", "-at_install")
class TestImportFaults(GisCase):
    def send_and_trap(self):
        """Run the import job; return the trap holding the fetch job."""
        manager = trap_jobs()
        trap = manager.__enter__()
        self.addCleanup(manager.__exit__, None, None, None)
        self.backend._enqueue_import()
        trap.perform_enqueued_jobs()  # plans the requests
        trap.perform_enqueued_jobs()  # sends them
        return trap

    def activities(self):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "gis.zhkh.message"),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref(
                        "helpdesk_gis_zhkh_max.mail_activity_gis_import_failed"
                    ).id,
                ),
            ]
        )

    @mute_logger(*MUTED)
    def test_transient_send_failures_are_retried(self):
        for failure in (
            {"kind": "http", "status": 503},
            {"kind": "fault", "code": "EXP001000"},
            {"kind": "malformed"},
            {"kind": "drop"},
        ):
            self.fake.fail_next(operation="exportAppeal", **failure)
            with trap_jobs() as trap:
                self.backend._enqueue_import()
                with self.assertRaises(RetryableJobError, msg=str(failure)):
                    self.perform_all(trap)
        self.assertFalse(
            self.env["gis.zhkh.message"].search([("backend_id", "=", self.backend.id)])
        )

    @mute_logger(*MUTED)
    def test_timeout_is_retried(self):
        self.backend.timeout = 1
        # GIS hangs: the client gives up after its own timeout (1 s).
        self.fake.fail_next("delay", operation="exportAppeal", delay=60)
        self.addCleanup(self.fake.released.set)
        with trap_jobs() as trap:
            self.backend._enqueue_import()
            with self.assertRaises(RetryableJobError):
                self.perform_all(trap)

    @mute_logger(*MUTED)
    def test_transient_failure_on_last_attempt_is_recorded(self):
        self.fake.fail_next("http", operation="exportAppeal", status=503)
        job = self.backend.with_delay(max_retries=3)._job_send_export(
            "window", {"start_date": self.days_ago(1), "end_date": self.today}
        )
        stored = Job.load(self.env, job.uuid)
        stored.retry = 2
        stored.store()
        Job.load(self.env, job.uuid).perform()
        message = self.env["gis.zhkh.message"].search(
            [("backend_id", "=", self.backend.id)]
        )
        self.assertEqual(message.state, "error")
        self.assertEqual(message.error_code, "GisHttpError")
        self.assertIn("503", message.error_message)
        self.assertTrue(self.backend.last_error)

    def import_refused(self):
        """An import GIS refuses for good (no rights)."""
        self.fake.fail_next(
            "fault",
            operation="exportAppeal",
            code="AUT011003",
            message="Доступ запрещен",
        )
        with trap_jobs() as trap:
            self.backend._enqueue_import()
            self.perform_all(trap)

    @mute_logger(*MUTED)
    def test_permanent_fault_is_shown_to_the_manager_once(self):
        for _attempt in range(2):
            self.import_refused()
        messages = self.env["gis.zhkh.message"].search(
            [("backend_id", "=", self.backend.id)]
        )
        self.assertEqual(messages.mapped("state"), ["error", "error"])
        self.assertEqual(set(messages.mapped("error_code")), {"AUT011003"})
        self.assertTrue(all(gis_xml_common.is_guid(m.message_guid) for m in messages))
        self.assertIn("Доступ запрещен", self.backend.last_error)
        self.assertEqual(self.backend.last_error_code, "AUT011003")
        self.assertEqual(len(self.activities()), 1)
        self.assertEqual(self.activities().user_id, self.backend.responsible_user_id)
        self.assertFalse(self.backend.last_window_end)
        # After a success, the same failure notifies again.
        self.fake.seed(self.appeals())
        self.run_import()
        self.assertFalse(self.backend.last_error_code)
        self.import_refused()
        self.assertEqual(len(self.activities()), 2)

    @mute_logger(*MUTED)
    def test_get_state_transient_error_message_is_retried(self):
        self.fake.fail_next("error_message", operation="exportAppeal", code="EXP001000")
        trap = self.send_and_trap()
        with self.assertRaises(RetryableJobError):
            trap.perform_enqueued_jobs()

    @mute_logger(*MUTED)
    def test_get_state_permanent_error_message_is_recorded(self):
        self.fake.fail_next(
            "error_message",
            operation="exportAppeal",
            code="INT002000",
            message="Нет в реестре",
        )
        trap = self.send_and_trap()
        trap.perform_enqueued_jobs()
        message = self.env["gis.zhkh.message"].search(
            [("backend_id", "=", self.backend.id)]
        )
        self.assertEqual((message.state, message.error_code), ("error", "INT002000"))
        self.assertFalse(self.backend.last_window_end)

    def test_no_objects_for_export_is_success(self):
        messages = self.run_import()
        self.assertEqual(messages.state, "done")
        self.assertEqual(messages.appeal_count, 0)
        self.assertEqual(self.backend.last_window_end, self.today)

    @mute_logger(*MUTED)
    def test_get_state_keeps_processing_then_gives_up(self):
        self.fake.seed(self.appeals(2))
        self.fake.keep_processing = True
        trap = self.send_and_trap()
        message = self.env["gis.zhkh.message"].search(
            [("backend_id", "=", self.backend.id)]
        )
        for _attempt in range(3):
            fetch = trap.enqueued_jobs[0]
            with self.assertRaises(RetryableJobError) as err:
                fetch.perform()
            self.assertTrue(err.exception.ignore_retry)
            self.assertEqual(err.exception.seconds, 5)
        self.assertEqual(message.state, "sent")
        message.sent_at -= datetime.timedelta(
            hours=self.backend.poll_timeout_hours, minutes=1
        )
        trap.enqueued_jobs[0].perform()
        self.assertEqual((message.state, message.error_code), ("error", "TIMEOUT"))
        # GIS finishing later changes nothing: the job re-checks relevance.
        self.fake.keep_processing = False
        self.assertIn("Nothing to do", trap.enqueued_jobs[0].perform())
        self.assertFalse(self.tickets())

    def test_poll_delay_grows(self):
        message = self.env["gis.zhkh.message"].new(
            {"sent_at": datetime.datetime(2026, 1, 1)}
        )
        delays = [
            message._poll_delay(
                datetime.datetime(2026, 1, 1) + datetime.timedelta(minutes=m)
            )
            for m in (0, 5, 30, 600)
        ]
        self.assertEqual(delays, [5, 30, 120, 600])

    @mute_logger(*MUTED)
    def test_rejected_appeals_are_logged_and_the_rest_imported(self):
        good = self.appeals(3)
        xml = fake_gis.state_envelope(str(uuid.uuid4()), 3, appeals=good)
        root = gis_xml_parse.parse_xml(xml)
        ns = {"ap": gis_xml_common.APPEALS_NS}
        root.xpath("//ap:ExportAppealResult", namespaces=ns)[1].find(
            "ap:AppealNumber", ns
        ).text = ""
        result = gis_xml_parse.parse_response(etree.tostring(root))
        message = self.env["gis.zhkh.message"].create(
            {
                "backend_id": self.backend.id,
                "operation": "export_appeal",
                "purpose": "manual",
                "ack_guid": str(uuid.uuid4()),
                "sent_at": datetime.datetime.now(),
            }
        )
        message._import_result(result)
        self.assertEqual((message.created_count, message.failed_count), (2, 1))
        self.assertIn(good[1].guid, message.error_details)
        self.assertIn("AppealNumber", message.error_details)

    @mute_logger(*MUTED)
    def test_one_bad_appeal_does_not_stop_the_batch(self):
        appeals = self.appeals(4)
        bad_guid = appeals[2].guid
        original = GisAppealImport._ticket_values

        def failing(this, appeal, refs):
            if appeal.guid == bad_guid:
                raise ValueError("cannot map this appeal")
            return original(this, appeal, refs)

        with mock.patch.object(GisAppealImport, "_ticket_values", failing):
            stats = self.env["gis.appeal.import"]._import_appeals(self.backend, appeals)
        self.assertEqual((stats["created"], stats["failed"]), (3, 1))
        self.assertIn(bad_guid, stats["errors"][0])
        self.assertEqual(len(self.tickets()), 3)
        # The next import brings the missing one.
        self.env["gis.appeal.import"]._import_appeals(self.backend, appeals)
        self.assertEqual(len(self.tickets()), 4)

    def test_duplicate_ticket_is_refused_by_the_database(self):
        appeal = self.appeals()[0]
        self.env["gis.appeal.import"]._import_appeals(self.backend, [appeal])
        ticket = self.tickets()
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            ticket.copy({"gis_appeal_guid": appeal.guid})
