# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The ticket's GIS ZhKKh facts and legal deadline summary.

The import itself lives in ``gis.appeal.import``, the deadline engine in
``helpdesk.ticket.deadline``, resident matching in ``res.partner``.
"""

import datetime
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.fields import Domain

from ..tools.deadlines import earliest_moment, end_of_day
from .helpdesk_ticket_deadline import OPEN_STATES, STATE_WEIGHT, STATES

# GIS ZhKKh dates are days of the building's calendar; without a building
# or a company time zone, Moscow's.
DEFAULT_TZ = "Europe/Moscow"
# Ticket fields whose change can change which rules apply or when a clock
# starts or stops (fields named in milestones are added to these).
DEADLINE_TRIGGERS = frozenset(
    {
        "stage_id",
        "team_id",
        "category_id",
        "tag_ids",
        "channel_id",
        "priority",
        "company_id",
        "gis_received_date",
        "gis_deadline",
        "gis_status",
        "gis_status_date",
        "gis_theme_id",
        "gis_house_id",
        "gis_appeal_guid",
        "user_id",
    }
)
GIS_STATUSES = [
    ("sent", "Sent"),
    ("in_work", "In work"),
    ("executed", "Executed"),
    ("withdrawn", "Withdrawn"),
]
# Residents' personal data: staff of the helpdesk only.
PERSONAL = "helpdesk_mgmt.group_helpdesk_user_own"


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    gis_backend_id = fields.Many2one(
        "gis.zhkh.backend",
        string="GIS ZhKKh connection",
        readonly=True,
        index="btree_not_null",
        copy=False,
        groups="base.group_system",
    )
    gis_appeal_guid = fields.Char(
        string="GIS appeal GUID", readonly=True, copy=False, index="btree_not_null"
    )
    gis_appeal_number = fields.Char(
        string="GIS appeal number", readonly=True, copy=False, index="btree_not_null"
    )
    gis_received_date = fields.Date(
        string="GIS date of receipt",
        readonly=True,
        copy=False,
        help="Date the appeal was registered in GIS ZhKKh, a day of the "
        "building's calendar: the statutory periods run from it.",
    )
    gis_deadline = fields.Date(
        string="GIS deadline",
        readonly=True,
        copy=False,
        tracking=True,
        help="Last day of the period for handling the appeal, computed by GIS "
        "ZhKKh from the legal requirements of its theme (ExecutionEndDate); it "
        "ends at 24:00 in the building's time zone.",
    )
    gis_deadline_due = fields.Selection(
        [("passed", "Passed"), ("today", "Today"), ("later", "Later")],
        string="GIS deadline is",
        compute="_compute_gis_deadline_due",
        search="_search_gis_deadline_due",
        help="Whether the GIS deadline of an open ticket has passed or ends "
        "today, in the building's time zone.",
    )
    gis_legal_basis = fields.Char(
        string="Legal basis",
        readonly=True,
        copy=False,
        help="Requirements of the law GIS ZhKKh computed the deadline from.",
    )
    gis_theme_id = fields.Many2one(
        "gis.appeal.theme", string="GIS theme", readonly=True, copy=False
    )
    gis_theme_code = fields.Char(string="GIS theme code", readonly=True, copy=False)
    gis_theme_name = fields.Char(
        string="GIS theme name",
        readonly=True,
        copy=False,
        help="Name of the НСИ 220 theme, or the resident's own topic.",
    )
    gis_status = fields.Selection(
        GIS_STATUSES, string="GIS status", readonly=True, copy=False, tracking=True
    )
    gis_status_date = fields.Date(
        string="GIS status date",
        readonly=True,
        copy=False,
        help="The GIS date on which the appeal reached its status (the day of "
        "its answer, redirection or latest change): a deadline met by a GIS "
        "status is met from that day's start.",
    )
    gis_house_id = fields.Many2one(
        "gis.zhkh.house", string="House", copy=False, index="btree_not_null"
    )
    gis_premise_number = fields.Char(string="Premise", copy=False)
    gis_oktmo = fields.Char(string="OKTMO", readonly=True, copy=False)
    gis_applicant_kind = fields.Selection(
        [
            ("person", "Person"),
            ("org", "Organisation"),
            ("hcs", "Formed by GIS ZhKKh"),
            ("unknown", "Unknown"),
        ],
        string="Applicant type",
        readonly=True,
        copy=False,
    )
    gis_applicant_name = fields.Char(
        string="Applicant", readonly=True, copy=False, groups=PERSONAL
    )
    gis_applicant_phone = fields.Char(
        string="Applicant phone", readonly=True, copy=False, groups=PERSONAL
    )
    gis_applicant_email = fields.Char(
        string="Applicant e-mail", readonly=True, copy=False, groups=PERSONAL
    )
    gis_applicant_address = fields.Char(
        string="Applicant postal address", readonly=True, copy=False, groups=PERSONAL
    )
    gis_collective = fields.Boolean(
        string="Collective appeal", readonly=True, copy=False
    )
    gis_neighbour_count = fields.Integer(
        string="Neighbours joined", readonly=True, copy=False
    )
    gis_neighbours = fields.Text(
        string="Neighbours", readonly=True, copy=False, groups=PERSONAL
    )
    gis_redirected = fields.Boolean(string="Redirected", readonly=True, copy=False)
    gis_rolled_over = fields.Boolean(
        string="Deadline extended", readonly=True, copy=False, tracking=True
    )
    gis_answer_not_required = fields.Boolean(
        string="No answer required", readonly=True, copy=False
    )
    gis_withdrawn_comment = fields.Char(
        string="Withdrawal comment", readonly=True, copy=False
    )
    gis_from_mobile = fields.Boolean(
        string="From the mobile app", readonly=True, copy=False
    )
    gis_date_of_appointment = fields.Date(
        string="Planned execution date", readonly=True, copy=False, tracking=True
    )
    gis_answerer_guid = fields.Char(
        string="GIS performer GUID", readonly=True, copy=False
    )
    gis_parent_guid = fields.Char(
        string="GIS parent appeal GUID", readonly=True, copy=False
    )
    gis_attachment_info = fields.Text(
        string="Files in GIS ZhKKh",
        readonly=True,
        copy=False,
        help="Files the resident attached in GIS ZhKKh (name, description, GUID).",
    )
    gis_fingerprint = fields.Char(readonly=True, copy=False)
    gis_history_keys = fields.Text(readonly=True, copy=False)
    gis_last_sync = fields.Datetime(string="Last GIS sync", readonly=True, copy=False)

    reacted_at = fields.Datetime(
        string="Reacted at",
        copy=False,
        tracking=True,
        help="When the dispatcher called back, or the crew was on site: meets "
        "the reaction deadlines.",
    )
    localised_at = fields.Datetime(
        string="Accident localised at",
        copy=False,
        tracking=True,
        help="When the accident was localised: meets the localisation deadline.",
    )
    deadline_ids = fields.One2many(
        "helpdesk.ticket.deadline", "ticket_id", string="Legal deadlines"
    )
    # Computed as superuser: whoever may open the ticket sees its badge.
    deadline_state = fields.Selection(
        STATES,
        string="Deadline status",
        compute="_compute_deadline_summary",
        compute_sudo=True,
        search="_search_deadline_state",
        help="The worst state of the ticket's legal deadlines.",
    )
    next_deadline = fields.Datetime(
        compute="_compute_deadline_summary",
        compute_sudo=True,
        search="_search_next_deadline",
        help="The earliest legal deadline still running.",
    )
    deadline_needs_reaction = fields.Boolean(
        compute="_compute_deadline_needs", compute_sudo=True
    )
    deadline_needs_localisation = fields.Boolean(
        compute="_compute_deadline_needs", compute_sudo=True
    )

    _gis_appeal_company_unique = models.Constraint(
        "UNIQUE(company_id, gis_appeal_guid)",
        "This GIS ZhKKh appeal already has a ticket in this company.",
    )

    # ------------------------------------------------------------------
    # GIS dates
    # ------------------------------------------------------------------

    def _local_tz(self):
        """The time zone of the ticket's place: GIS dates are days of it and
        statutory periods are counted in it (Civil Code art. 194)."""
        self.ensure_one()
        name = self.gis_house_id.tz or self.company_id.partner_id.tz or DEFAULT_TZ
        return ZoneInfo(name)

    def _gis_deadline_end(self):
        """24:00 of the GIS deadline in the ticket's place (aware, UTC)."""
        self.ensure_one()
        return end_of_day(self.gis_deadline, self._local_tz())

    def _gis_status_moment(self, now):
        """When the appeal reached its GIS status, as a naive UTC datetime:
        the start of the GIS status date, never later than our sync."""
        self.ensure_one()
        seen = self.gis_last_sync or now
        if not self.gis_status_date:
            return seen
        moment = earliest_moment(self.gis_status_date, self._local_tz(), seen)
        return moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)

    @api.depends("gis_deadline", "gis_house_id.tz", "company_id", "closed")
    def _compute_gis_deadline_due(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        for ticket in self:
            if not ticket.gis_deadline or ticket.closed:
                ticket.gis_deadline_due = False
                continue
            end = ticket._gis_deadline_end()
            if end <= now:
                ticket.gis_deadline_due = "passed"
            elif end <= now + datetime.timedelta(days=1):
                # The next local midnight: the last day is today, there.
                ticket.gis_deadline_due = "today"
            else:
                ticket.gis_deadline_due = "later"

    def _search_gis_deadline_due(self, operator, value):
        if operator not in ("=", "in"):
            return NotImplemented
        wanted = {value} if operator == "=" else set(value)
        # Candidates by date (every zone lies within a day of UTC's), then
        # the exact local test on the few tickets around today.
        today = fields.Date.today()
        domain = Domain("closed", "=", False) & Domain("gis_deadline", "!=", False)
        near = (
            domain
            & Domain("gis_deadline", ">=", today - datetime.timedelta(days=1))
            & Domain("gis_deadline", "<=", today + datetime.timedelta(days=2))
        )
        result = Domain.FALSE
        if "passed" in wanted:
            result |= domain & Domain(
                "gis_deadline", "<", today - datetime.timedelta(days=1)
            )
        if "later" in wanted:
            result |= domain & Domain(
                "gis_deadline", ">", today + datetime.timedelta(days=2)
            )
        candidates = self.sudo().with_context(active_test=False).search(near)
        exact = candidates.filtered(lambda t: t.gis_deadline_due in wanted)
        if exact:
            result |= Domain("id", "in", exact.ids)
        return result

    # ------------------------------------------------------------------
    # Legal deadlines
    # ------------------------------------------------------------------

    @api.depends("deadline_ids.state", "deadline_ids.deadline")
    def _compute_deadline_summary(self):
        for ticket in self:
            deadlines = ticket.deadline_ids
            running = deadlines.filtered(lambda d: d.state in OPEN_STATES)
            ticket.next_deadline = min(running.mapped("deadline")) if running else False
            states = deadlines.mapped("state")
            ticket.deadline_state = (
                max(states, key=STATE_WEIGHT.get) if states else False
            )

    @api.depends("deadline_ids.kind", "deadline_ids.state")
    def _compute_deadline_needs(self):
        for ticket in self:
            running = ticket.deadline_ids.filtered(lambda d: d.state in OPEN_STATES)
            kinds = set(running.mapped("kind"))
            ticket.deadline_needs_reaction = "reaction" in kinds
            ticket.deadline_needs_localisation = "localisation" in kinds

    def _search_deadline_state(self, operator, value):
        """Tickets whose worst deadline state (the badge) is ``value``."""
        if operator not in ("=", "in"):
            return NotImplemented
        values = [value] if operator == "=" else list(value)
        result = Domain.FALSE
        for state in values:
            worse = [s for s, w in STATE_WEIGHT.items() if w > STATE_WEIGHT[state]]
            domain = Domain("deadline_ids", "any", [("state", "=", state)])
            if worse:
                domain &= Domain("deadline_ids", "not any", [("state", "in", worse)])
            result |= domain
        return result

    def _search_next_deadline(self, operator, value):
        return [
            (
                "deadline_ids",
                "any",
                [("state", "in", OPEN_STATES), ("deadline", operator, value)],
            )
        ]

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        self.env["helpdesk.ticket.deadline"]._sync_tickets(tickets)
        return tickets

    def write(self, vals):
        result = super().write(vals)
        if not self.env.context.get("deadline_sync_off") and (
            DEADLINE_TRIGGERS.intersection(vals)
            or self.env["helpdesk.deadline.milestone"]
            ._trigger_fields()
            .intersection(vals)
        ):
            self.env["helpdesk.ticket.deadline"]._sync_tickets(self)
        return result

    def action_mark_reacted(self):
        self.filtered(lambda t: not t.reacted_at).reacted_at = fields.Datetime.now()

    def action_mark_localised(self):
        self.filtered(lambda t: not t.localised_at).localised_at = fields.Datetime.now()

    # ------------------------------------------------------------------
    # Mail
    # ------------------------------------------------------------------

    def _track_template(self, tracking):
        res = super()._track_template(tracking)
        if "stage_id" in res and not self[:1]._stage_mail_allowed():
            del res["stage_id"]
        return res

    def _stage_mail_allowed(self):
        """Whether a stage's e-mail template may mail the resident. Never
        while importing; for GIS appeals only when the connection opts in:
        the official answer goes through GIS ZhKKh."""
        if self.env.context.get("gis_import"):
            return False
        if not self.gis_appeal_guid:
            return True
        return bool(self.sudo().gis_backend_id.stage_mail_to_residents)
