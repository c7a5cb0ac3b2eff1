# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
from unittest import mock

from odoo import fields
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase


class TestCockpit(TransactionCase):
    """The dispatcher's figures: what is late or due, by source, team,
    building and category, as each user may see it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.cockpit = cls.env["helpdesk.deadline.cockpit"]
        cls.emergency = ref("helpdesk_gis_zhkh_max.category_emergency")
        cls.north = cls.env["helpdesk.ticket.team"].create({"name": "North"})
        cls.south = cls.env["helpdesk.ticket.team"].create({"name": "South"})
        cls.house = cls.env["gis.zhkh.house"].create({"name": "Лесная, 7"})
        cls.max_channel = ref("helpdesk_gis_zhkh_max.channel_max")
        cls.north_dispatcher = new_test_user(
            cls.env,
            login="cockpit_north",
            groups="helpdesk_mgmt.group_helpdesk_user_team",
        )
        cls.north.user_ids = [(4, cls.north_dispatcher.id)]
        now = fields.Datetime.now()
        cls.now = now

        def ticket(team, **values):
            record = cls.env["helpdesk.ticket"].create(
                {
                    "name": "t",
                    "description": "<p>t</p>",
                    "team_id": team.id,
                    "category_id": cls.emergency.id,
                    "gis_house_id": cls.house.id,
                    **values,
                }
            )
            return record

        cls.breached = ticket(cls.north, gis_appeal_guid="0b7a0e8e-guid-1")
        cls.at_risk = ticket(cls.north, channel_id=cls.max_channel.id)
        cls.soon = ticket(cls.south)
        cls.later = ticket(cls.south)
        cls.closed = ticket(cls.north)
        # Milestones in each state, written as the sweep would leave them.
        for record, state, deadline in (
            (cls.breached, "breached", now - datetime.timedelta(hours=1)),
            (cls.at_risk, "at_risk", now + datetime.timedelta(minutes=90)),
            (cls.soon, "running", now + datetime.timedelta(minutes=30)),
            (cls.later, "running", now + datetime.timedelta(days=3)),
            (cls.closed, "breached", now - datetime.timedelta(hours=5)),
        ):
            record.deadline_ids[:1].write({"state": state, "deadline": deadline})
            (record.deadline_ids - record.deadline_ids[:1]).write(
                {"state": "met", "done_at": now}
            )
        cls.closed.stage_id = cls.env["helpdesk.ticket.stage"].search(
            [("closed", "=", True)], limit=1
        )

    def test_figures_by_bucket_and_source(self):
        self.assertTrue(self.breached.deadline_ids, "emergency rules apply")
        data = self.cockpit.cockpit_data()
        totals = data["totals"]
        self.assertEqual(totals["breached"], {"all": 1, "gis": 1, "max": 0, "other": 0})
        self.assertEqual(totals["at_risk"], {"all": 1, "gis": 0, "max": 1, "other": 0})
        # Within 2 hours: the at-risk one (90 min) and the soon one (30 min).
        self.assertEqual(totals["due_2h"]["all"], 2)
        # "Today" ends at the user's midnight: late in the day the 90-minute
        # one may be tomorrow's.
        end_of_today = self.cockpit._moments()[2]
        ours = self.soon | self.at_risk
        today = self.env["helpdesk.ticket"].search(
            self.cockpit.action_open("due_today")["domain"]
        )
        self.assertEqual(
            today & ours, ours.filtered(lambda t: t.next_deadline < end_of_today)
        )
        self.assertEqual(totals["due_today"]["all"], len(today))
        teams = {line["name"]: line for line in data["dimensions"]["team"]}
        self.assertEqual(teams["North"]["breached"], 1)
        self.assertEqual(teams["South"]["due_2h"], 1)
        houses = data["dimensions"]["house"]
        self.assertEqual(houses[0]["name"], "Лесная, 7")

    def test_due_within_2_hours_late_in_the_day(self):
        # 23:50 for the user: a milestone due in 30 minutes is tomorrow's,
        # and still due within 2 hours.
        now = self.now
        moments = (
            now,
            now + datetime.timedelta(hours=2),
            now + datetime.timedelta(minutes=10),
        )
        with mock.patch.object(type(self.cockpit), "_moments", lambda _self: moments):
            totals = self.cockpit.cockpit_data()["totals"]
            opened = self.env["helpdesk.ticket"].search(
                self.cockpit.action_open("due_2h")["domain"]
            )
        self.assertEqual(opened, self.soon | self.at_risk)
        self.assertEqual(totals["due_2h"], {"all": 2, "gis": 0, "max": 1, "other": 1})
        self.assertEqual(totals["due_today"]["all"], 0)

    def test_each_figure_opens_its_tickets(self):
        action = self.cockpit.action_open("breached")
        tickets = self.env["helpdesk.ticket"].search(action["domain"])
        self.assertEqual(tickets, self.breached)
        action = self.cockpit.action_open("due_2h", source="max")
        self.assertEqual(
            self.env["helpdesk.ticket"].search(action["domain"]), self.at_risk
        )
        action = self.cockpit.action_open(
            "due_2h", dimension="team", res_id=self.south.id
        )
        self.assertEqual(
            self.env["helpdesk.ticket"].search(action["domain"]), self.soon
        )

    def test_a_team_dispatcher_sees_their_team_only(self):
        data = self.cockpit.with_user(self.north_dispatcher).cockpit_data()
        self.assertEqual(data["totals"]["breached"]["all"], 1)
        self.assertEqual(data["totals"]["due_2h"]["all"], 1)  # North's at-risk one
        self.assertEqual(
            [line["name"] for line in data["dimensions"]["team"]], ["North"]
        )
        action = self.cockpit.with_user(self.north_dispatcher).action_open("due_2h")
        # The list opens with the dispatcher's own rights.
        self.assertEqual(
            self.env["helpdesk.ticket"]
            .with_user(self.north_dispatcher)
            .search(action["domain"]),
            self.at_risk,
        )

    def test_changes_tell_the_open_cockpits_once_per_transaction(self):
        sent = []
        with mock.patch.object(
            type(self.env["bus.bus"]),
            "_sendone",
            lambda _self, target, kind, message: sent.append((target, kind)),
        ):
            self.env.cr.precommit.data.pop("hgzm_cockpit_notified", None)
            self.soon.deadline_ids[:1].state = "at_risk"
            self.later.deadline_ids[:1].state = "at_risk"
        self.assertEqual(
            sent,
            [
                (
                    self.env.ref("helpdesk_mgmt.group_helpdesk_user_own"),
                    "helpdesk_gis_zhkh_max/deadlines_changed",
                )
            ],
        )
