# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from odoo.addons.base.models.res_partner import _tz_get

from .helpdesk_service_interruption_limit import POWER_SOURCES


class GisZhkhHouse(models.Model):
    """An apartment building managed by the organisation, known by its FIAS GUID."""

    _name = "gis.zhkh.house"
    _description = "Apartment Building"
    _order = "name, id"

    name = fields.Char(required=True)
    fias_guid = fields.Char(
        string="FIAS house GUID",
        index=True,
        help="Global identifier of the building in FIAS, as GIS ZhKKh sends it.",
    )
    address = fields.Char()
    oktmo_code = fields.Char(string="OKTMO")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    calendar_id = fields.Many2one(
        "helpdesk.production.calendar",
        string="Production calendar",
        help="Leave empty to use the company's. Set a regional calendar for a "
        "building in a region with days off of its own.",
    )
    tz = fields.Selection(
        selection=_tz_get,
        string="Time zone",
        help="Deadlines end at midnight of the building's time zone. Leave empty "
        "to use the company's.",
    )
    gas_emergency_phone = fields.Char(
        string="Gas emergency service",
        help="Whom the dispatcher calls for a gas accident in this building "
        "(ПП 416 п. 14): the emergency service of the gas distribution "
        "organisation of its maintenance contract. Empty: the unified number 104.",
    )
    ticket_count = fields.Integer(compute="_compute_ticket_count")
    power_sources = fields.Selection(
        POWER_SOURCES,
        string="Power supplies",
        help="Independent power supplies of the building: the permitted "
        "interruption of electricity is 2 hours with two, 24 hours with one "
        "(ПП 354 Annex 1 п. 9). Unknown: the stricter 2 hours.",
    )

    _fias_company_unique = models.Constraint(
        "UNIQUE(company_id, fias_guid)",
        "This FIAS house GUID is already registered for the company.",
    )

    def write(self, vals):
        result = super().write(vals)
        if {"power_sources", "tz"}.intersection(vals):
            # The limits (electricity) and the months (the zone) follow.
            interruptions = self.env["helpdesk.service.interruption"].sudo()
            groups = interruptions.search([("house_id", "in", self.ids)])._groups()
            interruptions._recompute_groups(groups)
        return result

    def _compute_ticket_count(self):
        data = dict(
            self.env["helpdesk.ticket"]
            .with_context(active_test=False)
            ._read_group(
                [("gis_house_id", "in", self.ids)], ["gis_house_id"], ["__count"]
            )
        )
        for house in self:
            house.ticket_count = data.get(house, 0)

    def action_open_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "helpdesk_mgmt.helpdesk_ticket_action"
        )
        action["domain"] = [("gis_house_id", "=", self.id)]
        action["context"] = {}
        return action

    @api.model
    def _resolve(self, company, refs):
        """Houses for ``refs`` — ``{fias_guid: oktmo}`` — creating unknown ones."""
        houses = self.with_context(active_test=False).search(
            [("fias_guid", "in", list(refs)), ("company_id", "=", company.id)]
        )
        by_guid = {house.fias_guid: house for house in houses}
        new = self.create(
            [
                {
                    "name": self.env._("House %(guid)s", guid=guid),
                    "fias_guid": guid,
                    "oktmo_code": oktmo,
                    "company_id": company.id,
                }
                for guid, oktmo in refs.items()
                if guid not in by_guid
            ]
        )
        by_guid.update({house.fias_guid: house for house in new})
        return by_guid
