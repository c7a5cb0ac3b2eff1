# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Interruptions of communal services (ПП 354 Annex 1): limits, months for
billing, warnings and escalation, residents' tickets, MAX notices."""

import datetime
import io
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tests.common import TransactionCase

from .common import view_fields
from .max_common import RESIDENT, MaxCase
from .test_tours import speak_russian

H = datetime.timedelta(hours=1)
KALININGRAD = ZoneInfo("Europe/Kaliningrad")


def utc(day, hour=0, minute=0, tz=KALININGRAD):
    """A local time of ``tz`` as Odoo stores it (naive UTC)."""
    moment = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz)
    return moment.astimezone(datetime.UTC).replace(tzinfo=None)


def now():
    return fields.Datetime.now()


@tagged("post_install", "-at_install")
class TestInterruptions(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.company = cls.env.company
        cls.company.partner_id.tz = "Europe/Moscow"
        cls.house = cls.env["gis.zhkh.house"].create(
            {
                "name": "ул. Театральная, 2",
                "address": "г. Калининград, ул. Театральная, д. 2",
                "tz": "Europe/Kaliningrad",
            }
        )
        cls.leader = new_test_user(
            cls.env, login="int_leader", groups="helpdesk_mgmt.group_helpdesk_user"
        )
        cls.dispatcher = new_test_user(
            cls.env, login="int_dispatcher", groups="helpdesk_mgmt.group_helpdesk_user"
        )
        cls.manager = new_test_user(
            cls.env, login="int_manager", groups="helpdesk_mgmt.group_helpdesk_manager"
        )
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {
                "name": "Аварийная служба",
                "user_id": cls.leader.id,
                "user_ids": [(6, 0, (cls.leader | cls.dispatcher).ids)],
            }
        )
        cls.emergency = cls.env.ref("helpdesk_gis_zhkh_max.category_emergency")
        # The sweep and the cockpit see every interruption: only the test's.
        cls.env["helpdesk.service.interruption"].search([]).unlink()

    def interruption(self, **values):
        values.setdefault("house_id", self.house.id)
        values.setdefault("service", "cold_water")
        values.setdefault("kind", "accident")
        values.setdefault("cause", "Порыв трубы в подвале")
        values.setdefault("user_id", self.dispatcher.id)
        values.setdefault("team_id", self.team.id)
        return self.env["helpdesk.service.interruption"].create(values)

    def months(self, service="cold_water", house=None):
        return {
            line.month: line
            for line in self.env["helpdesk.service.interruption.month"].search(
                [("house_id", "=", (house or self.house).id), ("service", "=", service)]
            )
        }

    def activities(self, record, xmlid):
        return record.activity_ids.filtered(
            lambda a: (
                a.activity_type_id == self.env.ref(f"helpdesk_gis_zhkh_max.{xmlid}")
            )
        )

    # -- the limits ------------------------------------------------------------

    def test_annex_limits_are_preloaded_data_and_managers_edit_them(self):
        limit = self.env.ref("helpdesk_gis_zhkh_max.interruption_limit_cold_water")
        self.assertEqual(
            (limit.single_limit_hours, limit.monthly_limit_hours, limit.legal_clause),
            (4, 8, "п. 1"),
        )
        self.assertIn("354", limit.legal_act)
        limits = self.env["helpdesk.service.interruption.limit"].search([])
        self.assertEqual(
            set(limits.mapped("service")),
            {"cold_water", "hot_water", "sewage", "electricity", "gas", "heating"},
        )
        with self.assertRaises(AccessError):
            limit.with_user(self.dispatcher).write({"single_limit_hours": 5})
        interruption = self.interruption(date_start=now() - 3 * H)
        self.assertEqual(interruption.single_limit_hours, 4)
        # A manager changes the law's figure: the interruptions follow.
        limit.with_user(self.manager).single_limit_hours = 6
        self.assertEqual(interruption.single_limit_hours, 6)
        self.assertEqual(interruption.single_at, interruption.date_start + 6 * H)

    def test_heating_by_indoor_temperature_and_electricity_by_power_supplies(self):
        heating = self.interruption(service="heating", date_start=now() - H)
        # The norm until the flats are measured.
        self.assertEqual(heating.indoor_temperature, 18)
        self.assertEqual(heating.single_limit_hours, 16)
        heating.indoor_temperature = 9
        self.assertEqual(heating.single_limit_hours, 4)
        self.assertEqual(heating.monthly_limit_hours, 24)
        heating.indoor_temperature = 7
        # Below +8 °C: nothing permitted at one time, over from the start.
        self.assertTrue(heating.has_single_limit)
        self.assertEqual(heating.single_limit_hours, 0)
        self.assertEqual(heating.limit_at, heating.date_start)
        light = self.interruption(service="electricity", date_start=now() - H)
        self.assertEqual(light.single_limit_hours, 2)  # supplies unknown
        self.assertFalse(light.has_monthly_limit)
        self.house.power_sources = "1"
        self.assertEqual(light.single_limit_hours, 24)
        with self.assertRaises(ValidationError):
            self.interruption(date_start=now(), date_end=now() - H)

    # -- months for billing --------------------------------------------------------

    def test_month_figures_single_and_monthly_limits_counted_once(self):
        march = datetime.date(2026, 3, 1)
        first = self.interruption(
            date_start=utc(march.replace(day=3), 9),
            date_end=utc(march.replace(day=3), 15),
        )
        self.interruption(
            date_start=utc(march.replace(day=20), 9),
            date_end=utc(march.replace(day=20), 15),
        )
        line = self.months()[march]
        self.assertEqual(
            (line.hours_total, line.hours_over_limit, line.interruption_count),
            (12, 6, 2),
        )
        self.assertAlmostEqual(line.reduction_percent, 0.9)
        self.assertEqual(first.hours_over_limit, 2)
        # An interruption shortened: the month follows at once.
        first.date_end = utc(march.replace(day=3), 11)
        line = self.months()[march]
        self.assertEqual((line.hours_total, line.hours_over_limit), (8, 2))
        first.unlink()
        self.assertEqual(self.months()[march].hours_total, 6)
        self.env["helpdesk.service.interruption"].search(
            [("house_id", "=", self.house.id)]
        ).unlink()
        self.assertFalse(self.months())

    def test_an_interruption_across_the_month_end_in_the_buildings_zone(self):
        """23:00 on 31 March to 05:00 on 1 April, Kaliningrad (UTC+2): in
        Moscow's months it would all be April."""
        self.interruption(
            date_start=utc(datetime.date(2026, 3, 31), 23),
            date_end=utc(datetime.date(2026, 4, 1), 5),
        )
        months = self.months()
        self.assertEqual(months[datetime.date(2026, 3, 1)].hours_total, 1)
        april = months[datetime.date(2026, 4, 1)]
        self.assertEqual((april.hours_total, april.hours_over_limit), (5, 2))
        # The building moves to Moscow's time: the months follow.
        self.house.tz = "Europe/Moscow"
        self.assertEqual(set(self.months()), {datetime.date(2026, 4, 1)})

    def test_rounding_of_a_part_of_an_hour_is_a_setting(self):
        day = datetime.date(2026, 2, 10)
        self.interruption(date_start=utc(day, 9), date_end=utc(day, 13, 20))
        line = self.months()[datetime.date(2026, 2, 1)]
        self.assertEqual(line.rounding, "started")
        self.assertEqual(line.hours_over_limit, 1)
        self.assertAlmostEqual(line.reduction_percent, 0.15)
        settings = self.env["res.config.settings"].create({})
        settings.interruption_rounding = "whole"
        settings.execute()
        line = self.months()[datetime.date(2026, 2, 1)]
        self.assertEqual((line.hours_over_limit, line.reduction_percent), (0, 0))
        self.company.interruption_rounding = "exact"
        line = self.months()[datetime.date(2026, 2, 1)]
        self.assertAlmostEqual(line.hours_over_limit, 0.33)
        self.assertAlmostEqual(line.hours_over_exact, 0.33)
        self.assertAlmostEqual(line.reduction_percent, 0.05)

    def test_billing_xlsx_every_text_a_text_cell(self):
        odd = self.env["gis.zhkh.house"].create(
            {"name": '=HYPERLINK("http://x")', "address": "+7 000", "tz": "UTC"}
        )
        day = datetime.date(2026, 1, 15)
        self.interruption(date_start=utc(day, 8), date_end=utc(day, 14))
        self.interruption(
            house_id=odd.id,
            service="gas",
            date_start=datetime.datetime(2026, 1, 20, 8),
            date_end=datetime.datetime(2026, 1, 20, 14),
        )
        wizard = self.env["helpdesk.service.interruption.report"].create(
            {"month": datetime.date(2026, 1, 31)}
        )
        self.assertEqual(wizard.line_count, 2)
        report = self.env.ref(
            "helpdesk_gis_zhkh_max.action_report_interruption_month_xlsx"
        )
        content, kind = report._render_xlsx(report.report_name, wizard.ids, data={})
        self.assertEqual(kind, "xlsx")
        sheet = load_workbook(io.BytesIO(content)).active
        rows = [row for row in sheet.iter_rows(min_row=5, values_only=True)]
        self.assertEqual(len(rows), 2)
        by_name = {row[0]: row for row in rows}
        odd_row = by_name['=HYPERLINK("http://x")']
        self.assertEqual(odd_row[1], "+7 000")
        self.assertEqual(odd_row[3:6], (6, 2, 0.3))
        self.assertEqual(by_name[self.house.name][3:6], (6, 2, 0.3))
        cell = sheet.cell(row=5 + rows.index(odd_row), column=1)
        self.assertEqual(cell.data_type, "s")
        self.assertEqual(wizard.action_export_xlsx()["report_type"], "xlsx")
        empty = self.env["helpdesk.service.interruption.report"].create(
            {"month": datetime.date(2025, 1, 1)}
        )
        with self.assertRaises(UserError):
            empty.action_export_xlsx()

    # -- while it runs -----------------------------------------------------------

    def test_warning_then_escalation_once_each(self):
        start = now() - datetime.timedelta(hours=3, minutes=30)
        interruption = self.interruption(date_start=start)
        self.assertEqual(interruption.limit_at, start + 4 * H)
        self.assertEqual(interruption.warn_at, start + 3 * H)
        sweep = self.env["helpdesk.service.interruption"].with_context(lang=None)
        sweep._cron_sweep()
        sweep._cron_sweep()
        near = "mail_activity_interruption_limit_near"
        warnings = self.activities(interruption, near)
        self.assertEqual(len(warnings), 1)
        self.assertEqual(warnings.user_id, self.dispatcher)
        self.assertFalse(interruption.escalated)
        later = now() + H
        sweep._cron_sweep(now=later)
        sweep._cron_sweep(now=later + H)
        escalations = self.activities(
            interruption, "mail_activity_interruption_limit_passed"
        )
        self.assertEqual(len(escalations), 1)
        self.assertEqual(escalations.user_id, self.leader)
        self.assertTrue(interruption.escalated)
        self.assertIn("354", interruption.message_ids[0].body)
        self.assertEqual(len(self.activities(interruption, near)), 1)
        # The running hours moved with the cron.
        self.assertGreaterEqual(interruption.hours_total, 4.5)

    def test_the_sweep_works_in_bounded_batches(self):
        start = now() - 5 * H
        for _i in range(3):
            self.interruption(date_start=start)
        sweep = self.env["helpdesk.service.interruption"]
        cron = self.env.ref("helpdesk_gis_zhkh_max.ir_cron_interruption_sweep")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.assertEqual(sweep._cron_sweep(batch=2)[0], 2)
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers,
        )
        self.assertEqual(sweep._cron_sweep(batch=2)[0], 1)
        self.assertEqual(sweep._cron_sweep(batch=2)[0], 0)

    def test_an_interruption_ended_within_its_limit_is_never_escalated(self):
        interruption = self.interruption(date_start=now() - 3 * H)
        interruption.with_user(self.dispatcher).action_end()
        self.assertTrue(interruption.date_end)
        self.env["helpdesk.service.interruption"]._cron_sweep(now=now() + 2 * H)
        self.assertFalse(interruption.activity_ids)
        self.assertFalse(interruption.over_limit)
        self.assertTrue(interruption.figures_final)

    def test_an_end_entered_late_escalates_history_does_not(self):
        """Over its limit and ended an hour ago (the end entered late): the
        leader hears of it. Entered a week after it ended: billing history."""
        late = self.interruption(date_start=now() - 7 * H, date_end=now() - H)
        old = self.interruption(
            date_start=now() - datetime.timedelta(days=8),
            date_end=now() - datetime.timedelta(days=7),
        )
        self.assertGreater(old.hours_over_limit, 0)
        self.env["helpdesk.service.interruption"]._cron_sweep()
        passed = "mail_activity_interruption_limit_passed"
        self.assertEqual(len(self.activities(late, passed)), 1)
        self.assertFalse(old.activity_ids)
        self.assertFalse(old.escalated)

    def test_the_cockpit_shows_running_interruptions_with_the_time_left(self):
        earlier = now() - datetime.timedelta(days=1)
        self.interruption(date_start=earlier - 6 * H, date_end=earlier)
        running = self.interruption(date_start=now() - H)
        self.interruption(date_start=now() + 48 * H, kind="planned")
        lines = (
            self.env["helpdesk.service.interruption"]
            .with_user(self.dispatcher)
            .cockpit_interruptions()
        )
        self.assertEqual([line["id"] for line in lines], [running.id])
        line = lines[0]
        # 4 h at one time from its start; the month's 8 h: 6 h used already
        # (unless yesterday was last month), the last hour near.
        self.assertAlmostEqual(line["single_left"], 180, delta=2)
        if earlier.month == now().month:
            self.assertAlmostEqual(line["monthly_left"], 60, delta=2)
            self.assertEqual(line["state"], "near")
        self.assertEqual(line["service"], "Cold water")
        portal = new_test_user(self.env, login="int_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            self.env["helpdesk.service.interruption"].with_user(
                portal
            ).cockpit_interruptions()

    # -- residents' tickets ----------------------------------------------------------

    def ticket(self, **values):
        values.setdefault("name", "Нет холодной воды")
        values.setdefault("description", "<p>Нет воды с утра</p>")
        values.setdefault("category_id", self.emergency.id)
        values.setdefault("gis_house_id", self.house.id)
        values.setdefault("team_id", self.team.id)
        return self.env["helpdesk.ticket"].create(values)

    def elimination(self, ticket):
        return ticket.deadline_ids.filtered(lambda d: d.kind == "elimination")

    def test_linked_tickets_follow_the_interruption_and_do_not_breach_each(self):
        # Five hours without cold water: over the 4 hours at one time.
        start = now() - 5 * H
        interruption = self.interruption(date_start=start)
        first, second = self.ticket(), self.ticket(name="Нет воды, кв. 12")
        elsewhere = self.ticket(gis_house_id=False)
        self.assertEqual(first.interruption_suggested_id, interruption)
        self.assertEqual(interruption.candidate_ticket_ids, first | second)
        self.assertNotIn(elsewhere, interruption.candidate_ticket_ids)
        # One click each, as the dispatcher.
        first.with_user(self.dispatcher).action_link_interruption()
        second.with_user(self.dispatcher).with_context(
            interruption_id=interruption.id
        ).action_link_interruption()
        self.assertEqual(interruption.ticket_ids, first | second)
        self.assertFalse(interruption.candidate_ticket_ids)
        for ticket in first | second:
            elimination = self.elimination(ticket)
            self.assertEqual(elimination.interruption_id, interruption)
            self.assertEqual(elimination.deadline, interruption.limit_at)
            self.assertEqual(elimination.start, start)
            self.assertEqual(elimination.state, "breached")
            self.assertTrue(elimination.escalated)
        # The limit passes: the interruption escalates once; the tickets,
        # each on the interruption's clock, do not escalate each (their
        # accident is localised: that clock is each request's own).
        (first | second).action_mark_localised()
        self.env["helpdesk.service.interruption"]._cron_sweep()
        self.env["helpdesk.ticket.deadline"]._cron_sweep()
        self.assertEqual(
            len(
                self.activities(interruption, "mail_activity_interruption_limit_passed")
            ),
            1,
        )
        for ticket in first | second:
            self.assertFalse(
                ticket.activity_ids.filtered(
                    lambda a: (
                        a.activity_type_id
                        == self.env.ref(
                            "helpdesk_gis_zhkh_max.mail_activity_deadline_breached"
                        )
                    )
                )
            )
        # The service comes back: the milestone is met at that moment (late,
        # as the interruption was).
        interruption.action_end()
        elimination = self.elimination(first)
        self.assertEqual(elimination.done_at, interruption.date_end)
        self.assertEqual(elimination.state, "breached")
        self.assertTrue(elimination.escalated)
        # Not about it after all: the ticket's own clock again.
        first.action_unlink_interruption()
        elimination = self.elimination(first)
        self.assertFalse(elimination.interruption_id)
        self.assertEqual(elimination.deadline, first.create_date + 72 * H)
        self.assertEqual(elimination.state, "running")

    def test_ended_in_time_meets_the_linked_milestones(self):
        interruption = self.interruption(date_start=now() - H)
        ticket = self.ticket()
        interruption.with_user(self.dispatcher).action_link_candidates()
        self.assertEqual(ticket.interruption_id, interruption)
        interruption.action_end()
        elimination = self.elimination(ticket)
        self.assertEqual(elimination.state, "met")
        self.assertEqual(elimination.done_at, interruption.date_end)

    def test_a_breach_of_its_own_before_the_link_stays(self):
        ticket = self.ticket()
        # Received four days ago: its 72 hours to eliminate are over.
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET create_date = %s WHERE id = %s",
            [now() - datetime.timedelta(days=4), ticket.id],
        )
        ticket.invalidate_recordset(["create_date"])
        self.env["helpdesk.ticket.deadline"]._sync_tickets(ticket)
        elimination = self.elimination(ticket)
        self.assertTrue(elimination.breached)
        interruption = self.interruption(date_start=now() - H)
        ticket.interruption_id = interruption
        self.assertFalse(elimination.interruption_id)
        self.assertEqual(elimination.state, "breached")

    # -- telling residents (п. 31 «н») -------------------------------------------------

    def test_planned_works_announced_late_are_flagged(self):
        soon = self.interruption(kind="planned", date_start=now() + 72 * H)
        self.assertTrue(soon.late_notice)
        self.assertLess(soon.notice_due_date, fields.Date.today())
        ahead = self.interruption(
            kind="planned", date_start=now() + datetime.timedelta(days=40)
        )
        self.assertFalse(ahead.late_notice)
        self.assertGreater(ahead.notice_due_date, fields.Date.today())
        accident = self.interruption(date_start=now())
        self.assertFalse(accident.late_notice)
        self.assertIn(
            soon, soon.search([("late_notice", "=", True), ("id", "=", soon.id)])
        )

    # -- access and screens -----------------------------------------------------------

    def test_access(self):
        mine = self.interruption(date_start=now() - H)
        as_dispatcher = self.env["helpdesk.service.interruption"].with_user(
            self.dispatcher
        )
        created = as_dispatcher.create(
            {"house_id": self.house.id, "service": "gas", "date_start": now()}
        )
        created.date_end = now()
        self.assertIn(mine, as_dispatcher.search([]))
        with self.assertRaises(AccessError):
            created.unlink()
        month = self.env["helpdesk.service.interruption.month"].search(
            [("house_id", "=", self.house.id)], limit=1
        )
        with self.assertRaises(AccessError):
            month.with_user(self.manager).write({"hours_total": 0})
        created.with_user(self.manager).unlink()
        other = self.env["res.company"].create({"name": "УК Соседняя"})
        stranger = new_test_user(
            self.env,
            login="int_other",
            groups="helpdesk_mgmt.group_helpdesk_manager",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        for model in (
            "helpdesk.service.interruption",
            "helpdesk.service.interruption.month",
        ):
            self.assertFalse(self.env[model].with_user(stranger).search([]))
        # The law's limits are every company's.
        self.assertTrue(
            self.env["helpdesk.service.interruption.limit"]
            .with_user(stranger)
            .search([])
        )

    def test_views(self):
        expected = {
            ("helpdesk.service.interruption", "form"): {
                "house_id",
                "service",
                "kind",
                "date_start",
                "date_end",
                "cause",
                "indoor_temperature",
                "candidate_ticket_ids",
                "ticket_ids",
                "broadcast_ids",
                "single_left",
                "monthly_left",
            },
            ("helpdesk.service.interruption", "list"): {"hours_over_limit"},
            ("helpdesk.service.interruption", "pivot"): {"hours_total"},
            ("helpdesk.service.interruption", "graph"): {"hours_total"},
            ("helpdesk.service.interruption", "search"): {"house_id"},
            ("helpdesk.service.interruption.month", "pivot"): {"reduction_percent"},
            ("helpdesk.service.interruption.month", "graph"): {"hours_over_limit"},
            ("helpdesk.service.interruption.month", "list"): {"reduction_percent"},
            ("helpdesk.service.interruption.limit", "list"): {"monthly_limit_hours"},
            ("helpdesk.ticket", "form"): {
                "interruption_id",
                "interruption_suggested_id",
            },
            ("gis.zhkh.house", "form"): {"power_sources"},
        }
        for (model, view_type), names in expected.items():
            with self.subTest(model=model, view=view_type):
                self.assertLessEqual(names, view_fields(self.env, model, view_type))
        interruption = self.interruption(service="heating", date_start=now())
        Form(interruption.with_user(self.dispatcher))
        Form(self.ticket().with_user(self.dispatcher))
        # A dispatcher of their own tickets opens it too (not the notices).
        own = new_test_user(
            self.env, login="int_own", groups="helpdesk_mgmt.group_helpdesk_user_own"
        )
        form = Form(interruption.with_user(own))
        self.assertFalse(form.notice_sent)


@tagged("post_install", "-at_install")
class TestInterruptionNotice(MaxCase):
    """From the interruption, one click: a MAX building notice with its
    cause and expected length, its delivery report; then the end."""

    def setUp(self):
        super().setUp()
        self.residents = [RESIDENT, RESIDENT + 1, RESIDENT + 2]
        other = self.env["gis.zhkh.house"].create({"name": "ул. Мира, 1"})
        self.gateway.max_house_ids = [(4, other.id)]
        for user_id in self.residents:
            self.deliver(self.fake.resident_message(user_id, "Здравствуйте"))
            self.dialog(user_id).house_id = (
                self.house if user_id != RESIDENT + 2 else other
            )
        self.dispatcher = new_test_user(
            self.env,
            login="int_max_dispatcher",
            groups="helpdesk_mgmt.group_helpdesk_user",
        )

    def test_building_notice_from_an_interruption_and_its_end(self):
        self.env.company.partner_id.lang = "en_US"
        start = fields.Datetime.now() - H
        interruption = (
            self.env["helpdesk.service.interruption"]
            .with_user(self.dispatcher)
            .create(
                {
                    "house_id": self.house.id,
                    "service": "hot_water",
                    "kind": "accident",
                    "cause": "Замена задвижки",
                    "date_start": start,
                    "date_end_expected": start + 3 * H,
                }
            )
        )
        self.assertEqual(interruption.residents_in_bot, 2)
        interruption.action_notify_residents()
        notice = interruption.broadcast_ids
        self.assertEqual(notice.interruption_notice, "start")
        self.assertIn("Замена задвижки", notice.text)
        self.assertIn("3 h", notice.text)
        self.assertIn(interruption.local_expected_end, notice.text)
        with self.assertRaises(UserError):
            interruption.action_notify_residents()
        self.run_jobs()
        self.env.invalidate_all()  # the lines' fate is committed apart
        self.assertEqual(notice.state, "done")
        self.assertEqual((notice.sent_count, notice.failed_count), (2, 0))
        told = [
            u for u in self.residents if "Замена задвижки" in "\n".join(self.texts(u))
        ]
        self.assertEqual(told, [RESIDENT, RESIDENT + 1])
        # The end is told by itself, where the start was.
        interruption.with_user(self.dispatcher).action_end()
        end = interruption.broadcast_ids - notice
        self.assertEqual(end.interruption_notice, "end")
        self.run_jobs()
        self.env.invalidate_all()  # the lines' fate is committed apart
        self.assertEqual(end.sent_count, 2)
        self.assertIn("restored", self.texts(RESIDENT)[-1])
        self.assertTrue(interruption.end_notice_sent)
        self.assertFalse(self.fake.invalid, self.fake.invalid)

    def test_the_notice_speaks_russian(self):
        speak_russian(self.env)
        self.env.company.partner_id.lang = "ru_RU"
        interruption = self.env["helpdesk.service.interruption"].create(
            {
                "house_id": self.house.id,
                "service": "cold_water",
                "cause": "Ремонт стояка",
                "date_start": fields.Datetime.now(),
                "date_end_expected": fields.Datetime.now() + 2 * H + H / 2,
            }
        )
        interruption.action_notify_residents()
        text = interruption.broadcast_ids.text
        self.assertIn("Холодное водоснабжение", text)
        self.assertIn("Ремонт стояка", text)
        self.assertIn("2 ч 30 мин", text)
        self.assertNotIn("interruption", text)

    def test_no_notice_without_a_cause_or_an_audience(self):
        interruption = self.env["helpdesk.service.interruption"].create(
            {
                "house_id": self.env["gis.zhkh.house"].create({"name": "Пустой"}).id,
                "service": "gas",
                "date_start": fields.Datetime.now(),
            }
        )
        with self.assertRaises(UserError):
            interruption.action_notify_residents()  # no cause
        interruption.cause = "Проверка газопровода"
        with self.assertRaises(UserError):
            interruption.action_notify_residents()  # nobody in the bot there
        self.assertFalse(interruption.broadcast_ids)
        # Ending it does not need MAX.
        interruption.action_end()
        self.assertTrue(interruption.date_end)


@tagged("post_install", "-at_install")
class TestInterruptionTour(MaxCase):
    """The dispatcher's path, in headless Chromium, in Russian."""

    def test_register_link_two_tickets_and_notify_the_building(self):
        speak_russian(self.env)
        self.env.company.partner_id.lang = "ru_RU"
        dispatcher = new_test_user(
            self.env,
            login="int_tour_dispatcher",
            groups="helpdesk_mgmt.group_helpdesk_user",
            lang="ru_RU",
            tz="Europe/Moscow",
        )
        for user_id in (RESIDENT, RESIDENT + 1):
            self.deliver(self.fake.resident_message(user_id, "Здравствуйте"))
            self.dialog(user_id).house_id = self.house
        emergency = self.env.ref("helpdesk_gis_zhkh_max.category_emergency")
        tickets = self.env["helpdesk.ticket"].create(
            [
                {
                    "name": f"Нет холодной воды ({name})",
                    "description": "<p>Нет воды</p>",
                    "partner_name": name,
                    "category_id": emergency.id,
                    "gis_house_id": self.house.id,
                }
                for name in ("Анна", "Борис")
            ]
        )
        self.start_tour(
            "/odoo/action-helpdesk_gis_zhkh_max.helpdesk_service_interruption_action",
            "hgzm_interruption",
            login=dispatcher.login,
        )
        interruption = self.env["helpdesk.service.interruption"].search(
            [("house_id", "=", self.house.id)]
        )
        self.assertEqual(len(interruption), 1)
        self.assertEqual(interruption.create_uid, dispatcher)
        self.assertEqual(interruption.ticket_ids, tickets)
        for ticket in tickets:
            elimination = ticket.deadline_ids.filtered(
                lambda d: d.kind == "elimination"
            )
            self.assertEqual(elimination.interruption_id, interruption)
        self.run_jobs()
        self.env.invalidate_all()
        notice = interruption.broadcast_ids
        self.assertEqual((notice.state, notice.sent_count), ("done", 2))
        for user_id in (RESIDENT, RESIDENT + 1):
            self.assertIn("Порыв на вводе холодной воды", self.texts(user_id)[-1])
        self.start_tour(
            "/odoo/action-helpdesk_gis_zhkh_max.action_deadline_cockpit",
            "hgzm_interruption_cockpit",
            login=dispatcher.login,
        )
