# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import importlib.util
import logging
import sys

from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import ADDON_DIR, ORG, SIGNER, GisCase, use_signer_profile
from .fakes.local_server import closed_url

CLOSED_URL = closed_url()

MUTED = (
    "odoo.addons.helpdesk_gis_zhkh_max.models.gis_zhkh_backend_connection",
    "odoo.addons.helpdesk_gis_zhkh_max.models.gis_zhkh_backend_import",
)
SIGNER_LOG = "odoo.addons.helpdesk_gis_zhkh_max.tools.gis_signer"


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
            self.backend.write({"signing_mode": "command", "signing_profile": False})
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            # A profile the server's configuration does not name.
            self.backend.write({"signing_mode": "command", "signing_profile": "x"})
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
        with mute_logger(*MUTED):
            action = self.backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "warning")

    @mute_logger(*MUTED)
    def test_test_connection_errors(self):
        self.backend.org_ppa_guid = "0e1c9f0e-8f57-4a06-9b1e-2a0e6c1b7a55"
        action = self.backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("AUT011002", action["params"]["message"])
        self.assertIn("needs a human", action["params"]["message"])
        self.backend.write({"org_ppa_guid": ORG, "endpoint_url": CLOSED_URL})
        action = self.backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("temporary", action["params"]["message"])

    def test_signer_profile_of_the_server_configuration(self):
        """The connection names a profile; the command is the server's."""
        self.fake.require_signature = True
        self.addCleanup(setattr, self.fake, "require_signature", False)
        use_signer_profile(self, "test", f"{sys.executable} {SIGNER}")
        use_signer_profile(self, "broken", "/nonexistent/secret-dir/signer")
        self.assertIn(
            ("test", "test"),
            self.backend._fields["signing_profile"]._description_selection(self.env),
        )
        self.backend.write({"signing_mode": "command", "signing_profile": "test"})
        self.assertFalse(self.backend.signing_problem)
        action = self.backend.action_test_connection()
        self.assertEqual(
            action["params"]["type"], "success", action["params"]["message"]
        )
        self.backend.signing_profile = "broken"
        with mute_logger(*MUTED), self.assertLogs(SIGNER_LOG, "WARNING") as logs:
            action = self.backend.action_test_connection()
        message = action["params"]["message"]
        self.assertIn("profile broken", message)
        self.assertIn("not found", message)
        # The command line and what the signer says stay in the server log.
        self.assertNotIn("secret-dir", message)
        self.assertIn("secret-dir", "\n".join(logs.output))

    @mute_logger(*MUTED)
    def test_the_signer_error_output_never_reaches_users(self):
        noisy = "import sys; sys.stderr.write('token PIN 0000'); sys.exit(4)"
        use_signer_profile(self, "noisy", f'{sys.executable} -c "{noisy}"')
        self.backend.write({"signing_mode": "command", "signing_profile": "noisy"})
        with self.assertLogs(SIGNER_LOG, "WARNING") as logs:
            action = self.backend.action_test_connection()
            self.backend.with_context(queue_job__no_delay=True)._job_import_appeals()
        self.assertIn("PIN 0000", "\n".join(logs.output))
        self.assertIn("exit code 4", action["params"]["message"])
        self.assertNotIn("PIN 0000", action["params"]["message"])
        message = self.env["gis.zhkh.message"].search(
            [("backend_id", "=", self.backend.id)], limit=1
        )
        self.assertEqual(message.state, "error")
        for text in (
            message.error_message,
            self.backend.last_error,
            *self.backend.activity_ids.mapped("note"),
            *message.activity_ids.mapped("note"),
        ):
            self.assertNotIn("PIN 0000", text or "")
        self.assertFalse(self.fake.calls())

    def test_a_command_left_in_the_database_is_cleared_on_upgrade(self):
        """Version 19.0.1.4.0: a command line the database held is cleared
        (it cannot be moved into the server's file from here), with its
        tracked history; the connection says what to configure, and the
        health check shows it down, until a profile is chosen."""
        self.env.cr.execute(
            "ALTER TABLE gis_zhkh_backend ADD COLUMN signing_command varchar"
        )
        self.env.cr.execute(
            "UPDATE gis_zhkh_backend SET signing_mode = 'command', "
            "signing_command = '/usr/bin/gis-sign --container secret' WHERE id = %s",
            [self.backend.id],
        )
        self.backend.invalidate_recordset()
        path = ADDON_DIR / "migrations/19.0.1.4.0/post-migrate-signer-profile.py"
        spec = importlib.util.spec_from_file_location("hgzm_migrate_signer", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        with self.assertLogs("hgzm_migrate_signer", "WARNING") as logs:
            migration.migrate(self.env.cr, "19.0.1.3.0")
        self.assertIn(self.backend.name, logs.output[0])
        self.assertNotIn("secret", logs.output[0])
        self.env.cr.execute(
            "SELECT signing_command FROM gis_zhkh_backend WHERE id = %s",
            [self.backend.id],
        )
        self.assertEqual(self.env.cr.fetchone(), (None,))
        self.assertIn("No signer profile", self.backend.signing_problem)
        status = self.env["helpdesk.integration.health"]._gis_status(
            self.backend, self.backend.create_date
        )
        self.assertEqual(status["state"], "down")
        self.assertIn("signer profile", status["reason"])
        with mute_logger(*MUTED):
            action = self.backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("No signer profile", action["params"]["message"])
        self.assertFalse(self.fake.calls())

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
