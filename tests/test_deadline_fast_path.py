# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
import uuid

from freezegun import freeze_time

from odoo import fields
from odoo.tests import TransactionCase, tagged

from .deadline_reference import reference_sync

H = datetime.timedelta(hours=1)


@tagged("post_install", "-at_install")
class TestDeadlineFastPath(TransactionCase):
    """The recompute reads facts in bulk: the same milestones as the
    previous per-record path (``deadline_reference``) on varied tickets."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.company = cls.env.company
        cls.company.partner_id.tz = "Europe/Moscow"
        cls.team = cls.env["helpdesk.ticket.team"].create({"name": "Fast path"})
        cls.kaliningrad = cls.env["gis.zhkh.house"].create(
            {"name": "Театральная, 2", "tz": "Europe/Kaliningrad"}
        )
        cls.vladivostok = cls.env["gis.zhkh.house"].create(
            {
                "name": "Светланская, 1",
                "tz": "Asia/Vladivostok",
                "calendar_id": ref("helpdesk_gis_zhkh_max.production_calendar_ru").id,
            }
        )
        cls.tag = cls.env["helpdesk.ticket.tag"].create({"name": "Fast path"})
        cls.done = ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        cls.category = {
            name: ref(f"helpdesk_gis_zhkh_max.category_{name}")
            for name in (
                "emergency",
                "refuse_chute",
                "sewer_blockage",
                "utilities",
                "info_organisation",
                "meter_check",
            )
        }
        # A rule with every kind of criterion, its milestones with every
        # kind of start, stop and warning.
        rule = cls.env["helpdesk.deadline.rule"].create(
            {
                "name": "Every criterion",
                "company_id": cls.company.id,
                "team_ids": [(6, 0, cls.team.ids)],
                "tag_ids": [(6, 0, cls.tag.ids)],
                "priorities": "2,3",
                "domain": "[('name', 'ilike', 'лифт')]",
            }
        )
        field = cls.env["ir.model.fields"]._get
        cls.env["helpdesk.deadline.milestone"].create(
            [
                {
                    "rule_id": rule.id,
                    "name": "From the accident\tor\\not",
                    "kind": "custom",
                    "duration": 5,
                    "unit": "hours",
                    "clock_start": "field",
                    "start_field_id": field("helpdesk.ticket", "accident_at").id,
                    "start_fallback": True,
                    "stop_stage_ids": [(6, 0, cls.done.ids)],
                    "warn_before": 30,
                    "warn_ratio": 50,
                },
                {
                    "rule_id": rule.id,
                    "name": "Office hours",
                    "kind": "reaction",
                    "duration": 3,
                    "unit": "hours",
                    "use_window": True,
                    "window_start": 9,
                    "window_end": 18,
                    "window_working_days": True,
                    "stop_field_id": field("helpdesk.ticket", "agreed_deadline").id,
                },
                {
                    "rule_id": rule.id,
                    "name": "GIS statuses",
                    "kind": "answer",
                    "duration": 2,
                    "unit": "calendar_days",
                    "clock_start": "gis_received",
                    "stop_gis_statuses": "in_work",
                    "warn_ratio": 80,
                },
            ]
        )
        cls.env["helpdesk.deadline.rule"].search([])._resync_tickets()

    def ticket(self, **values):
        values.setdefault("name", "Заявка")
        values.setdefault("description", "<p>text</p>")
        values.setdefault("team_id", self.team.id)
        return values

    def gis(self, days_ago, **values):
        received = fields.Date.today() - datetime.timedelta(days=days_ago)
        return self.ticket(
            gis_appeal_guid=str(uuid.uuid4()),
            gis_received_date=received,
            gis_deadline=received + datetime.timedelta(days=30),
            **values,
        )

    def varied(self, now):
        cat = self.category
        interruption = self.env["helpdesk.service.interruption"].create(
            {
                "house_id": self.kaliningrad.id,
                "service": "cold_water",
                "kind": "accident",
                "cause": "Порыв",
                "team_id": self.team.id,
                "date_start": now - 5 * H,
            }
        )
        phone = self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")
        vals_list = [
            self.ticket(category_id=cat["emergency"].id, accident_at=now - 2 * H),
            self.ticket(
                category_id=cat["emergency"].id,
                accident_system="gas",
                reacted_at=now - H,
                gis_house_id=self.kaliningrad.id,
            ),
            self.ticket(
                category_id=cat["emergency"].id,
                gis_house_id=self.kaliningrad.id,
                interruption_id=interruption.id,
                localised_at=now,
            ),
            self.ticket(
                category_id=cat["refuse_chute"].id, gis_house_id=self.vladivostok.id
            ),
            self.ticket(category_id=cat["sewer_blockage"].id, stage_id=self.done.id),
            self.ticket(
                category_id=cat["utilities"].id,
                channel_id=phone.id,
                informed_at=now - H,
            ),
            self.ticket(
                agreed_deadline=now + 50 * H,
                agreed_scope="Замена счётчика",
                category_id=cat["meter_check"].id,
            ),
            self.gis(
                3, category_id=cat["info_organisation"].id, gis_answered_at=now - H
            ),
            self.gis(
                40,
                gis_status="executed",
                gis_status_date=fields.Date.today() - datetime.timedelta(days=2),
                gis_house_id=self.vladivostok.id,
            ),
            self.gis(1, gis_status="withdrawn", category_id=cat["utilities"].id),
            self.gis(
                2,
                name="Застрял лифт",
                priority="3",
                tag_ids=[(6, 0, self.tag.ids)],
                gis_status="in_work",
                gis_status_date=fields.Date.today(),
                accident_at=now - 30 * H,
            ),
            self.ticket(
                name="Лифт снова",
                priority="2",
                tag_ids=[(6, 0, self.tag.ids)],
                agreed_deadline=now + 3 * H,
                agreed_scope="Ремонт лифта",
                # 3 of its 5 hours gone: at risk from half of them.
                accident_at=now - 3 * H,
                gis_house_id=self.kaliningrad.id,
            ),
            self.ticket(name="Лифт", priority="1", tag_ids=[(6, 0, self.tag.ids)]),
        ]
        return self.env["helpdesk.ticket"].create(vals_list)

    def stored(self, tickets):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT * FROM helpdesk_ticket_deadline WHERE ticket_id = ANY(%s)",
            [tickets.ids],
        )
        names = [column.name for column in self.env.cr.description]
        return {
            (row["ticket_id"], row["milestone_id"]): row
            for row in (
                dict(zip(names, r, strict=True)) for r in self.env.cr.fetchall()
            )
        }

    def assert_same_as_reference(self, tickets, now):
        model = self.env["helpdesk.ticket.deadline"]
        self.env.invalidate_all()
        expected, dropped = reference_sync(model, tickets, now)
        before = self.stored(tickets)
        model._sync_tickets(tickets)
        after = self.stored(tickets)
        kept = {key for key, row in before.items() if row["id"] not in dropped}
        self.assertEqual(set(after), kept | set(expected))
        for key, values in expected.items():
            for name, value in values.items():
                with self.subTest(key=key, field=name):
                    self.assertEqual(after[key][name] or False, value or False)
        return expected

    def test_same_milestones_as_the_per_record_path(self):
        now = fields.Datetime.now()
        with freeze_time(now):
            tickets = self.varied(now)
            # New milestones: computed from nothing stored.
            self.env.cr.execute(
                "DELETE FROM helpdesk_ticket_deadline WHERE ticket_id = ANY(%s)",
                [tickets.ids],
            )
            expected = self.assert_same_as_reference(tickets, now)
            self.assertGreater(len(expected), 20)
            self.assertEqual(
                {v["state"] for v in expected.values()},
                {"running", "at_risk", "met", "breached"},
            )
            # Stored ones changed behind the sync's back: updated, dropped.
            quiet = tickets.with_context(deadline_sync_off=True)
            quiet[0].write({"stage_id": self.done.id, "category_id": False})
            quiet[2].write({"interruption_id": False})
            quiet[3].write({"gis_house_id": self.kaliningrad.id})
            quiet[7].write({"gis_deadline": fields.Date.today()})
            quiet[11].write({"agreed_deadline": now - H, "priority": "0"})
            quiet[12].write({"priority": "3"})
        with freeze_time(now + 30 * H):
            self.assert_same_as_reference(tickets, now + 30 * H)
