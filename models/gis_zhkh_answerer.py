# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import gis_xml_common


class GisZhkhAnswerer(models.Model):
    """An Odoo user who answers appeals in GIS ZhKKh under a connection."""

    _name = "gis.zhkh.answerer"
    _description = "GIS ZhKKh Answerer"
    _order = "backend_id, user_id, id"

    backend_id = fields.Many2one(
        "gis.zhkh.backend",
        string="Connection",
        required=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(
        related="backend_id.company_id", store=True, index=True
    )
    user_id = fields.Many2one(
        "res.users",
        required=True,
        ondelete="cascade",
        domain="[('share', '=', False)]",
    )
    answerer_guid = fields.Char(
        string="AnswererGUID",
        required=True,
        help="The person's identifier as an answerer (исполнитель) of the "
        "organisation in GIS ZhKKh.",
    )
    note = fields.Char(help="Position or role in GIS ZhKKh, for the record.")

    _user_backend_unique = models.Constraint(
        "UNIQUE(backend_id, user_id)",
        "A user has one AnswererGUID per connection.",
    )

    @api.depends("user_id", "answerer_guid")
    def _compute_display_name(self):
        for answerer in self:
            answerer.display_name = (
                f"{answerer.user_id.name} ({answerer.answerer_guid})"
                if answerer.answerer_guid
                else answerer.user_id.name
            )

    @api.constrains("answerer_guid")
    def _check_answerer_guid(self):
        for answerer in self:
            if not gis_xml_common.is_guid(answerer.answerer_guid):
                raise ValidationError(
                    self.env._(
                        "The AnswererGUID %(guid)s is not a GUID "
                        "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).",
                        guid=answerer.answerer_guid,
                    )
                )
