# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..tools.deadlines import UNITS, Window

KINDS = [
    ("inform", "Applicant informed"),
    ("reaction", "Reaction"),
    ("localisation", "Localisation"),
    ("elimination", "Elimination"),
    ("answer", "Answer"),
    ("custom", "Custom"),
]


class HelpdeskDeadlineMilestone(models.Model):
    """One timeframe of a rule: how long, from when, until what."""

    _name = "helpdesk.deadline.milestone"
    _description = "Statutory Deadline Milestone"
    _order = "rule_id, sequence, id"

    rule_id = fields.Many2one(
        "helpdesk.deadline.rule", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    kind = fields.Selection(KINDS, required=True, default="answer")
    duration = fields.Integer(required=True, default=1)
    unit = fields.Selection(
        [
            ("minutes", "Minutes"),
            ("hours", "Hours"),
            ("calendar_days", "Calendar days"),
            ("working_days", "Working days"),
        ],
        required=True,
        default="working_days",
    )
    clock_start = fields.Selection(
        [
            ("gis_received", "GIS date of receipt"),
            ("create_date", "Ticket creation"),
            ("field", "Another date field"),
        ],
        required=True,
        default="create_date",
        help="GIS date of receipt falls back to the ticket creation for tickets "
        "that do not come from GIS ZhKKh.",
    )
    start_field_id = fields.Many2one(
        "ir.model.fields",
        string="Start field",
        domain="[('model', '=', 'helpdesk.ticket'), "
        "('ttype', 'in', ('date', 'datetime'))]",
        ondelete="cascade",
    )
    start_fallback = fields.Boolean(
        string="Until set, from the ticket creation",
        help="While the start field is empty, the clock runs from the ticket "
        "creation (the registration of the request): the elimination of an "
        "accident runs from the accident (ПП 416 п. 13), and from the "
        "registration until the dispatcher knows when it happened.",
    )
    use_window = fields.Boolean(
        string="Daily window",
        help="The clock runs only between these hours (local time of the building).",
    )
    window_start = fields.Float(default=8.0)
    window_end = fields.Float(default=23.0)
    window_working_days = fields.Boolean(
        string="Working days only",
        help="The window opens on working days only, one hour shorter on the eve "
        "of a public holiday.",
    )
    stop_stage_ids = fields.Many2many(
        "helpdesk.ticket.stage",
        string="Met when reaching",
        help="The milestone is met when the ticket reaches one of these stages. "
        "Empty: any closed stage.",
    )
    stop_field_id = fields.Many2one(
        "ir.model.fields",
        string="Met when set",
        domain="[('model', '=', 'helpdesk.ticket'), ('store', '=', True)]",
        ondelete="cascade",
        help="The milestone is met when this ticket field gets a value.",
    )
    stop_gis_statuses = fields.Char(
        string="Met at GIS statuses",
        help="Comma-separated GIS statuses that meet the milestone "
        "(sent, in_work, executed, withdrawn), e.g. executed,withdrawn.",
    )
    use_agreed_deadline = fields.Boolean(
        string="The agreed deadline applies",
        help="When the ticket has a deadline agreed with the applicant (date "
        "and scope of the works: minor faults, ПП 416 п. 13), that deadline is "
        "this milestone's.",
    )
    warn_before = fields.Integer(
        string="Warn before (minutes)",
        help="Warn the responsible this long before the deadline.",
    )
    warn_ratio = fields.Float(
        string="Warn at elapsed (%)",
        help="Warn when this share of the period has elapsed. With both set, the "
        "earlier warning wins.",
    )
    company_id = fields.Many2one(related="rule_id.company_id", store=True)

    @api.constrains("unit", "duration", "use_window", "window_start", "window_end")
    def _check_period(self):
        for milestone in self:
            if milestone.unit not in UNITS or milestone.duration < 0:
                raise ValidationError(self.env._("A period is a positive duration."))
            if milestone.use_window:
                if milestone.unit not in ("minutes", "hours"):
                    raise ValidationError(
                        self.env._("A daily window applies to minutes and hours only.")
                    )
                try:
                    milestone._window()
                except ValueError as error:
                    raise ValidationError(
                        self.env._("The daily window must start before it ends.")
                    ) from error

    @api.constrains("clock_start", "start_field_id", "warn_ratio", "stop_gis_statuses")
    def _check_start_and_warning(self):
        statuses = {"sent", "in_work", "executed", "withdrawn"}
        for milestone in self:
            if milestone.clock_start == "field" and not milestone.start_field_id:
                raise ValidationError(
                    self.env._("Choose the field the clock starts from.")
                )
            if not 0 <= milestone.warn_ratio < 100:
                raise ValidationError(
                    self.env._("The warning share is a percentage below 100.")
                )
            if not milestone._gis_status_set() <= statuses:
                raise ValidationError(
                    self.env._(
                        "GIS statuses are sent, in_work, executed and withdrawn."
                    )
                )

    def _gis_status_set(self):
        return {
            s.strip() for s in (self.stop_gis_statuses or "").split(",") if s.strip()
        }

    @api.model
    def _trigger_fields(self):
        """Ticket fields the milestones start from or stop at."""
        return frozenset(self._trigger_fields_cached())

    @tools.ormcache()
    def _trigger_fields_cached(self):
        milestones = self.sudo().search(
            ["|", ("start_field_id", "!=", False), ("stop_field_id", "!=", False)]
        )
        return tuple(
            {f.name for f in milestones.start_field_id | milestones.stop_field_id}
        )

    def _window(self):
        if not self.use_window:
            return None
        return Window.from_hours(
            self.window_start, self.window_end, self.window_working_days
        )

    @api.depends("name", "duration", "unit", "use_agreed_deadline")
    def _compute_display_name(self):
        units = dict(self._fields["unit"]._description_selection(self.env))
        for milestone in self:
            unit = units.get(milestone.unit, "")
            period = f"{milestone.duration} {unit}"
            if milestone.use_agreed_deadline:
                period = self.env._("%(period)s or as agreed", period=period)
            milestone.display_name = f"{milestone.name} ({period})"

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        self.rule_id._resync_tickets()
        return result

    @api.model_create_multi
    def create(self, vals_list):
        milestones = super().create(vals_list)
        self.env.registry.clear_cache()
        milestones.rule_id._resync_tickets()
        return milestones

    def unlink(self):
        rules = self.rule_id
        result = super().unlink()
        self.env.registry.clear_cache()
        rules._resync_tickets()
        return result
