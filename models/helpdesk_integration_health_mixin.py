# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from .helpdesk_integration_health import STATES


class HelpdeskIntegrationHealthMixin(models.AbstractModel):
    """What ``helpdesk.integration.health`` keeps on a connection (GIS ZhKKh
    connection, MAX bot) to tell its responsible once per outage."""

    _name = "helpdesk.integration.health.mixin"
    _description = "Integration health of a connection"

    health_state = fields.Selection(
        STATES,
        string="Health",
        readonly=True,
        copy=False,
    )
    health_reason = fields.Char(readonly=True, copy=False)
    health_down_since = fields.Datetime(readonly=True, copy=False)
    health_notified = fields.Boolean(readonly=True, copy=False)
    health_alert_minutes = fields.Integer(
        string="Alert when down for (minutes)",
        default=60,
        help="The responsible person gets one activity and one e-mail when "
        "this stays down that long; again only after it recovered.",
    )

    def _health_responsible(self):
        """Who is told when this connection stays down."""
        raise NotImplementedError()
