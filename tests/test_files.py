# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import random
import uuid
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import config, mute_logger

from odoo.addons.queue_job.tests.common import trap_jobs

from ..tools import gis_xml_common, gis_xml_parse, gost94
from .common import GisCase
from .fakes import fake_gis
from .test_operations import ANSWERER
from .test_operations import MUTED as OPERATION_LOGS

MB = 1024 * 1024
MUTED = ("odoo.addons.helpdesk_gis_zhkh_max.models.gis_zhkh_file",)


@tagged("post_install", "-at_install")
class TestFilesFromGis(GisCase):
    """Residents' files reach the ticket from the GIS file store: after the
    import, by jobs of their own, once, byte for byte."""

    def store(self, data, name):
        """A file in the fake's store, as an appeal names it."""
        guid = self.fake.file_store.add(data, name=name)
        return gis_xml_common.AttachmentInfo(name=name, description="Фото", guid=guid)

    def ticket_files(self, ticket):
        return {
            a.name: a.raw
            for a in self.env["ir.attachment"].search(
                [("res_model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id)]
            )
        }

    def import_without_downloads(self):
        """The import's jobs, the downloads held back: ``(trap, download
        jobs)``."""
        trapping = trap_jobs()
        trap = trapping.__enter__()
        self.addCleanup(trapping.__exit__, None, None, None)
        self.backend._enqueue_import()
        held = []
        for _round in range(6):
            jobs = [j for j in trap.enqueued_jobs if j.method_name != "_job_download"]
            held += [j for j in trap.enqueued_jobs if j.method_name == "_job_download"]
            trap.enqueued_jobs = jobs
            if not jobs:
                break
            trap.perform_enqueued_jobs()
        return trap, held

    def test_photos_reach_the_ticket_byte_for_byte_and_once(self):
        photo = fake_gis.demo_png("photo-1")
        big = random.Random(7).randbytes(6 * MB + 17)  # over 5 MB: Range parts
        report = random.Random(8).randbytes(2000)
        appeal = self.appeals(1)[0]
        appeal.attachments = [
            self.store(photo, "Протечка.png"),
            self.store(big, "Видео.mp4"),
        ]
        appeal.history = [
            gis_xml_parse.HistoryEntry(
                self.today,
                "rolled_over",
                None,
                {
                    "execution_date": self.days_ago(-20).isoformat(),
                    "comment": "Нужна экспертиза кровли подрядчиком",
                    "answerer_guid": str(uuid.uuid4()),
                },
                attachments=[self.store(report, "Акт обследования.pdf")],
            )
        ]
        self.fake.seed([appeal])
        _trap, held = self.import_without_downloads()
        ticket = self.tickets()
        # The import itself read no file: it recorded them and queued a job.
        self.assertEqual(self.fake.file_store.calls, [])
        files = self.env["gis.zhkh.file"].search([("ticket_id", "=", ticket.id)])
        self.assertEqual(set(files.mapped("state")), {"pending"})
        self.assertEqual(
            sorted(files.mapped("source")), ["appeal", "appeal", "rolled_over"]
        )
        self.assertEqual([j.method_name for j in held], ["_job_download"])
        for job in held:
            job.perform()
        self.assertEqual(
            self.ticket_files(ticket),
            {"Протечка.png": photo, "Видео.mp4": big, "Акт обследования.pdf": report},
        )
        self.assertEqual(set(files.mapped("state")), {"done"})
        self.assertEqual(files.attachment_id.mapped("res_id"), [ticket.id] * 3)
        ranges = [c for c in self.fake.file_store.calls if c[2] == 206]
        self.assertEqual(len(ranges), 2)
        # A re-import (window and refresh) downloads nothing again.
        calls = len(self.fake.file_store.calls)
        with trap_jobs() as trap:
            self.backend._enqueue_import()
            self.perform_all(trap)
            self.assertFalse(
                [c for c in trap.calls if c.method.__name__ == "_job_download"]
            )
        self.assertEqual(len(self.fake.file_store.calls), calls)
        self.assertEqual(len(self.ticket_files(ticket)), 3)
        self.assertEqual(
            self.env["gis.zhkh.file"].search_count([("ticket_id", "=", ticket.id)]), 3
        )

    def test_a_job_ends_before_the_workers_time_limit(self):
        """A worker killed at limit_time_real would roll back every file its
        job downloaded: a job takes the next file only while the worst
        transfer still fits in its time, and leaves the rest to a new job."""
        self.backend.file_max_mb = 1
        appeal = self.appeals(1)[0]
        appeal.attachments = [self.store(b"%d" % n, f"{n}.txt") for n in range(3)]
        self.fake.seed([appeal])
        _trap, held = self.import_without_downloads()
        ticket = self.tickets()
        worst = self.backend._get_file_client()._budget(MB)
        # The worst transfer fits in the limit, two of them do not.
        limit = int(worst / 0.8) - 1
        patched = {"workers": 2, "limit_time_real": limit}
        with patch.dict(config.options, patched), trap_jobs() as trap:
            self.assertEqual(
                held[0].perform(), "1 downloaded, 0 failed, 0 later, 2 in a new job"
            )
            self.assertEqual(len(trap.enqueued_jobs), 1)
            trap.perform_enqueued_jobs()
            trap.perform_enqueued_jobs()
        self.assertEqual(
            self.ticket_files(ticket), {"0.txt": b"0", "1.txt": b"1", "2.txt": b"2"}
        )
        # Threaded (no workers): no limit, one job for all.
        self.assertEqual(self.env["gis.zhkh.file"]._worker_time_limit(), 0)

    def test_a_file_added_later_in_gis_comes_alone(self):
        appeal = self.appeals(1)[0]
        appeal.attachments = [self.store(b"first", "1.txt")]
        self.fake.seed([appeal])
        self.run_import()
        ticket = self.tickets()
        self.fake.file_store.calls.clear()
        answer = self.store(b"second", "2.txt")
        self.fake.appeals[appeal.guid].history.append(
            gis_xml_parse.HistoryEntry(
                self.today,
                "answer",
                None,
                {
                    "answer_guid": str(uuid.uuid4()),
                    "answerer_guid": str(uuid.uuid4()),
                    "text": "Ответ из кабинета",
                    "is_sent": True,
                    "attachments": ["2.txt"],
                },
                attachments=[answer],
            )
        )
        self.run_import()
        self.assertEqual(
            self.ticket_files(ticket), {"1.txt": b"first", "2.txt": b"second"}
        )
        self.assertEqual([c[0] for c in self.fake.file_store.calls], ["HEAD", "GET"])

    @mute_logger(*MUTED)
    def test_files_that_cannot_be_taken_are_named_on_the_ticket(self):
        self.backend.file_max_mb = 1
        store = self.fake.file_store
        infected = store.add(b"X5O!P%@AP", name="вирус.exe", infected=True)
        appeal = self.appeals(1)[0]
        appeal.attachments = [
            self.store(b"fine", "хорошо.txt"),
            gis_xml_common.AttachmentInfo("вирус.exe", "Файл", infected),
            gis_xml_common.AttachmentInfo("пропал.jpg", "Файл", str(uuid.uuid4())),
            self.store(random.Random(1).randbytes(2 * MB), "большое.mp4"),
        ]
        self.fake.seed([appeal])
        # Gone from the store (the fake stores a picture for every GUID seeded).
        del store.files[appeal.attachments[2].guid]
        self.run_import()
        ticket = self.tickets()
        self.assertEqual(self.ticket_files(ticket), {"хорошо.txt": b"fine"})
        files = self.env["gis.zhkh.file"].search([("ticket_id", "=", ticket.id)])
        self.assertEqual(
            sorted(files.mapped("state")), ["done", "failed", "failed", "failed"]
        )
        note = ticket.message_ids.filtered(lambda m: "not attached" in (m.body or ""))
        self.assertEqual(len(note), 1)
        for text in ("вирус.exe", "virus", "пропал.jpg", "no longer", "большое.mp4"):
            self.assertIn(text, note.body)
        # Only HEAD for the large one: its bytes were never read.
        big = files.filtered(lambda f: f.name == "большое.mp4")
        gets = [c for c in store.calls if c[0] == "GET" and big.attachment_guid in c[1]]
        self.assertEqual(gets, [])
        # Failed files are not asked for again.
        store.calls.clear()
        self.run_import()
        self.assertEqual(store.calls, [])

    @mute_logger(*MUTED)
    def test_passing_failure_is_tried_again(self):
        appeal = self.appeals(1)[0]
        appeal.attachments = [self.store(b"photo-bytes", "фото.jpg")]
        self.fake.seed([appeal])
        self.fake.file_store.fail_next("http")
        with trap_jobs() as trap:
            self.backend._enqueue_import()
            self.perform_all(trap, rounds=8)
            ticket = self.tickets()
            record = self.env["gis.zhkh.file"].search([("ticket_id", "=", ticket.id)])
            self.assertEqual(
                (record.state, record.attempts, self.ticket_files(ticket)),
                ("done", 1, {"фото.jpg": b"photo-bytes"}),
            )
            self.assertIn("HTTP 503", record.error or "HTTP 503")

    def test_demo_appeals_carry_photos(self):
        self.fake.seed(fake_gis.generate_appeals(3, seed="demo", photos=True))
        self.run_import()
        for ticket in self.tickets():
            files = self.ticket_files(ticket)
            self.assertEqual(len(files), 1)
            self.assertTrue(next(iter(files.values())).startswith(b"\x89PNG"))


@tagged("post_install", "-at_install")
class TestDocumentsInAnswers(GisCase):
    """An answer's documents: uploaded once to the GIS file store, named in
    importAnswer with their GOST R 34.11-94 hash, exactly once under faults."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dispatcher = new_test_user(
            cls.env,
            login="gis_document_dispatcher",
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
        self.act = self.env["ir.attachment"].create(
            {
                "name": "Акт выполненных работ.pdf",
                "raw": b"%PDF-1.4\n" + random.Random(3).randbytes(40_000),
                "res_model": "helpdesk.ticket",
                "res_id": self.ticket.id,
            }
        )

    def answer(self, attachments):
        wizard = Form(
            self.env["gis.zhkh.operation.wizard"]
            .with_user(self.dispatcher)
            .with_context(default_ticket_id=self.ticket.id, default_operation="answer")
        )
        wizard.text = "Протечку устранили, акт во вложении."
        for attachment in attachments:
            wizard.attachment_ids.add(attachment)
        return wizard.save()

    @mute_logger(*MUTED, *OPERATION_LOGS)
    def test_answer_with_a_document_reaches_gis_once_under_faults(self):
        store = self.fake.file_store
        # The store fails twice on the way (an upload cut, GIS overloaded),
        # and GIS's answer to the first importAnswer is lost.
        store.fail_next("drop")
        store.fail_next("http")
        self.fake.fail_next("lost_reply", operation="importAnswer")
        with trap_jobs() as trap:
            self.answer(self.act).action_confirm()
            self.perform_all(trap, rounds=12)
        record = self.ticket.gis_operation_ids
        document = record.file_ids
        self.assertEqual(
            (document.state, document.attempts, document.size),
            ("done", 2, len(self.act.raw)),
        )
        expected_hash = gost94.Gost94(self.act.raw).hexdigest()
        self.assertEqual(document.gis_hash, expected_hash)
        # Stored once in GIS, byte for byte, under the GUID the proof keeps.
        uploaded = store.uploaded()
        self.assertEqual(list(uploaded), [document.attachment_guid])
        self.assertEqual(uploaded[document.attachment_guid].data, self.act.raw)
        self.assertEqual([c[0] for c in store.calls if c[2] == 200], ["PUT"])
        # The request names it with its hash; GIS applied the answer once.
        request = base64.b64decode(record.request_xml)
        self.assertIn(document.attachment_guid.encode(), request)
        self.assertIn(expected_hash.encode(), request)
        answers = [k for k, _g, _t in self.fake.applied if k == "answer"]
        self.assertEqual(len(answers), 1)
        answer = [
            h
            for h in self.fake.appeals[self.ticket.gis_appeal_guid].history
            if h.kind == "answer"
        ][-1]
        self.assertEqual(
            [(a.guid, a.hash) for a in answer.attachments],
            [(document.attachment_guid, expected_hash)],
        )
        self.assertIn(record.state, ("accepted", "sent"))
        self.assertTrue(all(ok for _op, ok, _e in self.fake.calls() if ok is not None))
        # The next import brings the answer's file back: known, not downloaded.
        store.calls.clear()
        self.run_import()
        self.assertFalse([c for c in store.calls if c[0] == "GET"])

    @mute_logger(*MUTED, *OPERATION_LOGS)
    def test_documents_go_up_in_jobs_that_end_before_the_time_limit(self):
        photo = self.act.copy({"name": "Фото.png", "raw": fake_gis.demo_png("x")})
        worst = self.backend._get_file_client()._budget(len(self.act.raw))
        # One upload fits in the limit, two do not.
        limit = int(worst / 0.8) - 1
        patched = {"workers": 2, "limit_time_real": limit}
        with patch.dict(config.options, patched), trap_jobs() as trap:
            self.answer(self.act | photo).action_confirm()
            trap.perform_enqueued_jobs()
            record = self.ticket.gis_operation_ids
            self.assertEqual(record.file_ids.mapped("state"), ["done", "pending"])
            self.assertFalse(record.request_xml)
            self.perform_all(trap, rounds=8)
        self.assertEqual(record.file_ids.mapped("state"), ["done", "done"])
        self.assertEqual(len(self.fake.file_store.uploaded()), 2)
        self.assertIn(record.state, ("accepted", "sent"))

    def test_the_same_answer_with_other_documents_is_another_operation(self):
        photo = self.act.copy({"name": "Фото.png", "raw": fake_gis.demo_png("x")})
        with trap_jobs():
            first = self.answer(self.act)._values()
            one = self.ticket.with_user(self.dispatcher)._gis_queue_operation(
                "answer", first
            )
            again = self.ticket.with_user(self.dispatcher)._gis_queue_operation(
                "answer", first
            )
            other = self.ticket.with_user(self.dispatcher)._gis_queue_operation(
                "answer", self.answer(photo)._values()
            )
        self.assertEqual(one, again)
        self.assertNotEqual(one, other)
        self.assertEqual(other.file_ids.attachment_id, photo)

    def test_only_the_tickets_files_and_only_answers(self):
        foreign = self.env["ir.attachment"].create(
            {"name": "чужой.pdf", "raw": b"x", "res_model": "res.partner", "res_id": 1}
        )
        ticket = self.ticket.with_user(self.dispatcher)
        with self.assertRaisesRegex(UserError, "Only files attached to the ticket"):
            ticket._gis_queue_operation(
                "answer", {"text": "Ответ", "attachment_ids": [foreign.id]}
            )
        with self.assertRaisesRegex(UserError, "Only an answer can carry"):
            ticket._gis_queue_operation("executed", {"attachment_ids": [self.act.id]})
