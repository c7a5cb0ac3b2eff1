# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from .max_common import RESIDENT, MaxCase
from .test_views import filter_domain


class TestMaxConversation(MaxCase):
    """A resident's conversation with the bot, over the real webhook route."""

    def test_whole_conversation(self):
        fake = self.fake
        self.assertEqual(self.deliver(fake.resident_starts(RESIDENT)), [200])
        welcome = self.texts()[-1]
        self.assertIn("not the official channel", welcome)

        # A request with a photo before the resident is known: not lost.
        photo = fake.file_attachment("leak.jpg", b"\xff\xd8\xffJPEG", "image")
        self.deliver(
            fake.resident_message(
                RESIDENT, "Течёт потолок в ванной", [photo], first_name="Анна"
            )
        )
        dialog = self.dialog()
        ticket = dialog.ticket_ids
        self.assertEqual(len(ticket), 1)
        self.assertEqual(
            ticket.channel_id, self.env.ref("helpdesk_gis_zhkh_max.channel_max")
        )
        self.assertEqual(ticket.team_id, self.team)
        message = ticket.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(message), 1)
        self.assertIn("Течёт потолок", message.body)
        self.assertEqual(len(message.attachment_ids), 1)
        self.assertEqual(message.attachment_ids.raw, b"\xff\xd8\xffJPEG")
        self.assertEqual(message.author_id, dialog.partner_id)
        replies = self.texts()
        self.assertIn(ticket.number, replies[-2])
        self.assertEqual(dialog.step, "contact")

        # The resident shares their own contact: identified, asked building.
        contact = fake.contact_attachment(RESIDENT, "+79161234567", "Анна Петрова")
        self.deliver(fake.resident_message(RESIDENT, "", [contact]))
        self.assertTrue(dialog.identified)
        self.assertEqual(dialog.partner_id.phone_sanitized, "+79161234567")
        self.assertEqual(ticket.partner_id, dialog.partner_id)
        self.assertEqual(dialog.step, "house")

        self.deliver(fake.resident_presses(RESIDENT, f"h:{self.house.id}"))
        self.assertEqual(dialog.house_id, self.house)
        self.assertEqual(ticket.gis_house_id, self.house)
        self.deliver(fake.resident_message(RESIDENT, "12"))
        self.assertEqual((dialog.flat, ticket.gis_premise_number), ("12", "12"))
        self.assertEqual(dialog.step, "")
        self.assertFalse(fake.invalid, fake.invalid)

    def test_a_known_resident_is_found_not_duplicated(self):
        known = self.env["res.partner"].create(
            {"name": "Анна Петрова", "phone": "+7 916 123-45-67"}
        )
        fake = self.fake
        self.deliver(fake.resident_message(RESIDENT, "Не работает лифт"))
        dialog = self.dialog()
        provisional = dialog.partner_id
        contact = fake.contact_attachment(RESIDENT, "+79161234567", "Анна")
        self.deliver(fake.resident_message(RESIDENT, "", [contact]))
        self.assertEqual(dialog.partner_id, known)
        self.assertEqual(dialog.ticket_ids.partner_id, known)
        self.assertFalse(provisional.active)
        comments = dialog.ticket_ids.message_ids.filtered(
            lambda m: m.message_type == "comment"
        )
        self.assertEqual(comments.author_id, known)

    def test_emergency_is_urgent_at_once_and_shows_the_phone(self):
        fake = self.fake
        self.deliver(fake.resident_starts(RESIDENT))
        self.deliver(fake.resident_presses(RESIDENT, "m:emergency"))
        ticket = self.dialog().ticket_ids
        self.assertEqual(ticket.priority, "3")
        self.assertEqual(
            ticket.category_id, self.env.ref("helpdesk_gis_zhkh_max.category_emergency")
        )
        self.assertIn("+7 4822 00-00-00", "\n".join(self.texts()))
        self.assertEqual(len(fake.callback_answers), 1)

    def test_staff_reply_reaches_max_and_notes_do_not(self):
        fake = self.fake
        self.deliver(fake.resident_message(RESIDENT, "Нет горячей воды"))
        ticket = self.dialog().ticket_ids
        before = len(self.texts())
        ticket.message_post(
            body="Внутренняя заметка",
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        reply = ticket.message_post(
            body="Бригада будет к 15:00",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        notification = reply.notification_ids.filtered(
            lambda n: n.notification_type == "gateway"
        )
        self.assertEqual(notification.notification_status, "ready")
        self.run_jobs()
        self.assertEqual(notification.notification_status, "sent")
        self.assertTrue(notification.gateway_message_id)
        sent = self.texts()[before:]
        self.assertEqual(sent, ["Бригада будет к 15:00"])

    def test_staff_reply_failure_is_visible_and_retried(self):
        fake = self.fake
        self.deliver(fake.resident_message(RESIDENT, "Нет света в подъезде"))
        ticket = self.dialog().ticket_ids
        fake.fail_next(1000, path="/messages", status=503)
        reply = ticket.message_post(
            body="Проверим сегодня",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        notification = reply.notification_ids.filtered(
            lambda n: n.notification_type == "gateway"
        )
        self.run_jobs()
        self.assertEqual(notification.notification_status, "exception")
        self.assertTrue(ticket.max_delivery_failed)
        fake.failures.clear()
        notification.action_max_retry()
        self.run_jobs()
        self.assertEqual(notification.notification_status, "sent")
        self.assertFalse(ticket.max_delivery_failed)

    def test_stage_change_sends_a_notice(self):
        fake = self.fake
        self.deliver(fake.resident_message(RESIDENT, "Сломан домофон"))
        ticket = self.dialog().ticket_ids
        stage = self.env["helpdesk.ticket.stage"].search(
            [("id", "!=", ticket.stage_id.id)], limit=1
        )
        before = len(self.texts())
        ticket.stage_id = stage
        self.run_jobs()
        notice = self.texts()[before:]
        self.assertEqual(len(notice), 1)
        self.assertIn(ticket.number, notice[0])
        self.assertIn(stage.name, notice[0])

    def test_server_action_sends_a_max_message_from_an_automation_rule(self):
        rule = self.env.ref("helpdesk_gis_zhkh_max.automation_max_assigned_notice")
        rule.active = True
        self.deliver(self.fake.resident_message(RESIDENT, "Не горит лампочка"))
        ticket = self.dialog().ticket_ids
        self.assertFalse(ticket.user_id)
        before = len(self.texts())
        ticket.user_id = self.env.ref("base.user_admin")
        self.run_jobs()
        sent = self.texts()[before:]
        self.assertEqual(len(sent), 1)
        self.assertIn(ticket.number, sent[0])
        self.assertIn(self.env.ref("base.user_admin").name, sent[0])
        notes = ticket.message_ids.filtered(lambda m: "Notice sent in MAX" in m.body)
        self.assertEqual(len(notes), 1)
        # A resident who switched notices off gets nothing.
        self.deliver(self.fake.resident_presses(RESIDENT, "n:off"))
        self.assertFalse(self.dialog().notices)
        before = len(self.texts())
        ticket.user_id = False
        ticket.user_id = self.env.ref("base.user_demo")
        self.run_jobs()
        self.assertEqual(self.texts()[before:], [])

    def test_staff_reply_with_a_file_and_a_long_text(self):
        self.deliver(self.fake.resident_message(RESIDENT, "Пришлите акт"))
        ticket = self.dialog().ticket_ids
        before = len(self.fake.messages)
        attachment = self.env["ir.attachment"].create(
            {"name": "акт.pdf", "raw": b"%PDF-1.4 act", "mimetype": "application/pdf"}
        )
        long_text = "Акт осмотра. " * 400  # over 4000 characters
        ticket.message_post(
            body=long_text,
            attachment_ids=attachment.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.run_jobs()
        sent = self.fake.messages[before:]
        self.assertEqual(len(sent), 2)  # the text in two parts, the file last
        self.assertTrue(all(len(m["body"]["text"]) <= 4000 for m in sent))
        files = sent[-1]["body"]["attachments"]
        self.assertEqual(files[0]["type"], "file")
        self.assertIn(b"%PDF-1.4 act", self.fake.uploads.values())
        self.assertFalse(self.fake.invalid, self.fake.invalid)

    def test_a_shared_phone_does_not_make_the_resident_another_person(self):
        father = self.env["res.partner"].create(
            {"name": "Пётр Иванов", "phone": "+7 916 555-03-03"}
        )
        fake = self.fake
        self.deliver(fake.resident_message(RESIDENT, "Не работает звонок"))
        dialog = self.dialog()
        provisional = dialog.partner_id
        contact = fake.contact_attachment(RESIDENT, "+79165550303", "Анна Иванова")
        self.deliver(fake.resident_message(RESIDENT, "", [contact]))
        self.assertTrue(dialog.identified)
        # Her own contact, with the proven phone; not her father's.
        self.assertEqual(dialog.partner_id, provisional)
        self.assertEqual(dialog.partner_id.name, "Анна Иванова")
        self.assertEqual(dialog.partner_id.phone_sanitized, "+79165550303")
        self.assertTrue(father.active)
        ticket = dialog.ticket_ids
        self.assertEqual(ticket.partner_id, provisional)
        self.assertEqual(ticket.resident_other_partner_id, father)

    def test_send_message_never_asks_for_the_residents_email(self):
        """A MAX resident is reached in MAX: the chatter's "Send message"
        suggests no recipient without an e-mail (its composer would ask
        for one, and refuse to send), and the reply still reaches MAX."""
        fake = self.fake
        self.deliver(fake.resident_message(RESIDENT, "Не греют батареи"))
        dialog = self.dialog()
        ticket = dialog.ticket_ids
        self.assertFalse(dialog.partner_id.email)
        follower = self.env["res.partner"].create(
            {"name": "Старший по дому", "email": "senior@example.com"}
        )
        ticket.message_subscribe(follower.ids)
        # What the chatter asks for when "Send message" opens.
        suggested = ticket._message_get_suggested_recipients(
            reply_discussion=True, no_create=True
        )
        self.assertNotIn(dialog.partner_id.id, [r["partner_id"] for r in suggested])
        self.assertTrue(all(r["email"] for r in suggested), suggested)
        # Identified, with an e-mail known from a GIS appeal: reached in MAX
        # still, not mailed a copy.
        dialog.partner_id.email = "anna@example.com"
        suggested = ticket._message_get_suggested_recipients(
            reply_discussion=True, no_create=True
        )
        self.assertNotIn(dialog.partner_id.id, [r["partner_id"] for r in suggested])
        # A ticket of someone else's (a phone call) suggests its customer.
        caller = self.env["res.partner"].create({"name": "Звонивший"})
        phone_ticket = self.env["helpdesk.ticket"].create(
            {"name": "Звонок", "description": "x", "partner_id": caller.id}
        )
        self.assertIn(
            caller.id,
            [
                r["partner_id"]
                for r in phone_ticket._message_get_suggested_recipients(
                    reply_discussion=True
                )
            ],
        )
        before = len(self.texts())
        reply = ticket.message_post(
            body="Мастер придёт завтра",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.run_jobs()
        self.assertEqual(self.texts()[before:], ["Мастер придёт завтра"])
        # The e-mail follower is notified by e-mail, as before; the resident
        # only in MAX (no e-mail notification failing for want of an address).
        by_type = {
            kind: reply.notification_ids.filtered(
                lambda n, kind=kind: n.notification_type == kind
            ).res_partner_id
            for kind in ("email", "gateway")
        }
        self.assertEqual(by_type, {"email": follower, "gateway": dialog.partner_id})

    def test_the_flat_and_entrance_written_first_are_not_asked_again(self):
        fake = self.fake
        texts = self.gateway._max_config().texts
        self.deliver(
            fake.resident_message(
                RESIDENT, "Течёт потолок в ванной, кв. 15, подъезд 2", first_name="Анна"
            )
        )
        dialog = self.dialog()
        ticket = dialog.ticket_ids
        self.assertEqual((dialog.flat, dialog.entrance), ("15", "2"))
        self.assertEqual((ticket.gis_premise_number, ticket.gis_entrance), ("15", "2"))
        contact = fake.contact_attachment(RESIDENT, "+79161234567", "Анна Петрова")
        self.deliver(fake.resident_message(RESIDENT, "", [contact]))
        self.deliver(fake.resident_presses(RESIDENT, f"h:{self.house.id}"))
        self.assertEqual(dialog.step, "")
        self.assertNotIn(texts.ask_flat, self.texts())
        self.assertEqual(self.texts()[-1], texts.complete)
        # The next request of the resident knows where they live.
        self.deliver(fake.resident_presses(RESIDENT, "m:new"))
        self.deliver(fake.resident_message(RESIDENT, "Не работает домофон"))
        newest = dialog.ticket_ids.sorted("id")[-1]
        self.assertNotEqual(newest, ticket)
        self.assertEqual(
            (newest.gis_house_id, newest.gis_premise_number, newest.gis_entrance),
            (self.house, "15", "2"),
        )
        self.assertFalse(fake.invalid, fake.invalid)

    def test_max_requests_are_found_and_counted_in_the_cockpit(self):
        # The organisation reviews what comes through its bot within an hour:
        # a rule on the MAX channel gives its requests a running milestone.
        max_channel = self.env.ref("helpdesk_gis_zhkh_max.channel_max")
        self.env["helpdesk.deadline.rule"].create(
            {
                "name": "Review a MAX message",
                "channel_ids": [(6, 0, max_channel.ids)],
                "milestone_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Review the message",
                            "kind": "reaction",
                            "duration": 1,
                            "unit": "hours",
                            "clock_start": "create_date",
                            "stop_field_id": self.env.ref(
                                "helpdesk_gis_zhkh_max.field_helpdesk_ticket__reacted_at"
                            ).id,
                        },
                    )
                ],
            }
        )
        self.deliver(self.fake.resident_message(RESIDENT, "Не работает домофон"))
        ticket = self.dialog().ticket_ids
        review = ticket.deadline_ids.filtered(lambda d: d.name == "Review the message")
        self.assertEqual(review.state, "running")
        self.assertEqual(ticket.next_deadline, review.deadline)
        cockpit = self.env["helpdesk.deadline.cockpit"]
        totals = cockpit.cockpit_data()["totals"]
        opened = self.env["helpdesk.ticket"].search(
            cockpit.action_open("due_2h", source="max")["domain"]
        )
        self.assertIn(ticket, opened)
        self.assertEqual(totals["due_2h"]["max"], len(opened))
        self.assertEqual(totals["due_2h"]["gis"], 0)
        # At risk: a MAX figure too, the GIS one untouched.
        review.state = "at_risk"
        totals = cockpit.cockpit_data()["totals"]
        self.assertEqual(totals["at_risk"]["max"], 1)
        self.assertEqual(totals["at_risk"]["gis"], 0)
        # The ticket list finds it with "From MAX" and by its channel.
        Ticket = self.env["helpdesk.ticket"]
        from_max = filter_domain(self.env, "helpdesk.ticket", "from_max")
        from_gis = filter_domain(self.env, "helpdesk.ticket", "from_gis")
        self.assertIn(ticket, Ticket.search(from_max))
        self.assertNotIn(ticket, Ticket.search(from_gis))
        search = Ticket.get_view(view_type="search")["arch"]
        self.assertIn('name="channel_id"', search)
        self.assertIn(ticket, Ticket.search([("channel_id", "ilike", "MAX")]))
