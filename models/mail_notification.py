# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import models
from odoo.tools import html2plaintext

from odoo.addons.queue_job.exception import RetryableJobError

from ..tools import max_client
from ..tools.max_errors import MaxError

_logger = logging.getLogger(__name__)

UPLOAD_KINDS = {"image": "image", "video": "video", "audio": "audio"}


class MailNotification(models.Model):
    """A reply to a MAX resident is a gateway notification of mail_gateway:
    its status (ready, sent, exception) is the delivery state the chatter
    shows; a queue job delivers it and retries transient failures."""

    _inherit = "mail.notification"

    def _max_enqueue(self):
        for notification in self:
            notification.with_delay(
                identity_key=f"max-notification-{notification.id}",
                description="MAX: deliver a reply",
            )._max_job_deliver()

    def _max_dialog(self):
        channel = self.gateway_channel_id
        return self.env["max.dialog"].search(
            [
                ("gateway_id", "=", channel.gateway_id.id),
                ("max_user_id", "=", channel.gateway_channel_token),
            ],
            limit=1,
        )

    def _max_job_deliver(self):
        """Job: send one reply to the resident (text, then files)."""
        self.ensure_one()
        if self.notification_status not in ("ready", "exception"):
            return f"Nothing to do: {self.notification_status}"
        channel = self.gateway_channel_id
        gateway = channel.gateway_id
        dialog = self._max_dialog()
        if dialog.stopped:
            return self._max_failed(
                self.env._("The resident stopped the bot: MAX would refuse it.")
            )
        message = self.mail_message_id
        text = html2plaintext(message.body or "").strip()
        try:
            client = gateway._max_client()
            attachments = [
                client.upload(
                    UPLOAD_KINDS.get((a.mimetype or "").split("/")[0], "file"),
                    a.name,
                    a.raw,
                    a.mimetype,
                )
                for a in message.attachment_ids
            ]
            chunks = max_client.split_text(text) if text else [None]
            sent = None
            for index, chunk in enumerate(chunks):
                sent = client.send_message(
                    user_id=int(channel.gateway_channel_token),
                    text=chunk,
                    attachments=attachments if index == len(chunks) - 1 else None,
                )
        except MaxError as error:
            _logger.warning("MAX reply %s not delivered: %s", self.id, error)
            if (
                error.transient
                and not self.env["gis.zhkh.backend"]._is_last_job_attempt()
            ):
                raise RetryableJobError(str(error), seconds=60) from error
            return self._max_failed(gateway._max_error_text(error))
        self.write(
            {
                "notification_status": "sent",
                "failure_type": False,
                "failure_reason": False,
                "gateway_message_id": ((sent or {}).get("body") or {}).get("mid"),
            }
        )
        message._notify_message_notification_update()
        return "Delivered"

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
        self.filtered(lambda n: n.notification_status == "exception").write(
            {"notification_status": "ready", "failure_type": False}
        )
        self._max_enqueue()
        return True
