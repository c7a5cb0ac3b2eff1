# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The deadline recompute as it was before it read facts in bulk: every
milestone's values read field by field from the records, the rules matched
with ``filtered``. Kept as the oracle the fast path is compared with; it
computes, it stores nothing."""

import collections
import datetime

from odoo.tools.safe_eval import safe_eval

from ..models.helpdesk_ticket_deadline import INTERRUPTION_KINDS, OPEN_STATES
from ..tools.deadlines import compute_deadline, end_of_day, state_of, warning_time

UTC = datetime.timezone.utc


def matching(rule, tickets, closure):
    if not rule.applies_to_all and not rule._has_criteria():
        return tickets.browse()
    tickets = tickets.filtered(
        lambda t: not rule.company_id or t.company_id == rule.company_id
    )
    if rule.gis_only:
        tickets = tickets.filtered("gis_appeal_guid")
    if rule.gis_theme_ids:
        tickets = tickets.filtered(lambda t: t.gis_theme_id in rule.gis_theme_ids)
    if rule.category_ids:
        tickets = tickets.filtered(lambda t: t.category_id.id in closure[rule.id])
    if rule.team_ids:
        tickets = tickets.filtered(lambda t: t.team_id in rule.team_ids)
    if rule.tag_ids:
        tickets = tickets.filtered(lambda t: t.tag_ids & rule.tag_ids)
    if rule.channel_ids:
        tickets = tickets.filtered(lambda t: t.channel_id in rule.channel_ids)
    priorities = rule._priority_set()
    if priorities:
        tickets = tickets.filtered(lambda t: t.priority in priorities)
    domain = safe_eval(rule.domain or "[]")
    if domain and tickets:
        tickets = tickets.filtered_domain(domain)
    return tickets


def start_of(ticket, milestone):
    if milestone.clock_start == "gis_received" and ticket.gis_received_date:
        return ticket.gis_received_date
    if milestone.clock_start == "field":
        value = ticket[milestone.start_field_id.name]
        if not value and milestone.start_fallback:
            return ticket.create_date
        return value or None
    return ticket.create_date


def done_at_of(ticket, milestone, now):
    if milestone.kind == "answer" and ticket.gis_answered_at:
        return ticket.gis_answered_at
    stages = milestone.stop_stage_ids
    field = milestone.stop_field_id
    statuses = milestone._gis_status_set()
    if ticket.gis_appeal_guid and (
        ticket.gis_status in statuses
        or ticket.gis_status == "withdrawn"
        or (milestone.kind == "answer" and ticket.gis_status == "executed")
    ):
        return ticket._gis_status_moment(now)
    if milestone.kind == "inform":
        return ticket.informed_at or None
    if (
        stages
        and ticket.stage_id in stages
        or (not (stages or field or statuses) and ticket.closed)
    ):
        return ticket.last_stage_update or now
    if field and ticket[field.name]:
        value = ticket[field.name]
        return value if isinstance(value, datetime.datetime) else now
    return None


def holding(ticket, milestone, record):
    interruption = ticket.interruption_id
    if not interruption or milestone.kind not in INTERRUPTION_KINDS:
        return None
    if record and record.breached and not record.interruption_id:
        return None
    return interruption


def values_of(model, ticket, milestone, start, computed, tz, now, record):
    if milestone.use_agreed_deadline and ticket.agreed_deadline:
        computed = ticket.agreed_deadline.replace(tzinfo=UTC)
    deadline = computed
    mismatch = False
    if milestone.kind == "answer" and ticket.gis_deadline:
        deadline = end_of_day(ticket.gis_deadline, tz)
        mismatch = (
            bool(ticket.gis_appeal_guid)
            and (milestone.clock_start != "gis_received" or ticket.gis_received_date)
            and deadline != computed
        )
    if isinstance(start, datetime.datetime):
        start_utc = start.replace(tzinfo=UTC)
    else:
        start_utc = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    warn_at = warning_time(
        start_utc, deadline, milestone.warn_before, milestone.warn_ratio / 100
    )
    done_at = record.done_at if record and record.done_at else None
    if done_at is None or milestone.kind == "inform":
        done_at = done_at_of(ticket, milestone, now)
    interruption = holding(ticket, milestone, record)
    if interruption:
        start_utc, deadline, warn_at, done_at = model._interruption_clock(
            interruption, start_utc, deadline, warn_at
        )
    elif record and record.interruption_id:
        done_at = done_at_of(ticket, milestone, now)
    state = state_of(
        deadline,
        now.replace(tzinfo=UTC),
        done_at.replace(tzinfo=UTC) if done_at else None,
        warn_at,
    )

    def naive(value):
        return value.astimezone(UTC).replace(tzinfo=None) if value else False

    deadline_naive = naive(deadline)
    kept_breach = bool(record and record.breached and state != "met")
    if kept_breach and state in OPEN_STATES and record.deadline == deadline_naive:
        state = "breached"
    values = {
        "ticket_id": ticket.id,
        "rule_id": milestone.rule_id.id,
        "milestone_id": milestone.id,
        "name": milestone.name,
        "kind": milestone.kind,
        "legal_basis": milestone.rule_id.legal_basis or False,
        "start": naive(start_utc),
        "deadline": deadline_naive,
        "computed_deadline": naive(computed),
        "gis_mismatch": mismatch,
        "warn_at": naive(warn_at),
        "state": state,
        "done_at": done_at or False,
        "breached": kept_breach or state == "breached",
        "on_time": {"met": 100.0, "breached": 0.0}.get(state, False),
        "company_id": ticket.company_id.id,
        "team_id": ticket.team_id.id,
        "category_id": ticket.category_id.id,
        "user_id": ticket.user_id.id,
        "house_id": ticket.gis_house_id.id,
    }
    if record and record.deadline != values["deadline"]:
        values["warned"] = False
    values["interruption_id"] = interruption.id if interruption else False
    if interruption:
        values.update(warned=True, escalated=True)
    elif record and record.interruption_id:
        values.update(warned=False, escalated=False)
    return values


def reference_sync(model, tickets, now):
    """``(values by (ticket id, milestone id), ids of the rows dropped)``:
    what the previous path would have stored for ``tickets``."""
    tickets = tickets.sudo().exists()
    model = model.sudo()
    rules = (
        model.env["helpdesk.deadline.rule"]
        .sudo()
        .search([("milestone_ids", "!=", False)])
    )
    closure = rules._category_closure()
    wanted = {}
    for rule in rules:
        for ticket in matching(rule, tickets, closure):
            for milestone in rule.milestone_ids:
                wanted[(ticket.id, milestone.id)] = (ticket, milestone)
    existing = {
        (record.ticket_id.id, record.milestone_id.id): record
        for record in model.search([("ticket_id", "in", tickets.ids)])
    }
    dropped = {
        record.id
        for key, record in existing.items()
        if key not in wanted and record.state in OPEN_STATES
    }
    default = model.env["helpdesk.production.calendar"]._default_calendar()
    groups = collections.defaultdict(list)
    for ticket, milestone in wanted.values():
        start = start_of(ticket, milestone)
        if start:
            calendar = (
                ticket.gis_house_id.calendar_id
                or ticket.company_id.helpdesk_calendar_id
                or default
            )
            groups[(milestone, calendar, ticket._local_tz())].append((ticket, start))
    result = {}
    for (milestone, calendar, tz), members in groups.items():
        calculator = calendar._calculator()
        for ticket, start in members:
            computed = compute_deadline(
                start,
                milestone.duration,
                milestone.unit,
                calculator,
                tz,
                milestone._window(),
            )
            record = existing.get((ticket.id, milestone.id))
            result[(ticket.id, milestone.id)] = values_of(
                model, ticket, milestone, start, computed, tz, now, record
            )
    return result, dropped
