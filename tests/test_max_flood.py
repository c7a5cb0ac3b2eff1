# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from .max_common import RESIDENT, MaxCase


class TestMaxFlood(MaxCase):
    """A resident pressing the bot's buttons again and again gets at most
    the bot's number of new tickets per hour, emergencies included; the
    rest lands in their latest ticket, flagged, and nothing is lost."""

    def comments(self, tickets):
        return tickets.message_ids.filtered(lambda m: m.message_type == "comment")

    def test_a_flood_goes_to_the_latest_ticket_flagged_and_nothing_is_lost(self):
        self.gateway.max_tickets_per_hour = 3
        fake = self.fake
        self.deliver(fake.resident_starts(RESIDENT))
        sent = []

        def say(text):
            sent.append(text)
            self.deliver(fake.resident_message(RESIDENT, text))

        for i in range(3):
            self.deliver(fake.resident_presses(RESIDENT, "m:new"))
            say(f"Заявка {i}: не закрывается дверь подъезда")
        tickets = self.dialog().ticket_ids
        self.assertEqual(len(tickets), 3)
        self.assertFalse(tickets.filtered("max_flood"))
        latest = tickets.sorted("id")[-1]
        self.assertNotEqual(latest.priority, "3")
        # The limit is reached: emergencies and new requests go to the
        # latest ticket, which the dispatcher sees flagged, and urgent.
        for i in range(4):
            self.deliver(fake.resident_presses(RESIDENT, "m:emergency"))
            self.assertIn(latest.number, "\n".join(self.texts()[-2:]))
            say(f"Авария {i}: вода из розетки")
        for i in range(2):
            self.deliver(fake.resident_presses(RESIDENT, "m:new"))
            say(f"Ещё заявка {i}")
            self.assertIn(latest.number, "\n".join(self.texts()[-2:]))
        # A burst within one job counts the same.
        for _i in range(3):
            self.deliver(fake.resident_presses(RESIDENT, "m:emergency"), run=False)
        self.run_jobs()
        tickets = self.dialog().ticket_ids
        self.assertEqual(len(tickets), 3)
        self.assertEqual(tickets.filtered("max_flood"), latest)
        self.assertEqual(latest.priority, "3")
        notes = latest.message_ids.filtered(lambda m: "limit of 3 per hour" in m.body)
        self.assertEqual(len(notes), 1)
        self.assertEqual(
            self.env["helpdesk.ticket"].search(
                [("max_flood", "=", True), ("id", "in", tickets.ids)]
            ),
            latest,
        )
        # Every text, and every press of the emergency button, is on a ticket.
        bodies = self.comments(tickets).mapped("body")
        for text in sent:
            self.assertTrue(any(text in body for body in bodies), text)
        presses = [b for b in bodies if "Emergency button pressed in MAX" in b]
        self.assertEqual(len(presses), 7)
        self.assertFalse(fake.invalid, fake.invalid)
        # The dispatcher checks it; an hour later the resident may open new
        # tickets again.
        latest.action_max_flood_checked()
        self.assertFalse(latest.max_flood)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET create_date = create_date"
            " - interval '61 minutes' WHERE id = ANY(%s)",
            [tickets.ids],
        )
        self.env.invalidate_all()
        self.deliver(fake.resident_presses(RESIDENT, "m:emergency"))
        self.assertEqual(len(self.dialog().ticket_ids), 4)

    def test_no_limit_when_switched_off(self):
        self.gateway.max_tickets_per_hour = 0
        self.deliver(self.fake.resident_starts(RESIDENT))
        for _i in range(7):
            self.deliver(self.fake.resident_presses(RESIDENT, "m:emergency"))
        tickets = self.dialog().ticket_ids
        self.assertEqual(len(tickets), 7)
        self.assertFalse(tickets.filtered("max_flood"))
