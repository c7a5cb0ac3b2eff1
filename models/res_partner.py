# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    gis_org_guid = fields.Char(
        string="GIS ZhKKh organisation GUID",
        index="btree_not_null",
        copy=False,
        help="orgRootEntityGUID of the organisation in the GIS ZhKKh registry.",
    )
