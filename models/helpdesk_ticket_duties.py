# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The duties of the emergency dispatch service as ПП РФ № 416 п. 13 writes
them, on the ticket: the accident and its time, whom to call for gas (п. 14),
the local authority informed, the planned timeframe and when the applicant
was told it, the deadline agreed for a minor fault, the result of
execution (п. 30 as amended by ПП № 40) and the call recording (п. 17)."""

import collections
import datetime

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools import gis_operations, max_client
from ..tools.deadlines import first_told
from .helpdesk_ticket import PERSONAL

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

    @api.model_create_multi
    def create(self, vals_list):
        defaults = [key[8:] for key in self.env.context if key.startswith("default_")]
        self._check_told_facts([*defaults, *(k for vals in vals_list for k in vals)])
        return super().create(vals_list)

    def write(self, vals):
        self._check_told_facts(vals)
        return super().write(vals)

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

    def action_gis_operation_wizard(self):
        """Appointing the performer proposes the planned completion as its
        planned date, which GIS ZhKKh shows the resident."""
        action = super().action_gis_operation_wizard()
        if action["context"].get("default_operation") == "performer" and (
            self.planned_at
        ):
            local = self.planned_at.replace(tzinfo=datetime.UTC).astimezone(
                self._local_tz()
            )
            action["context"]["default_date_of_appointment"] = fields.Date.to_string(
                local.date()
            )
        return action
