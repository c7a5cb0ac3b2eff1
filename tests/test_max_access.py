# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .max_common import RESIDENT, MaxCase


class TestMaxAccess(MaxCase):
    """MAX dialogs and house chat alerts follow helpdesk_mgmt's ticket
    rules: seen through a ticket the user may see, or by the members of the
    bot's team; "all tickets" users see all, other companies nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_team = cls.env["helpdesk.ticket.team"].create(
            {"name": "Another district (MAX)"}
        )

        def user(login, group, team=None, **values):
            new = new_test_user(
                cls.env, login=login, groups=f"helpdesk_mgmt.{group}", **values
            )
            if team:
                team.user_ids = [(4, new.id)]
            return new

        cls.ours = user("max_our_team", "group_helpdesk_user_team", cls.team)
        cls.theirs = user("max_their_team", "group_helpdesk_user_team", cls.other_team)
        cls.their_own = user(
            "max_their_personal", "group_helpdesk_user_own", cls.other_team
        )
        cls.everything = user("max_all_tickets", "group_helpdesk_user")
        cls.manager = user("max_manager", "group_helpdesk_manager")
        other_company = cls.env["res.company"].create({"name": "УК Заречная"})
        cls.foreigner = user(
            "max_other_company",
            "group_helpdesk_user",
            company_id=other_company.id,
            company_ids=[(6, 0, other_company.ids)],
        )

    def seen_by(self, records, *users):
        """The users among ``users`` who find ``records``."""
        return [
            user
            for user in users
            if records.with_user(user).search([("id", "in", records.ids)])
        ]

    def test_dialogs_follow_the_ticket_rules(self):
        self.deliver(self.fake.resident_message(RESIDENT, "Течёт кран на кухне"))
        dialog = self.dialog()
        ticket = dialog.ticket_ids
        self.assertEqual(ticket.team_id, self.team)
        everyone = (
            self.ours,
            self.theirs,
            self.their_own,
            self.everything,
            self.manager,
            self.foreigner,
        )
        # The bot's team and the "all tickets" users; no one else.
        self.assertEqual(
            self.seen_by(dialog, *everyone),
            [self.ours, self.everything, self.manager],
        )
        with self.assertRaises(AccessError):
            dialog.with_user(self.theirs).read(["name", "max_user_id"])
        with self.assertRaises(AccessError):
            dialog.with_user(self.foreigner).read(["name"])
        # The ticket goes to the other team: its dispatchers see the dialog
        # of their ticket (a personal user while nobody has it).
        ticket.team_id = self.other_team
        self.assertEqual(
            self.seen_by(dialog, *everyone),
            [self.ours, self.theirs, self.their_own, self.everything, self.manager],
        )
        ticket.user_id = self.theirs
        self.assertEqual(
            self.seen_by(dialog, self.theirs, self.their_own),
            [self.theirs],
        )
        # The dialog's own screen opens for whoever sees it.
        self.assertEqual(
            dialog.with_user(self.theirs).read(["ticket_count"])[0]["ticket_count"], 1
        )

    def test_house_chat_alerts_stay_with_the_bots_team(self):
        self.deliver(self.fake.group_message(-100777, RESIDENT, "В подвале ПОТОП!"))
        alert = self.env["max.chat.alert"].search(
            [("gateway_id", "=", self.gateway.id)]
        )
        self.assertEqual(len(alert), 1)
        self.assertEqual(
            self.seen_by(
                alert,
                self.ours,
                self.theirs,
                self.their_own,
                self.manager,
                self.foreigner,
            ),
            [self.ours, self.manager],
        )
        with self.assertRaises(AccessError):
            alert.with_user(self.theirs).action_dismiss()
        alert.with_user(self.ours).action_dismiss()
        self.assertEqual(alert.state, "dismissed")
