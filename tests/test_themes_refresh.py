# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import uuid

from odoo.tests import new_test_user, tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..tools import gis_xml_parse
from .common import GisCase


@tagged("post_install", "-at_install")
class TestThemesFromGis(GisCase):
    """Directory 220 from the common НСИ service (exportNsiItem): themes
    added to review, renamed, archived."""

    def refresh(self):
        manager = new_test_user(
            self.env,
            login=f"themes_manager_{uuid.uuid4().hex[:6]}",
            groups="helpdesk_mgmt.group_helpdesk_manager",
        )
        with trap_jobs() as trap:
            self.env["gis.appeal.theme"].with_user(manager).action_refresh_from_gis()
            self.perform_all(trap)
        return self.env["gis.zhkh.message"].search(
            [("backend_id", "=", self.backend.id), ("operation", "=", "export_nsi")],
            limit=1,
        )

    def theme(self, code):
        return (
            self.env["gis.appeal.theme"]
            .with_context(active_test=False)
            .search([("code", "=", code), ("company_id", "=", False)])
        )

    def test_refresh_adds_renames_and_archives(self):
        themes = self.fake.nsi_themes
        themes.append(
            gis_xml_parse.NsiElement("7", str(uuid.uuid4()), "Засор канализации", True)
        )
        themes.append(
            gis_xml_parse.NsiElement(
                "7.1", str(uuid.uuid4()), "Засор мусоропровода", True, "7"
            )
        )
        message = self.refresh()
        self.assertEqual(message.state, "done", message.error_message)
        self.assertEqual(message.purpose, "themes")
        added = self.theme("7.1")
        self.assertTrue(added.to_review and added.active)
        self.assertEqual(added.name, "Засор мусоропровода")
        # A first guess: "засор" is a repair, with a team.
        self.assertEqual(
            added.category_id, self.env.ref("helpdesk_gis_zhkh_max.category_repair")
        )
        self.assertTrue(added.team_id)
        # Every request reached the fake valid against the carried XSD.
        self.assertTrue(all(ok for _op, ok, _e in self.fake.calls()))
        self.assertIn("exportNsiItem", [op for op, _ok, _e in self.fake.calls()])

        # GIS renames one, retires another, drops a third from the directory.
        added.write({"to_review": False, "priority": "3"})
        themes[-1].name = "Засор ствола мусоропровода"
        themes[-2].is_actual = False
        dropped = themes.pop(0)
        message = self.refresh()
        self.assertEqual(
            (message.themes_added, message.themes_renamed, message.themes_archived),
            (0, 1, 2),
        )
        self.assertEqual(added.name, "Засор ствола мусоропровода")
        # The mapping a manager set is kept.
        self.assertEqual((added.to_review, added.priority), (False, "3"))
        self.assertFalse(self.theme("7").active)
        self.assertFalse(self.theme(dropped.code).active)
        # Nothing new the third time.
        message = self.refresh()
        self.assertEqual(
            (message.themes_added, message.themes_renamed, message.themes_archived),
            (0, 0, 0),
        )

    def test_weekly_cron_asks_gis(self):
        cron = self.env.ref("helpdesk_gis_zhkh_max.ir_cron_gis_appeal_theme_refresh")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "weeks"))
        with trap_jobs() as trap:
            self.env["gis.appeal.theme"]._cron_refresh_from_gis()
            self.assertTrue(
                [c for c in trap.calls if c.method.__name__ == "_job_refresh_themes"]
            )
