# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import logging
from urllib.parse import urlsplit

import psycopg2.errors
import requests

from odoo.tests import tagged

from ..tools import max_updates
from .common import WorkersCase
from .fakes import fake_max
from .fakes.local_server import closed_url
from .max_common import RESIDENT, MaxCase

CLOSED_URL = closed_url()


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
            len(self.pending_jobs()),
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
                "huge": self.post(b'{"x": "' + b"a" * (2 * 1024 * 1024) + b'"}'),
                # A form body is never parsed before the secret is checked.
                "huge form": self.post(
                    b"a=" + b"b" * (2 * 1024 * 1024),
                    secret="forged-secret",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                ),
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
                "huge": 413,
                "huge form": 413,
            },
        )
        for response in cases.values():
            self.assertNotIn("Traceback", response.text)
        # Odoo itself refuses both huge bodies (the route's limit), before
        # this addon's code reads a byte of them.
        self.assertEqual(len(logs.records), len(cases) - 2)
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

    def test_an_update_this_version_cannot_read_is_kept_and_acknowledged(self):
        # A message_created whose sender changed shape (an API change).
        changed = self.fake.resident_message(RESIDENT, "Сломан звонок")
        changed["message"]["sender"] = {"id": RESIDENT, "first_name": "Анна"}
        wrong_types = {"update_type": 5, "timestamp": "x"}
        logger = "odoo.addons.helpdesk_gis_zhkh_max.models.max_update"
        with self.assertLogs(logger, logging.WARNING):
            self.assertEqual(self.post(changed).status_code, 200)
            self.assertEqual(self.post(wrong_types).status_code, 200)
        self.assertEqual(self.post(changed).status_code, 200)  # MAX repeats
        stored = self.env["max.update"].search([], order="id")
        self.assertEqual(len(stored), 2)
        self.assertEqual(set(stored.mapped("state")), {"failed"})
        self.assertIn("user_id missing", stored[0].error)
        self.assertEqual(json.loads(stored[0].payload), changed)
        self.assertEqual(stored[0].chat_key, "?")
        self.assertEqual(stored[0].update_type, "message_created")
        # The manager sees it: the bot is degraded, not silently fine.
        health = self.env["helpdesk.integration.health"].health_data()
        mine = next(
            h for h in health if h["kind"] == "max" and h["id"] == self.gateway.id
        )
        self.assertEqual(mine["updates_failed"], 2)
        self.assertEqual(mine["state"], "degraded")
        # The resident's next message is handled as usual.
        self.deliver(self.fake.resident_message(RESIDENT, "Повторяю: сломан звонок"))
        self.assertEqual(len(self.dialog().ticket_ids), 1)

    def test_a_changed_optional_field_loses_nothing(self):
        update = self.fake.resident_message(RESIDENT, "Вот акт", first_name="Анна")
        document = self.fake.file_attachment("акт.pdf", b"%PDF act", "file")
        document["size"] = "8"  # a number became a string
        update["message"]["sender"]["username"] = {"new": "shape"}
        update["message"]["body"]["seq"] = "7"
        update["message"]["body"]["attachments"] = [
            document,
            {"type": "location", "latitude": 56.86, "longitude": 35.9},
        ]
        self.assertEqual(self.deliver(update), [200])
        stored = self.env["max.update"].search([])
        self.assertEqual(stored.state, "done")
        ticket = self.dialog().ticket_ids
        comment = ticket.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertIn("Вот акт", comment.body)
        self.assertEqual(comment.attachment_ids.raw, b"%PDF act")
        # What the bot does not read is named for the staff.
        notes = ticket.message_ids.filtered(lambda m: "location" in (m.body or ""))
        self.assertEqual(len(notes), 1)
        self.assertEqual(notes.subtype_id, self.env.ref("mail.mt_note"))

    def send_with_file(self, text, content, kind="image", **fake_file):
        update = self.fake.resident_message(RESIDENT, text)
        attachment = self.fake.file_attachment("file", content, kind, **fake_file)
        update["message"]["body"]["attachments"] = [attachment]
        return update, urlsplit(attachment["payload"]["url"]).path

    def notes(self, ticket):
        return ticket.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("mail.mt_note")
        ).mapped("body")

    def test_a_file_max_cannot_find_becomes_a_note_the_message_goes_on(self):
        update, path = self.send_with_file("Сломан звонок", b"JPEG")
        self.fake.fail_next(100, path=path, status=404, code="not.found")
        self.deliver(update)
        stored = self.env["max.update"].search([])
        self.assertEqual(stored.state, "done")
        ticket = self.dialog().ticket_ids
        comment = ticket.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertIn("Сломан звонок", comment.body)
        self.assertFalse(comment.attachment_ids)
        self.assertTrue(any("could not serve" in n for n in self.notes(ticket)))

    def test_a_video_over_the_limit_becomes_a_note_and_blocks_nothing(self):
        self.gateway.max_file_limit_mb = 1
        video = b"\x00" * (1024 * 1024 + 10)  # MAX says no size for videos
        update, _path = self.send_with_file("Вот видео протечки", video, "video")
        self.deliver(update, run=False)
        self.deliver(self.fake.resident_message(RESIDENT, "Жду ответа"), run=False)
        self.run_jobs()
        self.assertEqual(
            set(self.env["max.update"].search([]).mapped("state")), {"done"}
        )
        ticket = self.dialog().ticket_ids
        comments = ticket.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(comments), 2)
        self.assertFalse(comments.attachment_ids)
        self.assertTrue(any("larger than the limit" in n for n in self.notes(ticket)))

    def test_a_file_max_fails_to_serve_for_a_while_follows_later(self):
        update, path = self.send_with_file("Фото протечки", b"\xff\xd8JPEG")
        self.fake.fail_next(2, path=path, status=503)
        self.deliver(update, run=False)
        self.run_jobs(due_only=True)
        # The message is in the ticket at once, its file follows.
        ticket = self.dialog().ticket_ids
        comment = ticket.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertIn("Фото протечки", comment.body)
        self.assertFalse(comment.attachment_ids)
        self.assertEqual(self.env["max.update"].search([]).state, "done")
        self.run_jobs()
        self.assertEqual(comment.attachment_ids.raw, b"\xff\xd8JPEG")
        self.assertFalse(self.notes(ticket))

    def test_a_file_max_keeps_failing_to_serve_is_named_after_bounded_tries(self):
        update, path = self.send_with_file("Фото подвала", b"JPEG")
        self.fake.fail_next(100, path=path, status=502)
        self.deliver(update)
        ticket = self.dialog().ticket_ids
        tries = [c for c, _q, _b in self.fake.sent if c == f"GET {path}"]
        self.assertEqual(len(tries), 5)
        self.assertTrue(any("kept failing" in n for n in self.notes(ticket)))
        self.assertFalse(self.pending_jobs())

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

    def test_who_joins_a_house_chat_leaves_no_trace(self):
        chat = -100500
        partners = self.env["res.partner"].with_context(active_test=False)
        before = partners.search_count([])
        for number in range(5):
            neighbour = self.fake.user(80000 + number, first_name=f"Сосед {number}")
            for update_type in ("user_added", "user_removed"):
                event = {
                    "update_type": update_type,
                    "timestamp": 1 + number,
                    "chat_id": chat,
                    "user": neighbour,
                    "inviter_id": RESIDENT,
                    "is_channel": False,
                }
                self.assertEqual(self.deliver(event), [200])
        renamed = {
            "update_type": "chat_title_changed",
            "timestamp": 9,
            "chat_id": chat,
            "user": self.fake.user(RESIDENT),
            "title": "Дом 5",
        }
        self.assertEqual(self.deliver(renamed), [200])
        # Someone unknown mutes a dialog they never had: nothing made.
        muted = {
            "update_type": "dialog_muted",
            "timestamp": 10,
            "chat_id": 777,
            "user": self.fake.user(RESIDENT + 7),
            "muted_until": 0,
        }
        self.assertEqual(self.deliver(muted), [200])
        self.assertEqual(
            self.env["max.update"].search_count(
                [("chat_key", "!=", "u%s" % (RESIDENT + 7))]
            ),
            0,
        )
        self.assertEqual(self.env["max.dialog"].search_count([]), 0)
        self.assertEqual(partners.search_count([]), before)

    def test_keywords_match_at_the_start_of_words(self):
        chat = -100501
        for text in ("Кто идёт в магазин?", "Газета пришла", "Пахнет газом!"):
            self.deliver(self.fake.group_message(chat, RESIDENT, text))
        alerts = self.env["max.chat.alert"].search([])
        self.assertEqual(alerts.mapped("text"), ["Пахнет газом!"])
        self.assertEqual(alerts.keyword, "газ")


@tagged("post_install", "-at_install")
class TestMaxDeliveriesSideBySide(WorkersCase):
    """Two deliveries of one update in two HTTP workers at the same instant,
    each in its own transaction as Odoo's prefork server runs them."""

    def setUp(self):
        super().setUp()
        with self.committed() as env:
            self.gateway_id = (
                env["mail.gateway"]
                .create(
                    {
                        "name": "Side by side bot",
                        "gateway_type": "max",
                        "token": "side-by-side-token",
                        "max_api_url": CLOSED_URL,
                    }
                )
                .id
            )

    def drop_committed_data(self):
        with self.committed() as env:
            env["queue.job"].search(
                [("identity_key", "=", f"max-dispatch-{self.gateway_id}")]
            ).unlink()
            env["max.update"].search([("gateway_id", "=", self.gateway_id)]).unlink()
            env["mail.gateway"].browse(self.gateway_id).unlink()

    def store(self, env, data):
        gateway = env["mail.gateway"].browse(self.gateway_id)
        parsed = [(data, max_updates.parse_update(data))]
        return env["max.update"]._store_updates(gateway, parsed)

    def test_the_later_delivery_is_replayed_quietly(self):
        data = fake_max.FakeMax("side-by-side-token").resident_message(
            RESIDENT, "Течёт кран"
        )
        first, second = self.worker(), self.worker()
        # The later request's snapshot is taken before the first one commits.
        second.cr.execute("SELECT 1 FROM max_update LIMIT 1")
        self.assertEqual(self.store(first, data), 1)
        first.cr.commit()
        # PostgreSQL refuses the second INSERT: Odoo replays the request. Not
        # an error to log (Odoo's "bad query" line would hold the resident's
        # message in the server's log).
        with (
            self.assertNoLogs("odoo.sql_db", logging.ERROR),
            self.assertRaises(psycopg2.errors.SerializationFailure),
        ):
            self.store(second, data)
        second.cr.rollback()
        # The replay acknowledges a duplicate; one update is kept.
        self.assertEqual(self.store(second, data), 0)
        self.assertEqual(
            second["max.update"].search_count([("gateway_id", "=", self.gateway_id)]),
            1,
        )

    def test_a_chat_job_on_a_snapshot_older_than_another_jobs_runs_again(self):
        data = fake_max.FakeMax("side-by-side-token").resident_message(
            RESIDENT, "Течёт кран"
        )
        with self.committed() as env:
            self.store(env, data)
        earlier, later = self.worker(), self.worker()
        # The later job's snapshot is taken at its first query, before it
        # waits for the chat's lock, while the earlier job still holds it.
        later.cr.execute("SELECT 1 FROM max_update LIMIT 1")
        # The earlier job handles the chat and commits (releasing the lock).
        earlier.cr.execute(
            "UPDATE max_update SET state = 'done' WHERE gateway_id = %s",
            [self.gateway_id],
        )
        earlier.cr.commit()
        # The later job must not handle the update again from its stale
        # snapshot: it fails at once, quietly, and queue_job runs it again.
        with (
            self.assertNoLogs("odoo.sql_db", logging.ERROR),
            self.assertRaises(psycopg2.errors.SerializationFailure),
        ):
            later["max.update"]._job_process_chat(self.gateway_id, f"u{RESIDENT}")
        later.cr.rollback()
        update = later["max.update"].search([("gateway_id", "=", self.gateway_id)])
        self.assertEqual((update.state, update.attempts), ("done", 0))
        self.assertEqual(
            later["max.update"]._job_process_chat(self.gateway_id, f"u{RESIDENT}"),
            "Nothing pending",
        )
