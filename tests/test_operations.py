# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import datetime
import uuid
from unittest import mock

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs

from ..tools import gis_operations, gis_xml_build
from ..tools.gis_xml_parse import HistoryEntry
from .common import GisCase

ANSWERER = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
DEFAULT = "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"
RECEIVER = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
ANSWER = "Протечку кровли над квартирой устранили 28.11, акт у диспетчера."
MUTED = (
    "odoo.addons.helpdesk_gis_zhkh_max.models.gis_zhkh_backend_connection",
    "odoo.addons.helpdesk_gis_zhkh_max.models.gis_zhkh_backend_import",
    "odoo.addons.helpdesk_gis_zhkh_max.models.gis_zhkh_message",
    "odoo.addons.helpdesk_gis_zhkh_max.models.gis_zhkh_operation_jobs",
)
VALUES = {
    "answer": {"text": ANSWER},
    "answer_and_execute": {"text": ANSWER},
    "executed": {},
    "performer": {},
    "redirect": {
        "receiver_guid": RECEIVER,
        "comment": "Начисления за электроэнергию выставляет гарантирующий "
        "поставщик: обращение направлено ему для рассмотрения по существу.",
    },
    "rollover": {"comment": "Нужна экспертиза кровли подрядчиком."},
    "answer_not_required": {"cause": "Повторное обращение по тому же вопросу."},
}


@tagged("post_install", "-at_install")
class TestOperations(GisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dispatcher = new_test_user(
            cls.env,
            login="gis_answering_dispatcher",
            groups="helpdesk_mgmt.group_helpdesk_user",
        )
        cls.team.user_ids = [(4, cls.dispatcher.id)]
        cls.env["gis.zhkh.answerer"].create(
            {
                "backend_id": cls.backend.id,
                "user_id": cls.dispatcher.id,
                "answerer_guid": ANSWERER,
            }
        )

    def setUp(self):
        super().setUp()
        self.fake.seed(self.appeals(1))
        self.run_import()
        self.ticket = self.tickets()
        self.ticket.user_id = self.dispatcher
        self.guid = self.ticket.gis_appeal_guid
        self.fake.requests.clear()

    def gis(self):
        """The appeal as the fake GIS ZhKKh holds it now."""
        return self.fake.appeals[self.guid]

    def queue(self, operation, ticket=None, **values):
        ticket = (ticket or self.ticket).with_user(self.dispatcher)
        return ticket._gis_queue_operation(
            operation, dict(VALUES.get(operation, {}), **values)
        )

    def draft_in_gis(self, guid):
        """A draft answer written in the GIS ZhKKh cabinet."""
        self.gis().history.append(
            HistoryEntry(
                change_date=self.today,
                kind="answer",
                data={
                    "answer_guid": guid,
                    "answerer_guid": ANSWERER,
                    "is_sent": False,
                    "text": "Черновик",
                },
            )
        )

    def send(self, operation, **values):
        with trap_jobs() as trap:
            record = self.queue(operation, **values)
            self.perform_all(trap)
        return record

    # -- answerers ----------------------------------------------------------

    def test_who_answers(self):
        self.assertEqual(self.ticket.gis_answerer_name, self.dispatcher.name)
        self.ticket.user_id = False
        self.assertTrue(self.ticket.gis_answerer_missing)
        with self.assertRaisesRegex(UserError, "Nobody answers this ticket"):
            self.ticket._gis_queue_operation("executed")
        self.assertFalse(self.ticket.gis_operation_ids)
        self.backend.default_answerer_guid = DEFAULT
        self.ticket.invalidate_recordset()
        self.assertIn("Default answerer", self.ticket.gis_answerer_name)
        record = self.send("executed")
        self.assertEqual(record.answerer_guid, DEFAULT)

    # -- every operation, end to end -------------------------------------

    def test_answer_from_the_wizard(self):
        wizard = Form(
            self.env["gis.zhkh.operation.wizard"]
            .with_user(self.dispatcher)
            .with_context(default_ticket_id=self.ticket.id, default_operation="answer")
        )
        # The editable template proposes an answer that names the appeal.
        self.assertIn(self.ticket.gis_appeal_number, wizard.text)
        wizard.text = ANSWER
        with trap_jobs() as trap:
            wizard.save().action_confirm()
            self.perform_all(trap)
        record = self.ticket.gis_operation_ids
        self.assertEqual(record.state, "accepted")
        self.assertEqual(self.ticket.gis_answer_text, ANSWER)
        answers = [h for h in self.gis().history if h.kind == "answer"]
        self.assertEqual(answers[-1].data["text"], ANSWER)
        self.assertTrue(answers[-1].data["is_sent"])
        self.assertEqual(record.result_answer_guid, answers[-1].data["answer_guid"])
        # The answer deadline is met by the answer GIS accepted.
        self.assertEqual(self.ticket.gis_answered_at, record.done_at)
        answer_deadlines = self.ticket.deadline_ids.filtered(
            lambda d: d.kind == "answer"
        )
        self.assertTrue(answer_deadlines)
        self.assertEqual(set(answer_deadlines.mapped("state")), {"met"})
        # Every request the fake received was valid against the XSD.
        self.assertTrue(all(ok for _op, ok, _e in self.fake.calls()))

    def test_every_operation_reaches_gis(self):
        appeal = self.gis()
        new_deadline = (appeal.execution_end_date or self.today) + datetime.timedelta(
            days=15
        )
        checks = {
            "performer": lambda a: (
                a.answerer_guid == ANSWERER and a.status == "in_work"
            ),
            "rollover": lambda a: (
                a.rolled_over and a.execution_end_date == new_deadline
            ),
            "redirect": lambda a: a.redirected,
            "answer_not_required": lambda a: a.answer_not_required,
            "answer_and_execute": lambda a: (
                a.status == "executed" and a.history[-1].data.get("text") == ANSWER
            ),
        }
        for operation, seen in checks.items():
            with self.subTest(operation=operation):
                extra = (
                    {"execution_date": new_deadline} if operation == "rollover" else {}
                )
                record = self.send(operation, **extra)
                self.assertEqual(
                    record.state, "accepted", record.error_message or record.last_error
                )
                self.assertTrue(seen(self.gis()), operation)
        kinds = [kind for kind, _guid, _t in self.fake.applied]
        self.assertEqual(
            kinds,
            [
                "Performer",
                "RollOverAppeal",
                "RedirectAppeal",
                "AnswerIsNotRequired",
                "answer",
                "Executed",
            ],
        )

    def test_every_operation_from_its_button_and_wizard(self):
        """The dispatcher's path: the ticket's button opens the operation's
        wizard, which says what it needs; confirming queues it."""
        draft = str(uuid.uuid4())
        new_deadline = (self.gis().execution_end_date or self.today) + (
            datetime.timedelta(days=15)
        )
        steps = [
            ("performer", {"date_of_appointment": self.today}),
            ("rollover", {"execution_date": new_deadline, **VALUES["rollover"]}),
            ("delete_answer", {}),
            ("redirect", VALUES["redirect"]),
            ("answer_not_required", VALUES["answer_not_required"]),
            ("executed", {}),
        ]
        for operation, values in steps:
            with self.subTest(operation=operation):
                if operation == "delete_answer":
                    self.draft_in_gis(draft)
                    self.run_import()
                action = (
                    self.ticket.with_user(self.dispatcher)
                    .with_context(gis_operation=operation)
                    .action_gis_operation_wizard()
                )
                self.assertEqual(action["res_model"], "gis.zhkh.operation.wizard")
                wizard = Form(
                    self.env[action["res_model"]]
                    .with_user(self.dispatcher)
                    .with_context(**action["context"])
                )
                self.assertEqual(wizard.operation, operation)
                if operation == "delete_answer":
                    self.assertEqual(wizard.answer_guid, draft)
                for name, value in values.items():
                    setattr(wizard, name, value)
                with trap_jobs() as trap:
                    notice = wizard.save().action_confirm()
                    self.perform_all(trap)
                self.assertIn("queued", notice["params"]["message"])
                record = self.ticket.gis_operation_ids.filtered(
                    lambda op, o=operation: op.operation == o
                )
                self.assertEqual(record.state, "accepted", record.error_message)
        self.assertEqual(
            [kind for kind, _g, _t in self.fake.applied],
            [
                "Performer",
                "RollOverAppeal",
                "delete_answer",
                "RedirectAppeal",
                "AnswerIsNotRequired",
                "Executed",
            ],
        )

    def test_the_user_is_told_in_russian(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"].search(
            [("name", "=", "helpdesk_gis_zhkh_max")]
        )._update_translations(["ru_RU"])
        russian = self.ticket.with_user(self.dispatcher).with_context(lang="ru_RU")
        with self.assertRaisesRegex(UserError, "Комментарий: от 20 до 1000 символов"):
            russian._gis_queue_operation("rollover", {"comment": "Коротко"})
        self.ticket.user_id = False
        with self.assertRaisesRegex(UserError, "некому отвечать: назначьте заявку"):
            self.ticket.with_context(lang="ru_RU")._gis_queue_operation("executed")
        self.ticket.user_id = self.dispatcher
        record = russian._gis_queue_operation("executed")
        self.assertIn("поставлено в очередь", record._notice())

    def test_delete_a_draft_answer(self):
        draft = str(uuid.uuid4())
        self.draft_in_gis(draft)
        self.fake.update_appeal(self.guid, status="in_work", raw_status="InWork")
        self.run_import()
        self.assertEqual(self.ticket.gis_draft_answer_guid, draft)
        record = self.send("delete_answer")
        self.assertEqual(record.state, "accepted")
        self.assertEqual(record.answer_guid, draft)
        self.assertFalse(self.ticket.gis_draft_answer_guid)
        self.assertNotIn(draft, [h.data.get("answer_guid") for h in self.gis().history])

    # -- checks before anything is queued ---------------------------------

    def test_invalid_input_never_reaches_gis(self):
        cases = [
            ("answer", {"text": "  "}, "must have 1 to 10000 characters"),
            ("rollover", {"comment": "Коротко"}, "must have 20 to 1000 characters"),
            (
                "rollover",
                {"execution_date": self.ticket.gis_deadline or self.today},
                "after the current one",
            ),
            ("redirect", {"receiver_guid": "ООО Энерго"}, "is not a GUID"),
            ("answer_not_required", {"cause": "Дубль"}, "20 to 1000"),
            ("delete_answer", {}, "no draft answer"),
        ]
        for operation, values, message in cases:
            with (
                self.subTest(operation=operation, message=message),
                self.assertRaisesRegex(UserError, message),
            ):
                self.queue(operation, **values)
        plain = self.env["helpdesk.ticket"].create({"name": "Call", "description": "x"})
        with self.assertRaisesRegex(UserError, "not an appeal received from GIS"):
            plain._gis_queue_operation("executed")
        self.fake.update_appeal(self.guid, status="withdrawn", raw_status="Withdrawn")
        self.run_import()
        with self.assertRaisesRegex(UserError, "withdrew the appeal"):
            self.queue("answer")
        self.assertFalse(self.ticket.gis_operation_ids)
        self.assertFalse(self.fake.calls("importAnswer"))

    def test_no_rights_on_the_ticket_no_operation(self):
        employee = new_test_user(
            self.env, login="gis_no_rights", groups="base.group_user"
        )
        self.ticket.message_subscribe(employee.partner_id.ids)
        with self.assertRaises(AccessError):
            self.ticket.with_user(employee)._gis_queue_operation("executed")

    # -- exactly once ---------------------------------------------------------

    def test_double_click_and_retried_jobs_send_once(self):
        with trap_jobs() as trap:
            first = self.queue("answer_and_execute")
            second = self.queue("answer_and_execute")
            self.assertEqual(first, second)
            trap.assert_jobs_count(1)
            self.perform_all(trap)
        self.assertEqual(first.state, "accepted")
        # The runner retries a job it thinks failed: nothing is sent again.
        self.assertIn("Nothing to do", first._job_send())
        self.assertIn("Nothing to do", first._job_prepare())
        # Clicking again after it was accepted does not send it again either.
        self.assertEqual(self.queue("answer_and_execute"), first)
        self.assertEqual(len(self.fake.calls("importAnswer")), 1)
        self.assertEqual(len(self.fake.applied), 2)  # the answer, "executed"

    @mute_logger(*MUTED)
    def test_a_lost_reply_sends_the_same_request_once(self):
        """GIS took the request, its answer was lost; the same request goes
        again, and GIS refuses the repeated MessageGUID with a fault: the
        operation is sent, its result unknown, never rejected nor queued
        again, until the appeal's import shows GIS applied it."""
        with trap_jobs() as trap:
            record = self.queue("executed")
            trap.perform_enqueued_jobs()  # prepared
            self.fake.fail_next("lost_reply", operation="importAnswer")
            trap.perform_enqueued_jobs()  # GIS took it; the reply was lost
            self.assertEqual(record.state, "queued")
            prepared = record.request_xml
            trap.perform_enqueued_jobs()  # the next attempt: a repeat
            self.assertEqual(record.request_xml, prepared)
            self.assertEqual(len(self.fake.calls("importAnswer")), 2)
            self.assertEqual((record.state, record.result_unknown), ("sent", True))
            self.assertIn("unknown", record.last_error)
            self.assertIn(record, record._unfinished())
            # Not free to be queued again: the same operation is this one.
            self.assertEqual(self.queue("executed"), record)
            self.assertIn("Nothing to do", record._job_send())
            # Someone is told, and the appeal's import is asked for at once.
            self.assertTrue(self.ticket.activity_ids)
            self.assertFalse(self.backend.last_refresh_at)
            trap.assert_jobs_count(1, only=self.backend._job_import_appeals)
            # And again by the hourly check, until the import shows it.
            trap.enqueued_jobs.clear()
            self.env["gis.zhkh.operation"]._cron_resume()
            trap.assert_jobs_count(1, only=self.backend._job_import_appeals)
            self.perform_all(trap)
        self.assertEqual(record.state, "accepted")
        self.assertTrue(record.confirmed)
        self.assertFalse(record.result_unknown)
        self.assertEqual(record.done_at, min(record.attempt_ids.mapped("sent_at")))
        self.assertEqual([k for k, _g, _t in self.fake.applied], ["Executed"])
        self.assertEqual(len(self.fake.calls("importAnswer")), 2)

    @mute_logger(*MUTED)
    def test_a_worker_killed_mid_send_never_rejects_what_gis_took(self):
        """The send job's worker died after GIS took the request: the job
        runs again (queue_job counts the retry) and GIS refuses the repeat."""
        with trap_jobs() as trap:
            record = self.queue("answer", text=ANSWER)
            trap.perform_enqueued_jobs()  # prepared
        body = base64.b64decode(record.request_xml)
        self.backend._get_client().send_prepared(
            "importAnswer", body, record.request_message_guid
        )  # what the dead worker sent
        job = Job.load(self.env, record._enqueue_send().uuid)
        job.retry = 1  # as the runner requeues a dead worker's job
        job.store()
        with trap_jobs() as trap:
            Job.load(self.env, job.uuid).perform()
            self.assertEqual((record.state, record.result_unknown), ("sent", True))
            self.perform_all(trap)  # the appeal's import
        self.assertEqual(record.state, "accepted")
        # The answer GIS shows meets the answer deadline.
        self.assertTrue(self.ticket.gis_answered_at)
        self.assertEqual([k for k, _g, _t in self.fake.applied], ["answer"])

    @mute_logger(*MUTED)
    def test_transient_failures_are_retried_with_proof_of_each_attempt(self):
        with trap_jobs() as trap:
            record = self.queue("performer")
            trap.perform_enqueued_jobs()  # prepared
            self.fake.fail_next("http", operation="importAnswer", status=503)
            trap.perform_enqueued_jobs()
            # Still queued, the reason shown at once, the next attempt queued
            # after a pause, and the failed attempt kept as proof.
            self.assertEqual(record.state, "queued")
            self.assertIn("503", record.last_error)
            self.assertEqual(record.send_attempts, 1)
            (retry,) = trap.enqueued_jobs
            self.assertEqual(retry.method_name, "_job_send")
            self.assertTrue(retry.eta)
            (attempt,) = record.attempt_ids
            self.assertEqual(attempt.ticket_id, self.ticket)
            self.assertEqual(attempt.state, "error")
            self.assertEqual(attempt.message_guid, record.request_message_guid)
            self.assertEqual(
                base64.b64decode(attempt.request_xml),
                base64.b64decode(record.request_xml),
            )
            self.assertTrue(attempt.ack_xml)  # what GIS answered (HTTP 503)
            self.perform_all(trap)
        self.assertEqual(record.state, "accepted")
        self.assertFalse(record.last_error)
        # A dropped connection: no answer at all; the request is the proof.
        with trap_jobs() as trap:
            record = self.queue("executed")
            trap.perform_enqueued_jobs()  # prepared
            self.fake.fail_next("drop", operation="importAnswer")
            trap.perform_enqueued_jobs()
            self.assertIn("connection failed", record.last_error)
            self.assertTrue(record.attempt_ids.request_xml)
            self.assertFalse(record.attempt_ids.ack_xml)
            # The next attempt's job is lost (a failed job, a restored
            # database): the hourly check queues the operation again.
            trap.enqueued_jobs.clear()
        with trap_jobs() as trap:
            self.assertEqual(self.env["gis.zhkh.operation"]._cron_resume(), 1)
            self.perform_all(trap)
        self.assertEqual(record.state, "accepted")
        self.assertEqual(
            [k for k, _g, _t in self.fake.applied], ["Performer", "Executed"]
        )

    @mute_logger(*MUTED)
    def test_permanent_rejection_comes_back_to_the_ticket(self):
        with trap_jobs() as trap:
            record = self.queue("executed")
            # The resident withdraws in GIS before the request arrives.
            self.fake.update_appeal(
                self.guid, status="withdrawn", raw_status="Withdrawn"
            )
            self.perform_all(trap)
        self.assertEqual(record.state, "rejected")
        self.assertEqual(record.error_code, "INT002000")
        self.assertIn("отозвано", record.error_message)
        note = self.ticket.message_ids[:1]
        self.assertIn("INT002000", note.body)
        activity = self.ticket.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref(
                    "helpdesk_gis_zhkh_max.mail_activity_gis_operation_rejected"
                )
            )
        )
        self.assertEqual(activity.user_id, self.dispatcher)
        # A refused operation may be sent again once the cause is fixed.
        self.assertNotEqual(self.queue("executed"), record)

    @mute_logger(*MUTED)
    def test_a_fault_refuses_the_request(self):
        self.fake.fail_next(
            "fault",
            operation="importAnswer",
            code="AUT011003",
            message="Доступ запрещен",
        )
        record = self.send("executed")
        self.assertEqual((record.state, record.error_code), ("rejected", "AUT011003"))

    @mute_logger(*MUTED)
    def stuck(self, operation, **values):
        """An operation GIS acknowledged and did not finish in time."""
        self.fake.keep_processing = True
        with trap_jobs() as trap:
            record = self.queue(operation, **values)
            trap.perform_enqueued_jobs()
            trap.perform_enqueued_jobs()
            self.assertEqual(record.state, "sent")
            record.message_id.sent_at -= datetime.timedelta(
                hours=self.backend.poll_timeout_hours, minutes=1
            )
            trap.enqueued_jobs[0].perform()
        self.assertEqual(record.state, "sent")
        self.assertIn("did not finish", record.last_error)
        self.assertEqual(record.message_id.state, "error")
        return record

    def test_a_get_state_that_never_finishes_is_asked_again(self):
        record = self.stuck("executed")
        # The hourly check asks GIS again: still processing, and it says so.
        with trap_jobs() as trap:
            self.env["gis.zhkh.operation"]._cron_resume()
            (recheck,) = trap.enqueued_jobs
            recheck.perform()
        self.assertEqual(record.state, "sent")
        self.assertIn("still processing", record.last_error)
        # GIS finishes: the next check applies its answer as usual.
        self.fake.keep_processing = False
        with trap_jobs() as trap:
            record.with_user(self.dispatcher).action_check_again()
            self.perform_all(trap)
        self.assertEqual(record.state, "accepted")
        self.assertEqual(record.message_id.state, "done")
        self.assertTrue(record.message_id.result_xml)
        self.assertEqual([k for k, _g, _t in self.fake.applied], ["Executed"])

    def test_a_manager_cancels_what_gis_never_finished(self):
        record = self.stuck("performer")
        with self.assertRaises(AccessError):
            record.with_user(self.dispatcher).action_cancel()
        manager = new_test_user(
            self.env,
            login="gis_operation_manager",
            groups="helpdesk_mgmt.group_helpdesk_manager",
        )
        record.with_user(manager).action_cancel()
        self.assertEqual(record.state, "cancelled")
        self.assertIn("cancelled by", self.ticket.message_ids[0].body)
        # Checked in the GIS cabinet: the same operation can be queued anew.
        self.fake.keep_processing = False
        again = self.send("performer")
        self.assertNotEqual(again, record)
        self.assertEqual(again.state, "accepted")

    def test_a_performer_can_be_appointed_again(self):
        other = new_test_user(
            self.env,
            login="gis_second_performer",
            groups="helpdesk_mgmt.group_helpdesk_user",
        )
        self.env["gis.zhkh.answerer"].create(
            {
                "backend_id": self.backend.id,
                "user_id": other.id,
                "answerer_guid": DEFAULT,
            }
        )
        first = self.send("performer", performer_guid=ANSWERER)
        # The same again (a rule firing twice): nothing new is sent.
        self.assertEqual(self.queue("performer", performer_guid=ANSWERER), first)
        self.assertIn("already accepted", first._notice())
        second = self.send("performer", performer_guid=DEFAULT)
        # Back to the first one: GIS must hear it again.
        third = self.send("performer", performer_guid=ANSWERER)
        self.assertEqual((first | second | third).mapped("state"), ["accepted"] * 3)
        self.assertEqual(len(first | second | third), 3)
        self.assertEqual(self.gis().answerer_guid, ANSWERER)
        self.assertEqual([k for k, _g, _t in self.fake.applied], ["Performer"] * 3)

    @mute_logger(*MUTED)
    def test_answer_taken_and_execution_refused_keeps_the_answer(self):
        self.fake.refused_actions.append(("INT002001", "Нельзя исполнить"))
        record = self.send("answer_and_execute")
        self.assertEqual(record.state, "rejected")
        self.assertTrue(record.result_answer_guid)
        self.assertTrue(self.ticket.gis_answered_at)
        note = self.ticket.message_ids[0].body
        self.assertIn(record.result_answer_guid, note)
        self.assertIn("INT002001", note)
        milestones = self.ticket.deadline_ids.filtered(lambda d: d.kind == "answer")
        self.assertEqual(set(milestones.mapped("state")), {"met"})
        # Marked executed on its own, the resident gets no second answer.
        self.send("executed")
        self.assertEqual([k for k, _g, _t in self.fake.applied], ["answer", "Executed"])

    # -- proof ---------------------------------------------------------------

    def test_every_exchange_is_kept_as_proof(self):
        record = self.send("answer_and_execute")
        message = record.message_id
        self.assertEqual(message.ticket_id, self.ticket)
        request = base64.b64decode(message.request_xml)
        self.assertIn(b"importAnswerRequest", request)
        self.assertIn(record.request_message_guid.encode(), request)
        self.assertEqual(request, base64.b64decode(record.request_xml))
        self.assertIn(message.ack_guid.encode(), base64.b64decode(message.ack_xml))
        self.assertIn(
            record.result_answer_guid.encode(), base64.b64decode(message.result_xml)
        )
        self.assertTrue(
            message.request_sent_at
            <= message.ack_received_at
            <= message.result_received_at
        )
        # Managers find it from the ticket.
        action = self.ticket.action_open_gis_exchanges()
        self.assertEqual(action["domain"], [("ticket_id", "=", self.ticket.id)])
        # Exports keep theirs too.
        export = self.env["gis.zhkh.message"].search(
            [("backend_id", "=", self.backend.id), ("operation", "=", "export_appeal")],
            limit=1,
        )
        self.assertIn(b"exportAppealRequest", base64.b64decode(export.request_xml))
        self.assertTrue(export.result_xml)

    def test_proof_is_purged_after_the_retention_period(self):
        record = self.send("executed")
        old = record.message_id
        recent = self.env["gis.zhkh.message"].search(
            [("backend_id", "=", self.backend.id), ("id", "!=", old.id)]
        )
        self.env.cr.execute(
            "UPDATE gis_zhkh_message SET create_date = now() - interval '6 years' "
            "WHERE id = %s",
            [old.id],
        )
        record.done_at -= datetime.timedelta(days=6 * 366)
        self.env["gis.zhkh.message"].invalidate_model()
        self.assertEqual(self.env["gis.zhkh.message"]._cron_purge_expired(), 1)
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())
        # The operation's outcome stays on record, its copy of what was sent
        # (the signed request) goes with the proof.
        self.assertEqual(record.state, "accepted")
        self.assertFalse(record.request_xml)
        self.assertTrue(record.ack_guid)

    def test_purge_works_in_batches(self):
        self.send("executed")
        messages = self.env["gis.zhkh.message"].search(
            [("backend_id", "=", self.backend.id)]
        )
        self.assertGreater(len(messages), 1)
        self.env.cr.execute(
            "UPDATE gis_zhkh_message SET create_date = now() - interval '6 years' "
            "WHERE id IN %s",
            [tuple(messages.ids)],
        )
        self.env["gis.zhkh.message"].invalidate_model()
        purge = self.env["gis.zhkh.message"]._cron_purge_expired
        self.assertEqual(purge(batch=1), 1)
        self.assertEqual(len(messages.exists()), len(messages) - 1)
        while purge(batch=1):
            pass
        self.assertFalse(messages.exists())

    def test_a_manager_reads_the_proof_from_the_ticket(self):
        record = self.send("executed")
        manager = new_test_user(
            self.env,
            login="gis_proof_manager",
            groups="helpdesk_mgmt.group_helpdesk_manager",
        )
        ticket = self.ticket.with_user(manager)
        action = ticket.action_open_gis_exchanges()
        exchanges = (
            self.env["gis.zhkh.message"].with_user(manager).search(action["domain"])
        )
        self.assertIn(record.message_id, exchanges)
        request = base64.b64decode(record.message_id.with_user(manager).request_xml)
        self.assertIn(record.request_message_guid.encode(), request)
        # A dispatcher works the ticket but does not read the exchange log.
        with self.assertRaises(AccessError):
            record.message_id.with_user(self.dispatcher).read(["request_xml"])

    # -- consistency with the next import -----------------------------------

    def test_the_next_import_confirms_or_flags(self):
        record = self.send("answer_and_execute")
        self.assertFalse(record.confirmed)
        self.assertFalse(self.backend.last_refresh_at)  # checked at the next import
        self.run_import()
        self.assertTrue(record.confirmed)
        self.assertEqual(self.ticket.gis_status, "executed")
        self.assertFalse(self.ticket.gis_conflict)

        # GIS takes "performer" for another appeal but shows something else.
        self.fake.seed(self.appeals(1, seed="second"))
        self.run_import()
        other = self.tickets() - self.ticket
        other.user_id = self.dispatcher
        record = self.send_for(other, "performer")
        self.assertEqual(record.state, "accepted")
        self.fake.update_appeal(other.gis_appeal_guid, answerer_guid=DEFAULT)
        self.run_import()
        self.assertTrue(record.conflict)
        self.assertIn("does not show it", other.gis_conflict)
        self.assertEqual(
            other.gis_status, self.fake.appeals[other.gis_appeal_guid].status
        )
        other.action_gis_dismiss_conflict()
        self.assertFalse(other.gis_conflict)

    def test_withdrawn_after_an_accepted_answer_is_flagged(self):
        record = self.send("answer")
        self.fake.update_appeal(self.guid, status="withdrawn", raw_status="Withdrawn")
        self.run_import()
        self.assertIn("withdrew", record.conflict)
        self.assertIn("withdrew", self.ticket.gis_conflict)

    def send_for(self, ticket, operation, **values):
        with trap_jobs() as trap:
            record = self.queue(operation, ticket=ticket, **values)
            self.perform_all(trap)
        return record

    # -- automation ---------------------------------------------------------

    def test_shipped_automation_rules(self):
        done = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        rules = (
            self.env.ref("helpdesk_gis_zhkh_max.automation_gis_done_answer_execute")
            | self.env.ref("helpdesk_gis_zhkh_max.automation_gis_assigned_performer")
            | self.env.ref("helpdesk_gis_zhkh_max.automation_deadline_at_risk_activity")
        )
        self.assertFalse(any(rules.mapped("active")))
        rules.active = True
        # Assigned: the performer is appointed.
        self.ticket.user_id = False
        with trap_jobs() as trap:
            self.ticket.with_user(self.dispatcher).user_id = self.dispatcher
            self.perform_all(trap)
        performer = self.ticket.gis_operation_ids.filtered(
            lambda op: op.operation == "performer"
        )
        self.assertEqual(performer.state, "accepted")
        self.assertEqual(performer.source, "automation")
        # Done without an answer text: nothing is sent, the ticket says why,
        # and the stage still changes.
        with trap_jobs() as trap:
            self.ticket.with_user(self.dispatcher).stage_id = done
            self.perform_all(trap)
        self.assertEqual(self.ticket.stage_id, done)
        self.assertIn("could not send", self.ticket.message_ids[:1].body)
        # With the answer written, Done sends it and marks the appeal executed.
        self.ticket.stage_id = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new")
        self.ticket.gis_answer_text = ANSWER
        with trap_jobs() as trap:
            self.ticket.with_user(self.dispatcher).stage_id = done
            self.perform_all(trap)
        answered = self.ticket.gis_operation_ids.filtered(
            lambda op: op.operation == "answer_and_execute"
        )
        self.assertEqual(answered.state, "accepted")
        self.assertEqual(self.gis().status, "executed")
        # Firing twice does not send twice.
        self.ticket.stage_id = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new")
        with trap_jobs() as trap:
            self.ticket.stage_id = done
            self.perform_all(trap)
        self.assertEqual(
            len(
                self.ticket.gis_operation_ids.filtered(
                    lambda op: op.operation == "answer_and_execute"
                )
            ),
            1,
        )

    def test_deadline_at_risk_rule_escalates_to_the_team_leader(self):
        rule = self.env.ref(
            "helpdesk_gis_zhkh_max.automation_deadline_at_risk_activity"
        )
        rule.active = True
        leader = new_test_user(
            self.env,
            login="gis_team_leader",
            groups="helpdesk_mgmt.group_helpdesk_user",
        )
        self.assertTrue(self.ticket.team_id)
        self.ticket.team_id.user_id = leader
        at_risk = self.env.ref("helpdesk_gis_zhkh_max.mail_activity_deadline_at_risk")
        deadline = self.ticket.deadline_ids.filtered(lambda d: d.kind == "answer")
        deadline.warn_at = datetime.datetime.now() - datetime.timedelta(minutes=1)
        rule.last_run = datetime.datetime.now() - datetime.timedelta(hours=1)
        # What the time-based rules' cron does (it commits: not in a test).
        due = rule._search_time_based_automation_records(until=self.env.cr.now())
        self.assertEqual(due, deadline)
        for record in due:
            rule._process(record)
        self.ticket.invalidate_recordset(["activity_ids"])
        activities = self.ticket.activity_ids.filtered(
            lambda a: a.activity_type_id == at_risk and a.user_id == leader
        )
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.summary, deadline.name)
        # The sweep's own activity goes to the ticket's user: one each.
        self.env["helpdesk.ticket.deadline"]._cron_sweep()
        self.ticket.invalidate_recordset(["activity_ids"])
        activities = self.ticket.activity_ids.filtered(
            lambda a: a.activity_type_id == at_risk
        )
        self.assertLessEqual(len(activities.filtered(lambda a: a.user_id == leader)), 1)

    def test_every_operation_from_a_server_action(self):
        """What an integrator puts into an automation rule, run on a ticket:
        each operation reaches GIS with the action's own settings."""
        model = self.env.ref("helpdesk_mgmt.model_helpdesk_ticket")
        settings = {
            "answer": {},
            "redirect": {
                "gis_zhkh_comment": VALUES["redirect"]["comment"],
                "gis_zhkh_receiver_guid": VALUES["redirect"]["receiver_guid"],
            },
            "rollover": {
                "gis_zhkh_comment": VALUES["rollover"]["comment"],
                "gis_zhkh_rollover_days": 30,
            },
            "answer_not_required": {
                "gis_zhkh_cause": VALUES["answer_not_required"]["cause"]
            },
            "performer": {},
            "executed": {},
        }
        for operation, values in settings.items():
            with self.subTest(operation=operation):
                self.setUp_fresh_appeal()
                action = self.env["ir.actions.server"].create(
                    {
                        "name": f"GIS {operation}",
                        "model_id": model.id,
                        "state": "gis_zhkh",
                        "gis_zhkh_operation": operation,
                        **values,
                    }
                )
                with trap_jobs() as trap:
                    result = action.with_context(
                        active_model="helpdesk.ticket",
                        active_id=self.ticket.id,
                        active_ids=self.ticket.ids,
                    ).run()
                    self.perform_all(trap)
                self.assertIn("queued", result["params"]["message"])
                record = self.ticket.gis_operation_ids.filtered(
                    lambda op, o=operation: op.operation == o
                )
                self.assertEqual(record.state, "accepted", record.error_message)
        # Run by hand on a ticket that is not from GIS: it says so.
        plain = self.env["helpdesk.ticket"].create(
            {"name": "Звонок", "description": "x"}
        )
        action = self.env["ir.actions.server"].create(
            {
                "name": "GIS executed",
                "model_id": model.id,
                "state": "gis_zhkh",
                "gis_zhkh_operation": "executed",
            }
        )
        with self.assertRaisesRegex(UserError, "not an appeal received from GIS"):
            action.with_context(
                active_model="helpdesk.ticket", active_id=plain.id, active_ids=plain.ids
            ).run()

    def setUp_fresh_appeal(self):
        """A new appeal (and ticket) from the fake GIS for the next step."""
        appeal = self.appeals(1, seed=str(uuid.uuid4()))[0]
        self.fake.seed([appeal])
        self.run_import()
        self.ticket = self.tickets().filtered(
            lambda t: t.gis_appeal_guid == appeal.guid
        )
        self.ticket.user_id = self.dispatcher
        self.ticket.gis_answer_text = ANSWER
        self.guid = appeal.guid

    def test_server_action_run_by_hand_says_what_is_wrong(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "Extend by 30 days",
                "model_id": self.env.ref("helpdesk_mgmt.model_helpdesk_ticket").id,
                "state": "gis_zhkh",
                "gis_zhkh_operation": "rollover",
                "gis_zhkh_comment": "Коротко",
            }
        )
        self.assertIn(
            self.env.ref("helpdesk_mgmt.model_helpdesk_ticket"),
            action.available_model_ids,
        )
        run = action.with_user(self.dispatcher).with_context(
            active_model="helpdesk.ticket",
            active_id=self.ticket.id,
            active_ids=self.ticket.ids,
        )
        with self.assertRaisesRegex(UserError, "20 to 1000"):
            run.run()
        action.gis_zhkh_comment = "Нужна экспертиза кровли подрядчиком."
        deadline = self.ticket.gis_deadline
        with trap_jobs() as trap:
            run.run()
            self.perform_all(trap)
        record = self.ticket.gis_operation_ids
        self.assertEqual(record.state, "accepted")
        self.assertEqual(record.execution_date, deadline + datetime.timedelta(days=30))
        # The next import brings the new deadline, and the milestones follow.
        self.run_import()
        self.assertEqual(self.ticket.gis_deadline, record.execution_date)
        self.assertTrue(record.confirmed)

    # -- nothing invalid leaves: every request is checked against the carried
    # formats before it is signed and sent --

    @mute_logger(*MUTED)
    def test_an_answer_over_its_length_that_slipped_past_the_checks(self):
        # Bugs in the wizard's and the builder's own limits let a text of
        # 12,000 characters through (GIS takes 10,000): the schema stops it.
        self.startPatcher(
            mock.patch.dict(gis_operations.TEXT_LIMITS, {"text": (1, 20000)})
        )
        self.startPatcher(
            mock.patch.object(
                gis_xml_build, "_check_text", lambda value, *_a, **_k: value
            )
        )
        too_long = ("Работы выполнены. " * 700)[:12000]
        record = self.send("answer", text=too_long)
        self.assertEqual(record.state, "rejected")
        self.assertEqual(record.error_code, "FORMAT")
        self.assertIn("AnswerText", record.error_message)
        self.assertIn("12000", record.error_message)
        self.assertIn("10000", record.error_message)
        self.assertFalse(record.request_xml)
        # Nothing reached the fake GIS, nothing is retried.
        self.assertFalse(
            [op for op, _ok, _e in self.fake.calls() if op == "importAnswer"]
        )
        self.assertFalse(
            self.env["queue.job"].search(
                [("state", "=", "pending"), ("method_name", "=", "_job_send")]
            )
        )
        note = self.ticket.message_ids[0].body
        self.assertIn("was not sent to GIS ZhKKh", note)
        self.assertNotIn("GIS ZhKKh refused", note)

    @mute_logger(*MUTED)
    def test_the_reason_is_said_in_russian(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"].search(
            [("name", "=", "helpdesk_gis_zhkh_max")]
        )._update_translations(["ru_RU"])
        # The organisation works in Russian, whatever the language of who
        # queued the answer.
        self.ticket.company_id.partner_id.lang = "ru_RU"
        self.startPatcher(
            mock.patch.dict(gis_operations.TEXT_LIMITS, {"text": (1, 20000)})
        )
        record = self.send("answer", text="Ответ. " * 2000)
        self.assertEqual(record.state, "rejected")
        self.assertIn("Не отправлено в ГИС ЖКХ", record.error_message)
        self.assertIn("«AnswerText» длиннее допустимого", record.error_message)
