# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class MailMessage(models.Model):
    _inherit = "mail.message"

    def _send_to_gateway_thread(self, gateway_channel_id):
        """mail_gateway's "send via gateway" (its composer on a record, its
        send wizard) copies the message into the Discuss channel, which sends
        the copy, and marks the original sent at once. For MAX, the original
        itself is delivered, once, whichever way it was sent: one delivery
        state on the message the staff wrote, never a second copy."""
        channel = gateway_channel_id.sudo()
        if channel.gateway_id.gateway_type != "max":
            return super()._send_to_gateway_thread(gateway_channel_id)
        dialog = (
            self.env["max.dialog"]
            .sudo()
            .search(
                [
                    ("gateway_id", "=", channel.gateway_id.id),
                    ("max_user_id", "=", channel.gateway_token),
                ],
                limit=1,
            )
        )
        if not dialog:
            return super()._send_to_gateway_thread(gateway_channel_id)
        for message in self:
            dialog._deliver_staff_message(message)
        return {}
