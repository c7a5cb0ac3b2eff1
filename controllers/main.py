# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
import json
import logging

from werkzeug.exceptions import RequestEntityTooLarge

from odoo.http import request, route

from odoo.addons.mail_gateway.controllers.gateway import GatewayController

from ..tools import max_updates

_logger = logging.getLogger(__name__)


def _short(key):
    """A log handle for a webhook key that does not give the key away."""
    return hashlib.sha256((key or "").encode("utf-8")).hexdigest()[:8]


class MaxGatewayController(GatewayController):
    """mail_gateway's webhook route, ``/gateway/<usage>/<key>/update``, made
    strict for MAX: a bounded body, the secret header checked in constant
    time before anything is read, forged, oversized and non-JSON deliveries
    answered with a 4xx and a log line (never a 500 nor a traceback), and
    nothing processed in the request: the update is stored and a queue job
    handles it. An update this version cannot read is stored too (failed,
    with its raw body), so that an API change loses nothing."""

    # Odoo refuses a larger body before parsing anything of it (a form body
    # would be parsed before the secret is checked otherwise).
    @route(max_content_length=max_updates.MAX_BODY_BYTES)
    def post_update(self, usage, token, *args, **kwargs):
        if usage != "max":
            return super().post_update(usage, token, *args, **kwargs)
        return self._max_webhook(token)

    def _max_answer(self, status, **data):
        return request.make_response(
            json.dumps(data or {"ok": status == 200}),
            [("Content-Type", "application/json")],
            status=status,
        )

    def _max_webhook(self, key):
        httprequest = request.httprequest
        if httprequest.method != "POST":
            return self._max_answer(405)
        bot_data = (
            request.env["mail.gateway"]
            .sudo()
            ._get_gateway(key, gateway_type="max", state="integrated")
        )
        if not bot_data:
            _logger.warning("MAX webhook: unknown key %s refused", _short(key))
            return self._max_answer(404)
        service = (
            request.env["mail.gateway.max"]
            .with_user(bot_data["webhook_user_id"])
            .with_company(bot_data["company_id"])
        )
        if not service._verify_update(bot_data, {}):
            _logger.warning(
                "MAX webhook: wrong or missing secret for gateway %s, refused",
                bot_data["id"],
            )
            return self._max_answer(403)
        limit = max_updates.MAX_BODY_BYTES
        # werkzeug refuses a longer body, declared or chunked, as it reads.
        httprequest.max_content_length = limit
        try:
            if (httprequest.content_length or 0) > limit:
                raise RequestEntityTooLarge()
            # Cached: Odoo replays the request after a serialization
            # failure (two deliveries of one update at the same instant).
            raw = httprequest.get_data(cache=True)
        except RequestEntityTooLarge:
            _logger.warning(
                "MAX webhook: body over %s bytes refused (gateway %s)",
                limit,
                bot_data["id"],
            )
            return self._max_answer(413)
        try:
            data = max_updates.read_body(raw)
        except max_updates.UpdateError as error:
            _logger.warning(
                "MAX webhook: delivery refused (gateway %s): %s", bot_data["id"], error
            )
            return self._max_answer(400, error=str(error))
        gateway = service.env["mail.gateway"].browse(bot_data["id"])
        Update = service.env["max.update"]
        try:
            update = max_updates.parse_update(data)
        except (max_updates.UpdateError, TypeError, ValueError) as error:
            # An object MAX sent with the bot's secret that this version
            # cannot read (an API change): kept, failed, shown; acknowledged.
            Update._store_unreadable(gateway, data, error)
            return self._max_answer(200)
        # Read once, here: stored as read (mail_gateway's _receive_update
        # would read it again).
        Update._store_updates(gateway, [(data, update)])
        return self._max_answer(200)
