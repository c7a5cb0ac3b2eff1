# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import inspect

from odoo.tests.common import TransactionCase

from odoo.addons.queue_job.job import Job

ADDON = "helpdesk_gis_zhkh_max"
# Jobs that are not named _job_*: the deadline resync and the MAX
# deliveries added to mail_notification and mail_gateway.
OTHER_JOBS = {
    ("helpdesk.ticket.deadline", "_resync_open_tickets"),
    ("mail.notification", "_max_job_deliver"),
    ("mail.gateway", "_max_job_send_chat"),
}


class TestJobChannels(TransactionCase):
    """Every job of the addon runs in a channel of its concern, so that the
    deployment guide's capacities (root.gis_zhkh, root.gis_zhkh_files,
    root.max, root.max_send, root.helpdesk_deadlines) govern all of them: a job left in
    root would compete with everything else."""

    def _addon_jobs(self):
        jobs = set(OTHER_JOBS)
        for name, model in self.env.registry.items():
            if model._abstract:
                continue
            for cls in model.__mro__:
                if not cls.__module__.startswith(f"odoo.addons.{ADDON}."):
                    continue
                for attr, value in vars(cls).items():
                    if attr.startswith("_job_") and inspect.isfunction(value):
                        jobs.add((name, attr))
        return jobs

    def test_every_job_has_a_channel_of_its_own(self):
        jobs = self._addon_jobs()
        self.assertGreater(len(jobs), 15)
        expected = {
            "gis_zhkh",
            "gis_zhkh_files",
            "max",
            "max_send",
            "helpdesk_deadlines",
        }
        functions = self.env["queue.job.function"]
        for model_name, method in sorted(jobs):
            with self.subTest(job=f"{model_name}.{method}"):
                function = functions.search([("name", "=", f"<{model_name}>.{method}")])
                self.assertTrue(function, "no queue.job.function")
                self.assertEqual(function.channel_id.parent_id.name, "root")
                self.assertIn(function.channel_id.name, expected)

    def test_a_download_is_queued_in_the_files_channel(self):
        ticket = self.env["helpdesk.ticket"].create(
            {"name": "Files", "description": "x"}
        )
        delayed = self.env["gis.zhkh.file"]._enqueue_download(ticket)
        job = Job.load(self.env, delayed.uuid)
        self.assertEqual(job.channel, "root.gis_zhkh_files")

    def test_sending_never_holds_back_the_residents_messages(self):
        """A send waits for the bot's pace; the updates received (the
        residents' messages) have a channel of their own."""
        functions = self.env["queue.job.function"]
        channel = {
            method: functions.search([("name", "=", f"<{model}>.{method}")]).channel
            for model, method in [
                ("max.update", "_job_process_chat"),
                ("max.update", "_job_dispatch"),
                ("max.outbox", "_job_send_lane"),
                ("max.broadcast", "_job_send_batch"),
                ("mail.notification", "_max_job_deliver"),
            ]
        }
        self.assertEqual(
            channel,
            {
                "_job_process_chat": "root.max",
                "_job_dispatch": "root.max",
                "_job_send_lane": "root.max_send",
                "_job_send_batch": "root.max_send",
                "_max_job_deliver": "root.max_send",
            },
        )
