# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hmac
import logging

from odoo import models
from odoo.exceptions import UserError
from odoo.http import request

from ..tools.max_errors import MaxError

_logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Max-Bot-Api-Secret"


class MailGatewayMax(models.AbstractModel):
    """mail_gateway's services for MAX, as ``mail.gateway.telegram`` is for
    Telegram: webhook checks, subscription, and delivery of replies."""

    _inherit = "mail.gateway.abstract"
    _name = "mail.gateway.max"
    _description = "MAX gateway services"

    def _verify_update(self, bot_data, kwargs):
        expected = bot_data.get("webhook_secret") or ""
        received = request.httprequest.headers.get(SECRET_HEADER) or ""
        # A gateway without a secret accepts nothing: MAX always sends one.
        return bool(expected) and hmac.compare_digest(
            received.encode("utf-8"), expected.encode("utf-8")
        )

    def _receive_update(self, gateway, update):
        self.env["max.update"]._store_deliveries(gateway, [update])

    def _set_webhook(self, gateway):
        if not gateway.max_use_polling:
            try:
                gateway._max_client(retries=1).subscribe(
                    gateway.webhook_url, gateway.sudo().webhook_secret
                )
            except MaxError as error:
                raise UserError(gateway._max_error_text(error)) from error
            gateway.max_subscribed = True
        return super()._set_webhook(gateway)

    def _remove_webhook(self, gateway):
        """Un-integrate the bot, even when MAX refuses the call (a revoked
        token, MAX down): whatever MAX still delivers to the old address is
        refused by the webhook (unknown key), and the bot's page says so."""
        if gateway.max_subscribed:
            try:
                gateway._max_client(retries=1).unsubscribe(gateway.webhook_url)
            except MaxError as error:
                _logger.warning(
                    "MAX gateway %s: unsubscribing failed (%s); un-integrated "
                    "here all the same",
                    gateway.id,
                    error,
                )
                text = gateway.env._(
                    "MAX did not confirm the end of the webhook subscription "
                    "(%(error)s). The bot is un-integrated here all the same: what "
                    "MAX still sends to the old address is refused.",
                    error=str(error),
                )
                gateway.max_last_error = text
                gateway.message_post(body=text, subtype_xmlid="mail.mt_note")
        gateway.max_subscribed = False
        return super()._remove_webhook(gateway)

    def _send(
        self,
        gateway,
        record,
        auto_commit=False,
        raise_exception=False,
        parse_mode=False,
    ):
        """mail_gateway sends a reply written in Discuss at once; MAX replies
        are kept and sent once by a queue job, like every message to MAX."""
        record.sudo()._max_enqueue()
