# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hmac
import logging

from odoo.http import Controller, request, route

from ..tools.metrics_text import CONTENT_TYPE

_logger = logging.getLogger(__name__)

PATH = "/helpdesk_gis_zhkh_max/metrics"


class MetricsController(Controller):
    """The figures for Prometheus or Zabbix, for whoever holds the token.

    The token comes in the ``Authorization: Bearer`` header only: a token in
    the URL would be written to Odoo's and the proxy's access logs. No token
    configured: the endpoint does not exist (404). The database is the one
    Odoo picks for any request (``dbfilter``, a single database, or the
    ``X-Odoo-Database`` header), as for the MAX webhook; no session is kept.
    The figures are read as the monitoring technical user, never as a
    person, each count as superuser inside ``helpdesk.metrics``."""

    @route(
        PATH,
        type="http",
        auth="none",
        methods=["GET"],
        csrf=False,
        save_session=False,
        # Writes nothing, but a MAX bot's health reads its committed pause
        # through a transaction of its own (max.sending), which a read-only
        # request may not open in tests.
        readonly=False,
    )
    def metrics(self, **kwargs):
        env = request.env
        expected = env["helpdesk.metrics"].sudo()._token()
        if not expected:
            return request.not_found()
        header = request.httprequest.headers.get("Authorization") or ""
        scheme, _space, given = header.partition(" ")
        remote = request.httprequest.remote_addr
        if scheme.lower() != "bearer" or not given.strip():
            _logger.warning(
                "Metrics: request without a bearer token from %s refused%s",
                remote,
                " (a token in the URL is not accepted)" if "token" in kwargs else "",
            )
            return self._refuse(401)
        # Constant time: the comparison tells nothing of the token.
        if not hmac.compare_digest(
            given.strip().encode("utf-8"), expected.encode("utf-8")
        ):
            _logger.warning("Metrics: wrong token from %s refused", remote)
            return self._refuse(403)
        user = env.ref("helpdesk_gis_zhkh_max.user_metrics")
        body = env(user=user.id)["helpdesk.metrics"].metrics_text()
        return request.make_response(
            body,
            [("Content-Type", CONTENT_TYPE), ("Cache-Control", "no-store")],
        )

    def _refuse(self, status):
        headers = [("Content-Type", "text/plain; charset=utf-8")]
        if status == 401:
            headers.append(("WWW-Authenticate", 'Bearer realm="metrics"'))
        text = "Unauthorized\n" if status == 401 else "Forbidden\n"
        return request.make_response(text, headers, status=status)
