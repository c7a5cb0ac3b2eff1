# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import collections
import datetime
import io
import logging
from zoneinfo import ZoneInfo

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import split_every

from ..tools.deadlines import (
    compute_deadline,
    compute_deadlines,
    earliest_moment,
    end_of_day,
    state_of,
    warning_time,
)
from ..tools.pg_copy import copy_text
from ..tools.production_calendar import CalendarRangeError
from .helpdesk_deadline_milestone import KINDS

_logger = logging.getLogger(__name__)

STATES = [
    ("running", "Running"),
    ("at_risk", "At risk"),
    ("met", "Met"),
    ("breached", "Breached"),
]
OPEN_STATES = ("running", "at_risk")
# The ticket's badge shows its worst deadline.
STATE_WEIGHT = {"met": 0, "running": 1, "at_risk": 2, "breached": 3}
UTC = datetime.timezone.utc
# Without a building or a company time zone (as helpdesk.ticket._local_tz).
DEFAULT_TZ = "Europe/Moscow"
# Notifications sent per cron run; the cron wakes itself up for the rest.
SWEEP_BATCH = 200
# Milestones a request linked to a service interruption does not count on
# its own clock: the interruption's limit is theirs, its end meets them.
INTERRUPTION_KINDS = ("elimination",)


def _org_lang(record):
    """The language of ``record``'s company (a ticket, a team), else the
    environment's."""
    company = record.company_id or record.env.company
    return company.partner_id.lang or record.env.lang


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
        help="GIS ZhKKh's deadline for this appeal (its ExecutionEndDate) is "
        "another day than the one our rule gives for the answer. The GIS "
        "deadline applies: it is the one GIS ZhKKh and the housing inspectorate "
        "count. Expected after GIS ZhKKh extended the deadline; otherwise check "
        "the rule (period, calendar) or the appeal's theme and category. Only "
        "GIS appeals whose GIS deadline is known are compared.",
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
    interruption_id = fields.Many2one(
        "helpdesk.service.interruption",
        string="Follows interruption",
        ondelete="set null",
        help="The request is about this interruption of a communal service: "
        "the milestone follows its limit and is met when the service comes "
        "back; the interruption warns and escalates, once for all.",
    )

    _ticket_milestone_unique = models.Constraint(
        "UNIQUE(ticket_id, milestone_id)",
        "A milestone appears once per ticket.",
    )

    @api.depends("name", "deadline")
    def _compute_display_name(self):
        for record in self:
            record.display_name = record.name

    # ------------------------------------------------------------------
    # Sync: the milestones of tickets, from the rules
    # ------------------------------------------------------------------

    @api.model
    def _sync_tickets(self, tickets):
        """Create, update or drop the legal deadlines of ``tickets``."""
        # Deadlines follow from the rules whoever changes the ticket (a
        # dispatcher, a portal user, a job): computed as superuser.
        tickets = tickets.sudo().exists()
        if not tickets:
            return
        deadlines = self.sudo()
        rules = (
            self.env["helpdesk.deadline.rule"]
            .sudo()
            .search([("milestone_ids", "!=", False)])
        )
        # Each ticket's and milestone's facts read once, as plain values:
        # reading them through records, per milestone, was most of the time.
        self.env.flush_all()
        facts = self._ticket_facts(tickets, rules)
        milestones = {m.id: self._milestone_facts(m) for m in rules.milestone_ids}
        categories = rules._category_closure()
        wanted = {}
        for rule in rules:
            matched = rule._matching_facts(facts, tickets, categories)
            for ticket in matched:
                for milestone in rule.milestone_ids:
                    wanted[(ticket["id"], milestone.id)] = (
                        ticket,
                        milestones[milestone.id],
                    )
        existing = self._existing_rows(tickets)
        # Rules that no longer apply drop their running deadlines; what was
        # met or breached stays on record.
        deadlines.browse(
            [
                row["id"]
                for key, row in existing.items()
                if key not in wanted and row["state"] in OPEN_STATES
            ]
        ).unlink()
        now = fields.Datetime.now()
        default_calendar = self.env["helpdesk.production.calendar"]._default_calendar()
        groups = collections.defaultdict(list)
        for ticket, milestone in wanted.values():
            start = self._start_of(ticket, milestone)
            if start:
                calendar = (
                    ticket["house_calendar_id"]
                    or ticket["company_calendar_id"]
                    or default_calendar.id
                )
                key = (milestone["id"], calendar, ticket["tz"])
                groups[key].append((ticket, start))
        interruptions = self._interruptions_of(facts)
        to_create = []
        for (milestone_id, calendar_id, tz), members in groups.items():
            milestone = milestones[milestone_id]
            calendar = default_calendar.browse(calendar_id)
            ends = self._compute_ends(milestone, calendar, tz, members)
            for (ticket, start), computed in zip(members, ends, strict=True):
                if computed is None:
                    continue
                row = existing.get((ticket["id"], milestone_id))
                interruption = interruptions.get(ticket["interruption_id"])
                values = self._values_of(
                    ticket, milestone, start, computed, tz, now, row, interruption
                )
                if row is None:
                    to_create.append(values)
                    continue
                # Compared with the stored values as read: most rows of a
                # recompute do not change.
                changes = {
                    name: value
                    for name, value in values.items()
                    if name != "on_time" and (row[name] or False) != (value or False)
                }
                if "state" in changes:
                    # on_time is NULL while running: the ORM reads it as 0.
                    changes["on_time"] = values["on_time"]
                if changes:
                    deadlines.browse(row["id"]).write(changes)
        self._insert_milestones(tickets, to_create)

    @api.model
    def _insert_milestones(self, tickets, vals_list):
        """Create the new milestones of ``tickets`` in one COPY.

        ``_values_of`` gives every stored column, checked and converted
        already: the ORM's create would only add its per-record work (about
        a millisecond each, most of a sweep over thousands of new tickets).
        What the ORM would then do follows: the tickets' figures recomputed
        from their milestones, the cockpit told."""
        if not vals_list:
            return self.browse()
        columns = sorted({name for vals in vals_list for name in vals})
        booleans = {name for name in columns if self._fields[name].type == "boolean"}
        uid = self.env.uid
        now = fields.Datetime.now()
        self.env.flush_all()
        cr = self.env.cr
        # The ids first, in the order of vals_list, as an INSERT would
        # return them: COPY returns nothing.
        cr.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id'))"
            "  FROM generate_series(1, %s)",
            [self._table, len(vals_list)],
        )
        ids = [row[0] for row in cr.fetchall()]
        rows = (
            [
                record_id,
                *(
                    bool(vals.get(name))
                    if name in booleans
                    else (vals.get(name) if vals.get(name) is not False else None)
                    for name in columns
                ),
                uid,
                now,
                uid,
                now,
            ]
            for record_id, vals in zip(ids, vals_list, strict=True)
        )
        names = ", ".join(
            f'"{name}"'
            for name in [
                "id",
                *columns,
                "create_uid",
                "create_date",
                "write_uid",
                "write_date",
            ]
        )
        cr._obj.copy_expert(
            f"COPY {self._table} ({names}) FROM STDIN", io.StringIO(copy_text(rows))
        )
        records = self.browse(ids)
        # The tickets' stored figures in one statement, as the sweep does;
        # the others are computed when read.
        tickets.invalidate_recordset(
            [
                "deadline_ids",
                "deadline_needs_reaction",
                "deadline_needs_localisation",
                "deadline_gis_mismatch",
            ]
        )
        tickets.browse(
            {vals["ticket_id"] for vals in vals_list}
        )._refresh_ticket_summary()
        self.env["helpdesk.deadline.cockpit"]._notify_changed()
        return records

    @api.model
    def _ticket_facts(self, tickets, rules):
        """What ``rules`` and their milestones read of ``tickets``, one dict a
        ticket in their order: their stored columns in one query (the
        place's time zone and calendar joined), the tags when a rule asks
        for them, and the fields milestones start from or stop at read as
        the ORM reads them. Call after a flush."""
        self.env.cr.execute(
            """
            SELECT t.id, t.number, t.company_id, t.team_id, t.category_id,
                   t.user_id, t.stage_id, t.channel_id, t.priority,
                   t.gis_house_id, t.gis_appeal_guid, t.gis_theme_id,
                   t.gis_received_date, t.gis_deadline, t.gis_status,
                   t.gis_status_date, t.gis_last_sync, t.gis_answered_at,
                   t.agreed_deadline, t.informed_at, t.interruption_id,
                   t.create_date, t.last_stage_update,
                   COALESCE(s.closed, FALSE) AS closed,
                   COALESCE(NULLIF(h.tz, ''), NULLIF(p.tz, '')) AS tz_name,
                   h.calendar_id AS house_calendar_id,
                   c.helpdesk_calendar_id AS company_calendar_id
              FROM helpdesk_ticket t
         LEFT JOIN helpdesk_ticket_stage s ON s.id = t.stage_id
         LEFT JOIN gis_zhkh_house h ON h.id = t.gis_house_id
         LEFT JOIN res_company c ON c.id = t.company_id
         LEFT JOIN res_partner p ON p.id = c.partner_id
             WHERE t.id = ANY(%s)
            """,
            [tickets.ids],
        )
        names = [column.name for column in self.env.cr.description]
        by_id = {
            row[0]: dict(zip(names, row, strict=True)) for row in self.env.cr.fetchall()
        }
        facts = [by_id[ticket_id] for ticket_id in tickets.ids if ticket_id in by_id]
        tickets = tickets.browse([ticket["id"] for ticket in facts])
        for ticket in facts:
            # Empty strings are no zone, as `or` reads them on the records.
            ticket["tz"] = ZoneInfo(ticket.pop("tz_name") or DEFAULT_TZ)
            ticket["tag_ids"] = set()
        if rules.tag_ids:
            field = tickets._fields["tag_ids"]
            self.env.cr.execute(
                f'SELECT "{field.column1}", "{field.column2}" FROM "{field.relation}"'
                f' WHERE "{field.column1}" = ANY(%s)',
                [tickets.ids],
            )
            for ticket_id, tag_id in self.env.cr.fetchall():
                by_id[ticket_id]["tag_ids"].add(tag_id)
        # Any field a milestone names, stored or not: its value as a record
        # gives it (a falsy one counts as unset).
        milestones = rules.milestone_ids
        for name in set(
            (milestones.start_field_id | milestones.stop_field_id).mapped("name")
        ):
            for ticket, record in zip(facts, tickets, strict=True):
                ticket[name] = record[name]
        return facts

    @api.model
    def _milestone_facts(self, milestone):
        """A milestone's settings as plain values, read once per sync."""
        return {
            "id": milestone.id,
            "rule_id": milestone.rule_id.id,
            "name": milestone.name,
            "display_name": milestone.display_name,
            "kind": milestone.kind,
            "legal_basis": milestone.rule_id.legal_basis or False,
            "duration": milestone.duration,
            "unit": milestone.unit,
            "window": milestone._window(),
            "clock_start": milestone.clock_start,
            "start_field": milestone.start_field_id.name,
            "start_fallback": milestone.start_fallback,
            "stop_stage_ids": set(milestone.stop_stage_ids.ids),
            "stop_field": milestone.stop_field_id.name,
            "statuses": milestone._gis_status_set(),
            "use_agreed_deadline": milestone.use_agreed_deadline,
            "warn_before": milestone.warn_before,
            "warn_ratio": milestone.warn_ratio,
        }

    @api.model
    def _existing_rows(self, tickets):
        """The stored milestones of ``tickets`` by (ticket, milestone), as
        raw values (many2one as ids)."""
        names = [
            name
            for name, field in self._fields.items()
            if field.store and field.column_type and name != "id"
        ]
        columns = ", ".join(f'"{name}"' for name in names)
        self.env.cr.execute(
            f"SELECT id, {columns} FROM {self._table} WHERE ticket_id = ANY(%s) "
            "ORDER BY deadline, id",
            [tickets.ids],
        )
        rows = (
            dict(zip(["id", *names], row, strict=True))
            for row in self.env.cr.fetchall()
        )
        return {(row["ticket_id"], row["milestone_id"] or False): row for row in rows}

    @api.model
    def _interruptions_of(self, facts):
        """The interruptions the tickets follow, by id."""
        ids = {ticket["interruption_id"] for ticket in facts} - {None}
        interruptions = self.env["helpdesk.service.interruption"].sudo().browse(ids)
        return {interruption.id: interruption for interruption in interruptions}

    @api.model
    def _start_of(self, ticket, milestone):
        """When the milestone's clock started: a date (GIS date of receipt,
        a day of the ticket's place) or a naive UTC datetime; None while it
        has not. ``ticket`` and ``milestone`` are facts."""
        if milestone["clock_start"] == "gis_received" and ticket["gis_received_date"]:
            return ticket["gis_received_date"]
        if milestone["clock_start"] == "field":
            value = ticket[milestone["start_field"]]
            if not value and milestone["start_fallback"]:
                return ticket["create_date"]
            return value or None
        return ticket["create_date"]

    @api.model
    def _done_at_of(self, ticket, milestone, now):
        """When the milestone's stop condition was met (naive UTC), or None.
        ``ticket`` and ``milestone`` are facts."""
        kind = milestone["kind"]
        if kind == "answer" and ticket["gis_answered_at"]:
            # GIS ZhKKh accepted the organisation's answer: that is the answer.
            return ticket["gis_answered_at"]
        stages = milestone["stop_stage_ids"]
        field = milestone["stop_field"]
        statuses = milestone["statuses"]
        status = ticket["gis_status"]
        if ticket["gis_appeal_guid"] and (
            status in statuses
            or status == "withdrawn"
            or (kind == "answer" and status == "executed")
        ):
            # GIS ZhKKh's day, not the hour our import came by (the import
            # also moves the ticket's stage, which would say "now"): an
            # appeal answered in the GIS cabinet is answered, a withdrawn
            # one asks nothing more.
            return self._gis_status_moment(ticket, now)
        if kind == "inform":
            # Only what really told the applicant (a MAX message delivered,
            # a GIS operation the resident sees, a logged call), at the
            # moment it did: never a stage reached or a box ticked later.
            return ticket["informed_at"] or None
        if (
            stages
            and ticket["stage_id"] in stages
            or (not (stages or field or statuses) and ticket["closed"])
        ):
            return ticket["last_stage_update"] or now
        if field and ticket[field]:
            value = ticket[field]
            return value if isinstance(value, datetime.datetime) else now
        return None

    @api.model
    def _gis_status_moment(self, ticket, now):
        """``helpdesk.ticket._gis_status_moment`` from the ticket's facts."""
        seen = ticket["gis_last_sync"] or now
        if not ticket["gis_status_date"]:
            return seen
        moment = earliest_moment(ticket["gis_status_date"], ticket["tz"], seen)
        return moment.astimezone(UTC).replace(tzinfo=None)

    @api.model
    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env["helpdesk.deadline.cockpit"]._notify_changed()
        return records

    def write(self, vals):
        result = super().write(vals)
        if {"state", "deadline", "team_id"}.intersection(vals):
            self.env["helpdesk.deadline.cockpit"]._notify_changed()
        return result

    def _values_of(
        self, ticket, milestone, start, computed, tz, now, record, interruption=None
    ):
        """The stored values of one milestone of a ticket. ``ticket`` and
        ``milestone`` are facts, ``record`` its stored row (raw values) or
        None, ``interruption`` the one the ticket follows."""
        kind = milestone["kind"]
        if milestone["use_agreed_deadline"] and ticket["agreed_deadline"]:
            # Minor faults: the date agreed with the applicant is the
            # deadline (ПП 416 п. 13).
            computed = ticket["agreed_deadline"].replace(tzinfo=UTC)
        deadline = computed
        mismatch = False
        if kind == "answer" and ticket["gis_deadline"]:
            # GIS ZhKKh's own date rules for its appeals; ours cross-checks it,
            # where there is something to compare: a GIS appeal, and a rule
            # counted from its GIS date of receipt once GIS gave it.
            deadline = end_of_day(ticket["gis_deadline"], tz)
            mismatch = (
                bool(ticket["gis_appeal_guid"])
                and (
                    milestone["clock_start"] != "gis_received"
                    or bool(ticket["gis_received_date"])
                )
                and deadline != computed
            )
        if isinstance(start, datetime.datetime):
            start_utc = start.replace(tzinfo=UTC)
        else:
            start_utc = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
        warn_at = warning_time(
            start_utc, deadline, milestone["warn_before"], milestone["warn_ratio"] / 100
        )
        done_at = record["done_at"] if record and record["done_at"] else None
        if done_at is None or kind == "inform":
            # The applicant may turn out to have been told earlier (a call
            # logged after the MAX message went): the first time counts.
            done_at = self._done_at_of(ticket, milestone, now)
        interruption = self._holding_interruption(interruption, milestone, record)
        if interruption:
            start_utc, deadline, warn_at, done_at = self._interruption_clock(
                interruption, start_utc, deadline, warn_at
            )
        elif record and record["interruption_id"]:
            # No longer held: its own stop, not the interruption's end.
            done_at = self._done_at_of(ticket, milestone, now)
        state = state_of(
            deadline,
            now.replace(tzinfo=UTC),
            done_at.replace(tzinfo=UTC) if done_at else None,
            warn_at,
        )

        def naive(value):
            return value.astimezone(UTC).replace(tzinfo=None) if value else False

        deadline_naive = naive(deadline)
        kept_breach = bool(record and record["breached"] and state != "met")
        if (
            kept_breach
            and state in OPEN_STATES
            and record["deadline"] == deadline_naive
        ):
            # A breach of this very deadline cannot be undone by a recompute
            # (only by a stop time, entered late, that was in time).
            state = "breached"
        values = {
            "ticket_id": ticket["id"],
            "rule_id": milestone["rule_id"],
            "milestone_id": milestone["id"],
            "name": milestone["name"],
            "kind": kind,
            "legal_basis": milestone["legal_basis"],
            "start": naive(start_utc),
            "deadline": deadline_naive,
            "computed_deadline": naive(computed),
            "gis_mismatch": mismatch,
            "warn_at": naive(warn_at),
            "state": state,
            "done_at": done_at or False,
            "breached": kept_breach or state == "breached",
            "on_time": {"met": 100.0, "breached": 0.0}.get(state, False),
            "company_id": ticket["company_id"] or False,
            "team_id": ticket["team_id"] or False,
            "category_id": ticket["category_id"] or False,
            "user_id": ticket["user_id"] or False,
            "house_id": ticket["gis_house_id"] or False,
        }
        if record and record["deadline"] != deadline_naive:
            # A new deadline (an extension): warn again before it.
            values["warned"] = False
        values["interruption_id"] = interruption.id if interruption else False
        if interruption:
            # The interruption warns and escalates, once for all its requests.
            values.update(warned=True, escalated=True)
        elif record and record["interruption_id"]:
            values.update(warned=False, escalated=False)
        return values

    @api.model
    def _holding_interruption(self, interruption, milestone, record):
        """``interruption`` (the ticket's) if this milestone follows its
        clock: not one its own clock had breached before the link (a breach
        stays)."""
        if not interruption or milestone["kind"] not in INTERRUPTION_KINDS:
            return None
        if record and record["breached"] and not record["interruption_id"]:
            return None
        return interruption

    @api.model
    def _interruption_clock(self, interruption, start, deadline, warn_at):
        """(start, deadline, warning, met at) of a milestone held by
        ``interruption``: restored within its permitted duration (ПП 416 п.
        13, ПП 354 Annex 1), met when it ended."""
        start = interruption.date_start.replace(tzinfo=UTC)
        if interruption.limit_at:
            deadline = interruption.limit_at.replace(tzinfo=UTC)
            warn_at = (
                interruption.warn_at.replace(tzinfo=UTC)
                if interruption.warn_at
                else None
            )
        return start, deadline, warn_at, interruption.date_end or None

    @api.model
    def _compute_ends(self, milestone, calendar, tz, members):
        """Deadlines of ``members`` (ticket, start), None where impossible.
        ``milestone`` and the tickets are facts."""
        calculator = calendar._calculator()
        window = milestone["window"]
        duration, unit = milestone["duration"], milestone["unit"]
        starts = [start for _ticket, start in members]
        try:
            return compute_deadlines(starts, duration, unit, calculator, tz, window)
        except CalendarRangeError as error:
            _logger.debug("Computing deadlines one by one: %s", error)
        ends = []
        for ticket, start in members:
            try:
                ends.append(
                    compute_deadline(start, duration, unit, calculator, tz, window)
                )
            except CalendarRangeError as error:
                _logger.warning(
                    "Ticket %s: no legal deadline for %s: %s",
                    ticket["number"],
                    milestone["display_name"],
                    error,
                )
                ends.append(None)
        return ends

    @api.model
    def _resync_open_tickets(self):
        """Job: recompute the legal deadlines of every open ticket."""
        tickets = self.env["helpdesk.ticket"].sudo().search([("closed", "=", False)])
        for batch in split_every(1000, tickets.ids):
            self._sync_tickets(tickets.browse(batch))
        return f"{len(tickets)} tickets"

    # ------------------------------------------------------------------
    # Sweep: warnings and escalation
    # ------------------------------------------------------------------

    @api.model
    def _cron_sweep(self, batch=SWEEP_BATCH, now=None):
        """Move deadlines to at risk / breached as time passes, then warn and
        escalate once each, in bounded batches."""
        now = now or fields.Datetime.now()
        self.env["helpdesk.ticket"]._told_catch_up()
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
            RETURNING ticket_id
            """,
            {"now": now},
        )
        breached = self.env.cr.fetchall()
        self.env.cr.execute(
            """
            UPDATE helpdesk_ticket_deadline
               SET state = 'at_risk'
             WHERE done_at IS NULL AND state = 'running' AND warn_at <= %(now)s
            RETURNING ticket_id
            """,
            {"now": now},
        )
        at_risk = self.env.cr.fetchall()
        if breached or at_risk:
            self.invalidate_model(["state", "breached", "on_time"])
            ticket_ids = {row[0] for row in breached + at_risk}
            self.env["helpdesk.ticket"].browse(ticket_ids)._refresh_ticket_summary()
            self.env["helpdesk.deadline.cockpit"]._notify_changed()
        return len(breached), len(at_risk)

    def _escalation_user(self):
        return self.rule_id.escalation_user_id or self.ticket_id.team_id.user_id

    def _escalate(self):
        """A breach: an activity for the manager, a note on the ticket."""
        self._notify(
            "helpdesk_gis_zhkh_max.mail_activity_deadline_breached",
            lambda r: r._escalation_user(),
            lambda r: r._org().env._(
                "Legal deadline breached: %(name)s, due %(deadline)s (%(basis)s).",
                name=r._org().name,
                deadline=r._local_deadline(),
                basis=r.legal_basis or "",
            ),
            lambda r: r._org().env._("Deadline breached: %(name)s", name=r._org().name),
            digest_to=lambda team: team.user_id.partner_id,
        )
        self.write({"escalated": True})

    def _warn(self):
        """At risk: an activity for the responsible, a word to the team."""
        self._notify(
            "helpdesk_gis_zhkh_max.mail_activity_deadline_at_risk",
            lambda r: r.ticket_id.user_id or r.ticket_id.team_id.user_id,
            lambda r: r._org().env._(
                "Legal deadline at risk: %(name)s, due %(deadline)s.",
                name=r._org().name,
                deadline=r._local_deadline(),
            ),
            lambda r: r._org().env._("Deadline at risk: %(name)s", name=r._org().name),
            digest_to=lambda team: (team.user_ids | team.user_id).partner_id,
        )
        self.write({"warned": True})

    def _notify(self, activity_xmlid, user_of, message_of, summary_of, digest_to):
        """Notify in batch: activities created at once (without one e-mail
        each), notes logged at once, one digest per team to its people."""
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
            # Sent to them, not posted in the team's chatter: every employee
            # reads a team, not every employee may read its tickets.
            title = activity_type.with_context(lang=_org_lang(team)).name
            team.message_notify(
                subject=title,
                body=Markup("<p>%s</p><ul>%s</ul>") % (title, lines),
                partner_ids=partners.ids,
                subtype_xmlid="mail.mt_note",
            )

    def _org(self):
        """This milestone as its organisation reads it: notes, activities and
        digests stay on the tickets, in the language of the ticket's company
        (the sweep runs as a technical user, in no one's language)."""
        self.ensure_one()
        return self.with_context(lang=_org_lang(self.ticket_id))

    def _local_deadline(self):
        """The deadline in the ticket's local time, for messages."""
        tz = self.ticket_id._local_tz()
        return fields.Datetime.context_timestamp(
            self.with_context(tz=str(tz)), self.deadline
        ).strftime("%d.%m.%Y %H:%M")
