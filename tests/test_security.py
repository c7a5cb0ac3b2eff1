# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
import uuid

from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, JsonRpcException, new_test_user, tagged

from ..models.gis_zhkh_backend_import import gis_today
from .common import ORG, GisCase, use_signer_profile
from .fakes import fake_gis
from .fakes.local_server import closed_url

CLOSED_URL = closed_url()


@tagged("post_install", "-at_install")
class TestSecurity(GisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dispatcher = new_test_user(
            cls.env, login="gis_dispatcher", groups="helpdesk_mgmt.group_helpdesk_user"
        )
        cls.manager = new_test_user(
            cls.env, login="gis_manager", groups="helpdesk_mgmt.group_helpdesk_manager"
        )
        cls.appeal = fake_gis.generate_appeals(1, seed="security", today=cls.today)[0]
        cls.env["gis.appeal.import"]._import_appeals(cls.backend, [cls.appeal])
        cls.ticket = cls.env["helpdesk.ticket"].search(
            [("gis_appeal_guid", "=", cls.appeal.guid)]
        )

    def test_dispatcher_sees_gis_fields_not_the_connection(self):
        ticket = self.ticket.with_user(self.dispatcher)
        self.assertEqual(ticket.gis_appeal_number, self.appeal.number)
        self.assertEqual(ticket.gis_status, "sent")
        with self.assertRaises(AccessError):
            self.backend.with_user(self.dispatcher).read(["name"])
        with self.assertRaises(AccessError):
            ticket.read(["gis_backend_id"])
        # The form opens for a dispatcher (fields of other groups are dropped).
        Form(ticket)

    def test_dispatcher_cannot_change_mapping_or_log(self):
        theme = (
            self.env["gis.appeal.theme"].search([], limit=1).with_user(self.dispatcher)
        )
        self.assertTrue(theme.read(["name"]))
        with self.assertRaises(AccessError):
            theme.write({"priority": "3"})
        with self.assertRaises(AccessError):
            self.env["gis.zhkh.message"].with_user(self.dispatcher).search([])

    def test_manager_edits_mapping_and_reads_log(self):
        theme = (
            self.env["gis.appeal.theme"]
            .with_user(self.manager)
            .create({"code": "950", "name": "Лифт"})
        )
        theme.priority = "2"
        self.env["gis.zhkh.house"].with_user(self.manager).search([]).write(
            {"name": "Renamed"}
        )
        self.run_import()
        log = self.env["gis.zhkh.message"].with_user(self.manager).search([])
        self.assertTrue(log)
        self.assertEqual(log[0].backend_name, self.backend.name)
        with self.assertRaises(AccessError):
            log.write({"state": "done"})
        with self.assertRaises(AccessError):
            self.backend.with_user(self.manager).read(["basic_auth_password"])

    def test_company_rules(self):
        other = self.env["res.company"].create({"name": "Other UK"})
        user = new_test_user(
            self.env,
            login="gis_other_manager",
            groups="helpdesk_mgmt.group_helpdesk_manager",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        self.assertFalse(self.env["gis.zhkh.house"].with_user(user).search([]))
        self.assertFalse(
            self.env["helpdesk.ticket"]
            .with_user(user)
            .search([("id", "=", self.ticket.id)])
        )

    # -- screens for everyone who may open a ticket ----------------------

    def test_follower_outside_the_helpdesk_opens_the_form(self):
        employee = new_test_user(
            self.env, login="gis_follower", groups="base.group_user"
        )
        self.ticket.message_subscribe(employee.partner_id.ids)
        ticket = self.ticket.with_user(employee)
        # The form as the web client loads it, legal deadlines included.
        form = Form(ticket)
        self.assertEqual(form.gis_appeal_number, self.appeal.number)
        self.assertTrue(ticket.deadline_ids)
        self.assertEqual(ticket.deadline_state, self.ticket.deadline_state)
        self.assertTrue(ticket.deadline_ids.read(["name", "deadline", "state"]))
        # The resident's personal data stays with the helpdesk staff.
        self.assertNotIn("gis_applicant_phone", form._view["fields"])
        with self.assertRaises(AccessError):
            ticket.read(["gis_applicant_phone"])
        with self.assertRaises(AccessError):
            ticket.read(["gis_neighbours"])
        # Not following: not seen.
        other = new_test_user(self.env, login="gis_stranger", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.ticket.deadline_ids.with_user(other).read(["state"])

    def test_portal_customer_reads_the_deadlines_of_their_ticket(self):
        portal = new_test_user(
            self.env, login="gis_resident", groups="base.group_portal"
        )
        self.ticket.partner_id = portal.partner_id
        ticket = self.ticket.with_user(portal)
        values = ticket.read(
            ["deadline_state", "next_deadline", "gis_appeal_number", "gis_deadline_due"]
        )
        self.assertEqual(values[0]["gis_appeal_number"], self.appeal.number)
        # Read in the building's zone, which a portal user may not read.
        self.assertEqual(
            values[0]["gis_deadline_due"], self.ticket.sudo().gis_deadline_due
        )
        self.assertEqual(
            ticket.deadline_ids.mapped("state"),
            self.ticket.deadline_ids.mapped("state"),
        )
        with self.assertRaises(AccessError):
            ticket.read(["gis_applicant_phone"])

    def test_dispatcher_reads_personal_data(self):
        ticket = self.ticket.with_user(self.dispatcher)
        self.assertEqual(ticket.gis_applicant_phone, self.appeal.applicant.phone)
        self.assertIn("gis_applicant_phone", Form(ticket)._view["fields"])

    def test_secrets_and_signer_changes(self):
        self.assertEqual(
            self.backend._fields["basic_auth_password"].groups, "base.group_system"
        )
        use_signer_profile(self, "main", "/usr/bin/gis-sign")
        use_signer_profile(self, "backup", "/usr/local/bin/other-signer")
        self.backend.write({"signing_mode": "command", "signing_profile": "main"})
        self.backend.signing_profile = "backup"
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = self.backend.message_ids.tracking_value_ids.filtered(
            lambda v: v.field_id.name == "signing_profile"
        )
        # The profile's name is tracked; the command is not the database's.
        self.assertEqual(tracked[:1].new_value_char, "backup")
        self.assertNotIn("signing_command", self.backend._fields)

    # -- GIS facts: written by GIS only ---------------------------------------

    def test_gis_facts_are_not_written_by_people(self):
        """An agent, a manager or a portal user cannot change what GIS ZhKKh
        says of an appeal, nor the MAX<->GIS link, whatever they send."""
        portal = new_test_user(
            self.env, login="gis_facts_portal", groups="base.group_portal"
        )
        self.ticket.partner_id = portal.partner_id
        other = self.env["helpdesk.ticket"].create(
            {"name": "Other", "description": "x"}
        )
        later = self.ticket.gis_deadline + datetime.timedelta(days=30)
        facts = {
            "gis_appeal_number": "999",
            "gis_appeal_guid": str(uuid.uuid4()),
            "gis_status": "executed",
            "gis_status_date": self.today,
            "gis_deadline": later,
            "gis_received_date": self.today - datetime.timedelta(days=3),
            "gis_answered_at": datetime.datetime(2026, 1, 1, 12, 0),
            "gis_assessment": "received",
            "gis_assessment_comment": "Всё хорошо",
            "gis_rolled_over": True,
            "max_link_ticket_id": other.id,
        }
        before = self.ticket.read(list(facts))[0]
        for user in (self.dispatcher, self.manager, portal):
            for name, value in facts.items():
                with (
                    self.subTest(user=user.login, field=name),
                    self.assertRaises(AccessError),
                ):
                    self.ticket.with_user(user).write({name: value})
        # The import's own context keys do not open the door either: over RPC
        # a context is JSON, and the writers' pass is not.
        with self.assertRaises(AccessError):
            self.ticket.with_user(self.manager).with_context(
                gis_import=True, gis_facts_writer=True
            ).write({"gis_deadline": later})
        # No forged appeal, by values or by defaults.
        tickets = self.env["helpdesk.ticket"].with_user(self.dispatcher)
        with self.assertRaises(AccessError):
            tickets.create(
                {"name": "Forged", "description": "x", "gis_deadline": later}
            )
        with self.assertRaises(AccessError):
            tickets.with_context(default_gis_appeal_number="1").create(
                {"name": "Forged", "description": "x"}
            )
        self.assertEqual(self.ticket.read(list(facts))[0], before)
        # What the helpdesk owns stays editable.
        self.ticket.with_user(self.dispatcher).write(
            {"gis_premise_number": "15", "reacted_at": datetime.datetime.now()}
        )
        self.assertEqual(self.ticket.gis_premise_number, "15")

    def test_the_link_and_its_dismissal_still_work_for_an_agent(self):
        max_ticket = self.env["helpdesk.ticket"].create(
            {
                "name": "Из MAX",
                "description": "Течёт кровля",
                "partner_id": self.ticket.partner_id.id,
                "channel_id": self.env.ref("helpdesk_gis_zhkh_max.channel_max").id,
            }
        )
        self.ticket.max_link_ticket_id = max_ticket
        self.ticket.with_user(self.dispatcher).action_max_dismiss_link()
        self.assertFalse(self.ticket.max_link_ticket_id)
        self.ticket.max_link_ticket_id = max_ticket
        self.ticket.with_user(self.dispatcher).action_max_link_gis()
        self.assertEqual(max_ticket.gis_appeal_number, self.appeal.number)
        self.assertEqual(max_ticket.gis_deadline, self.appeal.execution_end_date)
        self.assertFalse(self.ticket.active)

    # -- multi-company ------------------------------------------------------

    def test_record_rules_of_every_company_model(self):
        other = self.env["res.company"].create({"name": "УК Другая"})
        user = new_test_user(
            self.env,
            login="gis_other_admin",
            groups="base.group_system,helpdesk_mgmt.group_helpdesk_manager",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        self.run_import()
        own_theme = self.env["gis.appeal.theme"].create(
            {"code": "own-1", "name": "Own theme", "company_id": self.company.id}
        )
        shared_theme = self.env["gis.appeal.theme"].create(
            {"code": "shared-1", "name": "Shared theme"}
        )
        mine = {
            "gis.zhkh.backend": self.backend,
            "gis.zhkh.message": self.env["gis.zhkh.message"].search(
                [("backend_id", "=", self.backend.id)]
            ),
            "helpdesk.ticket.deadline": self.ticket.deadline_ids,
            "gis.appeal.theme": own_theme,
            "gis.zhkh.house": self.ticket.gis_house_id,
        }
        for model, records in mine.items():
            with self.subTest(model=model):
                self.assertTrue(records)
                found = (
                    self.env[model].with_user(user).search([("id", "in", records.ids)])
                )
                self.assertFalse(found)
                with self.assertRaises(AccessError):
                    records.with_user(user).read(["display_name"])
        # A theme mapping without a company is shared by all of them.
        self.assertEqual(
            self.env["gis.appeal.theme"]
            .with_user(user)
            .search([("id", "=", shared_theme.id)]),
            shared_theme,
        )


@tagged("post_install", "-at_install")
class TestPortalPage(HttpCase):
    def test_portal_customer_opens_their_gis_ticket(self):
        backend = self.env["gis.zhkh.backend"].create(
            {
                "name": "Portal test",
                "endpoint_url": CLOSED_URL,
                "org_ppa_guid": ORG,
            }
        )
        appeal = fake_gis.generate_appeals(1, seed="portal", today=gis_today())[0]
        self.env["gis.appeal.import"]._import_appeals(backend, [appeal])
        ticket = self.env["helpdesk.ticket"].search(
            [("gis_appeal_guid", "=", appeal.guid)]
        )
        self.assertTrue(ticket.deadline_ids)
        resident = new_test_user(
            self.env,
            login="gis_portal_resident",
            password="gis_portal_resident",
            groups="base.group_portal",
        )
        ticket.partner_id = resident.partner_id
        self.authenticate("gis_portal_resident", "gis_portal_resident")
        response = self.url_open(f"/my/ticket/{ticket.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(appeal.number, response.text)
        self.assertNotIn("/web/login", response.url)


@tagged("post_install", "-at_install")
class TestGisFactsOverRpc(HttpCase):
    def test_an_agent_cannot_change_the_gis_deadline_over_json_rpc(self):
        backend = self.env["gis.zhkh.backend"].create(
            {
                "name": "RPC test",
                "endpoint_url": CLOSED_URL,
                "org_ppa_guid": ORG,
            }
        )
        appeal = fake_gis.generate_appeals(1, seed="rpc-facts", today=gis_today())[0]
        self.env["gis.appeal.import"]._import_appeals(backend, [appeal])
        ticket = self.env["helpdesk.ticket"].search(
            [("gis_appeal_guid", "=", appeal.guid)]
        )
        new_test_user(
            self.env,
            login="gis_rpc_agent",
            password="gis_rpc_agent",
            groups="helpdesk_mgmt.group_helpdesk_manager",
        )
        self.authenticate("gis_rpc_agent", "gis_rpc_agent")
        for context in ({}, {"gis_import": True, "gis_facts_writer": True}):
            with self.subTest(context=context), self.assertRaises(JsonRpcException):
                self.make_jsonrpc_request(
                    "/web/dataset/call_kw/helpdesk.ticket/write",
                    {
                        "model": "helpdesk.ticket",
                        "method": "write",
                        "args": [[ticket.id], {"gis_deadline": "2031-01-01"}],
                        "kwargs": {"context": context},
                    },
                )
        ticket.invalidate_recordset()
        self.assertEqual(ticket.gis_deadline, appeal.execution_end_date)
