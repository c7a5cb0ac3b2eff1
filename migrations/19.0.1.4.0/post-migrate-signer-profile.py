# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The signer's command line left the database: the server's configuration
file holds it, as a named profile, and a connection only names the profile.
A command the database still holds cannot be put into that file from here:
it is cleared (with its tracked history), and the connection says what to
configure until an administrator chooses a profile (nothing is signed or
sent meanwhile)."""

import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'gis_zhkh_backend' AND column_name = 'signing_command'
        """
    )
    if not cr.fetchone():
        return
    cr.execute(
        """
        UPDATE gis_zhkh_backend SET signing_command = NULL
         WHERE signing_command IS NOT NULL
        RETURNING id, name, signing_mode
        """
    )
    cleared = cr.fetchall()
    cr.execute(
        """
        DELETE FROM mail_tracking_value
         WHERE field_id IN (SELECT id FROM ir_model_fields
                             WHERE model = 'gis.zhkh.backend'
                               AND name = 'signing_command')
        """
    )
    for backend_id, name, mode in cleared:
        # Never the command itself: it may name a key container.
        _logger.warning(
            "GIS ZhKKh connection %s (%s): its signer command was removed from "
            "the database. Put it in the server's configuration file, section "
            "[helpdesk_gis_zhkh_max], as signer.<profile> = <command line>, and "
            "choose that profile on the connection.%s",
            backend_id,
            name,
            " Until then nothing is signed nor sent to GIS ZhKKh."
            if mode == "command"
            else "",
        )
