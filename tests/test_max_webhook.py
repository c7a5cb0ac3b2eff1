# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import logging

import requests

from .max_common import RESIDENT, MaxCase


class TestMaxWebhook(MaxCase):
    """The webhook route against forged, replayed and malformed deliveries."""

    def post(self, body, secret=None, key=None, headers=None):
        sub = self.fake.subscriptions[-1]
        url = sub["url"]
        if key is not None:
            url = url.replace(self.gateway.webhook_key, key)
        send = {"Content-Type": "application/json", **(headers or {})}
        if secret is not False:
            send["X-Max-Bot-Api-Secret"] = secret or sub["secret"]
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.env.flush_all()
        with self.allow_requests(all_requests=True):
            response = requests.post(url, data=body, headers=send, timeout=10)
        self.env.invalidate_all()
        return response

    def counts(self):
        return (
            self.env["max.update"].search_count([]),
            self.env["queue.job"].search_count([("state", "=", "pending")]),
            self.env["helpdesk.ticket"].search_count([]),
        )

    def test_forged_unknown_malformed_and_oversized_are_refused(self):
        update = self.fake.resident_message(RESIDENT, "Течёт кран")
        before = self.counts()
        logger = "odoo.addons.helpdesk_gis_zhkh_max.controllers.main"
        with self.assertLogs(logger, logging.WARNING) as logs:
            cases = {
                "wrong secret": self.post(update, secret="forged-secret"),
                "no secret": self.post(update, secret=False),
                "unknown key": self.post(update, key="no-such-key"),
                "not JSON": self.post(b"{not json"),
                "not an object": self.post(b"[1, 2]"),
                "wrong types": self.post({"update_type": 5, "timestamp": "x"}),
                "no sender": self.post(
                    {"update_type": "message_created", "timestamp": 1, "message": {}}
                ),
                "huge": self.post(b'{"x": "' + b"a" * (2 * 1024 * 1024) + b'"}'),
            }
        statuses = {name: response.status_code for name, response in cases.items()}
        self.assertEqual(
            statuses,
            {
                "wrong secret": 403,
                "no secret": 403,
                "unknown key": 404,
                "not JSON": 400,
                "not an object": 400,
                "wrong types": 400,
                "no sender": 400,
                "huge": 413,
            },
        )
        for response in cases.values():
            self.assertNotIn("Traceback", response.text)
        self.assertEqual(len(logs.records), len(cases))
        log_text = "\n".join(logs.output)
        self.assertNotIn(self.gateway.webhook_key, log_text)
        self.assertNotIn(self.fake.subscriptions[-1]["secret"], log_text)
        self.assertEqual(self.counts(), before)

    def test_duplicates_and_unknown_types_are_acknowledged_not_processed(self):
        update = self.fake.resident_message(RESIDENT, "Не закрывается дверь")
        self.assertEqual(self.deliver(update, times=3), [200, 200, 200])
        self.assertEqual(self.env["max.update"].search_count([]), 1)
        self.assertEqual(len(self.dialog().ticket_ids), 1)
        strange = {"update_type": "message_reaction_added", "timestamp": 5}
        self.assertEqual(self.deliver(strange), [200])
        self.assertEqual(self.env["max.update"].search_count([]), 1)
        # A replay days later is still the same update.
        self.assertEqual(self.deliver(update), [200])
        comments = self.dialog().ticket_ids.message_ids.filtered(
            lambda m: m.message_type == "comment"
        )
        self.assertEqual(len(comments), 1)

    def test_out_of_order_updates_are_handled_in_order(self):
        first = self.fake.resident_message(RESIDENT, "Первое")
        second = self.fake.resident_message(RESIDENT, "Второе")
        second["timestamp"] = second["message"]["timestamp"] = (
            first["message"]["timestamp"] + 1000
        )
        self.deliver(second, run=False)
        self.deliver(first, run=False)
        self.run_jobs()
        ticket = self.dialog().ticket_ids
        self.assertEqual(len(ticket), 1)
        self.assertIn("Первое", ticket.description)
        comments = ticket.message_ids.filtered(
            lambda m: m.message_type == "comment"
        ).sorted("id")
        self.assertEqual([c.body.striptags() for c in comments], ["Первое", "Второе"])

    def test_a_failing_update_is_kept_and_can_be_replayed(self):
        update = self.fake.resident_message(RESIDENT, "Сломан звонок")
        photo = self.fake.file_attachment("a.jpg", b"JPEG", "image")
        update["message"]["body"]["attachments"] = [photo]
        self.fake.fail_next(100, path=f"/files/{photo['payload']['token']}", status=404)
        self.deliver(update)
        stored = self.env["max.update"].search([])
        self.assertEqual(stored.state, "failed")
        self.assertIn("404", stored.error)
        self.fake.failures.clear()
        stored.action_retry()
        self.run_jobs()
        self.assertEqual(stored.state, "done")
        self.assertEqual(len(self.dialog().ticket_ids.message_ids.attachment_ids), 1)

    def test_group_chat_keyword_alerts_the_dispatcher_never_a_ticket(self):
        self.gateway.max_group_reply = True
        chat = -100500
        calm = self.fake.group_message(chat, RESIDENT, "Кто брал мой самокат?")
        alarming = self.fake.group_message(chat, RESIDENT, "В подвале ПОТОП, вода!")
        again = self.fake.group_message(chat, RESIDENT + 1, "Потоп усиливается")
        tickets = self.env["helpdesk.ticket"].search_count([])
        for update in (calm, alarming, again):
            self.deliver(update)
        alerts = self.env["max.chat.alert"].search([])
        self.assertEqual(len(alerts), 2)
        self.assertEqual(self.env["helpdesk.ticket"].search_count([]), tickets)
        self.assertTrue(alerts[0].activity_ids)
        # One reminder in the chat, not one per message.
        self.assertEqual(len(self.fake.texts_to(chat_id=chat)), 1)
        self.assertIn("not the official channel", self.fake.texts_to(chat_id=chat)[0])
        alerts[-1].action_create_ticket()
        self.assertEqual(alerts[-1].state, "ticket")
        self.assertEqual(alerts[-1].ticket_id.priority, "3")
        self.assertFalse(alerts[-1].activity_ids)

    def test_an_update_left_without_a_job_is_resumed(self):
        self.deliver(self.fake.resident_message(RESIDENT, "Сосулька"), run=False)
        # The job was lost (a killed worker): only the update remains.
        self.env["queue.job"].search([]).unlink()
        stored = self.env["max.update"].search([])
        self.assertEqual(self.env["max.update"]._cron_resume(), 0)  # too recent
        # create_date is not writable through the ORM.
        self.env.cr.execute(
            "UPDATE max_update SET create_date = '2020-01-01' WHERE id = %s",
            [stored.id],
        )
        self.assertEqual(self.env["max.update"]._cron_resume(), 1)
        self.run_jobs()
        self.assertEqual(stored.state, "done")
        self.assertEqual(len(self.dialog().ticket_ids), 1)
