# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Legal deadlines learn where their ticket came from (for the cockpit)."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE helpdesk_ticket_deadline d
           SET source = CASE
                   WHEN t.gis_appeal_guid IS NOT NULL THEN 'gis'
                   WHEN t.channel_id = (
                       SELECT res_id FROM ir_model_data
                        WHERE module = 'helpdesk_gis_zhkh_max'
                          AND name = 'channel_max'
                   ) THEN 'max'
                   ELSE 'other'
               END
          FROM helpdesk_ticket t
         WHERE t.id = d.ticket_id
        """
    )
