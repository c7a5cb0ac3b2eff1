# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import sys
from pathlib import Path

from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import ORG, GisCase

MUTED = "odoo.addons.helpdesk_gis_zhkh_max.models.gis_zhkh_backend"

# The dummy signer of the plain tests (an external program, as in production).
SIGNER = Path(__file__).parent / "plain" / "fake_signer.py"


@tagged("post_install", "-at_install")
class TestBackend(GisCase):
    def test_service_url(self):
        self.assertEqual(
            self.backend.service_url,
            self.server.url + "/ext-bus-appeals-service/services/AppealsAsync",
        )

    def test_constraints(self):
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.backend.org_ppa_guid = "not-a-guid"
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.backend.endpoint_url = "api.dom.gosuslugi.ru"
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.backend.write({"signing_mode": "command", "signing_command": False})
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.backend.import_interval = 0

    def test_form(self):
        with Form(self.env["gis.zhkh.backend"]) as form:
            form.name = "Test stand"
            form.endpoint_url = "https://sit01.dom.test.gosuslugi.ru:10081"
            form.org_ppa_guid = ORG
            form.basic_auth_user = "sit"
            form.basic_auth_password = "secret"
        backend = form.save()
        self.assertEqual(backend.withdrawn_stage_id.closed, True)
        self.assertEqual(backend.export_version, "14.8.0.1")

    def test_test_connection_success(self):
        action = self.backend.action_test_connection()
        self.assertEqual(
            action["params"]["type"], "success", action["params"]["message"]
        )
        self.assertEqual(
            [op for op, _ok, _e in self.fake.calls()], ["exportAppeal", "getState"]
        )
        self.assertTrue(all(ok for _op, ok, _e in self.fake.calls()))

    def test_test_connection_still_processing(self):
        self.fake.keep_processing = True
        self.fake.fail_next("delay", operation="getState", delay=0)  # harmless
        with mute_logger(MUTED):
            action = self.backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "warning")

    @mute_logger(MUTED)
    def test_test_connection_errors(self):
        self.backend.org_ppa_guid = "0e1c9f0e-8f57-4a06-9b1e-2a0e6c1b7a55"
        action = self.backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("AUT011002", action["params"]["message"])
        self.assertIn("needs a human", action["params"]["message"])
        self.backend.write({"org_ppa_guid": ORG, "endpoint_url": "http://127.0.0.1:9"})
        action = self.backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("temporary", action["params"]["message"])

    def test_signer_command(self):
        self.fake.require_signature = True
        self.addCleanup(setattr, self.fake, "require_signature", False)
        self.backend.write(
            {"signing_mode": "command", "signing_command": f"{sys.executable} {SIGNER}"}
        )
        action = self.backend.action_test_connection()
        self.assertEqual(
            action["params"]["type"], "success", action["params"]["message"]
        )
        self.backend.signing_command = "/nonexistent/signer"
        with mute_logger(MUTED):
            action = self.backend.action_test_connection()
        self.assertIn("Signer program not found", action["params"]["message"])

    def test_unknown_signing_mode_is_a_user_error(self):
        self.env.cr.execute(
            "UPDATE gis_zhkh_backend SET signing_mode = 'gost' WHERE id = %s",
            [self.backend.id],
        )
        self.backend.invalidate_recordset()
        with self.assertRaises(UserError):
            self.backend._get_client()

    def test_password_is_never_logged(self):
        self.backend.write(
            {"basic_auth_user": "sit", "basic_auth_password": "p@ss-SECRET"}
        )
        with self.assertLogs(
            "odoo.addons.helpdesk_gis_zhkh_max", level="DEBUG"
        ) as logs:
            self.backend.action_test_connection()
            self.backend.with_context(queue_job__no_delay=True)._job_import_appeals()
            logging.getLogger("odoo.addons.helpdesk_gis_zhkh_max").debug("end of test")
        self.assertNotIn("p@ss-SECRET", "\n".join(logs.output))

    def test_buttons(self):
        self.assertEqual(
            self.backend.action_open_tickets()["domain"],
            [("gis_backend_id", "=", self.backend.id)],
        )
        self.assertEqual(
            self.backend.action_open_message_log()["res_model"], "gis.zhkh.message"
        )
        with mute_logger("odoo.addons.queue_job.delay"):
            action = self.backend.action_import_appeals()
        self.assertEqual(action["tag"], "display_notification")
