# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import dataclasses
import datetime
import uuid
import zoneinfo

from lxml import etree

from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from .common import GisCase, view_fields


def filter_domain(env, model, name):
    arch = env[model].get_view(view_type="search")["arch"]
    node = etree.fromstring(arch).xpath(f"//filter[@name='{name}']")[0]
    return safe_eval(node.get("domain"), {"context_today": datetime.date.today})


@tagged("post_install", "-at_install")
class TestViews(GisCase):
    def local_today(self, zone):
        return datetime.datetime.now(zoneinfo.ZoneInfo(zone)).date()

    def import_with_deadline(self, appeal, deadline, zone=None, **changes):
        guid = str(uuid.uuid4())
        if zone:
            self.env["gis.zhkh.house"].create(
                {"name": zone, "fias_guid": guid, "tz": zone}
            )
        appeal = dataclasses.replace(
            appeal, execution_end_date=deadline, fias_house_guid=guid, **changes
        )
        self.env["gis.appeal.import"]._import_appeals(self.backend, [appeal])
        return self.tickets().filtered(lambda t: t.gis_appeal_guid == appeal.guid)

    def found(self, name, tickets):
        return self.env["helpdesk.ticket"].search(
            filter_domain(self.env, "helpdesk.ticket", name)
            + [("id", "in", tickets.ids)]
        )

    def test_gis_deadline_filters_in_the_buildings_time_zone(self):
        base = self.appeals(6)
        kamchatka = self.local_today("Asia/Kamchatka")
        kaliningrad = self.local_today("Europe/Kaliningrad")
        passed = self.import_with_deadline(
            base[0], kamchatka - datetime.timedelta(days=1), "Asia/Kamchatka"
        )
        today_east = self.import_with_deadline(base[1], kamchatka, "Asia/Kamchatka")
        today_west = self.import_with_deadline(
            base[2], kaliningrad, "Europe/Kaliningrad"
        )
        later = self.import_with_deadline(
            base[3], kaliningrad + datetime.timedelta(days=3), "Europe/Kaliningrad"
        )
        withdrawn = self.import_with_deadline(
            base[4],
            kamchatka - datetime.timedelta(days=2),
            status="withdrawn",
            raw_status="Withdrawn",
            withdrawn=True,
        )
        plain = self.env["helpdesk.ticket"].create(
            {"name": "Phone call", "description": "x"}
        )
        tickets = passed | today_east | today_west | later | withdrawn | plain

        self.assertEqual(self.found("from_gis", tickets), tickets - plain)
        # A withdrawn appeal sits in a closed stage: its deadline no longer counts.
        self.assertEqual(self.found("gis_deadline_passed", tickets), passed)
        self.assertEqual(
            self.found("gis_deadline_today", tickets), today_east | today_west
        )
        self.assertEqual(self.found("gis_withdrawn", tickets), withdrawn)
        # The decoration of the list and the form says the same.
        self.assertEqual(
            [t.gis_deadline_due for t in (passed, today_east, today_west, later)],
            ["passed", "today", "today", "later"],
        )

    def test_deadline_filters_agree_with_the_badge(self):
        # Emergencies (demo theme 1): several milestones each.
        appeals = [
            dataclasses.replace(a, theme_code="1", theme_name="Аварийная ситуация")
            for a in self.appeals(4)
        ]
        self.env["gis.appeal.import"]._import_appeals(self.backend, appeals)
        tickets = self.tickets()
        self.assertTrue(all(len(t.deadline_ids) >= 2 for t in tickets))
        breached_and_at_risk, at_risk, running, met = tickets
        states = {
            breached_and_at_risk: ("breached", "at_risk"),
            at_risk: ("at_risk", "running"),
            running: ("running", "met"),
            met: ("met", "met"),
        }
        for ticket, (first, others) in states.items():
            ticket.deadline_ids[:1].state = first
            ticket.deadline_ids[1:].state = others
        self.assertEqual(breached_and_at_risk.deadline_state, "breached")
        self.assertEqual(at_risk.deadline_state, "at_risk")
        for state, name in (
            ("at_risk", "deadline_at_risk"),
            ("breached", "deadline_breached"),
        ):
            with self.subTest(filter=name):
                self.assertEqual(
                    self.found(name, tickets),
                    tickets.filtered(lambda t, s=state: t.deadline_state == s),
                )
        model = self.env["helpdesk.ticket"]
        for state in ("running", "at_risk", "met", "breached"):
            with self.subTest(state=state):
                self.assertEqual(
                    model.search(
                        [("deadline_state", "=", state), ("id", "in", tickets.ids)]
                    ),
                    tickets.filtered(lambda t, s=state: t.deadline_state == s),
                )

    def test_ticket_form_shows_the_gis_facts(self):
        self.env["gis.appeal.import"]._import_appeals(self.backend, self.appeals(1))
        ticket = self.tickets()
        arch = etree.fromstring(
            self.env["helpdesk.ticket"].get_view(view_type="form")["arch"]
        )
        banner = arch.xpath("//div[@name='gis_official']")[0]
        self.assertEqual(
            banner.xpath(".//field/@name"),
            [
                "gis_appeal_number",
                "gis_received_date",
                "gis_deadline",
                "gis_deadline_due",
            ],
        )
        self.assertEqual(banner.get("invisible"), "not gis_appeal_guid")
        page = arch.xpath("//page[@name='gis_zhkh']")[0]
        self.assertTrue(
            {"gis_status", "gis_legal_basis", "gis_applicant_name", "gis_neighbours"}
            <= set(page.xpath(".//field/@name"))
        )
        self.assertTrue(
            arch.xpath("//page[@name='legal_deadlines']//field[@name='deadline_ids']")
        )
        with Form(ticket) as form:
            form.gis_premise_number = "15"
            self.assertEqual(form.gis_appeal_number, ticket.gis_appeal_number)
        self.assertEqual(ticket.gis_premise_number, "15")
        self.assertTrue(
            {"gis_appeal_number", "gis_deadline", "deadline_state", "next_deadline"}
            <= view_fields(self.env, "helpdesk.ticket", "list")
        )

    def test_configuration_screens_show_their_settings(self):
        expected = {
            ("gis.zhkh.backend", "form"): {
                "endpoint_url",
                "org_ppa_guid",
                "signing_mode",
                "signing_profile",
                "signing_problem",
                "basic_auth_password",
                "stage_mail_to_residents",
                "withdrawn_stage_id",
                "last_exchange_at",
                "last_error",
            },
            ("gis.zhkh.backend", "list"): {"name", "last_success_at"},
            ("gis.zhkh.message", "list"): {"state", "purpose", "created_count"},
            ("gis.zhkh.message", "form"): {
                "ack_guid",
                "message_guid",
                "error_code",
                "error_details",
            },
            ("gis.zhkh.message", "search"): {"ack_guid", "message_guid"},
            ("gis.appeal.theme", "list"): {
                "code",
                "category_id",
                "team_id",
                "priority",
            },
            ("gis.zhkh.house", "list"): {"name", "fias_guid"},
            ("gis.zhkh.house", "form"): {"fias_guid", "tz", "calendar_id"},
        }
        for (model, view_type), names in expected.items():
            with self.subTest(model=model, view=view_type):
                self.assertLessEqual(names, view_fields(self.env, model, view_type))
        with Form(self.backend) as form:
            form.stage_mail_to_residents = True
        self.assertTrue(self.backend.stage_mail_to_residents)
