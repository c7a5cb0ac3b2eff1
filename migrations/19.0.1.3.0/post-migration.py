# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The operation now keeps GIS's MessageGUID itself (it was read from its
exchange, which the retention purge drops): copy it over."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE gis_zhkh_operation op
           SET ack_guid = msg.ack_guid
          FROM gis_zhkh_message msg
         WHERE op.message_id = msg.id AND op.ack_guid IS NULL
        """
    )
