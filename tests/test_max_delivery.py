# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Every message to MAX is sent once: over real HTTP against the fake MAX,
when its answers are lost, when it rate-limits, when it refuses the token."""

import datetime
import itertools
from email.utils import format_datetime

from markupsafe import Markup

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user
from odoo.tools import mute_logger

from odoo.addons.queue_job.exception import RetryableJobError

from .common import view_fields
from .max_common import RESIDENT, TOKEN, MaxCase

MUTED = (
    "odoo.addons.helpdesk_gis_zhkh_max.models.max_sending",
    "odoo.addons.helpdesk_gis_zhkh_max.models.max_delivery_mixin",
    "odoo.addons.helpdesk_gis_zhkh_max.models.mail_gateway_max",
)


class TestMaxDelivery(MaxCase):
    def setUp(self):
        super().setUp()
        self.addCleanup(setattr, self.fake, "token", TOKEN)

    def ticket_of(self, user_id=RESIDENT, text="Нет горячей воды"):
        self.deliver(self.fake.resident_message(user_id, text))
        return self.dialog(user_id).ticket_ids

    def reply(self, ticket, body, **kwargs):
        message = ticket.message_post(
            body=body, message_type="comment", subtype_xmlid="mail.mt_comment", **kwargs
        )
        notification = message.notification_ids.filtered(
            lambda n: n.notification_type == "gateway"
        )
        return message, notification

    def count(self, text, user_id=RESIDENT):
        return self.texts(user_id).count(text)

    def job_of(self, lane):
        return self.env["queue.job"].search(
            [("identity_key", "=", f"max-send-{self.gateway.id}-{lane}")],
            order="id desc",
            limit=1,
        )

    # -- 1. at most once and at least once --

    @mute_logger(*MUTED)
    def test_a_lost_answer_is_found_in_the_chat_not_sent_again(self):
        ticket = self.ticket_of()
        self.fake.fail_next(lost_answer=True, path="/messages")
        _message, notification = self.reply(ticket, "Бригада будет к 15:00")
        self.run_jobs(due_only=True)
        # MAX took it, the answer was lost: not known yet, not sent again.
        part = self.outbox(kind="staff")
        self.assertEqual(part.state, "sending")
        self.assertEqual(self.count("Бригада будет к 15:00"), 1)
        self.assertEqual(notification.notification_status, "ready")
        # An answer might still come: nobody asks MAX yet.
        self.run_jobs(due_only=True)
        self.assertEqual(part.state, "sending")
        self.age_sending()
        self.run_jobs()
        self.assertEqual(part.state, "sent")
        self.assertEqual(self.count("Бригада будет к 15:00"), 1)
        self.assertTrue(part.max_message_id)
        self.assertEqual(notification.notification_status, "sent")
        self.assertEqual(notification.gateway_message_id, part.max_message_id)
        self.assertIn("GET /messages", [call for call, _q, _b in self.fake.sent])

    @mute_logger(*MUTED)
    def test_a_call_max_never_got_is_sent_once_after_checking(self):
        ticket = self.ticket_of()
        self.fake.fail_next(drop=True, path="/messages")
        self.reply(ticket, "Проверим сегодня")
        self.run_jobs(due_only=True)
        self.assertEqual(self.count("Проверим сегодня"), 0)
        self.age_sending()
        self.run_jobs()
        self.assertEqual(self.count("Проверим сегодня"), 1)
        self.assertEqual(self.outbox(kind="staff").state, "sent")

    @mute_logger(*MUTED)
    def test_a_long_reply_remembers_which_part_went_out(self):
        ticket = self.ticket_of()
        attachment = self.env["ir.attachment"].create(
            {"name": "акт.pdf", "raw": b"%PDF-1.4 act", "mimetype": "application/pdf"}
        )
        paragraphs = [f"Пункт {n}. " + "Осмотр " * 450 for n in range(1, 4)]
        # The second part fails: the first is never sent again.
        self.fake.fail_next(after=1, path="/messages", status=503)
        _message, notification = self.reply(
            ticket,
            Markup("").join(Markup("<p>%s</p>") % p for p in paragraphs),
            attachment_ids=attachment.ids,
        )
        parts = self.outbox(kind="staff")
        self.assertEqual(len(parts), 3)
        self.assertEqual(parts.mapped("part"), [1, 2, 3])
        self.assertEqual(parts[-1].attachment_ids, attachment)
        self.run_jobs(due_only=True)
        self.assertEqual(parts.mapped("state"), ["sent", "queued", "queued"])
        self.assertIn("503", parts[1].error)
        self.run_jobs()
        self.assertEqual(parts.mapped("state"), ["sent"] * 3)
        sent = [t for t in self.texts() if t.startswith("Пункт")]
        self.assertEqual(
            [t.split(".")[0] for t in sent], ["Пункт 1", "Пункт 2", "Пункт 3"]
        )
        self.assertEqual(len(self.fake.uploads), 1)
        self.assertEqual(
            self.fake.messages[-1]["body"]["attachments"][0]["type"], "file"
        )
        self.assertEqual(notification.notification_status, "sent")
        self.assertFalse(self.fake.invalid, self.fake.invalid)

    @mute_logger(*MUTED)
    def test_a_building_notice_line_lost_answer_is_found(self):
        self.ticket_of()
        dialog = self.dialog()
        dialog.house_id = self.house
        notice = self.env["max.broadcast"].create(
            {
                "name": "Отключение воды",
                "gateway_id": self.gateway.id,
                "house_ids": [(6, 0, self.house.ids)],
                "text": "Завтра не будет воды.",
            }
        )
        self.fake.fail_next(lost_answer=True, path="/messages")
        notice.action_send()
        self.run_jobs(due_only=True)
        self.assertEqual(notice.line_ids.state, "sending")
        self.age_sending()
        self.run_jobs()
        self.assertEqual(notice.line_ids.state, "sent")
        self.assertEqual(notice.state, "done")
        self.assertEqual(self.count("Завтра не будет воды."), 1)

    def test_answers_of_successive_turns_arrive_in_order(self):
        self.deliver(self.fake.resident_starts(RESIDENT), run=False)
        self.deliver(self.fake.resident_message(RESIDENT, "Течёт кран"), run=False)
        self.deliver(self.fake.resident_message(RESIDENT, "И в ванной"), run=False)
        # The first answer is refused for a while: the later ones wait.
        self.fake.fail_next(path="/messages", status=503)
        self.run_jobs()
        answers = self.outbox(dialog_id=self.dialog().id).filtered(
            lambda r: r.kind != "callback"
        )
        self.assertEqual(answers.mapped("state"), ["sent"] * len(answers))
        self.assertEqual(self.texts(), answers.mapped("text"))
        self.assertIn("not the official channel", self.texts()[0])

    # -- 2. one path for a staff reply --

    def identified_ticket(self):
        ticket = self.ticket_of()
        contact = self.fake.contact_attachment(RESIDENT, "+79161112233", "Анна")
        self.deliver(self.fake.resident_message(RESIDENT, "", [contact]))
        channel = self.env["res.partner.gateway.channel"].search(
            [("partner_id", "=", ticket.partner_id.id)]
        )
        self.assertEqual(len(channel), 1)
        return ticket, channel

    def test_a_reply_through_mail_gateways_composer_is_sent_once(self):
        ticket, channel = self.identified_ticket()
        message, notification = self.reply(
            ticket,
            "Ответ через шлюз",
            gateway_notifications=[
                {
                    "partner_id": ticket.partner_id.id,
                    "channel_type": "gateway",
                    "gateway_channel_id": channel.id,
                }
            ],
        )
        self.assertEqual(len(notification), 1)
        self.assertEqual(notification.notification_status, "ready")
        self.run_jobs()
        self.assertEqual(self.count("Ответ через шлюз"), 1)
        notification.invalidate_recordset()
        self.assertEqual(notification.notification_status, "sent")
        # One delivery state: no second, already "sent", copy.
        self.assertEqual(len(message.gateway_notification_ids), 1)
        # mail_gateway's send wizard on the same message sends nothing again.
        self.env["mail.message.gateway.send"].create(
            {
                "message_id": message.id,
                "partner_id": ticket.partner_id.id,
                "gateway_channel_id": channel.id,
            }
        ).send()
        self.run_jobs()
        self.assertEqual(self.count("Ответ через шлюз"), 1)
        self.assertEqual(len(message.gateway_notification_ids), 1)

    def test_a_reply_written_in_discuss_is_sent_once(self):
        self.ticket_of()
        channel = self.dialog()._channel()
        channel.message_post(body="Из Discuss", message_type="comment")
        self.run_jobs()
        self.assertEqual(self.count("Из Discuss"), 1)

    # -- 3. rate limits --

    @mute_logger(*MUTED)
    def test_429_requeues_the_job_at_retry_after_without_sleeping(self):
        ticket = self.ticket_of()
        before = len(self.fake.sent)
        self.fake.fail_next(path="/messages", status=429, retry_after="60")
        _message, notification = self.reply(ticket, "Ответ после паузы")
        lane = self.dialog()._lane()
        self.run_jobs(due_only=True)
        job = self.job_of(lane)
        self.assertEqual(job.state, "pending")
        wait = (job.eta - datetime.datetime.now()).total_seconds()
        # Wide margins: a loaded machine may take seconds between the calls.
        self.assertTrue(40 <= wait <= 61, wait)
        self.assertNotIn(60, [round(s) for s in self.sleeps])
        part = self.outbox(kind="staff")
        self.assertEqual((part.state, part.attempts), ("queued", 0))
        # Every worker of the bot waits: run early, nothing is called.
        calls = len(self.fake.sent)
        with self.assertRaises(RetryableJobError) as held:
            self.env["max.outbox"]._job_send_lane(self.gateway.id, lane)
        self.assertGreater(held.exception.seconds, 30)
        self.assertEqual(len(self.fake.sent), calls)
        self.release_hold()
        self.run_jobs()
        self.assertEqual(self.count("Ответ после паузы"), 1)
        self.assertEqual(notification.notification_status, "sent")
        self.assertGreater(len(self.fake.sent), before)

    def release_hold(self):
        self.env.flush_all()
        self.env.cr.execute("UPDATE max_sending SET hold_until = NULL")

    @mute_logger(*MUTED)
    def test_429_with_an_http_date(self):
        ticket = self.ticket_of()
        when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=90)
        self.fake.fail_next(
            path="/messages", status=429, retry_after=format_datetime(when, usegmt=True)
        )
        self.reply(ticket, "Ответ позже")
        self.run_jobs(due_only=True)
        job = self.job_of(self.dialog()._lane())
        wait = (job.eta - datetime.datetime.now()).total_seconds()
        self.assertTrue(80 <= wait <= 91, wait)
        self.release_hold()
        self.run_jobs()
        self.assertEqual(self.count("Ответ позже"), 1)

    def test_the_pace_is_the_bots_across_clients(self):
        """Two clients (two workers) of one bot share its slots."""
        self.gateway.max_rate = 10
        first = self.gateway._max_client()
        second = self.gateway._max_client()
        self.sleeps.clear()
        for client in (first, second, first, second, first):
            client.throttle.wait()
        # Each call waits for the slot after the previous one, whichever
        # client made it (nothing slept here: the slots pile up).
        waits = self.sleeps[-4:]
        self.assertEqual(len(waits), 4, self.sleeps)
        for earlier, later in itertools.pairwise(waits):
            self.assertAlmostEqual(later - earlier, 0.1, delta=0.03)

    # -- 4. a refused token --

    @mute_logger(*MUTED)
    def test_a_refused_token_pauses_sending_and_resume_sends_everything_once(self):
        ticket = self.ticket_of()
        other = self.ticket_of(RESIDENT + 1, "Не работает домофон")
        for user_id in (RESIDENT, RESIDENT + 1, RESIDENT + 2):
            self.deliver(self.fake.resident_message(user_id, "Здравствуйте"))
            self.dialog(user_id).house_id = self.house
        sent_before = {u: list(self.texts(u)) for u in (RESIDENT, RESIDENT + 1)}
        self.fake.token = "revoked-token"  # MAX refuses ours from now on
        self.reply(ticket, "Первый ответ")
        self.reply(ticket, "Второй ответ")
        _message, notification = self.reply(other, "Ответ соседу")
        notice = self.env["max.broadcast"].create(
            {
                "name": "Уборка",
                "gateway_id": self.gateway.id,
                "house_ids": [(6, 0, self.house.ids)],
                "text": "В субботу уборка двора.",
            }
        )
        notice.action_send()
        self.run_jobs()
        self.assertTrue(self.gateway.max_paused)
        self.assertIn("refused", self.gateway.max_paused_reason)
        self.assertEqual(self.gateway.health_state, "down")
        health = self.env["helpdesk.integration.health"].health_data()
        mine = next(
            h for h in health if h["kind"] == "max" and h["id"] == self.gateway.id
        )
        self.assertEqual(mine["state"], "down")
        self.assertIn("refused", mine["reason"])
        # Nothing dropped, nothing failed: all of it waits.
        self.assertEqual(set(self.outbox(kind="staff").mapped("state")), {"queued"})
        self.assertEqual(set(notice.line_ids.mapped("state")), {"queued"})
        self.assertEqual(notice.failed_count, 0)
        self.assertEqual(notification.notification_status, "ready")
        # The first refusal stopped every sender: no call per recipient.
        self.assertEqual(self.fake.refused, 1)
        with self.assertRaises(UserError):
            self.gateway.action_max_resume()  # still refused
        # A new token is saved: everything goes out once, in order.
        self.fake.token = "new-token_0123456789"
        self.gateway.token = "new-token_0123456789"
        self.assertFalse(self.gateway.max_paused)
        self.run_jobs()
        self.assertEqual(
            self.texts(RESIDENT)[len(sent_before[RESIDENT]) :],
            ["Первый ответ", "Второй ответ", "В субботу уборка двора."],
        )
        self.assertEqual(self.count("Ответ соседу", RESIDENT + 1), 1)
        self.assertEqual(notice.state, "done")
        self.assertEqual(notice.sent_count, 3)
        self.assertEqual(notification.notification_status, "sent")
        self.gateway.token = TOKEN

    @mute_logger(*MUTED)
    def test_a_403_for_one_chat_does_not_pause_the_bot(self):
        ticket = self.ticket_of()
        self.fake.fail_next(path="/messages", status=403, code="chat.denied")
        _message, notification = self.reply(ticket, "Не дойдёт")
        self.run_jobs()
        self.assertFalse(self.gateway.max_paused)
        self.assertEqual(notification.notification_status, "exception")
        self.assertIn("chat.denied", notification.failure_reason)

    @mute_logger(*MUTED)
    def test_a_403_on_every_call_is_a_refused_token(self):
        ticket = self.ticket_of()
        self.fake.fail_next(2, status=403, code="access.denied")
        self.reply(ticket, "Подождёт")
        self.run_jobs()
        self.assertTrue(self.gateway.max_paused)
        self.assertEqual(self.outbox(kind="staff").state, "queued")
        self.gateway.action_max_resume()
        self.run_jobs()
        self.assertEqual(self.count("Подождёт"), 1)

    @mute_logger(*MUTED)
    def test_unintegrating_works_when_max_refuses(self):
        self.fake.token = "revoked-token"
        self.gateway.remove_webhook()
        self.assertFalse(self.gateway.integrated_webhook_state)
        self.assertFalse(self.gateway.max_subscribed)
        self.assertIn("did not confirm", self.gateway.max_last_error)

    # -- who sees what was sent --

    def test_messages_sent_are_for_managers(self):
        ticket = self.ticket_of()
        self.reply(ticket, "Личное")
        self.run_jobs()
        shown = view_fields(self.env, "mail.gateway", "form")
        self.assertTrue(
            {"max_rate", "max_paused_reason", "max_held_count", "max_failed_count"}
            <= shown
        )
        manager = new_test_user(
            self.env,
            login="outbox_manager",
            groups="helpdesk_mgmt.group_helpdesk_manager",
        )
        dispatcher = new_test_user(
            self.env,
            login="outbox_dispatcher",
            groups="helpdesk_mgmt.group_helpdesk_user",
        )
        portal = new_test_user(
            self.env, login="outbox_portal", groups="base.group_portal"
        )
        self.assertIn(
            "Личное",
            self.env["max.outbox"].with_user(manager).search([]).mapped("text"),
        )
        for user in (dispatcher, portal):
            with self.assertRaises(AccessError):
                self.env["max.outbox"].with_user(user).search([])
            with self.assertRaises(AccessError):
                self.env["max.sending"].with_user(user).search([])
        with self.assertRaises(AccessError):
            self.gateway.with_user(manager).action_max_resume()

    @mute_logger(*MUTED)
    def test_a_token_refused_to_the_subscription_check_pauses_too(self):
        self.fake.token = "revoked-token"
        self.env["mail.gateway"]._cron_max_check_subscriptions()
        self.assertTrue(self.gateway.max_paused)
        self.assertIn("refused", self.gateway.max_last_error)
