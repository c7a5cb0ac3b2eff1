# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from ..tools import max_dialog
from .common import view_fields
from .max_common import RESIDENT, MaxCase


class TestMaxGateway(MaxCase):
    """Subscription, long polling, configuration and access."""

    def test_the_check_subscribes_again_when_max_dropped_the_webhook(self):
        self.assertEqual(len(self.fake.subscriptions), 1)
        self.fake.subscriptions.clear()  # MAX gave up after 8 h of failures
        self.env["mail.gateway"]._cron_max_check_subscriptions()
        self.assertEqual(len(self.fake.subscriptions), 1)
        self.assertEqual(self.fake.subscriptions[0]["url"], self.gateway.webhook_url)
        self.assertTrue(self.gateway.max_subscribed)
        self.assertTrue(self.gateway.max_checked_at)
        self.fake.fail_next(20, path="/subscriptions", status=500)
        self.env["mail.gateway"]._cron_max_check_subscriptions()
        self.assertIn("temporary", self.gateway.max_last_error)

    def test_unsubscribe(self):
        self.gateway.action_max_unsubscribe()
        self.assertEqual(self.fake.subscriptions, [])
        self.assertFalse(self.gateway.max_subscribed)
        self.assertFalse(self.gateway.integrated_webhook_state)

    def test_long_polling_without_a_public_webhook(self):
        self.gateway.action_max_unsubscribe()
        self.gateway.max_use_polling = True
        first = self.fake.resident_message(RESIDENT, "Мусор не вывезли")
        self.fake.deliver(first)
        self.fake.deliver(first)  # MAX may repeat itself
        self.fake.deliver(self.fake.resident_message(RESIDENT, "Третий день"))
        self.env["mail.gateway"]._cron_max_poll()
        self.assertEqual(self.gateway.max_poll_marker, "3")
        self.assertEqual(self.env["max.update"].search_count([]), 2)
        self.run_jobs()
        ticket = self.dialog().ticket_ids
        self.assertEqual(len(ticket), 1)
        # Nothing new: the marker stays, nothing is processed twice.
        self.env["mail.gateway"]._cron_max_poll()
        self.assertEqual(self.gateway.max_poll_marker, "3")
        self.assertEqual(self.env["max.update"].search_count([]), 2)

    def test_texts_are_edited_without_code(self):
        welcome = self.gateway.max_text_ids.filtered(lambda t: t.key == "welcome")
        self.assertTrue(welcome)
        keys = [
            key for key, _label in self.env["max.bot.text"]._fields["key"].selection
        ]
        # Every text the conversation uses can be edited, and only those.
        self.assertEqual(set(keys), set(max_dialog.TEXT_FIELDS))
        self.assertEqual(set(self.gateway.max_text_ids.mapped("key")), set(keys))
        manager = new_test_user(
            self.env,
            login="max_texts_manager",
            groups="helpdesk_mgmt.group_helpdesk_manager",
        )
        welcome.with_user(manager).text = "Здравствуйте! Бот УК «Уют»."
        with self.assertRaises(AccessError):
            self.gateway.with_user(manager).read(["token"])
        self.deliver(self.fake.resident_starts(RESIDENT))
        self.assertTrue(self.texts()[-1].startswith("Здравствуйте! Бот УК «Уют»."))

    def test_access_of_staff_and_residents(self):
        self.deliver(self.fake.resident_message(RESIDENT, "Шумят соседи"))
        dialog = self.dialog()
        dispatcher = new_test_user(
            self.env,
            login="max_dispatcher",
            groups="helpdesk_mgmt.group_helpdesk_user",
        )
        self.assertEqual(
            dialog.with_user(dispatcher).read(["name"])[0]["name"], "Жилец"
        )
        with self.assertRaises(AccessError):
            self.env["max.update"].with_user(dispatcher).search([])
        with self.assertRaises(AccessError):
            self.env["mail.gateway"].with_user(dispatcher).search([])
        portal = new_test_user(self.env, login="max_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            self.env["max.dialog"].with_user(portal).search([])
        with self.assertRaises(AccessError):
            dialog.ticket_ids.with_user(portal).read(["name"])

    def test_gateway_form_shows_the_max_settings(self):
        shown = view_fields(self.env, "mail.gateway", "form")
        self.assertTrue(
            {
                "max_api_url",
                "max_official_url",
                "max_dispatcher_phone",
                "max_text_ids",
                "max_group_keywords",
                "max_use_polling",
            }
            <= shown
        )
        ticket_fields = view_fields(self.env, "helpdesk.ticket", "form")
        self.assertIn("max_dialog_id", ticket_fields)
        self.assertIn("max_delivery_failed", ticket_fields)

    def test_building_notice_reaches_residents_of_the_buildings_only(self):
        other_house = self.env["gis.zhkh.house"].create({"name": "ул. Мира, 1"})
        self.gateway.max_house_ids = [(4, other_house.id)]
        residents = [RESIDENT, RESIDENT + 1, RESIDENT + 2, RESIDENT + 3]
        for user_id in residents:
            self.deliver(self.fake.resident_message(user_id, "Здравствуйте"))
            dialog = self.dialog(user_id)
            dialog.house_id = self.house if user_id != RESIDENT + 3 else other_house
        self.dialog(RESIDENT + 1).notices = False
        self.fake.fail_next(1, path="/messages", status=403, code="chat.denied")
        notice = self.env["max.broadcast"].create(
            {
                "name": "Отключение воды",
                "gateway_id": self.gateway.id,
                "house_ids": [(6, 0, self.house.ids)],
                "text": "3 декабря с 10:00 до 16:00 не будет горячей воды.",
            }
        )
        self.assertEqual(notice.preview_count, 2)
        notice.action_send()
        self.run_jobs()
        self.assertEqual(notice.state, "done")
        self.assertEqual((notice.sent_count, notice.failed_count), (1, 1))
        got = [
            user_id
            for user_id in residents
            if "горячей воды" in "\n".join(self.texts(user_id))
        ]
        self.assertEqual(len(got), 1)
        self.assertIn("delivered", notice.message_ids[0].body)
        # Every request the notice made was a valid one for the API.
        self.assertFalse(self.fake.invalid, self.fake.invalid)

    def test_a_new_bot_speaks_russian(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"].search(
            [("name", "=", "helpdesk_gis_zhkh_max")]
        )._update_translations(["ru_RU"])
        self.gateway.max_text_ids.unlink()
        self.gateway._max_seed_texts()
        self.deliver(self.fake.resident_starts(RESIDENT))
        welcome = self.texts()[-1]
        self.assertTrue(welcome.startswith("Здравствуйте!"), welcome)
        self.assertIn("ГИС ЖКХ", welcome)
        dialog = self.dialog()
        dialog.partner_id.lang = "ru_RU"
        self.deliver(self.fake.resident_message(RESIDENT, "Нет отопления"))
        ticket = dialog.ticket_ids
        ticket.stage_id = self.env.ref(
            "helpdesk_mgmt.helpdesk_ticket_stage_in_progress"
        )
        self.run_jobs()
        self.assertIn(f"Ваша заявка № {ticket.number}", self.texts()[-1])

    def test_a_bot_of_another_company_works_in_it(self):
        other = self.env["res.company"].create({"name": "УК «Второй дом»"})
        self.gateway.company_id = other
        bot = self.env.ref("helpdesk_gis_zhkh_max.user_max_bot")
        self.assertIn(other, bot.company_ids)
        self.deliver(self.fake.resident_message(RESIDENT, "Течёт кран"))
        ticket = self.dialog().ticket_ids
        self.assertEqual(ticket.company_id, other)
        self.assertEqual(self.env["max.update"].search([]).state, "done")
