# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import dataclasses
import datetime
import uuid
from zoneinfo import ZoneInfo

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..models.helpdesk_ticket import gis_facts_writer
from ..tools import gis_xml_parse
from .common import GisCase, view_fields

D = datetime.date
UTC = datetime.timezone.utc


def local_midnight_utc(day, zone):
    """24:00 of ``day`` in ``zone``, as Odoo stores datetimes (naive UTC)."""
    moment = datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=ZoneInfo(zone)
    )
    return moment.astimezone(UTC).replace(tzinfo=None)


@tagged("post_install", "-at_install")
class TestDeadlines(GisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.emergency = ref("helpdesk_gis_zhkh_max.category_emergency")
        cls.refuse_chute = ref("helpdesk_gis_zhkh_max.category_refuse_chute")
        cls.federal = ref("helpdesk_gis_zhkh_max.production_calendar_ru")
        cls.leader = new_test_user(
            cls.env, login="gis_team_leader", groups="helpdesk_mgmt.group_helpdesk_user"
        )
        cls.dispatcher = new_test_user(
            cls.env,
            login="gis_dispatcher_2",
            groups="helpdesk_mgmt.group_helpdesk_user",
        )
        cls.team.write(
            {
                "user_id": cls.leader.id,
                "user_ids": [(6, 0, (cls.leader | cls.dispatcher).ids)],
            }
        )
        cls.company.partner_id.tz = "Europe/Moscow"

    def ticket(self, **values):
        values.setdefault("name", "Test request")
        values.setdefault("description", "<p>text</p>")
        values.setdefault("team_id", self.team.id)
        return self.env["helpdesk.ticket"].create(values)

    def by_code(self, ticket):
        return {d.rule_id.code + "/" + d.kind: d for d in ticket.deadline_ids}

    def gis_ticket(self, received, gis_deadline=None, **changes):
        appeal = dataclasses.replace(
            self.appeals()[0],
            create_date=received,
            execution_end_date=gis_deadline,
            **changes,
        )
        self.env["gis.appeal.import"]._import_appeals(self.backend, [appeal])
        return self.tickets().filtered(lambda t: t.gis_appeal_guid == appeal.guid)

    # -- calendar ---------------------------------------------------------

    def test_federal_calendar_is_preloaded_and_editable(self):
        days = self.federal.day_ids
        self.assertIn(
            D(2027, 2, 20), days.filtered(lambda d: d.kind == "working").mapped("date")
        )
        self.assertFalse(self.federal.is_working_day(D(2026, 5, 11)))
        self.assertTrue(self.federal.is_working_day(D(2025, 11, 1)))
        # A decree entered in the UI applies at once, without code. (A
        # Wednesday of a year whose calendar is settled: no future decree
        # can make this test wrong.)
        self.assertTrue(self.federal.is_working_day(D(2026, 11, 25)))
        with Form(self.federal) as form, form.day_ids.new() as line:
            line.date = D(2026, 11, 25)
            line.kind = "day_off"
            line.name = "A regional decree"
        self.assertFalse(self.federal.is_working_day(D(2026, 11, 25)))

    def test_companies_get_the_federal_calendar(self):
        company = self.env["res.company"].create({"name": "ЖСК Новый"})
        self.assertEqual(company.helpdesk_calendar_id, self.federal)
        company.helpdesk_calendar_id = False
        self.env["res.company"]._helpdesk_set_default_calendar()
        self.assertEqual(company.helpdesk_calendar_id, self.federal)

    def test_regional_calendar_of_a_house(self):
        region = self.env["helpdesk.production.calendar"].create(
            {
                "name": "Republic",
                "parent_id": self.federal.id,
                "day_ids": [(0, 0, {"date": D(2026, 11, 23), "kind": "holiday"})],
            }
        )
        self.assertFalse(region.is_working_day(D(2026, 11, 23)))
        self.assertFalse(region.is_working_day(D(2026, 11, 4)))  # federal holiday too
        self.assertTrue(self.federal.is_working_day(D(2026, 11, 23)))
        ticket = self.gis_ticket(D(2026, 11, 20))
        answer = self.by_code(ticket)["C2/answer"]
        self.assertEqual(
            answer.computed_deadline,
            local_midnight_utc(D(2026, 12, 4), "Europe/Moscow"),
        )
        ticket.gis_house_id.calendar_id = region
        self.env["helpdesk.ticket.deadline"]._sync_tickets(ticket)
        self.assertEqual(
            answer.computed_deadline,
            local_midnight_utc(D(2026, 12, 7), "Europe/Moscow"),
        )
        with self.assertRaises(ValidationError):
            self.federal.parent_id = region

    # -- rules ------------------------------------------------------------

    def test_statutory_rules_are_preloaded_with_their_sources(self):
        rules = self.env["helpdesk.deadline.rule"].search([])
        codes = set(rules.mapped("code"))
        self.assertTrue(
            {"A1", "A2", "A3", "A4", "C1", "C2", "C3", "D1", "D5", "D6", "D7", "E2"}
            <= codes
        )
        a2 = rules.filtered(lambda r: r.code == "A2")
        self.assertEqual(
            sorted((m.kind, m.duration, m.unit) for m in a2.milestone_ids),
            [("elimination", 72, "hours"), ("localisation", 30, "minutes")],
        )
        self.assertIn("416", a2.legal_basis)
        unconfirmed = rules.filtered("source_unconfirmed").mapped("code")
        self.assertEqual(sorted(unconfirmed), ["C1", "C2", "D7"])
        self.assertIn(
            "source unconfirmed", rules.filtered(lambda r: r.code == "C2").legal_basis
        )
        a4 = rules.filtered(lambda r: r.code == "A4").milestone_ids
        self.assertEqual((a4.window_start, a4.window_end), (8.0, 23.0))

    def test_rule_conditions(self):
        rule = self.env["helpdesk.deadline.rule"].create(
            {
                "name": "High priority",
                "priorities": "2,3",
                "domain": "[('name', 'ilike', 'лифт')]",
            }
        )
        lift = self.ticket(name="Застрял лифт", priority="3")
        other = self.ticket(name="Застрял лифт", priority="1")
        self.assertEqual(rule._matching(lift | other), lift)
        with self.assertRaises(ValidationError):
            rule.priorities = "urgent"
        with self.assertRaises(ValidationError):
            rule.domain = "[('no_such_field', '=', 1)]"
        empty = self.env["helpdesk.deadline.rule"].create({"name": "Nothing set"})
        self.assertFalse(empty._matching(lift))

    # -- milestones of tickets ---------------------------------------------

    def test_emergency_ticket_gets_its_milestones(self):
        ticket = self.ticket(category_id=self.emergency.id)
        milestones = self.by_code(ticket)
        self.assertEqual(
            set(milestones),
            {"A0/inform", "A2/localisation", "A2/elimination", "C2/answer"},
        )
        created = ticket.create_date
        self.assertEqual(
            milestones["A2/localisation"].deadline,
            created + datetime.timedelta(minutes=30),
        )
        self.assertEqual(
            milestones["A2/elimination"].deadline,
            created + datetime.timedelta(hours=72),
        )
        self.assertTrue(ticket.deadline_needs_localisation)
        self.assertEqual(ticket.next_deadline, milestones["A2/localisation"].deadline)
        self.assertEqual(ticket.deadline_state, "running")
        # Localised: met; the elimination keeps running.
        ticket.action_mark_localised()
        self.assertEqual(milestones["A2/localisation"].state, "met")
        self.assertEqual(milestones["A2/localisation"].on_time, 100)
        self.assertEqual(milestones["A2/elimination"].state, "running")
        self.assertFalse(ticket.deadline_needs_localisation)

    def test_changing_the_category_recomputes(self):
        ticket = self.ticket(category_id=self.emergency.id)
        ticket.category_id = self.refuse_chute
        milestones = self.by_code(ticket)
        self.assertEqual(set(milestones), {"A0/inform", "A4/elimination", "C2/answer"})
        chute = milestones["A4/elimination"]
        local = chute.start.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Moscow"))
        # Two hours of the 08:00-23:00 window.
        self.assertLessEqual(chute.deadline - chute.start, datetime.timedelta(hours=11))
        self.assertTrue(
            8 <= chute.deadline.replace(tzinfo=UTC).astimezone(local.tzinfo).hour <= 23
        )

    def test_closing_meets_and_a_breach_stays_recorded(self):
        ticket = self.ticket(category_id=self.emergency.id)
        milestones = self.by_code(ticket)
        # Time passes: the localisation is breached.
        later = milestones["A2/localisation"].deadline + datetime.timedelta(minutes=1)
        self.env["helpdesk.ticket.deadline"]._refresh_states(later)
        self.assertEqual(milestones["A2/localisation"].state, "breached")
        self.assertEqual(ticket.deadline_state, "breached")
        # Closing meets the others and keeps the breach.
        ticket.stage_id = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        self.assertEqual(milestones["A2/elimination"].state, "met")
        self.assertEqual(milestones["A2/localisation"].state, "breached")
        self.assertTrue(milestones["A2/localisation"].breached)
        # A rule that no longer applies keeps what was breached.
        ticket.category_id = self.refuse_chute
        self.assertIn(milestones["A2/localisation"], ticket.deadline_ids)
        self.assertEqual(ticket.deadline_state, "breached")

    def test_gis_date_is_authoritative_and_a_disagreement_flagged(self):
        agreeing = self.gis_ticket(D(2026, 11, 20), D(2026, 12, 4))
        answer = self.by_code(agreeing)["C2/answer"]
        self.assertEqual(
            answer.deadline, local_midnight_utc(D(2026, 12, 4), "Europe/Moscow")
        )
        self.assertFalse(answer.gis_mismatch)
        disagreeing = self.gis_ticket(D(2026, 11, 20), D(2026, 11, 30))
        answer = self.by_code(disagreeing)["C2/answer"]
        self.assertEqual(
            answer.deadline, local_midnight_utc(D(2026, 11, 30), "Europe/Moscow")
        )
        self.assertEqual(
            answer.computed_deadline,
            local_midnight_utc(D(2026, 12, 4), "Europe/Moscow"),
        )
        self.assertTrue(answer.gis_mismatch)
        # GIS rolls the deadline over: the ticket follows.
        disagreeing.gis_deadline = D(2026, 12, 20)
        self.assertEqual(
            answer.deadline, local_midnight_utc(D(2026, 12, 20), "Europe/Moscow")
        )

    def test_a_difference_from_gis_only_where_there_is_something_to_compare(self):
        differing = self.gis_ticket(D(2026, 11, 20), D(2026, 11, 30))
        self.assertTrue(self.by_code(differing)["C2/answer"].gis_mismatch)
        self.assertTrue(differing.deadline_gis_mismatch)
        # No GIS deadline yet: nothing to compare.
        waiting = self.gis_ticket(D(2026, 11, 20), None, guid=str(uuid.uuid4()))
        self.assertFalse(waiting.gis_deadline)
        self.assertFalse(waiting.deadline_ids.filtered("gis_mismatch"))
        self.assertFalse(waiting.deadline_gis_mismatch)
        # Not (or no longer) a GIS appeal: a GIS date with no appeal behind it.
        not_appeal = self.ticket(gis_deadline=D(2026, 11, 30))
        self.assertTrue(self.by_code(not_appeal)["C2/answer"])
        self.assertFalse(not_appeal.deadline_ids.filtered("gis_mismatch"))
        self.assertFalse(not_appeal.deadline_gis_mismatch)
        # A GIS appeal without its date of receipt: our rule counted from the
        # ticket's creation says nothing about GIS's date.
        no_receipt = self.ticket(
            gis_appeal_guid=str(uuid.uuid4()), gis_deadline=D(2026, 11, 30)
        )
        self.assertFalse(no_receipt.deadline_ids.filtered("gis_mismatch"))
        # Once GIS agrees, the mark goes.
        gis_facts_writer(differing).gis_deadline = D(2026, 12, 4)
        self.assertFalse(differing.deadline_gis_mismatch)
        help_text = self.env["helpdesk.ticket.deadline"]._fields["gis_mismatch"].help
        self.assertIn("ExecutionEndDate", help_text)

    def test_reimported_extension_moves_the_deadline_once(self):
        appeal = dataclasses.replace(
            self.appeals()[0],
            create_date=D(2026, 11, 20),
            execution_end_date=D(2026, 12, 4),
        )
        self.env["gis.appeal.import"]._import_appeals(self.backend, [appeal])
        extended = dataclasses.replace(
            appeal, execution_end_date=D(2026, 12, 18), rolled_over=True
        )
        self.env["gis.appeal.import"]._import_appeals(self.backend, [extended])
        ticket = self.tickets()
        answer = self.by_code(ticket)["C2/answer"]
        self.assertEqual(
            answer.deadline, local_midnight_utc(D(2026, 12, 18), "Europe/Moscow")
        )
        self.assertTrue(answer.gis_mismatch)
        # Updated in place: still one C2 milestone.
        c2 = ticket.deadline_ids.filtered(lambda d: d.rule_id.code == "C2")
        self.assertEqual(c2, answer)

    def test_house_time_zone(self):
        ticket = self.gis_ticket(D(2026, 11, 20))
        ticket.gis_house_id.tz = "Asia/Kamchatka"
        self.env["helpdesk.ticket.deadline"]._sync_tickets(ticket)
        answer = self.by_code(ticket)["C2/answer"]
        self.assertEqual(
            answer.deadline, local_midnight_utc(D(2026, 12, 4), "Asia/Kamchatka")
        )
        self.assertEqual(answer.deadline, datetime.datetime(2026, 12, 4, 12, 0))

    def test_gis_status_stops_a_milestone(self):
        rule = self.env.ref("helpdesk_gis_zhkh_max.rule_c2")
        rule.milestone_ids.stop_gis_statuses = "executed,withdrawn"
        ticket = self.gis_ticket(
            D(2026, 11, 20), status="executed", raw_status="Executed"
        )
        self.assertEqual(self.by_code(ticket)["C2/answer"].state, "met")

    def test_met_on_the_gis_day_whatever_the_import_lag(self):
        # GIS dates are days of the building's calendar: the answer sent on
        # the last day meets the deadline there, even when the import that
        # brings it runs days later. The shipped rules as they are: an
        # appeal executed in GIS is answered.
        self.assertFalse(
            self.env.ref("helpdesk_gis_zhkh_max.rule_c2").milestone_ids.mapped(
                "stop_gis_statuses"
            )[0]
        )
        for zone, met_utc in (
            ("Europe/Kaliningrad", datetime.datetime(2026, 11, 15, 22, 0)),
            ("Asia/Kamchatka", datetime.datetime(2026, 11, 15, 12, 0)),
        ):
            with self.subTest(zone=zone):
                appeal = dataclasses.replace(
                    self.appeals(seed=zone)[0],
                    create_date=D(2026, 11, 2),
                    execution_end_date=D(2026, 11, 16),
                    fias_house_guid=str(uuid.uuid4()),
                    status="executed",
                    raw_status="Executed",
                    history=[
                        gis_xml_parse.HistoryEntry(
                            change_date=D(2026, 11, 16),
                            kind="answer",
                            data={"is_sent": True, "send_date": "2026-11-16"},
                        )
                    ],
                )
                self.env["gis.zhkh.house"].create(
                    {
                        "name": zone,
                        "fias_guid": appeal.fias_house_guid,
                        "tz": zone,
                    }
                )
                self.env["gis.appeal.import"]._import_appeals(self.backend, [appeal])
                ticket = self.tickets().filtered(
                    lambda t, guid=appeal.guid: t.gis_appeal_guid == guid
                )
                self.assertEqual(ticket.gis_status_date, D(2026, 11, 16))
                answer = self.by_code(ticket)["C2/answer"]
                self.assertEqual(
                    answer.deadline, local_midnight_utc(D(2026, 11, 16), zone)
                )
                self.assertEqual(answer.done_at, met_utc)
                self.assertEqual(answer.state, "met")
                self.assertFalse(answer.breached)

    def test_withdrawn_on_the_last_day_is_not_a_breach(self):
        # The import moves a withdrawn appeal to the Cancelled stage days
        # later; the milestone stops on GIS's day, not the import's.
        cancelled = self.env["helpdesk.ticket.stage"].search(
            [("closed", "=", True)], limit=1
        )
        self.backend.withdrawn_stage_id = cancelled
        zone = "Asia/Kamchatka"
        appeal = dataclasses.replace(
            self.appeals(seed="withdrawn-late")[0],
            create_date=D(2026, 11, 2),
            execution_end_date=D(2026, 11, 16),
            fias_house_guid=str(uuid.uuid4()),
            status="withdrawn",
            raw_status="Withdrawn",
            withdrawn_comment="Уже не нужно",
            history=[
                gis_xml_parse.HistoryEntry(
                    change_date=D(2026, 11, 16), kind="change", data={}
                )
            ],
        )
        self.env["gis.zhkh.house"].create(
            {"name": zone, "fias_guid": appeal.fias_house_guid, "tz": zone}
        )
        self.env["gis.appeal.import"]._import_appeals(self.backend, [appeal])
        ticket = self.tickets().filtered(lambda t: t.gis_appeal_guid == appeal.guid)
        self.assertEqual(ticket.stage_id, cancelled)
        self.assertEqual(ticket.gis_status_date, D(2026, 11, 16))
        answer = self.by_code(ticket)["C2/answer"]
        self.assertEqual(answer.done_at, datetime.datetime(2026, 11, 15, 12, 0))
        self.assertEqual(answer.state, "met")

    # -- warnings and escalation -------------------------------------------

    def activities(self, ticket, xmlid):
        return ticket.activity_ids.filtered(
            lambda a: (
                a.activity_type_id == self.env.ref(f"helpdesk_gis_zhkh_max.{xmlid}")
            )
        )

    def test_warning_once_then_escalation_once(self):
        ticket = self.ticket(category_id=self.emergency.id, user_id=self.dispatcher.id)
        localisation = self.by_code(ticket)["A2/localisation"]
        sweep = self.env["helpdesk.ticket.deadline"]._cron_sweep
        # Half the period elapsed (the preloaded warning): at risk.
        localisation.warn_at = datetime.datetime.now() - datetime.timedelta(seconds=1)
        sweep()
        self.assertEqual(localisation.state, "at_risk")
        warnings = self.activities(ticket, "mail_activity_deadline_at_risk")
        self.assertEqual(warnings.user_id, self.dispatcher)
        sweep()
        self.assertEqual(
            len(self.activities(ticket, "mail_activity_deadline_at_risk")), 1
        )
        # The deadline passes: escalated to the team leader, once.
        localisation.deadline = datetime.datetime.now() - datetime.timedelta(seconds=1)
        sweep()
        sweep()
        escalations = self.activities(ticket, "mail_activity_deadline_breached")
        self.assertEqual(len(escalations), 1)
        self.assertEqual(escalations.user_id, self.leader)
        self.assertTrue(localisation.breached and localisation.escalated)
        self.assertIn("breached", ticket.message_ids[0].body)
        # The team heard of both, once each, in one digest per sweep sent
        # to its people (test_residents_access: not in the team's chatter).
        digests = self.env["mail.message"].search(
            [
                ("model", "=", "helpdesk.ticket.team"),
                ("res_id", "=", self.team.id),
                ("body", "ilike", ticket.number),
            ]
        )
        self.assertEqual(len(digests), 2)
        self.assertIn(self.dispatcher.partner_id, digests.partner_ids)

    def test_the_sweep_writes_in_the_organisations_language(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"].search(
            [("name", "=", "helpdesk_gis_zhkh_max")]
        )._update_translations(["ru_RU"])
        ticket = self.ticket(category_id=self.emergency.id, user_id=self.dispatcher.id)
        ticket.company_id.partner_id.lang = "ru_RU"
        localisation = self.by_code(ticket)["A2/localisation"]
        localisation.deadline = datetime.datetime.now() - datetime.timedelta(seconds=1)
        # The cron runs as a technical user, in English.
        self.env["helpdesk.ticket.deadline"].with_context(lang="en_US")._cron_sweep()
        note = ticket.message_ids[0].body
        self.assertIn("Нормативный срок нарушен", note)
        self.assertNotIn("breached", note)
        escalation = self.activities(ticket, "mail_activity_deadline_breached")
        self.assertIn("Срок нарушен", escalation.summary)

    def test_sweep_works_in_bounded_batches(self):
        tickets = self.env["helpdesk.ticket"]
        for _i in range(5):
            tickets |= self.ticket(category_id=self.emergency.id)
        past = datetime.datetime.now() - datetime.timedelta(seconds=1)
        tickets.deadline_ids.filtered(
            lambda d: d.kind == "localisation"
        ).deadline = past
        cron = self.env.ref("helpdesk_gis_zhkh_max.ir_cron_deadline_sweep")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        deadlines = self.env["helpdesk.ticket.deadline"]
        self.assertEqual(deadlines._cron_sweep(batch=2)[0], 2)
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers,
        )
        self.assertEqual(deadlines._cron_sweep(batch=2)[0], 2)
        self.assertEqual(deadlines._cron_sweep(batch=2)[0], 1)
        self.assertEqual(deadlines._cron_sweep(batch=2)[0], 0)

    def test_rule_change_resyncs_open_tickets_in_a_job(self):
        ticket = self.ticket(category_id=self.emergency.id)
        milestone = self.env.ref("helpdesk_gis_zhkh_max.rule_a2_m1")
        with trap_jobs() as trap:
            milestone.duration = 45
            trap.assert_jobs_count(
                1, only=self.env["helpdesk.ticket.deadline"]._resync_open_tickets
            )
            trap.perform_enqueued_jobs()
        localisation = self.by_code(ticket)["A2/localisation"]
        self.assertEqual(
            localisation.deadline, ticket.create_date + datetime.timedelta(minutes=45)
        )

    # -- access and UI ------------------------------------------------------

    def test_access(self):
        own = self.ticket(category_id=self.emergency.id, user_id=self.dispatcher.id)
        personal = new_test_user(
            self.env,
            login="gis_personal",
            groups="helpdesk_mgmt.group_helpdesk_user_own",
        )
        mine = self.ticket(category_id=self.emergency.id, user_id=personal.id)
        visible = self.env["helpdesk.ticket.deadline"].with_user(personal).search([])
        self.assertEqual(visible.ticket_id, mine)
        self.assertNotIn(own, visible.ticket_id)
        with self.assertRaises(AccessError):
            mine.deadline_ids.with_user(personal).write({"state": "met"})
        with self.assertRaises(AccessError):
            self.env.ref("helpdesk_gis_zhkh_max.rule_c2").with_user(personal).write(
                {"name": "x"}
            )

    def test_views_and_filters(self):
        ticket = self.ticket(category_id=self.emergency.id)
        expected = {
            ("helpdesk.ticket.deadline", "pivot"): {"on_time", "category_id"},
            ("helpdesk.ticket.deadline", "graph"): {"on_time"},
            ("helpdesk.ticket.deadline", "list"): {"ticket_id", "deadline", "state"},
            ("helpdesk.ticket.deadline", "search"): {"ticket_id", "team_id"},
            ("helpdesk.deadline.rule", "list"): {"code", "name", "legal_act"},
            ("helpdesk.deadline.rule", "form"): {
                "milestone_ids",
                "legal_act",
                "legal_clause",
                "source_unconfirmed",
                "category_ids",
            },
            ("helpdesk.production.calendar", "list"): {"name"},
            ("helpdesk.production.calendar", "form"): {"parent_id", "day_ids"},
        }
        for (model, view_type), names in expected.items():
            with self.subTest(model=model, view=view_type):
                self.assertLessEqual(names, view_fields(self.env, model, view_type))
        tickets = self.env["helpdesk.ticket"]
        self.assertIn(ticket, tickets.search([("deadline_state", "=", "running")]))
        self.assertIn(
            ticket,
            tickets.search(
                [
                    (
                        "next_deadline",
                        "<",
                        datetime.datetime.now() + datetime.timedelta(hours=1),
                    )
                ]
            ),
        )
        data = self.env["helpdesk.ticket.deadline"].formatted_read_group(
            [("ticket_id", "=", ticket.id)], ["category_id"], ["on_time:avg"]
        )
        self.assertTrue(data)
        Form(ticket)
