# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import collections

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.safe_eval import safe_eval


class HelpdeskDeadlineRule(models.Model):
    """Which tickets a statutory timeframe applies to, and its legal basis."""

    _name = "helpdesk.deadline.rule"
    _description = "Statutory Deadline Rule"
    _inherit = ["mail.thread"]
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    code = fields.Char(
        help="Reference of the rule in the statutory timeframes table (A2, C2...)."
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", help="Leave empty for a rule that applies in every company."
    )
    # Which tickets: every criterion that is set must match.
    applies_to_all = fields.Boolean(
        string="All tickets",
        help="Apply to every ticket that matches the other criteria, even when "
        "none is set.",
    )
    gis_only = fields.Boolean(
        string="GIS ZhKKh appeals only",
        help="Apply only to tickets of appeals registered in GIS ZhKKh.",
    )
    gis_theme_ids = fields.Many2many("gis.appeal.theme", string="GIS themes")
    category_ids = fields.Many2many("helpdesk.ticket.category", string="Categories")
    team_ids = fields.Many2many("helpdesk.ticket.team", string="Teams")
    tag_ids = fields.Many2many("helpdesk.ticket.tag", string="Tags")
    channel_ids = fields.Many2many("helpdesk.ticket.channel", string="Channels")
    priorities = fields.Char(
        help="Ticket priorities the rule applies to, comma-separated (0 low, "
        "1 medium, 2 high, 3 very high). Empty: any.",
    )
    domain = fields.Char(
        string="Other conditions",
        default="[]",
        help="Any other condition on the ticket, as a domain.",
    )
    milestone_ids = fields.One2many(
        "helpdesk.deadline.milestone", "rule_id", string="Milestones", copy=True
    )
    legal_act = fields.Char(
        string="Legal act", help="e.g. ПП РФ № 416 от 15.05.2013", tracking=True
    )
    legal_clause = fields.Char(string="Clause", help="e.g. п. 13", tracking=True)
    source_unconfirmed = fields.Boolean(
        help="The timeframe or its clause is known only from secondary sources: "
        "check it against the act before relying on it.",
        tracking=True,
    )
    note = fields.Text()
    escalation_user_id = fields.Many2one(
        "res.users",
        string="Escalate to",
        help="Who hears of a breach. Empty: the leader of the ticket's team.",
    )
    legal_basis = fields.Char(compute="_compute_legal_basis")

    @api.depends("legal_act", "legal_clause", "source_unconfirmed")
    def _compute_legal_basis(self):
        for rule in self:
            basis = ", ".join(p for p in (rule.legal_act, rule.legal_clause) if p)
            if basis and rule.source_unconfirmed:
                basis = self.env._("%(basis)s (source unconfirmed)", basis=basis)
            rule.legal_basis = basis

    @api.depends("code", "name")
    def _compute_display_name(self):
        for rule in self:
            rule.display_name = f"{rule.code}. {rule.name}" if rule.code else rule.name

    @api.constrains("domain", "priorities")
    def _check_conditions(self):
        for rule in self:
            try:
                domain = safe_eval(rule.domain or "[]")
                self.env["helpdesk.ticket"].search_count(domain, limit=1)
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "The conditions of %(rule)s are not a valid domain: %(error)s",
                        rule=rule.display_name,
                        error=error,
                    )
                ) from error
            if any(p not in ("0", "1", "2", "3") for p in rule._priority_set()):
                raise ValidationError(
                    self.env._("Priorities are 0, 1, 2 or 3, separated by commas.")
                )

    def _priority_set(self):
        return {p.strip() for p in (self.priorities or "").split(",") if p.strip()}

    def _has_criteria(self):
        return bool(
            self.gis_only
            or self.gis_theme_ids
            or self.category_ids
            or self.team_ids
            or self.tag_ids
            or self.channel_ids
            or self._priority_set()
            or (self.domain and safe_eval(self.domain))
        )

    def _category_closure(self):
        """``{rule id: ids of its categories and their subcategories}``, for
        all these rules at once (one query, not one per rule)."""
        roots = self.category_ids
        if not roots:
            return {}
        categories = (
            self.env["helpdesk.ticket.category"]
            .sudo()
            .with_context(active_test=False)
            .search_fetch([("id", "child_of", roots.ids)], ["parent_id"])
        )
        children = collections.defaultdict(list)
        for category in categories:
            children[category.parent_id.id].append(category.id)

        def below(category_id):
            found, stack = set(), [category_id]
            while stack:
                current = stack.pop()
                if current not in found:
                    found.add(current)
                    stack.extend(children[current])
            return found

        return {
            rule.id: set().union(*(below(c) for c in rule.category_ids.ids))
            for rule in self
            if rule.category_ids
        }

    def _matching(self, tickets, category_closure=None):
        """The tickets this rule applies to. ``category_closure`` comes from
        ``_category_closure`` of all the rules being matched."""
        self.ensure_one()
        self.env.flush_all()
        deadlines = self.env["helpdesk.ticket.deadline"]
        facts = deadlines._ticket_facts(tickets, self)
        matched = self._matching_facts(facts, tickets, category_closure)
        return tickets.browse([ticket["id"] for ticket in matched])

    def _matching_facts(self, facts, tickets, category_closure=None):
        """The facts (``helpdesk.ticket.deadline._ticket_facts`` of
        ``tickets``) of the tickets this rule applies to, in their order:
        compared by ids, records only for the rule's domain."""
        self.ensure_one()
        if not self.applies_to_all and not self._has_criteria():
            return []
        checks = []
        if self.company_id:
            company_id = self.company_id.id
            checks.append(lambda t: t["company_id"] == company_id)
        if self.gis_only:
            checks.append(lambda t: t["gis_appeal_guid"])
        if self.gis_theme_ids:
            themes = set(self.gis_theme_ids.ids)
            checks.append(lambda t: t["gis_theme_id"] in themes)
        if self.category_ids:
            # A rule on a category also covers its subcategories.
            if category_closure is None:
                category_closure = self._category_closure()
            categories = category_closure[self.id]
            checks.append(lambda t: t["category_id"] in categories)
        if self.team_ids:
            teams = set(self.team_ids.ids)
            checks.append(lambda t: t["team_id"] in teams)
        if self.tag_ids:
            tags = set(self.tag_ids.ids)
            checks.append(lambda t: not tags.isdisjoint(t["tag_ids"]))
        if self.channel_ids:
            channels = set(self.channel_ids.ids)
            checks.append(lambda t: t["channel_id"] in channels)
        priorities = self._priority_set()
        if priorities:
            checks.append(lambda t: t["priority"] in priorities)
        matched = [t for t in facts if all(check(t) for check in checks)]
        domain = safe_eval(self.domain or "[]")
        if domain and matched:
            kept = set(
                tickets.browse([t["id"] for t in matched]).filtered_domain(domain).ids
            )
            matched = [t for t in matched if t["id"] in kept]
        return matched

    def write(self, vals):
        result = super().write(vals)
        self._resync_tickets()
        return result

    def _resync_tickets(self):
        """Rules changed: recompute the milestones of the open tickets, in a
        job (there may be many)."""
        self.env["helpdesk.ticket.deadline"].with_delay(
            identity_key="helpdesk-deadline-resync",
            description=self.env._("Recompute legal deadlines of open tickets"),
        )._resync_open_tickets()
