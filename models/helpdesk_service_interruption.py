# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import collections
import datetime
import logging
from zoneinfo import ZoneInfo

from markupsafe import Markup
from psycopg2.extras import execute_values

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import html2plaintext
from odoo.tools.sql import create_index

from ..tools.interruptions import (
    Span,
    applicable_limit,
    month_figures,
    notice_due_day,
)
from ..tools.interruptions import (
    late_notice as is_late_notice,
)
from ..tools.production_calendar import CalendarRangeError
from .helpdesk_service_interruption_limit import INTERRUPTION_KINDS, SERVICES

_logger = logging.getLogger(__name__)

UTC = datetime.UTC
DEFAULT_TZ = "Europe/Moscow"
# Warnings and escalations per cron run; the cron wakes itself up for more.
SWEEP_BATCH = 200
# An interruption that ended over its limit is escalated if it ended this
# recently (an end entered late); older ones are history, for billing.
ESCALATE_ENDED_WITHIN = datetime.timedelta(days=1)
# Residents call as soon as the water stops, sometimes before the
# dispatcher registers it: their tickets from this long before the start
# are offered for linking.
CANDIDATE_MARGIN = datetime.timedelta(hours=1)
# The norm of ПП 354 Annex 1 п. 15: a heating interruption starts there
# until the dispatcher enters what the flats measure.
NORM_TEMPERATURE = 18.0
# What the figures of an interruption follow.
FIGURE_FIELDS = frozenset(
    {
        "house_id",
        "service",
        "kind",
        "date_start",
        "date_end",
        "indoor_temperature",
        "dead_end_main",
    }
)
STATES = [("planned", "Not started"), ("running", "Running"), ("ended", "Ended")]


# What _recompute_groups reads of an interruption, and what it keeps
# (moments as epoch seconds).
Figures = collections.namedtuple(
    "Figures",
    [
        "limit_id",
        "single_limit_hours",
        "monthly_limit_hours",
        "has_single_limit",
        "has_monthly_limit",
        "single_at",
        "monthly_at",
        "limit_at",
        "warn_at",
        "hours_total",
        "hours_over_limit",
        "figures_final",
    ],
)
Row = collections.namedtuple(
    "Row",
    [
        "id",
        "house_id",
        "service",
        "kind",
        "date_start",
        "date_end",
        "temperature",
        "dead_end_main",
        "power_sources",
        "tz",
        "company_id",
        "warned",
        "escalated",
        "figures",
    ],
)


class HelpdeskServiceInterruption(models.Model):
    """An interruption of a communal service in a building: planned works or
    an accident, held to the limits of ПП 354 Annex 1; the residents'
    tickets about it, their MAX notice, and its hours for billing."""

    _name = "helpdesk.service.interruption"
    _description = "Communal service interruption"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _rec_names_search = ["house_id", "cause"]

    house_id = fields.Many2one(
        "gis.zhkh.house",
        string="Building",
        required=True,
        index=True,
        tracking=True,
        ondelete="restrict",
    )
    company_id = fields.Many2one(
        related="house_id.company_id", store=True, index=True, precompute=True
    )
    service = fields.Selection(SERVICES, required=True, tracking=True)
    kind = fields.Selection(
        INTERRUPTION_KINDS, required=True, default="accident", tracking=True
    )
    date_start = fields.Datetime(
        string="Interruption start",
        required=True,
        default=fields.Datetime.now,
        index=True,
        tracking=True,
    )
    date_end = fields.Datetime(
        string="End",
        index=True,
        tracking=True,
        help="When the service came back. Empty while it is still interrupted.",
    )
    date_end_expected = fields.Datetime(
        string="Expected end",
        tracking=True,
        help="Told to the residents as the expected length (ПП 354 п. 31 «м»).",
    )
    cause = fields.Char(tracking=True, help="Told to the residents in the notice.")
    indoor_temperature = fields.Float(
        string="Indoor temperature (°C)",
        digits=(4, 1),
        compute="_compute_indoor_temperature",
        store=True,
        readonly=False,
        tracking=True,
        help="Heating: the lowest air temperature measured in the flats. The "
        "limit at one time depends on it (ПП 354 Annex 1 п. 14); it starts at "
        "the norm, +18 °C.",
    )
    dead_end_main = fields.Boolean(
        string="Accident on a dead-end main",
        tracking=True,
        help="Hot water: an accident on a dead-end main may last 24 hours in a "
        "row (ПП 354 Annex 1 п. 4).",
    )
    power_sources = fields.Selection(related="house_id.power_sources")
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        tracking=True,
        help="Warned before a limit is reached.",
    )
    team_id = fields.Many2one(
        "helpdesk.ticket.team",
        help="Its leader hears when a limit is passed (else the responsible).",
    )
    state = fields.Selection(STATES, compute="_compute_state", search="_search_state")

    # The limits and clocks, kept by _recompute_groups.
    limit_id = fields.Many2one(
        "helpdesk.service.interruption.limit",
        string="Limit applied",
        readonly=True,
        ondelete="set null",
    )
    legal_basis = fields.Char(compute="_compute_legal_basis")
    single_limit_hours = fields.Float(
        string="Limit at one time (hours)",
        readonly=True,
        digits=(6, 2),
        help="0 with no limit at one time; see Limit applied.",
    )
    monthly_limit_hours = fields.Float(
        string="Limit in the month (hours)",
        readonly=True,
        digits=(6, 2),
        help="0 with no monthly limit; see Limit applied.",
    )
    has_single_limit = fields.Boolean(readonly=True)
    has_monthly_limit = fields.Boolean(readonly=True)
    single_at = fields.Datetime(
        string="Limit at one time reached at",
        readonly=True,
        help="When the interruption exceeds the limit at one time.",
    )
    monthly_at = fields.Datetime(
        string="Monthly limit reached at",
        readonly=True,
        help="When the month's interruptions of this service in the building "
        "exceed the monthly limit, as they stand (while it runs: if it goes on).",
    )
    limit_at = fields.Datetime(string="Limit reached at", readonly=True)
    warn_at = fields.Datetime(readonly=True)
    hours_total = fields.Float(string="Hours", readonly=True, digits=(10, 2))
    hours_over_limit = fields.Float(
        string="Hours over the limits",
        readonly=True,
        digits=(10, 2),
        help="Hours of this interruption over the limit at one time or the "
        "month's (each hour once). Billing rounds the month's total: see "
        "Interruptions by month.",
    )
    figures_final = fields.Boolean(
        readonly=True,
        help="Ended before the figures were last computed: they no longer "
        "change with time.",
    )
    warned = fields.Boolean(readonly=True, copy=False)
    escalated = fields.Boolean(readonly=True, copy=False)
    over_limit = fields.Boolean(string="Over the limit", compute="_compute_time_left")
    single_left = fields.Float(
        string="Left at one time (hours)",
        compute="_compute_time_left",
        help="Hours left before the limit at one time; negative once exceeded.",
    )
    monthly_left = fields.Float(
        string="Left in the month (hours)",
        compute="_compute_time_left",
        help="Hours left before the monthly limit if it goes on; negative once "
        "exceeded.",
    )

    # Residents' tickets
    ticket_ids = fields.One2many(
        "helpdesk.ticket", "interruption_id", string="Residents' tickets"
    )
    ticket_count = fields.Integer(compute="_compute_ticket_count")
    candidate_ticket_ids = fields.Many2many(
        "helpdesk.ticket",
        string="Tickets to link",
        compute="_compute_candidate_ticket_ids",
        help="Open tickets of the building since the interruption began, not "
        "linked yet.",
    )

    # Telling residents
    late_notice = fields.Boolean(
        string="Announced late",
        compute="_compute_late_notice",
        store=True,
        help="Planned works entered less than 10 working days before they "
        "start: the residents were not told in time (ПП 354 п. 31 «н»).",
    )
    notice_due_date = fields.Date(
        string="Announce by",
        compute="_compute_late_notice",
        store=True,
        help="The last day to announce planned works (ПП 354 п. 31 «н»): 10 "
        "working days of the building's calendar lie between it and the start.",
    )
    broadcast_ids = fields.One2many(
        "max.broadcast", "interruption_id", string="MAX notices", readonly=True
    )
    # Whoever may open the interruption knows whether the building was told
    # (the notices themselves are for "all tickets" users and managers).
    notice_sent = fields.Boolean(compute="_compute_notices", compute_sudo=True)
    end_notice_sent = fields.Boolean(compute="_compute_notices", compute_sudo=True)
    residents_in_bot = fields.Integer(
        string="Residents in the bot",
        compute="_compute_residents_in_bot",
        help="Bot users of the building who accept notices.",
    )
    # The notice's words, in the building's time and the reader's language.
    service_label = fields.Char(compute="_compute_notice_texts")
    local_start = fields.Char(string="Start (local)", compute="_compute_notice_texts")
    local_end = fields.Char(string="End (local)", compute="_compute_notice_texts")
    local_expected_end = fields.Char(compute="_compute_notice_texts")
    expected_length = fields.Char(compute="_compute_notice_texts")

    def init(self):
        # The cron finds the few interruptions whose figures still move
        # (running, or not computed since they ended) among years of them.
        create_index(
            self.env.cr,
            "helpdesk_service_interruption_live_index",
            self._table,
            ["date_start"],
            where="figures_final IS NOT TRUE",
        )

    @api.constrains("date_start", "date_end", "date_end_expected")
    def _check_dates(self):
        for interruption in self:
            for end in (interruption.date_end, interruption.date_end_expected):
                if end and end < interruption.date_start:
                    raise ValidationError(
                        self.env._("An interruption cannot end before it starts.")
                    )

    @api.constrains("indoor_temperature")
    def _check_temperature(self):
        for interruption in self:
            if not -50 <= interruption.indoor_temperature <= 50:
                raise ValidationError(
                    self.env._("The indoor temperature is in degrees Celsius.")
                )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("service")
    def _compute_indoor_temperature(self):
        for interruption in self:
            if interruption.service != "heating":
                interruption.indoor_temperature = 0.0
            elif not interruption.indoor_temperature:
                interruption.indoor_temperature = NORM_TEMPERATURE

    @api.depends("service", "house_id", "date_start")
    @api.depends_context("lang")
    def _compute_display_name(self):
        services = dict(self._fields["service"]._description_selection(self.env))
        for interruption in self:
            interruption.display_name = self.env._(
                "%(service)s: %(building)s, %(start)s",
                service=services.get(interruption.service, ""),
                building=interruption.house_id.name or "",
                start=interruption._local_text(interruption.date_start),
            )

    def _compute_state(self):
        now = fields.Datetime.now()
        for interruption in self:
            if interruption.date_end and interruption.date_end <= now:
                interruption.state = "ended"
            elif interruption.date_start and interruption.date_start <= now:
                interruption.state = "running"
            else:
                interruption.state = "planned"

    def _search_state(self, operator, value):
        if operator not in ("=", "in"):
            return NotImplemented
        wanted = {value} if operator == "=" else set(value)
        now = fields.Datetime.now()
        domain = Domain.FALSE
        if "planned" in wanted:
            domain |= Domain("date_start", ">", now)
        if "running" in wanted:
            domain |= Domain("date_start", "<=", now) & (
                Domain("date_end", "=", False) | Domain("date_end", ">", now)
            )
        if "ended" in wanted:
            domain |= Domain("date_end", "<=", now)
        return domain

    @api.depends("limit_id")
    def _compute_legal_basis(self):
        for interruption in self:
            limit = interruption.limit_id
            interruption.legal_basis = ", ".join(
                part for part in (limit.legal_act, limit.legal_clause) if part
            )

    @api.depends("single_at", "monthly_at", "limit_at", "date_end")
    def _compute_time_left(self):
        now = fields.Datetime.now()
        for interruption in self:
            end = min(interruption.date_end or now, now)

            def left(moment, end=end):
                return (moment - end).total_seconds() / 3600 if moment else 0.0

            interruption.single_left = left(interruption.single_at)
            interruption.monthly_left = left(interruption.monthly_at)
            interruption.over_limit = bool(
                interruption.limit_at and interruption.limit_at < end
            )

    @api.depends("ticket_ids")
    def _compute_ticket_count(self):
        for interruption in self:
            interruption.ticket_count = len(interruption.ticket_ids)

    @api.depends("house_id", "date_start", "date_end", "ticket_ids")
    def _compute_candidate_ticket_ids(self):
        Ticket = self.env["helpdesk.ticket"]
        for interruption in self:
            if not interruption.house_id or not interruption.date_start:
                interruption.candidate_ticket_ids = Ticket
                continue
            domain = Domain("gis_house_id", "=", interruption.house_id.id) & Domain(
                "interruption_id", "=", False
            )
            domain &= Domain("closed", "=", False)
            domain &= Domain(
                "create_date", ">=", interruption.date_start - CANDIDATE_MARGIN
            )
            if interruption.date_end:
                domain &= Domain("create_date", "<=", interruption.date_end)
            interruption.candidate_ticket_ids = Ticket.search(
                domain, order="create_date", limit=50
            )

    @api.depends("kind", "date_start", "house_id", "create_date")
    def _compute_late_notice(self):
        for interruption in self:
            interruption.late_notice = False
            interruption.notice_due_date = False
            if interruption.kind != "planned" or not interruption.date_start:
                continue
            tz = interruption._tz()
            calculator = interruption._calendar()._calculator()
            start_day = interruption._local(interruption.date_start).date()
            entered = interruption.create_date or fields.Datetime.now()
            entered_day = interruption._local(entered).date()
            try:
                interruption.notice_due_date = notice_due_day(calculator, start_day)
                interruption.late_notice = is_late_notice(
                    calculator, entered_day, start_day
                )
            except CalendarRangeError as error:
                _logger.info("Interruption %s: %s (%s)", interruption.id, error, tz)

    @api.depends("broadcast_ids.state", "broadcast_ids.interruption_notice")
    def _compute_notices(self):
        for interruption in self:
            sent = interruption.broadcast_ids.filtered(lambda b: b.state != "cancelled")
            kinds = set(sent.mapped("interruption_notice"))
            interruption.notice_sent = "start" in kinds
            interruption.end_notice_sent = "end" in kinds

    @api.depends("house_id")
    def _compute_residents_in_bot(self):
        for interruption in self:
            gateway = interruption._max_gateway()
            interruption.residents_in_bot = (
                self.env["max.dialog"]
                .sudo()
                .search_count(
                    [
                        ("gateway_id", "=", gateway.id),
                        ("house_id", "=", interruption.house_id.id),
                        ("notices", "=", True),
                        ("stopped", "=", False),
                    ]
                )
                if gateway and interruption.house_id
                else 0
            )

    @api.depends(
        "service", "date_start", "date_end", "date_end_expected", "house_id.tz"
    )
    @api.depends_context("lang")
    def _compute_notice_texts(self):
        services = dict(self._fields["service"]._description_selection(self.env))
        for interruption in self:
            interruption.service_label = services.get(interruption.service, "")
            interruption.local_start = interruption._local_text(interruption.date_start)
            interruption.local_end = interruption._local_text(interruption.date_end)
            interruption.local_expected_end = interruption._local_text(
                interruption.date_end_expected
            )
            interruption.expected_length = interruption._length_text(
                interruption.date_start, interruption.date_end_expected
            )

    # ------------------------------------------------------------------
    # Place and time
    # ------------------------------------------------------------------

    def _tz(self):
        """The building's zone: its months are the billing periods."""
        self.ensure_one()
        house = self.house_id
        company = house.company_id or self.env.company
        return ZoneInfo(house.tz or company.partner_id.tz or DEFAULT_TZ)

    def _calendar(self):
        self.ensure_one()
        return (
            self.house_id.calendar_id
            or self.house_id.company_id.helpdesk_calendar_id
            or self.env["helpdesk.production.calendar"]._default_calendar()
        )

    def _local(self, moment):
        return moment.replace(tzinfo=UTC).astimezone(self._tz())

    def _local_text(self, moment):
        if not moment or not self.house_id:
            return ""
        return self._local(moment).strftime("%d.%m.%Y %H:%M")

    def _length_text(self, start, end):
        if not start or not end:
            return ""
        minutes = round((end - start).total_seconds() / 60)
        hours, minutes = divmod(minutes, 60)
        if not minutes:
            return self.env._("%(hours)s h", hours=hours)
        return self.env._("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)

    # ------------------------------------------------------------------
    # CRUD: figures and clocks follow every change
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        interruptions = super().create(vals_list)
        self._recompute_groups(interruptions._groups())
        return interruptions

    def write(self, vals):
        ending = (
            self.filtered(lambda i: not i.date_end) if vals.get("date_end") else None
        )
        groups = self._groups() if FIGURE_FIELDS.intersection(vals) else set()
        result = super().write(vals)
        if groups:
            self._recompute_groups(groups | self._groups())
            self.ticket_ids._interruption_changed()
        if ending:
            ending._announce_end()
        return result

    def unlink(self):
        groups = self._groups()
        tickets = self.ticket_ids
        result = super().unlink()
        self._recompute_groups(groups)
        tickets._interruption_changed()
        return result

    def _groups(self):
        return {(i.house_id.id, i.service) for i in self if i.house_id and i.service}

    # ------------------------------------------------------------------
    # Figures: limits, clocks and months (tools/interruptions.py)
    # ------------------------------------------------------------------

    @api.model
    def _recompute_services(self, services):
        """Every building's figures of ``services`` (a limit changed)."""
        self._recompute_groups(None, services=services)

    @api.model
    def _recompute_companies(self, companies):
        """Every figure of ``companies`` (their rounding changed)."""
        self._recompute_groups(None, company_ids=companies.ids)

    @api.model
    def _recompute_groups(self, groups, now=None, services=None, company_ids=None):
        """The clocks of the interruptions and the month figures of
        ``groups`` — ``{(house id, service)}``, None for all (of
        ``services`` or ``company_ids``) — as of ``now``.

        Set-based: one query reads the interruptions (times as epoch
        seconds), the arithmetic runs in plain Python per building and
        service, and only what changed is written back, in a few statements
        (a building may have years of them; a changed limit touches every
        building)."""
        if groups is not None and not groups:
            return
        now = now or fields.Datetime.now()
        now_s = int(now.replace(tzinfo=UTC).timestamp())
        self.env.flush_all()
        rows = self._figure_rows(groups, services, company_ids)
        companies = self.env["res.company"].sudo().browse({r.company_id for r in rows})
        limits = self.env["helpdesk.service.interruption.limit"]._limits_by_company(
            companies
        )
        zones = {c.id: c.partner_id.tz or DEFAULT_TZ for c in companies}
        by_group = collections.defaultdict(list)
        for row in rows:
            by_group[(row.house_id, row.service)].append(row)
        for group in groups or ():
            by_group.setdefault(group, [])
        applicable = {}  # the same few conditions over and over: once each
        changes, months = [], {}
        for group, members in by_group.items():
            if not members:
                months[group] = (None, {})
                continue
            first = members[0]
            tz = ZoneInfo(first.tz or zones[first.company_id])
            spans, applied = [], []
            for row in members:
                key = (
                    row.company_id,
                    row.service,
                    row.kind,
                    row.power_sources,
                    row.temperature if row.service == "heating" else None,
                    bool(row.dead_end_main),
                )
                limit = applicable.get(key)
                if limit is None:
                    limit = applicable[key] = applicable_limit(
                        limits[row.company_id],
                        row.service,
                        row.kind,
                        power_sources=int(row.power_sources)
                        if row.power_sources
                        else None,
                        temperature=key[4],
                        dead_end_main=key[5],
                    )
                applied.append(limit)
                spans.append(
                    Span(
                        row.id,
                        row.date_start,
                        row.date_end,
                        limit.single_hours,
                        limit.monthly_hours,
                    )
                )
            group_months, per_span = month_figures(spans, tz, now_s)
            months[group] = (first.company_id, group_months)
            for row, limit in zip(members, applied, strict=True):
                new = self._figures_of(limit, per_span[row.id], row.date_end, now_s)
                if new != row.figures:
                    # A limit moved: warn again before it (a breach stays).
                    rewarn = new.limit_at != row.figures.limit_at and not row.escalated
                    changes.append((row, new, row.warned and not rewarn))
        self._write_figures(changes)
        self.env["helpdesk.service.interruption.month"]._store(months, companies)
        moved = [
            row.id
            for row, new, _warned in changes
            if (new.limit_at, new.figures_final)
            != (row.figures.limit_at, row.figures.figures_final)
        ]
        if moved:
            self.browse(moved).ticket_ids._interruption_changed()
        if changes:
            self.env["helpdesk.deadline.cockpit"]._notify_changed()

    @staticmethod
    def _figures_of(applicable, figures, date_end, now_s):
        """What to keep of an interruption (moments in epoch seconds)."""
        limit_at = figures.limit_s
        return Figures(
            applicable.limit.key if applicable.limit else None,
            float(applicable.single_hours or 0.0),
            float(applicable.monthly_hours or 0.0),
            applicable.single_hours is not None,
            applicable.monthly_hours is not None,
            figures.single_s,
            figures.monthly_s,
            limit_at,
            limit_at - applicable.warn_minutes * 60 if limit_at is not None else None,
            round(figures.seconds_total / 3600, 2),
            round(figures.seconds_over / 3600, 2),
            date_end is not None and date_end <= now_s,
        )

    @api.model
    def _figure_rows(self, groups, services, company_ids):
        """The interruptions to compute, with their building's settings and
        their current figures (moments in epoch seconds)."""
        where, params = [], []
        if groups is not None:
            house_ids, service_keys = zip(*groups, strict=True)
            where.append(
                "(i.house_id, i.service) IN "
                "(SELECT * FROM unnest(%s::int[], %s::varchar[]))"
            )
            params += [list(house_ids), list(service_keys)]
        if services is not None:
            where.append("i.service = ANY(%s)")
            params.append(list(services))
        if company_ids is not None:
            where.append("h.company_id = ANY(%s)")
            params.append(list(company_ids))
        self.env.cr.execute(
            f"""
            SELECT i.id, i.house_id, i.service, i.kind,
                   extract(epoch FROM i.date_start)::bigint,
                   extract(epoch FROM i.date_end)::bigint,
                   i.indoor_temperature::float, i.dead_end_main, h.power_sources,
                   h.tz, h.company_id,
                   COALESCE(i.warned, FALSE), COALESCE(i.escalated, FALSE),
                   i.limit_id, COALESCE(i.single_limit_hours, 0)::float,
                   COALESCE(i.monthly_limit_hours, 0)::float,
                   COALESCE(i.has_single_limit, FALSE),
                   COALESCE(i.has_monthly_limit, FALSE),
                   extract(epoch FROM i.single_at)::bigint,
                   extract(epoch FROM i.monthly_at)::bigint,
                   extract(epoch FROM i.limit_at)::bigint,
                   extract(epoch FROM i.warn_at)::bigint,
                   COALESCE(i.hours_total, 0)::float,
                   COALESCE(i.hours_over_limit, 0)::float,
                   COALESCE(i.figures_final, FALSE)
              FROM helpdesk_service_interruption i
              JOIN gis_zhkh_house h ON h.id = i.house_id
             {"WHERE " + " AND ".join(where) if where else ""}
          ORDER BY i.house_id, i.service, i.date_start, i.id
            """,
            params,
        )
        return [Row(*row[:13], Figures(*row[13:])) for row in self.env.cr.fetchall()]

    @api.model
    def _write_figures(self, changes):
        if not changes:
            return

        def moment(seconds):
            if seconds is None:
                return None
            return datetime.datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)

        values = [
            (
                row.id,
                *new[:5],
                moment(new.single_at),
                moment(new.monthly_at),
                moment(new.limit_at),
                moment(new.warn_at),
                *new[9:],
                warned,
            )
            for row, new, warned in changes
        ]
        execute_values(
            self.env.cr._obj,
            """
            UPDATE helpdesk_service_interruption i
               SET limit_id = v.limit_id, single_limit_hours = v.single,
                   monthly_limit_hours = v.monthly,
                   has_single_limit = v.has_single,
                   has_monthly_limit = v.has_monthly,
                   single_at = v.single_at, monthly_at = v.monthly_at,
                   limit_at = v.limit_at, warn_at = v.warn_at,
                   hours_total = v.total, hours_over_limit = v.over,
                   figures_final = v.final, warned = v.warned,
                   write_date = (now() AT TIME ZONE 'UTC')
              FROM (VALUES %s) AS v(id, limit_id, single, monthly, has_single,
                                    has_monthly, single_at, monthly_at,
                                    limit_at, warn_at, total, over, final,
                                    warned)
             WHERE i.id = v.id
            """,
            values,
            template="(%s, %s::int, %s::float, %s::float, %s, %s, %s::timestamp, "
            "%s::timestamp, %s::timestamp, %s::timestamp, %s::float, %s::float, "
            "%s, %s)",
            page_size=5000,
        )
        self.invalidate_model(list(Figures._fields) + ["warned"])

    # ------------------------------------------------------------------
    # Cron: the running ones' figures, warnings and escalations
    # ------------------------------------------------------------------

    @api.model
    def _cron_sweep(self, batch=SWEEP_BATCH, now=None):
        """Figures of what is running move with time; then warn before a
        limit and escalate once it is passed, once each, in bounded batches
        (the cron wakes itself up for the rest)."""
        now = now or fields.Datetime.now()
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT DISTINCT house_id, service FROM helpdesk_service_interruption
                WHERE figures_final IS NOT TRUE AND date_start <= %s""",
            [now],
        )
        live = set(self.env.cr.fetchall())
        if live:
            self._recompute_groups(live, now)
        # Passed while running, or ended over the limit since yesterday (an
        # end entered late): escalated. An interruption entered long after
        # it ended is history for billing, not an emergency.
        self.env.cr.execute(
            """SELECT id FROM helpdesk_service_interruption
                WHERE escalated IS NOT TRUE AND limit_at <= %(now)s
                  AND (date_end IS NULL
                       OR (date_end >= %(since)s AND date_end > limit_at))
             ORDER BY limit_at, id LIMIT %(batch)s""",
            {"now": now, "since": now - ESCALATE_ENDED_WITHIN, "batch": batch},
        )
        passed = self.browse([row[0] for row in self.env.cr.fetchall()])
        passed._escalate()
        self.env.cr.execute(
            """SELECT id FROM helpdesk_service_interruption
                WHERE warned IS NOT TRUE AND escalated IS NOT TRUE
                  AND (date_end IS NULL OR date_end > %(now)s)
                  AND warn_at <= %(now)s
                  AND limit_at > %(now)s AND date_start <= %(now)s
             ORDER BY warn_at, id LIMIT %(batch)s""",
            {"now": now, "batch": batch},
        )
        near = self.browse([row[0] for row in self.env.cr.fetchall()])
        near._warn()
        if len(passed) == batch or len(near) == batch:
            self.env.ref("helpdesk_gis_zhkh_max.ir_cron_interruption_sweep")._trigger()
        return len(passed), len(near)

    def _org(self):
        """As the organisation reads it: the cron is nobody's user."""
        self.ensure_one()
        company = self.company_id or self.env.company
        return self.with_context(lang=company.partner_id.lang or self.env.lang)

    def _warn(self):
        """A limit is near: an activity for the responsible, a note."""
        activity_type = self.env.ref(
            "helpdesk_gis_zhkh_max.mail_activity_interruption_limit_near"
        )
        for interruption in self:
            org = interruption._org()
            message = org.env._(
                "The interruption reaches its limit at %(at)s: %(name)s.",
                at=org._local_text(interruption.limit_at),
                name=org.display_name,
            )
            org._notify_once(activity_type, interruption.user_id, message)
        self.write({"warned": True})

    def _escalate(self):
        """A limit passed: an activity for the team leader (else the
        responsible), a note. Once per interruption, whatever the number of
        residents' tickets about it."""
        activity_type = self.env.ref(
            "helpdesk_gis_zhkh_max.mail_activity_interruption_limit_passed"
        )
        for interruption in self:
            org = interruption._org()
            message = org.env._(
                "The interruption is over its limit since %(at)s: %(name)s "
                "(%(basis)s). Residents' charges for the month are reduced.",
                at=org._local_text(interruption.limit_at),
                name=org.display_name,
                basis=org.legal_basis or org.env._("no limit applies"),
            )
            user = interruption.team_id.user_id or interruption.user_id
            org._notify_once(activity_type, user, message)
        self.write({"warned": True, "escalated": True})

    def _notify_once(self, activity_type, user, message):
        self.ensure_one()
        if user:
            self.sudo().activity_schedule(
                activity_type_id=activity_type.id,
                summary=activity_type.with_context(lang=self.env.lang).summary,
                note=message,
                user_id=user.id,
                date_deadline=fields.Date.context_today(self),
            )
        self.sudo().message_post(
            body=Markup("<p>%s</p>") % message, subtype_xmlid="mail.mt_note"
        )

    # ------------------------------------------------------------------
    # The cockpit
    # ------------------------------------------------------------------

    @api.model
    def cockpit_interruptions(self):
        """Interruptions running now, as the user may see them, with the
        time left to each limit (minutes; negative once passed)."""
        self.env["helpdesk.deadline.cockpit"]._check_helpdesk_user()
        now = fields.Datetime.now()
        running = self.search(
            [("state", "=", "running")], order="limit_at, date_start", limit=100
        )
        services = dict(self._fields["service"]._description_selection(self.env))
        kinds = dict(self._fields["kind"]._description_selection(self.env))

        def minutes(moment):
            if not moment:
                return None
            return round((moment - now).total_seconds() / 60)

        return [
            {
                "id": interruption.id,
                "house": interruption.house_id.display_name,
                "service": services.get(interruption.service, ""),
                "kind": kinds.get(interruption.kind, ""),
                "start": fields.Datetime.to_string(interruption.date_start),
                "single_left": minutes(interruption.single_at),
                "monthly_left": minutes(interruption.monthly_at),
                "state": "over"
                if interruption.limit_at and interruption.limit_at <= now
                else "near"
                if interruption.warn_at and interruption.warn_at <= now
                else "ok",
                "tickets": interruption.ticket_count,
                "notified": interruption.notice_sent,
            }
            for interruption in running
        ]

    # ------------------------------------------------------------------
    # Residents' tickets
    # ------------------------------------------------------------------

    def action_link_candidates(self):
        """Link every ticket offered: one click for all of them."""
        for interruption in self:
            interruption.candidate_ticket_ids.with_context(
                interruption_id=interruption.id
            ).action_link_interruption()
        return True

    def action_open_tickets(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Residents' tickets"),
            "res_model": "helpdesk.ticket",
            "views": [(False, "list"), (False, "form")],
            "domain": [("interruption_id", "=", self.id)],
            "context": {"create": False},
        }

    def action_end(self):
        """The service is back: now."""
        self.filtered(lambda i: not i.date_end).write(
            {"date_end": fields.Datetime.now()}
        )
        return True

    # ------------------------------------------------------------------
    # Telling residents: the MAX building notice (ПП 354 п. 31 «м»)
    # ------------------------------------------------------------------

    def _max_gateway(self):
        self.ensure_one()
        gateways = (
            self.env["mail.gateway"]
            .sudo()
            .search(
                [
                    ("gateway_type", "=", "max"),
                    ("company_id", "in", [self.company_id.id, False]),
                ]
            )
        )
        # The bot that offers the building first, then the company's own.
        return (
            gateways.filtered(lambda g: self.house_id in g.max_house_ids)[:1]
            or gateways.filtered(lambda g: g.company_id == self.company_id)[:1]
            or gateways[:1]
        )

    def action_notify_residents(self):
        """One click: every bot user of the building hears of the
        interruption, its cause and expected length, below the API's rate
        limit; the delivery report shows on the interruption."""
        self.check_access("write")
        for interruption in self:
            if interruption.notice_sent:
                raise UserError(
                    self.env._("The residents were told of this interruption.")
                )
            if not interruption.cause:
                raise UserError(
                    self.env._("Enter the cause: the residents are told it.")
                )
            interruption._send_notice("start")
        return True

    def action_notify_end(self):
        self.check_access("write")
        for interruption in self:
            if not interruption.date_end:
                raise UserError(self.env._("The interruption has not ended yet."))
            if interruption.end_notice_sent:
                raise UserError(self.env._("The residents were told of its end."))
            interruption._send_notice("end")
        return True

    def _announce_end(self):
        """The end is told where the start was; a missing audience (every
        resident stopped notices meanwhile) never blocks recording it."""
        for interruption in self.filtered(
            lambda i: i.notice_sent and not i.end_notice_sent
        ):
            try:
                with self.env.cr.savepoint():
                    interruption._send_notice("end")
            except UserError as error:
                interruption.message_post(
                    body=Markup("<p>%s</p>")
                    % self.env._(
                        "The end was not announced in MAX: %(reason)s",
                        reason=error.args[0],
                    ),
                    subtype_xmlid="mail.mt_note",
                )

    def _send_notice(self, notice):
        """A building notice (``max.broadcast``) of this interruption, its
        text from the template, in the organisation's language."""
        self.ensure_one()
        gateway = self._max_gateway()
        if not gateway:
            raise UserError(self.env._("No MAX bot is set up for this building."))
        org = self._org()
        xmlid = {
            "start": "helpdesk_gis_zhkh_max.mail_template_interruption_notice",
            "end": "helpdesk_gis_zhkh_max.mail_template_interruption_end",
        }[notice]
        template = self.env.ref(xmlid).sudo().with_context(lang=org.env.lang)
        body = template._render_field("body_html", self.ids, compute_lang=False)
        text = html2plaintext(body[self.id] or "").strip()
        subject = template._render_field("subject", self.ids, compute_lang=False)
        broadcast = (
            self.env["max.broadcast"]
            .sudo()
            .create(
                {
                    "name": subject[self.id] or org.display_name,
                    "gateway_id": gateway.id,
                    "company_id": self.company_id.id,
                    "house_ids": [fields.Command.set(self.house_id.ids)],
                    "text": text,
                    "interruption_id": self.id,
                    "interruption_notice": notice,
                }
            )
        )
        broadcast.action_send()
        self.message_post(
            body=Markup("<p>%s</p>")
            % self.env._(
                "Notice sent in MAX to %(count)s residents: %(text)s",
                count=broadcast.recipient_count,
                text=text,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return broadcast

    def action_open_broadcast(self):
        self.ensure_one()
        broadcast = self.broadcast_ids[:1]
        return {
            "type": "ir.actions.act_window",
            "res_model": "max.broadcast",
            "res_id": broadcast.id,
            "views": [(False, "form")],
        }
