# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Contacts the MAX bot created for residents not identified yet were told
apart by their note only: the retention purge needs the field. The
contacts of dialogs still unidentified are marked (those merged into a
known contact before this version keep their note and are not purged)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE res_partner p
           SET max_provisional_gateway_id = d.gateway_id
          FROM max_dialog d
         WHERE d.partner_id = p.id
           AND d.identified IS NOT TRUE
           AND p.max_provisional_gateway_id IS NULL
        """
    )
