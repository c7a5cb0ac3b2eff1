# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import models

_logger = logging.getLogger(__name__)


class MailNotification(models.Model):
    """A reply to a MAX resident is a gateway notification of mail_gateway:
    its status (ready, sent, exception) is the delivery state the chatter
    shows. Its parts (a long text cut at MAX's limit, the files with the
    last one) are ``max.outbox`` messages, each sent exactly once; the
    status follows theirs."""

    _inherit = "mail.notification"

    def _max_dialog(self):
        channel = self.gateway_channel_id
        return self.env["max.dialog"].search(
            [
                ("gateway_id", "=", channel.gateway_id.id),
                ("max_user_id", "=", channel.gateway_channel_token),
            ],
            limit=1,
        )

    def _max_enqueue(self):
        """Keep the reply's parts (once) and queue their sending."""
        Outbox = self.env["max.outbox"].sudo()
        for notification in self.sudo():
            dialog = notification._max_dialog()
            if not dialog:
                notification._max_failed(
                    self.env._("The resident's MAX dialog no longer exists.")
                )
                continue
            if Outbox.search_count([("notification_id", "=", notification.id)]):
                Outbox._enqueue_lanes(dialog.gateway_id, [dialog._lane()])
            else:
                Outbox._queue(
                    dialog.gateway_id,
                    dialog._lane(),
                    Outbox._staff_parts(notification, dialog),
                )

    def _max_job_deliver(self):
        """Jobs queued before the outbox existed: the reply goes to it."""
        self._max_enqueue()
        return "Moved to the outbox"

    def _max_failed(self, reason):
        self.write(
            {
                "notification_status": "exception",
                "failure_type": "unknown",
                "failure_reason": reason,
            }
        )
        self.mail_message_id._notify_message_notification_update()
        return reason

    def action_max_retry(self):
        """Send a reply MAX did not take again: its parts not delivered yet,
        never those MAX showed already."""
        failed = self.filtered(lambda n: n.notification_status == "exception")
        parts = (
            self.env["max.outbox"]
            .sudo()
            .search([("notification_id", "in", failed.ids), ("state", "=", "failed")])
        )
        without_parts = failed.filtered(lambda n: n not in parts.notification_id)
        failed.sudo().write({"notification_status": "ready", "failure_type": False})
        parts.action_send_again()
        without_parts._max_enqueue()
        return True
