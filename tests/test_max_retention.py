# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import importlib.util

from odoo.tools import SQL

from .max_common import ADDON_DIR, RESIDENT, MaxCase


class TestMaxRetention(MaxCase):
    """The organisation's retention of residents' data (152-FZ), set on
    the bot: idle dialogs without an open ticket, contacts the bot created
    for residents never identified once nothing needs them, and failed
    updates are purged by a daily cron, in batches."""

    def age(self, records, days, *columns):
        """Move ``columns`` of ``records`` ``days`` into the past (neither
        create_date nor the bot's own fields are writable as a test would)."""
        self.env.flush_all()
        for column in columns:
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET %s = now() at time zone 'UTC'"
                    " - %s * interval '1 day' WHERE id = ANY(%s)",
                    SQL.identifier(records._table),
                    SQL.identifier(column),
                    days,
                    records.ids,
                )
            )
        self.env.invalidate_all()

    def purge(self, **kwargs):
        return self.env["max.dialog"]._cron_purge_expired(**kwargs)

    def test_residents_data_goes_when_its_retention_is_over(self):
        fake = self.fake
        done = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        self.gateway.write(
            {
                "max_dialog_retention_days": 365,
                "max_contact_retention_days": 30,
                "max_failed_update_retention_days": 90,
            }
        )
        # A resident whose request was answered in MAX and closed long ago.
        self.deliver(fake.resident_message(RESIDENT, "Не горит лампа в подъезде"))
        closed = self.dialog()
        closed_ticket = closed.ticket_ids
        closed_ticket.message_post(
            body="Заменим сегодня",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        closed_ticket.stage_id = done
        # A resident whose request is still open, as idle.
        self.deliver(fake.resident_message(RESIDENT + 1, "Шумит насос"))
        self.deliver(fake.resident_message(RESIDENT + 1, "Очень громко, ночью тоже"))
        waiting = self.dialog(RESIDENT + 1)
        # A resident who started the bot and never wrote anything.
        self.deliver(fake.resident_starts(RESIDENT + 2))
        silent = self.dialog(RESIDENT + 2)
        # An identified resident, their request closed long ago.
        self.deliver(fake.resident_message(RESIDENT + 3, "Протечка с крыши"))
        card = fake.contact_attachment(RESIDENT + 3, "+79160000033", "Иван Петров")
        self.deliver(fake.resident_message(RESIDENT + 3, "", [card]))
        identified = self.dialog(RESIDENT + 3)
        self.assertTrue(identified.identified)
        self.assertFalse(identified.partner_id.max_provisional_gateway_id)
        identified.ticket_ids.stage_id = done
        # A resident of last month whose only request was deleted as spam.
        self.deliver(fake.resident_message(RESIDENT + 4, "Купите слона"))
        recent = self.dialog(RESIDENT + 4)
        recent.ticket_ids.unlink()
        self.run_jobs()

        old = closed | waiting | silent | identified
        self.assertEqual(
            (old | recent).partner_id.filtered("max_provisional_gateway_id"),
            (closed | waiting | silent | recent).partner_id,
        )
        self.age(old, 400, "create_date", "last_message_at")
        self.age(old.partner_id, 400, "create_date")
        self.age(recent.partner_id, 40, "create_date")
        partners = {d: d.partner_id for d in old | recent}
        closed_channel = closed.channel_id
        self.assertTrue(closed_channel)
        links = self.env["res.partner.gateway.channel"].search(
            [("gateway_id", "=", self.gateway.id)]
        )
        self.assertEqual(links.partner_id, identified.partner_id)
        # Updates that failed for good, long ago and lately.
        updates = self.env["max.update"].search(
            [("chat_key", "=", f"u{RESIDENT + 1}")], order="id"
        )
        stale, fresh = updates[0], updates[-1]
        (stale | fresh).write({"state": "failed", "error": "RuntimeError: x"})
        self.age(stale, 100, "create_date")
        self.age(fresh, 10, "create_date")

        counts = self.purge()

        self.assertEqual(counts, {"dialogs": 3, "updates": 1, "contacts": 1})
        self.assertFalse((closed | silent | identified).exists())
        self.assertEqual((waiting | recent).exists(), waiting | recent)
        # The closed requests stay, with their residents (a ticket needs its
        # contact), no longer tied to MAX.
        self.assertTrue(closed_ticket.exists())
        self.assertFalse(closed_ticket.max_dialog_id)
        self.assertTrue(partners[closed].exists())
        self.assertTrue(partners[identified].exists())
        self.assertFalse(partners[silent].exists())
        # Recent, or still a dialog's: kept.
        self.assertTrue(partners[recent].exists())
        self.assertTrue(partners[waiting].exists())
        # The MAX identifiers of the purged dialogs are gone.
        self.assertFalse(closed_channel.exists())
        self.assertFalse(links.exists())
        self.assertFalse(stale.exists())
        self.assertTrue(fresh.exists())
        self.assertEqual(self.purge(), {"dialogs": 0, "updates": 0, "contacts": 0})
        # A resident of a purged dialog who writes again starts afresh.
        self.deliver(fake.resident_message(RESIDENT + 2, "Снова здравствуйте"))
        self.assertEqual(len(self.dialog(RESIDENT + 2).ticket_ids), 1)

    def test_kept_when_switched_off_and_purged_in_batches(self):
        for offset in range(3):
            self.deliver(self.fake.resident_starts(RESIDENT + offset))
        dialogs = self.env["max.dialog"].search([("gateway_id", "=", self.gateway.id)])
        self.assertEqual(len(dialogs), 3)
        self.age(dialogs, 400, "create_date", "last_message_at")
        self.age(dialogs.partner_id, 400, "create_date")
        self.gateway.write(
            {
                "max_dialog_retention_days": 0,
                "max_contact_retention_days": 0,
                "max_failed_update_retention_days": 0,
            }
        )
        self.assertEqual(self.purge(), {"dialogs": 0, "updates": 0, "contacts": 0})
        self.assertEqual(dialogs.exists(), dialogs)
        self.gateway.write(
            {"max_dialog_retention_days": 365, "max_contact_retention_days": 30}
        )
        cron = self.env.ref("helpdesk_gis_zhkh_max.ir_cron_max_retention_purge")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        # Each purged dialog frees its unidentified contact at once.
        self.assertEqual(
            self.purge(batch=2), {"dialogs": 2, "updates": 0, "contacts": 2}
        )
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers,
        )
        self.assertEqual(
            self.purge(batch=2), {"dialogs": 1, "updates": 0, "contacts": 1}
        )
        self.assertEqual(
            self.purge(batch=2), {"dialogs": 0, "updates": 0, "contacts": 0}
        )
        self.assertFalse(dialogs.exists())
        self.assertFalse(
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("max_provisional_gateway_id", "=", self.gateway.id)])
        )

    def test_upgrade_marks_the_contacts_of_unidentified_dialogs(self):
        self.deliver(self.fake.resident_message(RESIDENT, "Нет отопления"))
        card = self.fake.contact_attachment(RESIDENT + 1, "+79160000044", "Ольга")
        self.deliver(self.fake.resident_message(RESIDENT + 1, "Добрый день"))
        self.deliver(self.fake.resident_message(RESIDENT + 1, "", [card]))
        dialogs = self.dialog() | self.dialog(RESIDENT + 1)
        # As a database of the previous version has them: no mark at all.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET max_provisional_gateway_id = NULL"
            " WHERE id = ANY(%s)",
            [dialogs.partner_id.ids],
        )
        path = ADDON_DIR / "migrations/19.0.1.4.0/post-max_provisional_contacts.py"
        spec = importlib.util.spec_from_file_location("max_provisional", path)
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
        script.migrate(self.env.cr, "19.0.1.3.0")
        self.env.invalidate_all()
        self.assertEqual(
            self.dialog().partner_id.max_provisional_gateway_id, self.gateway
        )
        self.assertFalse(
            self.dialog(RESIDENT + 1).partner_id.max_provisional_gateway_id
        )
