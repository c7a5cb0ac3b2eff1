# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The ticket's fields: GIS ZhKKh facts, legal deadline summary, MAX.

Behaviour lives with its concern: the import in ``gis.appeal.import``, the
deadline engine in ``helpdesk.ticket.deadline``, resident matching in
``res.partner``, operations sent to GIS in ``gis.zhkh.operation``, MAX
notices and the link to GIS appeals in ``max.gis.bridge``. What is left
here are the fields, their computes, the hooks that call those, the
buttons of the form, and the duties of the emergency dispatch service
(ПП РФ № 416 п. 13), which are the ticket's own.
"""

import collections
import datetime
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain

from ..tools import gis_operations, max_client
from ..tools.deadlines import earliest_moment, end_of_day, first_told
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
        "gis_answered_at",
        "user_id",
        # ПП 416 п. 13 (the duties below): rule conditions and
        # milestones read them.
        "accident_at",
        "accident_system",
        "agreed_deadline",
        "informed_at",
        "interruption_id",
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
# What GIS ZhKKh says of an appeal, and the MAX<->GIS link: legal facts that
# only the import, the operations and the link write (gis_facts_writer),
# never a person through the API, managers included: a wrong fact is
# corrected in GIS ZhKKh, and the next import brings it.
GIS_FACTS = frozenset(
    {
        "gis_backend_id",
        "gis_appeal_guid",
        "gis_appeal_number",
        "gis_received_date",
        "gis_deadline",
        "gis_legal_basis",
        "gis_theme_id",
        "gis_theme_code",
        "gis_theme_name",
        "gis_status",
        "gis_status_date",
        "gis_assessment",
        "gis_assessment_comment",
        "gis_oktmo",
        "gis_applicant_kind",
        "gis_applicant_name",
        "gis_applicant_phone",
        "gis_applicant_email",
        "gis_applicant_address",
        "gis_collective",
        "gis_neighbour_count",
        "gis_neighbours",
        "gis_redirected",
        "gis_rolled_over",
        "gis_answer_not_required",
        "gis_withdrawn_comment",
        "gis_from_mobile",
        "gis_date_of_appointment",
        "gis_answerer_guid",
        "gis_parent_guid",
        "gis_attachment_info",
        "gis_fingerprint",
        "gis_history_keys",
        "gis_last_sync",
        "gis_draft_answer_guid",
        "gis_answered_at",
        "max_link_ticket_id",
        "max_gis_notified",
    }
)
# The writers' pass: an object, which no RPC call can put in a context (it
# arrives as JSON), unlike a flag.
_GIS_FACTS_PASS = object()


def gis_facts_writer(records):
    """``records`` allowed to write the GIS facts (``GIS_FACTS``): for the
    import, the operations and the MAX<->GIS link only."""
    return records.with_context(gis_facts_writer=_GIS_FACTS_PASS)


ACCIDENT_SYSTEMS = [
    ("cold_water", "Cold water"),
    ("hot_water", "Hot water"),
    ("sewage", "Sewage"),
    ("heating", "Heating"),
    ("electricity", "Electricity"),
    ("gas", "Gas"),
    ("other", "Other"),
]
# п. 13: the dispatch service also informs the local authority of accidents
# of the in-house cold and hot water, sewage and heating systems.
AUTHORITY_SYSTEMS = ("cold_water", "hot_water", "sewage", "heating")
# The unified number of the gas emergency services (04 from a landline).
GAS_EMERGENCY_PHONE = "104"
TOLD_HOW = [
    ("max", "Message in MAX"),
    ("gis", "GIS ZhKKh"),
    ("call", "Phone call"),
]
# Set only by what told the applicant (_refresh_told), never by a person.
TOLD_FACTS = frozenset({"informed_at", "informed_by"})
# A moment "in the future" by less than this is a clock's difference.
CLOCK_TOLERANCE = datetime.timedelta(minutes=5)


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
        # The building's zone: readable by whoever may open the ticket.
        compute_sudo=True,
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
    gis_assessment = fields.Selection(
        [
            ("received", "Answer received"),
            ("partly_received", "Answer partly received"),
            ("not_satisfied", "Not satisfied"),
            ("unknown", "Assessed"),
        ],
        string="Resident's assessment",
        readonly=True,
        copy=False,
        tracking=True,
        help="How the resident assessed the answer in GIS ZhKKh (the latest).",
    )
    gis_assessment_comment = fields.Char(
        string="Assessment comment", readonly=True, copy=False
    )
    gis_house_id = fields.Many2one(
        "gis.zhkh.house", string="House", copy=False, index="btree_not_null"
    )
    gis_premise_number = fields.Char(string="Premise", copy=False)
    gis_entrance = fields.Char(string="Entrance", copy=False)
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
    gis_draft_answer_guid = fields.Char(
        string="Draft answer in GIS",
        readonly=True,
        copy=False,
        help="AnswerGUID of the latest answer drafted in GIS ZhKKh and not sent.",
    )

    # Answers and actions sent to GIS ZhKKh
    gis_answer_text = fields.Text(
        string="Answer for GIS ZhKKh",
        copy=False,
        tracking=True,
        groups=PERSONAL,
        help="The answer to the resident an automation rule sends to GIS ZhKKh "
        "(the answer wizard starts from it too). Text only: files are attached "
        "in the GIS ZhKKh cabinet.",
    )
    gis_answered_at = fields.Datetime(
        string="Answered in GIS at",
        readonly=True,
        copy=False,
        help="When GIS ZhKKh accepted the organisation's answer: meets the "
        "answer deadline.",
    )
    gis_operation_ids = fields.One2many(
        "gis.zhkh.operation",
        "ticket_id",
        string="GIS ZhKKh operations",
        groups=PERSONAL,
    )
    gis_conflict = fields.Text(
        string="Disagreement with GIS ZhKKh",
        readonly=True,
        copy=False,
        help="What GIS ZhKKh shows against an operation it accepted.",
    )
    gis_answerer_name = fields.Char(
        string="Answers in GIS",
        compute="_compute_gis_answerer",
        compute_sudo=True,
        help="Whose AnswererGUID the ticket's answers and actions carry.",
    )
    gis_answerer_missing = fields.Boolean(
        compute="_compute_gis_answerer", compute_sudo=True
    )

    # MAX (the organisation's own bot: not an official channel)
    max_dialog_id = fields.Many2one(
        "max.dialog",
        string="MAX dialog",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups=PERSONAL,
    )
    max_gis_notified = fields.Boolean(
        string="GIS registration told in MAX", readonly=True, copy=False
    )
    max_link_ticket_id = fields.Many2one(
        "helpdesk.ticket",
        string="Same as MAX request",
        readonly=True,
        copy=False,
        groups=PERSONAL,
        help="A request the same resident sent to the MAX bot shortly before "
        "this GIS appeal: link them so that one ticket carries both.",
    )
    max_delivery_failed = fields.Boolean(
        compute="_compute_max_delivery_failed",
        compute_sudo=True,
        help="A reply to the resident could not be delivered in MAX.",
    )
    max_flood = fields.Boolean(
        string="MAX flood",
        readonly=True,
        copy=False,
        help="The resident asked the MAX bot for more new requests within an "
        "hour than the bot allows: their further messages were added to this "
        "ticket.",
    )
    interruption_id = fields.Many2one(
        "helpdesk.service.interruption",
        string="Service interruption",
        index="btree_not_null",
        copy=False,
        tracking=True,
        help="The interruption of a communal service this request is about: "
        "its elimination deadline follows the interruption's limit and is met "
        "when the service comes back; the interruption warns and escalates "
        "once for all its requests.",
    )
    interruption_suggested_id = fields.Many2one(
        "helpdesk.service.interruption",
        string="Interruption in the building",
        compute="_compute_interruption_suggested_id",
        help="A communal service is interrupted in this ticket's building now.",
    )

    resident_other_partner_id = fields.Many2one(
        "res.partner",
        string="Same phone, another name",
        readonly=True,
        copy=False,
        groups=PERSONAL,
        help="A contact that has the applicant's phone or e-mail under another "
        "name (one family, a shared or reused number): the request was not put "
        "on it. Same person moves the request to it; Different people keeps "
        "the applicant's own contact.",
    )

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
    # Stored: the cockpit, filters and lists read them on every ticket; the
    # sweep's set-based refresh keeps them in step (_refresh_ticket_summary).
    deadline_state = fields.Selection(
        STATES,
        string="Deadline status",
        compute="_compute_deadline_summary",
        compute_sudo=True,
        store=True,
        index=True,
        help="The worst state of the ticket's legal deadlines.",
    )
    next_deadline = fields.Datetime(
        compute="_compute_deadline_summary",
        compute_sudo=True,
        store=True,
        index=True,
        help="The earliest legal deadline still running.",
    )
    deadline_needs_reaction = fields.Boolean(
        compute="_compute_deadline_needs", compute_sudo=True
    )
    deadline_needs_localisation = fields.Boolean(
        compute="_compute_deadline_needs", compute_sudo=True
    )
    deadline_gis_mismatch = fields.Boolean(
        string="Deadline differs from GIS",
        compute="_compute_deadline_gis_mismatch",
        compute_sudo=True,
        help="One of the answer deadlines our rules give differs from the GIS "
        "deadline of the appeal (the GIS deadline applies).",
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

    def _refresh_ticket_summary(self):
        """deadline_state and next_deadline of these tickets, in one
        statement: after the sweep's set-based update of their milestones."""
        if not self.ids:
            return
        self.env.cr.execute(
            """
            UPDATE helpdesk_ticket t
               SET deadline_state = s.worst, next_deadline = s.next
              FROM (SELECT ticket_id,
                           CASE MAX(CASE state WHEN 'breached' THEN 3
                                               WHEN 'at_risk' THEN 2
                                               WHEN 'running' THEN 1 ELSE 0 END)
                               WHEN 3 THEN 'breached' WHEN 2 THEN 'at_risk'
                               WHEN 1 THEN 'running' ELSE 'met' END AS worst,
                           MIN(deadline) FILTER (
                               WHERE state IN ('running', 'at_risk')) AS next
                      FROM helpdesk_ticket_deadline
                     WHERE ticket_id = ANY(%s)
                  GROUP BY ticket_id) s
             WHERE t.id = s.ticket_id
            """,
            [self.ids],
        )
        self.invalidate_recordset(["deadline_state", "next_deadline"])

    @api.depends("deadline_ids.kind", "deadline_ids.state")
    def _compute_deadline_needs(self):
        for ticket in self:
            running = ticket.deadline_ids.filtered(lambda d: d.state in OPEN_STATES)
            kinds = set(running.mapped("kind"))
            ticket.deadline_needs_reaction = "reaction" in kinds
            ticket.deadline_needs_localisation = "localisation" in kinds

    @api.depends("deadline_ids.gis_mismatch")
    def _compute_deadline_gis_mismatch(self):
        for ticket in self:
            ticket.deadline_gis_mismatch = any(
                ticket.deadline_ids.mapped("gis_mismatch")
            )

    def _check_gis_facts(self, names):
        """Refuse a person's change of the GIS facts, whatever the client."""
        facts = GIS_FACTS.intersection(names)
        if (
            not facts
            or self.env.su
            or self.env.context.get("gis_facts_writer") is _GIS_FACTS_PASS
        ):
            return
        labels = sorted(
            self._fields[name].get_description(self.env)["string"] for name in facts
        )
        raise AccessError(
            self.env._(
                "%(fields)s come from GIS ZhKKh: only its import, the operations "
                "sent to it and the link with a MAX request change them. Correct "
                "them in GIS ZhKKh: the next import brings the change.",
                fields=", ".join(labels),
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        defaults = [key[8:] for key in self.env.context if key.startswith("default_")]
        names = [*defaults, *(k for vals in vals_list for k in vals)]
        self._check_gis_facts(names)
        self._check_told_facts(names)
        tickets = super().create(vals_list)
        self.env["helpdesk.ticket.deadline"]._sync_tickets(tickets)
        self.env["max.gis.bridge"]._new_appeals(tickets)
        return tickets

    def write(self, vals):
        self._check_gis_facts(vals)
        self._check_told_facts(vals)
        stage_before = (
            {ticket.id: ticket.stage_id for ticket in self}
            if "stage_id" in vals
            else {}
        )
        result = super().write(vals)
        if stage_before:
            moved = self.filtered(lambda t: t.stage_id != stage_before.get(t.id))
            self.env["max.gis.bridge"]._stage_notices(moved)
        if not self.env.context.get("deadline_sync_off") and (
            DEADLINE_TRIGGERS.intersection(vals)
            or self.env["helpdesk.deadline.milestone"]
            ._trigger_fields()
            .intersection(vals)
        ):
            self.env["helpdesk.ticket.deadline"]._sync_tickets(self)
        return result

    # MAX
    # ------------------------------------------------------------------

    @api.depends("message_ids.notification_ids.notification_status")
    def _compute_max_delivery_failed(self):
        failed = (
            self.env["mail.notification"]
            .sudo()
            .search(
                [
                    ("gateway_type", "=", "max"),
                    ("notification_status", "=", "exception"),
                    ("mail_message_id.model", "=", "helpdesk.ticket"),
                    ("mail_message_id.res_id", "in", self.ids),
                ]
            )
            .mail_message_id.mapped("res_id")
        )
        for ticket in self:
            ticket.max_delivery_failed = ticket.id in failed

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        if (
            not self.env.context.get("max_inbound")
            and message.message_type == "comment"
            and message.subtype_id == self.env.ref("mail.mt_comment")
        ):
            # A public reply reaches the resident in MAX; internal notes
            # (mt_note) never do.
            dialog = self.sudo().max_dialog_id
            if dialog and not dialog.stopped:
                dialog._deliver_staff_message(message)
        return result

    def _message_get_suggested_recipients_batch(self, *args, **kwargs):
        """A MAX resident is reached in MAX (``_message_post_after_hook``),
        not by e-mail: never suggested as a recipient of "Send message",
        whose composer would ask for their e-mail and refuse to send without
        one (and mail them a copy when they have one). Followers are
        notified as ever."""
        suggested = super()._message_get_suggested_recipients_batch(*args, **kwargs)
        for ticket in self.sudo().filtered("max_dialog_id"):
            resident = ticket.max_dialog_id.partner_id
            suggested[ticket.id] = [
                recipient
                for recipient in suggested[ticket.id]
                if not resident or recipient["partner_id"] != resident.id
            ]
        return suggested

    def action_max_link_gis(self):
        """Link this GIS appeal to the MAX request it duplicates: one
        ticket, no work done twice."""
        self.ensure_one()
        max_ticket = self.env["max.gis.bridge"]._link(self)
        return {
            "type": "ir.actions.act_window",
            "res_model": "helpdesk.ticket",
            "res_id": max_ticket.id,
            "view_mode": "form",
        }

    def action_max_dismiss_link(self):
        # The suggestion is the bridge's (read-only in the form): only who
        # may change the ticket dismisses it.
        self.check_access("write")
        self.sudo().max_link_ticket_id = False
        return True

    def action_max_flood_checked(self):
        self.write({"max_flood": False})
        return True

    # Interruptions of communal services
    # ------------------------------------------------------------------

    @api.depends("gis_house_id", "interruption_id", "closed")
    def _compute_interruption_suggested_id(self):
        Interruption = self.env["helpdesk.service.interruption"]
        houses = self.filtered(
            lambda t: t.gis_house_id and not t.interruption_id and not t.closed
        ).gis_house_id
        running = {}
        if houses:
            for interruption in Interruption.search(
                [("house_id", "in", houses.ids), ("state", "=", "running")],
                order="date_start desc",
            ):
                running.setdefault(interruption.house_id, interruption)
        for ticket in self:
            suggested = Interruption
            if not ticket.interruption_id and not ticket.closed:
                suggested = running.get(ticket.gis_house_id, Interruption)
            ticket.interruption_suggested_id = suggested

    def action_link_interruption(self):
        """One click: this request is about that interruption (the one in
        the context, else the one running in its building)."""
        interruption_id = self.env.context.get("interruption_id")
        for ticket in self:
            target = interruption_id or ticket.interruption_suggested_id.id
            if target and ticket.interruption_id.id != target:
                ticket.interruption_id = target
        return True

    def action_unlink_interruption(self):
        self.write({"interruption_id": False})
        return True

    def _interruption_changed(self):
        """Their interruption moved (its end, its limit): so do the
        deadlines that follow it."""
        if self:
            self.env["helpdesk.ticket.deadline"]._sync_tickets(self)

    def action_resident_same_person(self):
        """The applicant is the contact their phone found: the request goes
        on it (their own name stays on the ticket)."""
        for ticket in self.filtered("resident_other_partner_id"):
            other = ticket.resident_other_partner_id
            ticket.message_post(
                body=self.env._(
                    "The dispatcher confirmed the applicant is %(contact)s: the "
                    "request is now on that contact.",
                    contact=other.display_name,
                ),
                subtype_xmlid="mail.mt_note",
            )
            ticket.write({"partner_id": other.id, "resident_other_partner_id": False})
        return True

    def action_resident_other_person(self):
        self.write({"resident_other_partner_id": False})
        return True

    def action_mark_reacted(self):
        self.filtered(lambda t: not t.reacted_at).reacted_at = fields.Datetime.now()

    def action_mark_localised(self):
        self.filtered(lambda t: not t.localised_at).localised_at = fields.Datetime.now()

    # ------------------------------------------------------------------
    # Operations sent to GIS ZhKKh
    # ------------------------------------------------------------------

    @api.depends("user_id", "gis_backend_id", "gis_appeal_guid")
    def _compute_gis_answerer(self):
        for ticket in self:
            backend = ticket.gis_backend_id
            if not ticket.gis_appeal_guid or not backend:
                ticket.gis_answerer_name = False
                ticket.gis_answerer_missing = False
                continue
            guid, mapping = backend._answerer_for(ticket.user_id)
            if mapping:
                ticket.gis_answerer_name = mapping.user_id.name
            elif guid:
                ticket.gis_answerer_name = self.env._(
                    "Default answerer of %(connection)s", connection=backend.name
                )
            else:
                ticket.gis_answerer_name = False
            ticket.gis_answerer_missing = not guid

    def _gis_local_today(self):
        return datetime.datetime.now(self._local_tz()).date()

    def _gis_queue_operation(self, operation, values=None, source="manual"):
        """Queue ``operation`` on this ticket's appeal (see
        ``gis.zhkh.operation._queue_for``)."""
        return self.env["gis.zhkh.operation"]._queue_for(
            self, operation, values, source
        )

    def action_gis_dismiss_conflict(self):
        self.write({"gis_conflict": False})

    def action_gis_operation_wizard(self):
        """Open the wizard of the operation in the context (answer by default)."""
        self.ensure_one()
        operation = self.env.context.get("gis_operation", "answer")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "helpdesk_gis_zhkh_max.gis_zhkh_operation_wizard_action"
        )
        action["context"] = {
            "default_ticket_id": self.id,
            "default_operation": operation,
        }
        names = dict(gis_operations_selection(self.env))
        action["name"] = names.get(operation, action["name"])
        if operation == "performer" and self.planned_at:
            # The performer's planned date is what GIS ZhKKh shows the
            # resident: the planned completion, in the building's days.
            local = self.planned_at.replace(tzinfo=datetime.UTC).astimezone(
                self._local_tz()
            )
            action["context"]["default_date_of_appointment"] = fields.Date.to_string(
                local.date()
            )
        return action

    def action_open_gis_exchanges(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "helpdesk_gis_zhkh_max.gis_zhkh_message_action"
        )
        action["domain"] = [("ticket_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Mail
    # ------------------------------------------------------------------

    def _track_template(self, tracking):
        res = super()._track_template(tracking)
        if "stage_id" in res and not self[:1]._stage_mail_allowed():
            del res["stage_id"]
        return res

    def _stage_mail_allowed(self):
        """Whether a stage's e-mail template may mail the resident. Not a
        MAX resident: the bot tells them, in their language. Otherwise as
        ``_gis_stage_notice_allowed``."""
        if self.sudo().max_dialog_id:
            return False
        return self._gis_stage_notice_allowed()

    def _gis_stage_notice_allowed(self):
        """Whether the resident may hear of a stage change outside GIS ZhKKh.
        Never while importing; for GIS appeals only when the connection opts
        in: the official answer goes through GIS ZhKKh."""
        if self.env.context.get("gis_import"):
            return False
        if not self.gis_appeal_guid:
            return True
        return bool(self.sudo().gis_backend_id.stage_mail_to_residents)

    # ------------------------------------------------------------------
    # The duties of the emergency dispatch service (ПП РФ № 416 п. 13):
    # the accident and its time, whom to call for gas (п. 14), the local
    # authority informed, the planned timeframe and when the applicant was
    # told it, the deadline agreed for a minor fault, the result of
    # execution (п. 30 as amended by ПП № 40), the call recording (п. 17).
    # ------------------------------------------------------------------

    accident_at = fields.Datetime(
        string="Accident occurred at",
        copy=False,
        tracking=True,
        help="When the accident happened: the 3 days to eliminate it run from "
        "it (ПП 416 п. 13). The emergency button of the MAX bot sets the "
        "moment the resident pressed it; empty, the clock runs from the "
        "registration of the request.",
    )
    accident_system = fields.Selection(
        ACCIDENT_SYSTEMS,
        string="Damaged system",
        copy=False,
        tracking=True,
        help="Which in-house system the accident damaged. Gas is not localised "
        "under ПП 416 п. 13: the gas supplier's emergency service is called "
        "(п. 14). Cold and hot water, sewage and heating: the local authority "
        "is informed as well.",
    )
    accident_request = fields.Boolean(
        string="Emergency request",
        compute="_compute_accident_request",
        compute_sudo=True,
        help="An emergency request: its accident's facts are shown.",
    )
    gas_emergency_phone = fields.Char(
        string="Gas emergency service",
        compute="_compute_gas_emergency_phone",
        compute_sudo=True,
        help="Whom to call for gas: the building's gas emergency service, else "
        "the unified number 104.",
    )
    authority_informed_at = fields.Datetime(
        string="Local authority informed at",
        copy=False,
        tracking=True,
        help="When the local authority (орган местного самоуправления) was told "
        "of the damage and the planned repair date (ПП 416 п. 13: accidents of "
        "the cold and hot water, sewage and heating systems).",
    )
    authority_informed_note = fields.Char(
        string="Local authority: whom and how",
        copy=False,
        tracking=True,
    )
    authority_duty = fields.Boolean(
        string="Local authority to be informed",
        compute="_compute_authority_duty",
        compute_sudo=True,
        help="An accident of a water, sewage or heating system of which the "
        "local authority has not been informed yet.",
    )
    planned_at = fields.Datetime(
        string="Planned completion",
        copy=False,
        tracking=True,
        help="The planned timeframe of the request, which the applicant is told "
        "within 30 minutes of its registration (ПП 416 п. 13).",
    )
    planned_text = fields.Char(
        string="Planned completion (local time)",
        compute="_compute_planned_text",
        compute_sudo=True,
        help="The planned completion in the building's time, as the applicant "
        "reads it.",
    )
    informed_at = fields.Datetime(
        string="Applicant told the planned time at",
        readonly=True,
        copy=False,
        help="When the applicant was first told the planned timeframe: the "
        "moment MAX delivered the bot's message, GIS ZhKKh accepted the "
        "operation the resident sees, or the logged call took place.",
    )
    informed_by = fields.Selection(
        TOLD_HOW, string="Told by", readonly=True, copy=False
    )
    planned_told = fields.Boolean(
        string="Planned completion told in MAX",
        compute="_compute_planned_told",
        compute_sudo=True,
        help="This planned completion is already on its way to the resident in "
        "MAX, or was delivered.",
    )
    agreed_deadline = fields.Datetime(
        string="Agreed deadline",
        copy=False,
        tracking=True,
        help="Minor faults are fixed by the deadline and the list of works "
        "agreed with the applicant (ПП 416 п. 13). When set, it is the "
        "deadline of the milestones that take an agreed deadline.",
    )
    agreed_scope = fields.Text(
        string="Agreed works",
        copy=False,
        tracking=True,
        help="The works and services agreed with the applicant.",
    )
    execution_result = fields.Text(
        string="Result of execution",
        copy=False,
        tracking=True,
        help="What was done for the applicant: shown to them at a personal "
        "reception (ПП 416 п. 30 as amended by ПП № 40) and in the requests "
        "journal.",
    )
    call_recording_url = fields.Char(
        string="Call recording",
        copy=False,
        groups=PERSONAL,
        help="Link to the recording of the phone call that brought the request "
        "(ПП 416 п. 17), kept by the telephony.",
    )
    # The applicant's phone and words: the helpdesk staff's.
    call_ids = fields.One2many(
        "helpdesk.ticket.call",
        "ticket_id",
        string="Calls to the applicant",
        groups=PERSONAL,
    )

    @api.constrains("accident_at", "authority_informed_at")
    def _check_moments_not_in_the_future(self):
        limit = fields.Datetime.now() + CLOCK_TOLERANCE
        for ticket in self:
            if (ticket.accident_at and ticket.accident_at > limit) or (
                ticket.authority_informed_at and ticket.authority_informed_at > limit
            ):
                raise ValidationError(
                    self.env._("An accident or a call cannot be in the future.")
                )

    @api.constrains("agreed_deadline", "agreed_scope")
    def _check_agreed_scope(self):
        for ticket in self:
            if ticket.agreed_deadline and not (ticket.agreed_scope or "").strip():
                raise ValidationError(
                    self.env._(
                        "The agreed deadline goes with the works agreed with the "
                        "applicant: write them down."
                    )
                )

    @api.depends("category_id", "accident_at", "accident_system")
    def _compute_accident_request(self):
        emergency = self.env.ref(
            "helpdesk_gis_zhkh_max.category_emergency", raise_if_not_found=False
        )
        root = f"{emergency.id}/" if emergency else None
        for ticket in self:
            path = ticket.category_id.parent_path or ""
            ticket.accident_request = bool(
                ticket.accident_at
                or ticket.accident_system
                or (root and path.startswith(root))
            )

    @api.depends("gis_house_id.gas_emergency_phone")
    def _compute_gas_emergency_phone(self):
        for ticket in self:
            ticket.gas_emergency_phone = (
                ticket.gis_house_id.gas_emergency_phone or GAS_EMERGENCY_PHONE
            )

    @api.depends("accident_system", "authority_informed_at")
    def _compute_authority_duty(self):
        for ticket in self:
            ticket.authority_duty = (
                ticket.accident_system in AUTHORITY_SYSTEMS
                and not ticket.authority_informed_at
            )

    @api.depends("planned_at", "gis_house_id.tz", "company_id")
    def _compute_planned_text(self):
        for ticket in self:
            ticket.planned_text = ticket._local_text(ticket.planned_at)

    @api.depends("planned_at")
    def _compute_planned_told(self):
        told = collections.defaultdict(set)
        # Saved tickets only: a new one in a form has told nobody.
        ids = [ticket_id for ticket_id in self._ids if isinstance(ticket_id, int)]
        if ids:
            for message in (
                self.env["max.outbox"]
                .sudo()
                .search_fetch(
                    [
                        ("inform_ticket_id", "in", ids),
                        ("state", "!=", "failed"),
                    ],
                    ["inform_ticket_id", "text"],
                )
            ):
                told[message.inform_ticket_id.id].add(message.text)
        for ticket in self:
            ticket.planned_told = bool(
                ticket.planned_at
                and ticket.id in told
                and any(ticket.planned_text in text for text in told[ticket.id])
            )

    def _local_text(self, moment):
        """``moment`` (naive UTC) in the ticket's local time, as people read
        it; "" when empty."""
        self.ensure_one()
        if not moment:
            return ""
        local = moment.replace(tzinfo=datetime.UTC).astimezone(self._local_tz())
        return local.strftime("%d.%m.%Y %H:%M")

    # ------------------------------------------------------------------
    # The facts a person may not write
    # ------------------------------------------------------------------

    def _check_told_facts(self, names):
        if self.env.su or not TOLD_FACTS.intersection(names):
            return
        raise AccessError(
            self.env._(
                "When the applicant was told the planned timeframe is set by "
                "what told them: the MAX message once delivered, the GIS ZhKKh "
                "operation once accepted, or a logged call."
            )
        )

    # ------------------------------------------------------------------
    # The applicant told the planned timeframe
    # ------------------------------------------------------------------

    def _refresh_told(self):
        """``informed_at`` of these tickets from the facts that told their
        applicants (``tools.deadlines.first_told``), a note the first time;
        the inform milestones follow (it stops them)."""
        tickets = self.sudo().exists()
        if not tickets:
            return
        facts = collections.defaultdict(list)
        for message in (
            self.env["max.outbox"]
            .sudo()
            .search_fetch(
                [("inform_ticket_id", "in", tickets.ids), ("state", "=", "sent")],
                ["inform_ticket_id", "sent_at"],
            )
        ):
            facts[message.inform_ticket_id.id].append((message.sent_at, "max"))
        for operation in (
            self.env["gis.zhkh.operation"]
            .sudo()
            .search(
                [
                    ("ticket_id", "in", tickets.ids),
                    "|",
                    ("state", "=", "accepted"),
                    # "Answer and mark executed" whose answer GIS took.
                    ("result_answer_guid", "!=", False),
                ]
            )
        ):
            if gis_operations.tells_planned_time(operation._plain()):
                facts[operation.ticket_id.id].append((operation.done_at, "gis"))
        for call in (
            self.env["helpdesk.ticket.call"]
            .sudo()
            .search_fetch(
                [("ticket_id", "in", tickets.ids), ("told_planned", "=", True)],
                ["ticket_id", "called_at"],
            )
        ):
            facts[call.ticket_id.id].append((call.called_at, "call"))
        labels = dict(self._fields["informed_by"]._description_selection(self.env))
        for ticket in tickets:
            moment, how = first_told(facts[ticket.id])
            if (moment or False, how or False) == (
                ticket.informed_at or False,
                ticket.informed_by or False,
            ):
                continue
            first = moment and not ticket.informed_at
            ticket.write({"informed_at": moment or False, "informed_by": how or False})
            if first:
                ticket._message_log(
                    body=self.env._(
                        "The applicant was told the planned timeframe at %(at)s "
                        "(%(how)s).",
                        at=ticket._local_text(moment),
                        how=labels.get(how, ""),
                    )
                )

    @api.model
    def _told_catch_up(self):
        """Tickets whose planned-time message MAX took while nobody applied
        it (the sending job's transaction failed after MAX took it): what
        the deadline sweep corrects."""
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT DISTINCT o.inform_ticket_id
                 FROM max_outbox o
                 JOIN helpdesk_ticket t ON t.id = o.inform_ticket_id
                WHERE o.state = 'sent' AND o.sent_at IS NOT NULL
                  AND (t.informed_at IS NULL OR t.informed_at > o.sent_at)"""
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        self.browse(ids)._refresh_told()
        return len(ids)

    def action_max_tell_planned(self):
        """Tell the MAX resident the planned completion, with the editable
        template, once per planned time whatever the clicks: the milestone
        is met when MAX takes the message, not now."""
        self.ensure_one()
        self.check_access("write")
        if not self.planned_at:
            raise UserError(
                self.env._("Set the planned completion first: it is what is told.")
            )
        ticket = self.sudo()
        dialog = ticket.max_dialog_id
        if not dialog:
            raise UserError(self.env._("This request did not come from the MAX bot."))
        if dialog.stopped:
            raise UserError(
                self.env._(
                    "The resident stopped the MAX bot: call them, and log the call."
                )
            )
        # A concurrent click waits here, then fails to serialize and is
        # retried: it sees this one's message.
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET write_date = write_date WHERE id = %s",
            [ticket.id],
        )
        template = self.env.ref("helpdesk_gis_zhkh_max.mail_template_max_planned_time")
        text = dialog._template_text(template, ticket)
        if not text:
            raise UserError(self.env._("The planned-time template says nothing."))
        if len(max_client.split_text(text)) != 1:
            raise UserError(
                self.env._("The planned-time template is too long for one message.")
            )
        Outbox = self.env["max.outbox"].sudo()
        if not Outbox.search_count(
            [
                ("inform_ticket_id", "=", ticket.id),
                ("text", "=", text),
                ("state", "!=", "failed"),
            ],
            limit=1,
        ):
            outbox = dialog._send_text(
                text,
                ticket,
                notice=False,
                note=self.env._("Planned completion told in MAX:"),
            )
            outbox.inform_ticket_id = ticket
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("MAX"),
                "message": self.env._(
                    "The planned completion goes to the resident in MAX; the "
                    "deadline is met when MAX takes it."
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_log_call(self):
        """Log a call to the applicant (its time, what they were told)."""
        self.ensure_one()
        self.check_access("write")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Call to the applicant"),
            "res_model": "helpdesk.ticket.call",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_ticket_id": self.id,
                "default_planned_at": self.planned_at,
                "default_phone": self.partner_id.phone or False,
            },
        }

    def action_mark_authority_informed(self):
        self.filtered(
            lambda t: not t.authority_informed_at
        ).authority_informed_at = fields.Datetime.now()


def gis_operations_selection(env):
    return env["gis.zhkh.operation"]._fields["operation"]._description_selection(env)
