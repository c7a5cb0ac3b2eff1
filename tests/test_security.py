# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from ..tools import fake_gis
from .common import GisCase


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
