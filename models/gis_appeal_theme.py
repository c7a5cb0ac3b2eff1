# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from ..tools.appeal_mapping import guess_theme_defaults

CATEGORY_XMLIDS = {
    "emergency": "helpdesk_gis_zhkh_max.category_emergency",
    "repair": "helpdesk_gis_zhkh_max.category_repair",
    "utilities": "helpdesk_gis_zhkh_max.category_utilities",
    "billing": "helpdesk_gis_zhkh_max.category_billing",
    "information": "helpdesk_gis_zhkh_max.category_information",
    "other": "helpdesk_gis_zhkh_max.category_other",
}


class GisAppealTheme(models.Model):
    """A theme of the GIS ZhKKh directory НСИ 220 and where its tickets go."""

    _name = "gis.appeal.theme"
    _description = "GIS ZhKKh Appeal Theme"
    _order = "sequence, code, id"

    sequence = fields.Integer(default=10)
    code = fields.Char(required=True, index=True, help="Code in НСИ 220.")
    guid = fields.Char(string="GUID", help="GUID of the directory entry in GIS ZhKKh.")
    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty for a mapping shared by all companies; a company's own "
        "mapping takes precedence.",
    )
    category_id = fields.Many2one("helpdesk.ticket.category")
    team_id = fields.Many2one("helpdesk.ticket.team")
    priority = fields.Selection(
        # helpdesk_mgmt's levels, labelled in the user's language.
        selection=lambda self: (
            self.env["helpdesk.ticket"]
            ._fields["priority"]
            ._description_selection(self.env)
        ),
    )
    to_review = fields.Boolean(
        help="Created by an import because GIS ZhKKh sent a theme not mapped yet: "
        "check its category, team and priority.",
    )
    ticket_count = fields.Integer(compute="_compute_ticket_count")

    _code_company_unique = models.UniqueIndex(
        "(code, COALESCE(company_id, 0))",
        "A theme code can be mapped once per company.",
    )

    @api.depends("code", "name")
    def _compute_display_name(self):
        for theme in self:
            theme.display_name = (
                f"[{theme.code}] {theme.name}" if theme.code else theme.name
            )

    def _compute_ticket_count(self):
        data = dict(
            self.env["helpdesk.ticket"]
            .with_context(active_test=False)
            ._read_group(
                [("gis_theme_id", "in", self.ids)], ["gis_theme_id"], ["__count"]
            )
        )
        for theme in self:
            theme.ticket_count = data.get(theme, 0)

    def action_mark_reviewed(self):
        self.write({"to_review": False})

    @api.model
    def _resolve(self, company, refs):
        """Themes for ``refs`` — ``{code: (guid, name)}`` — in ``company``.

        A company's own mapping wins over the shared one; codes never seen
        get a shared theme with a guessed category and priority, to review.
        """
        themes = self.with_context(active_test=False).search(
            [("code", "in", list(refs)), ("company_id", "in", [company.id, False])]
        )
        by_code = {}
        for theme in themes.sorted(lambda t: bool(t.company_id)):
            by_code[theme.code] = theme  # company-specific themes come last
        missing = [code for code in refs if code not in by_code]
        vals_list = []
        for code in missing:
            guid, name = refs[code]
            category_key, priority = guess_theme_defaults(name)
            category = self.env.ref(
                CATEGORY_XMLIDS[category_key], raise_if_not_found=False
            )
            vals_list.append(
                {
                    "code": code,
                    "guid": guid,
                    "name": name or self.env._("Theme %(code)s", code=code),
                    "category_id": category.id if category else False,
                    "priority": priority,
                    "to_review": True,
                }
            )
        for theme in self.create(vals_list):
            by_code[theme.code] = theme
        return by_code
