# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import collections
import logging

from markupsafe import Markup

from odoo import api, fields, models

from .helpdesk_deadline_milestone import KINDS

_logger = logging.getLogger(__name__)

STATES = [
    ("running", "Running"),
    ("at_risk", "At risk"),
    ("met", "Met"),
    ("breached", "Breached"),
]
OPEN_STATES = ("running", "at_risk")
# Notifications sent per cron run; the cron wakes itself up for the rest.
SWEEP_BATCH = 200


class HelpdeskTicketDeadline(models.Model):
    """A statutory deadline of one ticket, and whether it was kept."""

    _name = "helpdesk.ticket.deadline"
    _description = "Ticket Legal Deadline"
    _order = "deadline, id"

    ticket_id = fields.Many2one(
        "helpdesk.ticket", required=True, ondelete="cascade", index=True
    )
    rule_id = fields.Many2one("helpdesk.deadline.rule", ondelete="set null", index=True)
    milestone_id = fields.Many2one(
        "helpdesk.deadline.milestone", ondelete="set null", index=True
    )
    name = fields.Char(required=True)
    kind = fields.Selection(KINDS, required=True)
    legal_basis = fields.Char()
    start = fields.Datetime(help="When the clock started.")
    deadline = fields.Datetime(required=True, index=True)
    computed_deadline = fields.Datetime(
        help="The deadline the rule gives; for GIS appeals the GIS date rules."
    )
    gis_mismatch = fields.Boolean(
        string="Differs from GIS",
        help="GIS ZhKKh computed another date than the rule for this answer: the "
        "GIS date applies; check the rule or the appeal's theme.",
    )
    warn_at = fields.Datetime(index=True)
    state = fields.Selection(STATES, required=True, default="running", index=True)
    done_at = fields.Datetime(string="Met at")
    breached = fields.Boolean(
        readonly=True, help="The deadline passed before it was met (kept for good)."
    )
    warned = fields.Boolean(readonly=True)
    escalated = fields.Boolean(readonly=True)
    on_time = fields.Float(
        string="On time (%)",
        aggregator="avg",
        help="100 when met in time, 0 when breached, empty while running.",
    )
    # Copies of the ticket's, kept by the sync, for the analysis (cheaper
    # than stored related fields on hundreds of thousands of rows).
    company_id = fields.Many2one("res.company", index=True)
    team_id = fields.Many2one("helpdesk.ticket.team", index=True)
    category_id = fields.Many2one("helpdesk.ticket.category")
    user_id = fields.Many2one("res.users", string="Performer")
    house_id = fields.Many2one("gis.zhkh.house")
    gis_deadline = fields.Date(related="ticket_id.gis_deadline")

    _ticket_milestone_unique = models.Constraint(
        "UNIQUE(ticket_id, milestone_id)",
        "A milestone appears once per ticket.",
    )

    @api.depends("name", "deadline")
    def _compute_display_name(self):
        for record in self:
            record.display_name = record.name

    # ------------------------------------------------------------------
    # Sweep: warnings and escalation
    # ------------------------------------------------------------------

    @api.model
    def _cron_sweep(self, batch=SWEEP_BATCH, now=None):
        """Move deadlines to at risk / breached as time passes, then warn and
        escalate once each, in bounded batches."""
        now = now or fields.Datetime.now()
        self._refresh_states(now)
        breached = self.search(
            [("breached", "=", True), ("escalated", "=", False)],
            limit=batch,
            order="deadline",
        )
        breached._escalate()
        at_risk = self.search(
            [("state", "=", "at_risk"), ("warned", "=", False)],
            limit=batch,
            order="warn_at",
        )
        at_risk._warn()
        if len(breached) == batch or len(at_risk) == batch:
            self.env.ref("helpdesk_gis_zhkh_max.ir_cron_deadline_sweep")._trigger()
        return len(breached), len(at_risk)

    @api.model
    def _refresh_states(self, now):
        """Set-based state update: one statement whatever the volume."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            UPDATE helpdesk_ticket_deadline
               SET state = 'breached', breached = TRUE, on_time = 0
             WHERE done_at IS NULL AND state IN ('running', 'at_risk')
               AND deadline < %(now)s
            """,
            {"now": now},
        )
        breached = self.env.cr.rowcount
        self.env.cr.execute(
            """
            UPDATE helpdesk_ticket_deadline
               SET state = 'at_risk'
             WHERE done_at IS NULL AND state = 'running' AND warn_at <= %(now)s
            """,
            {"now": now},
        )
        if breached or self.env.cr.rowcount:
            self.invalidate_model(["state", "breached", "on_time"])
        return breached, self.env.cr.rowcount

    def _escalation_user(self):
        return self.rule_id.escalation_user_id or self.ticket_id.team_id.user_id

    def _escalate(self):
        """A breach: an activity for the manager, a note on the ticket."""
        self._notify(
            "helpdesk_gis_zhkh_max.mail_activity_deadline_breached",
            lambda r: r._escalation_user(),
            lambda r: self.env._(
                "Legal deadline breached: %(name)s, due %(deadline)s (%(basis)s).",
                name=r.name,
                deadline=r._local_deadline(),
                basis=r.legal_basis or "",
            ),
            lambda r: self.env._("Deadline breached: %(name)s", name=r.name),
            digest_to=lambda team: team.user_id.partner_id,
        )
        self.write({"escalated": True})

    def _warn(self):
        """At risk: an activity for the responsible, a word to the team."""
        self._notify(
            "helpdesk_gis_zhkh_max.mail_activity_deadline_at_risk",
            lambda r: r.ticket_id.user_id or r.ticket_id.team_id.user_id,
            lambda r: self.env._(
                "Legal deadline at risk: %(name)s, due %(deadline)s.",
                name=r.name,
                deadline=r._local_deadline(),
            ),
            lambda r: self.env._("Deadline at risk: %(name)s", name=r.name),
            digest_to=lambda team: team.user_ids.partner_id,
        )
        self.write({"warned": True})

    def _notify(self, activity_xmlid, user_of, message_of, summary_of, digest_to):
        """Notify in batch: activities created at once (without one e-mail
        each), notes logged at once, one digest per team."""
        if not self:
            return
        activity_type = self.env.ref(activity_xmlid)
        ticket_model = self.env["ir.model"]._get_id("helpdesk.ticket")
        today = fields.Date.context_today(self)
        activities, bodies = [], collections.defaultdict(list)
        per_team = collections.defaultdict(list)
        for record in self:
            message = message_of(record)
            bodies[record.ticket_id.id].append(message)
            per_team[record.ticket_id.team_id].append((record, message))
            user = user_of(record)
            if user:
                activities.append(
                    {
                        "res_model_id": ticket_model,
                        "res_id": record.ticket_id.id,
                        "activity_type_id": activity_type.id,
                        "summary": summary_of(record),
                        "note": message,
                        "user_id": user.id,
                        "date_deadline": today,
                    }
                )
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            activities
        )
        self.ticket_id._message_log_batch(
            {
                ticket_id: Markup("<br/>").join(Markup("%s") % m for m in messages)
                for ticket_id, messages in bodies.items()
            }
        )
        for team, items in per_team.items():
            partners = digest_to(team)
            if not team or not partners:
                continue
            lines = Markup("").join(
                Markup("<li>%s: %s</li>") % (record.ticket_id.display_name, message)
                for record, message in items
            )
            team.message_post(
                body=Markup("<p>%s</p><ul>%s</ul>") % (activity_type.name, lines),
                partner_ids=partners.ids,
                subtype_xmlid="mail.mt_note",
            )

    def _local_deadline(self):
        """The deadline in the ticket's local time, for messages."""
        tz = self.ticket_id._deadline_tz()
        return fields.Datetime.context_timestamp(
            self.with_context(tz=str(tz)), self.deadline
        ).strftime("%d.%m.%Y %H:%M")
