# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""ПП РФ № 416 п. 13 as written (issue 16): the accident's clock, the
applicant told the planned timeframe by what really told them, gas, the
local authority, the deadline agreed for a minor fault."""

import datetime
import importlib.util
from pathlib import Path

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tests.common import TransactionCase

from odoo.addons.queue_job.tests.common import trap_jobs

from ..tools import max_dialog as conversation
from .common import GisCase
from .max_common import RESIDENT, MaxCase

MINUTE = datetime.timedelta(minutes=1)
ADDON_DIR = Path(__file__).resolve().parents[1]


def by_code(ticket):
    return {f"{d.rule_id.code}/{d.kind}": d for d in ticket.deadline_ids}


def now():
    return datetime.datetime.now().replace(microsecond=0)


def registered_ago(ticket, minutes):
    """As if ``ticket`` had been registered ``minutes`` ago."""
    ticket.flush_recordset()
    ticket.env.cr.execute(
        "UPDATE helpdesk_ticket SET create_date = %s WHERE id = %s",
        [now() - datetime.timedelta(minutes=minutes), ticket.id],
    )
    ticket.invalidate_recordset(["create_date"])
    ticket.env["helpdesk.ticket.deadline"]._sync_tickets(ticket)
    return ticket


@tagged("post_install", "-at_install")
class TestDispatchDuties(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.emergency = ref("helpdesk_gis_zhkh_max.category_emergency")
        cls.team = cls.env["helpdesk.ticket.team"].create({"name": "ПП 416 team"})
        cls.dispatcher = new_test_user(
            cls.env,
            login="law416_dispatcher",
            groups="helpdesk_mgmt.group_helpdesk_user",
        )
        cls.outsider = new_test_user(
            cls.env,
            login="law416_outsider",
            groups="helpdesk_mgmt.group_helpdesk_user_own",
        )
        cls.team.user_ids = [(4, cls.dispatcher.id)]
        cls.env.company.partner_id.tz = "Europe/Moscow"

    def ticket(self, **values):
        values.setdefault("name", "Прорвало трубу в подвале")
        values.setdefault("description", "<p>Течёт</p>")
        values.setdefault("team_id", self.team.id)
        values.setdefault("category_id", self.emergency.id)
        return self.env["helpdesk.ticket"].create(values)

    # -- the accident's clock ---------------------------------------------------

    def test_elimination_runs_from_the_accident_localisation_from_registration(self):
        ticket = self.ticket()
        milestones = by_code(ticket)
        registered = ticket.create_date
        elimination = milestones["A2/elimination"]
        # Time unknown: from the registration.
        self.assertEqual(elimination.start, registered)
        self.assertEqual(
            elimination.deadline, registered + datetime.timedelta(hours=72)
        )
        # The dispatcher learns it happened 5 hours before the call.
        accident = registered - datetime.timedelta(hours=5)
        ticket.accident_at = accident
        self.assertEqual(elimination.start, accident)
        self.assertEqual(elimination.deadline, accident + datetime.timedelta(hours=72))
        # Localising counts from the registration of the request, still.
        localisation = milestones["A2/localisation"]
        self.assertEqual(localisation.deadline, registered + 30 * MINUTE)
        # Cleared: back to the registration.
        ticket.accident_at = False
        self.assertEqual(elimination.start, registered)

    def test_a_milestone_from_a_field_waits_for_it_unless_it_falls_back(self):
        rule = self.env["helpdesk.deadline.rule"].create(
            {
                "name": "From the accident",
                "category_ids": [(6, 0, self.emergency.ids)],
                "milestone_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Waits",
                            "kind": "custom",
                            "duration": 1,
                            "unit": "hours",
                            "clock_start": "field",
                            "start_field_id": self.env.ref(
                                "helpdesk_gis_zhkh_max.field_helpdesk_ticket__accident_at"
                            ).id,
                        },
                    )
                ],
            }
        )
        ticket = self.ticket()
        waiting = ticket.deadline_ids.filtered(lambda d: d.rule_id == rule)
        self.assertFalse(waiting)
        rule.milestone_ids.start_fallback = True
        self.env["helpdesk.ticket.deadline"]._sync_tickets(ticket)
        started = ticket.deadline_ids.filtered(lambda d: d.rule_id == rule)
        self.assertEqual(started.start, ticket.create_date)

    def test_an_accident_is_not_in_the_future(self):
        with self.assertRaises(ValidationError):
            self.ticket(accident_at=now() + datetime.timedelta(hours=1))

    # -- gas, the local authority -----------------------------------------------

    def test_gas_is_not_localised_under_p13_and_says_whom_to_call(self):
        ticket = self.ticket(accident_system="gas")
        self.assertEqual(set(by_code(ticket)), {"A0/inform", "C2/answer"})
        self.assertEqual(ticket.gas_emergency_phone, "104")
        ticket.gis_house_id = self.env["gis.zhkh.house"].create(
            {"name": "Лесная, 7", "gas_emergency_phone": "+7 495 000-04-04"}
        )
        self.assertEqual(ticket.gas_emergency_phone, "+7 495 000-04-04")
        self.assertFalse(ticket.authority_duty)
        # Electricity is localised, gas is not.
        ticket.accident_system = "electricity"
        self.assertIn("A2/localisation", by_code(ticket))
        self.assertFalse(ticket.authority_duty)

    def test_the_local_authority_is_a_duty_until_informed(self):
        for system in ("cold_water", "hot_water", "sewage", "heating"):
            with self.subTest(system=system):
                ticket = self.ticket(accident_system=system)
                self.assertTrue(ticket.authority_duty)
                ticket.with_user(self.dispatcher).action_mark_authority_informed()
                self.assertFalse(ticket.authority_duty)
                self.assertLessEqual(ticket.authority_informed_at, now() + MINUTE)
        with self.assertRaises(ValidationError):
            self.ticket(
                accident_system="heating",
                authority_informed_at=now() + datetime.timedelta(hours=2),
            )

    # -- minor faults -----------------------------------------------------------

    def test_the_agreed_deadline_is_the_milestones_deadline(self):
        repair = self.env.ref("helpdesk_gis_zhkh_max.category_repair")
        ticket = self.ticket(category_id=repair.id, name="Подтекает кран")
        self.assertNotIn("A7/elimination", by_code(ticket))
        with self.assertRaises(ValidationError):
            ticket.agreed_deadline = now() + datetime.timedelta(days=2)
        agreed = now() + datetime.timedelta(days=2)
        ticket.write({"agreed_deadline": agreed, "agreed_scope": "Заменить кран"})
        milestone = by_code(ticket)["A7/elimination"]
        self.assertEqual(milestone.deadline, agreed)
        self.assertEqual(milestone.computed_deadline, agreed)
        later = agreed + datetime.timedelta(days=1)
        ticket.agreed_deadline = later
        self.assertEqual(milestone.deadline, later)
        ticket.stage_id = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        self.assertEqual(milestone.state, "met")

    # -- the applicant told the planned timeframe: a logged call ------------------

    def test_the_inform_milestone_on_requests_to_the_dispatch_service(self):
        ref = self.env.ref
        for category in ("category_emergency", "category_sewer_blockage"):
            ticket = self.ticket(
                category_id=ref(f"helpdesk_gis_zhkh_max.{category}").id
            )
            inform = by_code(ticket)["A0/inform"]
            self.assertEqual(inform.deadline, ticket.create_date + 30 * MINUTE)
            self.assertEqual(inform.legal_basis[:6], "ПП РФ ")
        roof = self.ticket(
            category_id=ref("helpdesk_gis_zhkh_max.category_roof_leak").id
        )
        self.assertNotIn("A0/inform", by_code(roof))

    def test_a_logged_call_meets_it_at_the_time_of_the_call(self):
        ticket = registered_ago(self.ticket(), 25)
        inform = by_code(ticket)["A0/inform"]
        # Ticking something does not tell the applicant.
        ticket.reacted_at = now()
        self.assertIn(inform.state, ("running", "at_risk"))
        self.assertFalse(inform.done_at)
        planned = now() + datetime.timedelta(hours=4)
        called = ticket.create_date + 20 * MINUTE
        action = ticket.with_user(self.dispatcher).action_log_call()
        self.assertEqual(action["res_model"], "helpdesk.ticket.call")
        with Form(
            self.env["helpdesk.ticket.call"]
            .with_user(self.dispatcher)
            .with_context(**action["context"])
        ) as form:
            form.called_at = called
            form.planned_at = planned
            form.note = "Бригада будет до 14:00"
        self.assertEqual(ticket.informed_at, called)
        self.assertEqual(ticket.informed_by, "call")
        self.assertEqual((inform.state, inform.done_at), ("met", called))
        # The ticket had no planned completion: the one told is kept.
        self.assertEqual(ticket.planned_at, planned)
        self.assertIn("told the planned timeframe", ticket.message_ids[0].body)
        # A call logged later at an earlier time: the first telling counts.
        earlier = ticket.create_date + 5 * MINUTE
        self.env["helpdesk.ticket.call"].with_user(self.dispatcher).create(
            {"ticket_id": ticket.id, "called_at": earlier, "planned_at": planned}
        )
        self.assertEqual(inform.done_at, earlier)
        # A call that told no planned time tells nothing.
        other = self.ticket()
        self.env["helpdesk.ticket.call"].with_user(self.dispatcher).create(
            {"ticket_id": other.id, "told_planned": False, "note": "Не дозвонились"}
        )
        self.assertFalse(other.informed_at)

    def test_told_late_is_a_breach_and_calls_are_checked(self):
        ticket = registered_ago(self.ticket(), 60)
        inform = by_code(ticket)["A0/inform"]
        late = ticket.create_date + 40 * MINUTE
        self.env["helpdesk.ticket.call"].create(
            {"ticket_id": ticket.id, "called_at": late, "planned_at": now()}
        )
        self.assertEqual((inform.state, inform.done_at), ("breached", late))
        with self.assertRaises(ValidationError):
            self.env["helpdesk.ticket.call"].create(
                {
                    "ticket_id": ticket.id,
                    "called_at": now() + datetime.timedelta(hours=1),
                    "planned_at": now(),
                }
            )
        with self.assertRaises(ValidationError):
            self.env["helpdesk.ticket.call"].create({"ticket_id": ticket.id})
        # Whoever may not change the ticket logs no call on it.
        with self.assertRaises(AccessError):
            self.env["helpdesk.ticket.call"].with_user(self.outsider).create(
                {"ticket_id": ticket.id, "planned_at": now()}
            )

    def test_nobody_ticks_told_by_hand(self):
        ticket = self.ticket()
        for values in ({"informed_at": now()}, {"informed_by": "call"}):
            with self.subTest(values=values), self.assertRaises(AccessError):
                ticket.with_user(self.dispatcher).write(values)
        with self.assertRaises(AccessError):
            self.env["helpdesk.ticket"].with_user(self.dispatcher).create(
                {"name": "x", "informed_at": now()}
            )
        form = self.env["helpdesk.ticket"].get_view(view_type="form")["arch"]
        self.assertIn('name="informed_at"', form)
        self.assertTrue(self.env["helpdesk.ticket"]._fields["informed_at"].readonly)

    def test_the_rules_of_an_existing_database_are_upgraded_where_unedited(self):
        """migrations/19.0.1.5.0: the shipped A2 learns gas and the accident's
        clock where nobody edited it; A0 applies from the upgrade on."""
        spec = importlib.util.spec_from_file_location(
            "law416_migration",
            ADDON_DIR / "migrations" / "19.0.1.5.0" / "post-law-416-rules.py",
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        a2 = self.env.ref("helpdesk_gis_zhkh_max.rule_a2")
        elimination = self.env.ref("helpdesk_gis_zhkh_max.rule_a2_m2")
        a0 = self.env.ref("helpdesk_gis_zhkh_max.rule_a0")
        with trap_jobs():
            # As 19.0.1.4.0 left them.
            a2.write({"domain": "[]", "note": migration.OLD_A2_NOTE})
            elimination.write(
                {
                    "clock_start": "create_date",
                    "start_field_id": False,
                    "start_fallback": False,
                }
            )
            a0.domain = "[]"
            migration.migrate(self.env.cr, "19.0.1.4.0")
        self.env.invalidate_all()
        self.assertEqual(a2.domain, "[('accident_system', '!=', 'gas')]")
        self.assertEqual(a2.note, migration.NEW_A2_NOTE)
        self.assertEqual(elimination.start_field_id.name, "accident_at")
        self.assertTrue(elimination.start_fallback)
        self.assertIn("create_date", a0.domain)
        old = self.ticket()
        old.flush_recordset()
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET create_date = create_date - interval '1 day' "
            "WHERE id = %s",
            [old.id],
        )
        old.invalidate_recordset()
        self.env["helpdesk.ticket.deadline"]._sync_tickets(old)
        self.assertNotIn("A0/inform", by_code(old))
        # An integrator's edits stay.
        with trap_jobs():
            a2.write({"domain": "[('priority', '=', '3')]", "note": "Наша редакция"})
            migration.migrate(self.env.cr, "19.0.1.4.0")
        self.env.invalidate_all()
        self.assertEqual(a2.domain, "[('priority', '=', '3')]")
        self.assertEqual(a2.note, "Наша редакция")


@tagged("post_install", "-at_install")
class TestToldInGis(GisCase):
    """A GIS appeal: the operation GIS ZhKKh shows the resident."""

    ANSWERER = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"

    def setUp(self):
        super().setUp()
        self.backend.default_answerer_guid = self.ANSWERER
        self.fake.seed(self.appeals(1))
        self.run_import()
        self.ticket = self.tickets()
        self.ticket.category_id = self.env.ref(
            "helpdesk_gis_zhkh_max.category_emergency"
        )

    def send(self, operation, values):
        with trap_jobs() as trap:
            record = self.ticket._gis_queue_operation(operation, values)
            self.perform_all(trap)
        return record

    def test_the_performer_appointed_with_a_planned_date(self):
        inform = by_code(self.ticket)["A0/inform"]
        # A performer without a date tells the resident no timeframe.
        undated = self.send("performer", {})
        self.assertEqual(undated.state, "accepted")
        self.assertFalse(self.ticket.informed_at)
        self.assertEqual(inform.state, "running")
        self.ticket.planned_at = now() + datetime.timedelta(days=1)
        action = self.ticket.with_context(
            gis_operation="performer"
        ).action_gis_operation_wizard()
        planned = datetime.date.fromisoformat(
            action["context"]["default_date_of_appointment"]
        )
        dated = self.send("performer", {"date_of_appointment": planned})
        self.assertEqual(dated.state, "accepted")
        # Told when GIS accepted it, not when it was queued.
        self.assertEqual(self.ticket.informed_at, dated.done_at)
        self.assertEqual(self.ticket.informed_by, "gis")
        self.assertEqual((inform.state, inform.done_at), ("met", dated.done_at))

    def test_an_answer_tells_the_resident(self):
        answer = self.send("answer", {"text": "Бригада устранит течь до 18:00."})
        self.assertEqual(answer.state, "accepted")
        self.assertEqual(self.ticket.informed_at, answer.done_at)


@tagged("post_install", "-at_install")
class TestToldInMax(MaxCase):
    """A MAX request: the bot's message, met when MAX took it."""

    def emergency(self, pressed=None):
        fake = self.fake
        self.deliver(fake.resident_starts(RESIDENT))
        update = fake.resident_presses(RESIDENT, "m:emergency")
        if pressed:
            stamp = int(pressed.replace(tzinfo=datetime.UTC).timestamp() * 1000)
            update["timestamp"] = update["callback"]["timestamp"] = stamp
        self.deliver(update)
        return self.dialog().ticket_ids

    def test_the_emergency_button_dates_the_accident(self):
        pressed = now() - 10 * MINUTE
        ticket = self.emergency(pressed)
        self.assertEqual(ticket.accident_at, pressed)
        # Registered by the bot's user: the journal's "registered by".
        self.assertEqual(
            ticket.create_uid, self.env.ref("helpdesk_gis_zhkh_max.user_max_bot")
        )
        elimination = by_code(ticket)["A2/elimination"]
        self.assertEqual(elimination.start, pressed)
        self.assertEqual(elimination.deadline, pressed + datetime.timedelta(hours=72))
        # The localisation and the planned time run from the registration.
        self.assertEqual(by_code(ticket)["A0/inform"].start, ticket.create_date)
        # MAX's clock ahead of ours: never an accident in the future.
        ahead = self.dialog()._ticket_values(
            conversation.File(
                text="",
                files=[],
                urgent=True,
                accident_at=datetime.datetime.now(datetime.UTC) + 3 * MINUTE,
            )
        )
        self.assertLessEqual(ahead["accident_at"], datetime.datetime.now())

    def test_tell_the_planned_time_is_met_when_max_takes_it(self):
        ticket = self.emergency()
        inform = by_code(ticket)["A0/inform"]
        with self.assertRaises(UserError):
            ticket.action_max_tell_planned()
        ticket.planned_at = now() + datetime.timedelta(hours=3)
        before = len(self.texts())
        ticket.action_max_tell_planned()
        ticket.action_max_tell_planned()  # a double click sends nothing more
        told = self.outbox(inform_ticket_id=ticket.id)
        self.assertEqual(len(told), 1)
        self.assertIn(ticket.planned_text, told.text)
        self.assertTrue(ticket.planned_told)
        # Queued is not told.
        self.assertFalse(ticket.informed_at)
        self.assertEqual(inform.state, "running")
        self.run_jobs()
        self.assertEqual(told.state, "sent")
        self.assertEqual(self.texts()[before:], [told.text])
        self.assertEqual(ticket.informed_at, told.sent_at)
        self.assertEqual(ticket.informed_by, "max")
        self.assertEqual((inform.state, inform.done_at), ("met", told.sent_at))
        # A new planned time may be told again, once.
        ticket.planned_at += datetime.timedelta(hours=1)
        self.assertFalse(ticket.planned_told)
        ticket.action_max_tell_planned()
        self.run_jobs()
        self.assertEqual(len(self.outbox(inform_ticket_id=ticket.id)), 2)
        self.assertEqual(inform.done_at, told.sent_at)  # the first telling

    def test_not_delivered_tells_nothing_and_the_sweep_catches_up(self):
        ticket = self.emergency()
        ticket.planned_at = now() + datetime.timedelta(hours=3)
        self.fake.fail_next(path="/messages", status=400, code="bad.request")
        ticket.action_max_tell_planned()
        self.run_jobs()
        told = self.outbox(inform_ticket_id=ticket.id)
        self.assertEqual(told.state, "failed")
        self.assertFalse(ticket.informed_at)
        self.assertFalse(ticket.planned_told)  # the button shows again
        # MAX took it while the job's transaction was lost: the next sweep
        # applies it.
        ticket.action_max_tell_planned()
        again = self.outbox(inform_ticket_id=ticket.id, state="queued")
        sent_at = now()
        again.write({"state": "sent", "sent_at": sent_at})
        self.assertFalse(ticket.informed_at)
        self.env["helpdesk.ticket.deadline"]._cron_sweep()
        self.assertEqual(ticket.informed_at, sent_at)
        self.assertEqual(by_code(ticket)["A0/inform"].state, "met")

    def test_a_stopped_bot_cannot_be_told(self):
        ticket = self.emergency()
        ticket.planned_at = now() + datetime.timedelta(hours=3)
        self.dialog().stopped = True
        with self.assertRaisesRegex(UserError, "log the call"):
            ticket.action_max_tell_planned()
