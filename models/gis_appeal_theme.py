# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import UserError

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
    def action_refresh_from_gis(self):
        """Button: ask GIS ZhKKh for directory 220 now (one connection per
        company suffices: the directory is the same for all)."""
        backends = self._theme_backends()
        if not backends:
            raise UserError(
                self.env._("No active GIS ZhKKh connection to ask for the themes.")
            )
        for backend in backends:
            backend._enqueue_theme_refresh()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Appeal themes"),
                "message": self.env._(
                    "GIS ZhKKh is asked for the directory of appeal themes (НСИ "
                    "220): new themes appear here to review, renamed ones are "
                    "updated, retired ones archived."
                ),
                "type": "success",
            },
        }

    @api.model
    def _cron_refresh_from_gis(self):
        for backend in self._theme_backends():
            backend._enqueue_theme_refresh()

    @api.model
    def _theme_backends(self):
        backends = self.env["gis.zhkh.backend"].sudo().search([("active", "=", True)])
        first = {}
        for backend in backends:
            first.setdefault(backend.company_id, backend)
        return (
            self.env["gis.zhkh.backend"].sudo().browse([b.id for b in first.values()])
        )

    @api.model
    def _guess_team(self, category, backend):
        """The team most themes of ``category`` go to, else the connection's."""
        counts = {}
        if category:
            for theme in self.search(
                [("category_id", "=", category.id), ("team_id", "!=", False)]
            ):
                counts[theme.team_id] = counts.get(theme.team_id, 0) + 1
        if counts:
            return max(counts, key=counts.get)
        return backend.team_id

    @api.model
    def _apply_directory(self, backend, elements):
        """Bring the themes in line with directory 220 as GIS exported it
        (the whole directory): new codes added *to review* with a guessed
        category, priority and team; renamed ones renamed; retired ones (not
        actual, or gone from the directory) archived, with their mappings
        kept (a theme that comes back is active again)."""
        themes = self.sudo().with_context(active_test=False)
        by_code = {}
        for theme in themes.search([("code", "!=", False)]):
            by_code.setdefault(theme.code, themes.browse())
            by_code[theme.code] |= theme
        counts = {"added": 0, "renamed": 0, "archived": 0}
        seen = set()
        for element in elements:
            seen.add(element.code)
            existing = by_code.get(element.code)
            if not existing:
                if not element.is_actual:
                    continue
                category_key, priority = guess_theme_defaults(element.name)
                category = self.env.ref(
                    CATEGORY_XMLIDS[category_key], raise_if_not_found=False
                )
                team = self._guess_team(category, backend)
                themes.create(
                    {
                        "code": element.code,
                        "guid": element.guid,
                        "name": element.name,
                        "category_id": category.id if category else False,
                        "team_id": team.id if team else False,
                        "priority": priority,
                        "to_review": True,
                    }
                )
                counts["added"] += 1
                continue
            renamed = existing.filtered(lambda t, e=element: t.name != e.name)
            if renamed:
                renamed.write({"name": element.name})
                counts["renamed"] += 1
            if element.is_actual:
                existing.filtered(lambda t: not t.active).write({"active": True})
            elif existing.filtered("active"):
                existing.write({"active": False})
                counts["archived"] += 1
        gone = themes.browse(
            t.id
            for code, group in by_code.items()
            if code not in seen and elements
            for t in group
            if t.active and t.guid
        )
        if gone:
            gone.write({"active": False})
            counts["archived"] += len(set(gone.mapped("code")))
        return counts

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
