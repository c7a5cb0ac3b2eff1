# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import collections
import datetime
import logging
from zoneinfo import ZoneInfo

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import plaintext2html, split_every

from ..tools.appeal_mapping import applicant_email, normalize_phone
from ..tools.deadlines import (
    compute_deadline,
    compute_deadlines,
    end_of_day,
    state_of,
    warning_time,
)
from ..tools.production_calendar import CalendarRangeError
from .helpdesk_ticket_deadline import OPEN_STATES, STATES

_logger = logging.getLogger(__name__)

# Appeals saved per create() call and per savepoint.
IMPORT_BATCH = 500

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
        "gis_theme_id",
        "gis_house_id",
        "gis_appeal_guid",
        "user_id",
    }
)
STATE_WEIGHT = {"met": 0, "running": 1, "at_risk": 2, "breached": 3}

GIS_STATUSES = [
    ("sent", "Sent"),
    ("in_work", "In work"),
    ("executed", "Executed"),
    ("withdrawn", "Withdrawn"),
]


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
        help="Date the appeal was registered in GIS ZhKKh: the statutory periods "
        "run from it.",
    )
    gis_deadline = fields.Date(
        string="GIS deadline",
        readonly=True,
        copy=False,
        tracking=True,
        help="End of the period for handling the appeal, computed by GIS ZhKKh "
        "from the legal requirements of its theme (ExecutionEndDate).",
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
    gis_applicant_name = fields.Char(string="Applicant", readonly=True, copy=False)
    gis_applicant_phone = fields.Char(
        string="Applicant phone", readonly=True, copy=False
    )
    gis_applicant_email = fields.Char(
        string="Applicant e-mail", readonly=True, copy=False
    )
    gis_applicant_address = fields.Char(
        string="Applicant postal address", readonly=True, copy=False
    )
    gis_collective = fields.Boolean(
        string="Collective appeal", readonly=True, copy=False
    )
    gis_neighbour_count = fields.Integer(
        string="Neighbours joined", readonly=True, copy=False
    )
    gis_neighbours = fields.Text(string="Neighbours", readonly=True, copy=False)
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
    deadline_state = fields.Selection(
        STATES,
        string="Deadline status",
        compute="_compute_deadline_summary",
        search="_search_deadline_state",
        help="The worst state of the ticket's legal deadlines.",
    )
    next_deadline = fields.Datetime(
        compute="_compute_deadline_summary",
        search="_search_next_deadline",
        help="The earliest legal deadline still running.",
    )

    deadline_needs_reaction = fields.Boolean(compute="_compute_deadline_needs")
    deadline_needs_localisation = fields.Boolean(compute="_compute_deadline_needs")

    _gis_appeal_company_unique = models.Constraint(
        "UNIQUE(company_id, gis_appeal_guid)",
        "This GIS ZhKKh appeal already has a ticket in this company.",
    )

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
        if operator not in ("=", "in"):
            return NotImplemented
        return [("deadline_ids.state", operator, value)]

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
        tickets._deadline_sync()
        return tickets

    def write(self, vals):
        result = super().write(vals)
        if not self.env.context.get("deadline_sync_off") and (
            DEADLINE_TRIGGERS.intersection(vals)
            or self.env["helpdesk.deadline.milestone"]
            ._trigger_fields()
            .intersection(vals)
        ):
            self._deadline_sync()
        return result

    def action_mark_reacted(self):
        self.filtered(lambda t: not t.reacted_at).reacted_at = fields.Datetime.now()

    def action_mark_localised(self):
        self.filtered(lambda t: not t.localised_at).localised_at = fields.Datetime.now()

    def _deadline_tz(self):
        self.ensure_one()
        name = self.gis_house_id.tz or self.company_id.partner_id.tz or DEFAULT_TZ
        return ZoneInfo(name)

    def _deadline_calendar(self, default=None):
        self.ensure_one()
        return (
            self.gis_house_id.calendar_id
            or self.company_id.helpdesk_calendar_id
            or default
            or self.env["helpdesk.production.calendar"]._default_calendar()
        )

    def _deadline_start(self, milestone):
        """When the milestone's clock started: a date (GIS date of receipt)
        or a naive UTC datetime; None while it has not."""
        self.ensure_one()
        if milestone.clock_start == "gis_received" and self.gis_received_date:
            return self.gis_received_date
        if milestone.clock_start == "field":
            value = self[milestone.start_field_id.name]
            return value or None
        return self.create_date

    def _deadline_done_at(self, milestone, now):
        """When the milestone's stop condition was met, or None."""
        self.ensure_one()
        stages = milestone.stop_stage_ids
        field = milestone.stop_field_id
        statuses = milestone._gis_status_set()
        if (
            stages
            and self.stage_id in stages
            or (not (stages or field or statuses) and self.closed)
        ):
            return self.last_stage_update or now
        if field and self[field.name]:
            value = self[field.name]
            return value if isinstance(value, datetime.datetime) else now
        if statuses and self.gis_status in statuses:
            return self.gis_last_sync or now
        return None

    def _deadline_values(self, milestone, start, computed, tz, now, record):
        """The stored values of one milestone of this ticket."""
        self.ensure_one()
        deadline = computed
        mismatch = False
        if milestone.kind == "answer" and self.gis_deadline:
            # GIS ZhKKh's own date rules for its appeals; ours cross-checks it.
            deadline = end_of_day(self.gis_deadline, tz)
            mismatch = deadline != computed
        if isinstance(start, datetime.datetime):
            start_utc = start.replace(tzinfo=datetime.timezone.utc)
        else:
            start_utc = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
        warn_at = warning_time(
            start_utc, deadline, milestone.warn_before, milestone.warn_ratio / 100
        )
        done_at = record.done_at if record and record.done_at else None
        if done_at is None:
            done_at = self._deadline_done_at(milestone, now)
        utc_now = now.replace(tzinfo=datetime.timezone.utc)
        state = state_of(
            deadline,
            utc_now,
            done_at.replace(tzinfo=datetime.timezone.utc) if done_at else None,
            warn_at,
        )

        def naive(value):
            return (
                value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
                if value
                else False
            )

        deadline_naive = naive(deadline)
        kept_breach = bool(record and record.breached and state != "met")
        if kept_breach and state in OPEN_STATES and record.deadline == deadline_naive:
            # A breach of this very deadline cannot be undone by a recompute
            # (only by a stop time, entered late, that was in time).
            state = "breached"
        values = {
            "ticket_id": self.id,
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
            "company_id": self.company_id.id,
            "team_id": self.team_id.id,
            "category_id": self.category_id.id,
            "user_id": self.user_id.id,
            "house_id": self.gis_house_id.id,
        }
        if record and record.deadline != values["deadline"]:
            # A new deadline (an extension): warn again before it.
            values["warned"] = False
        return values

    def _deadline_sync(self):
        """Create, update or drop the legal deadlines of these tickets."""
        # Deadlines follow from the rules whoever changes the ticket (a
        # dispatcher, a portal user, a job): computed as superuser.
        tickets = self.sudo().exists()
        if not tickets:
            return
        deadline_model = self.env["helpdesk.ticket.deadline"].sudo()
        rules = (
            self.env["helpdesk.deadline.rule"]
            .sudo()
            .search([("milestone_ids", "!=", False)])
        )
        wanted = {}
        for rule in rules:
            for ticket in rule._matching(tickets):
                for milestone in rule.milestone_ids:
                    wanted[(ticket.id, milestone.id)] = (ticket, milestone)
        existing = {
            (record.ticket_id.id, record.milestone_id.id): record
            for record in deadline_model.search([("ticket_id", "in", tickets.ids)])
        }
        # Rules that no longer apply drop their running deadlines; what was
        # met or breached stays on record.
        deadline_model.browse(
            [
                record.id
                for key, record in existing.items()
                if key not in wanted and record.state in OPEN_STATES
            ]
        ).unlink()
        now = fields.Datetime.now()
        default_calendar = self.env["helpdesk.production.calendar"]._default_calendar()
        groups = collections.defaultdict(list)
        for ticket, milestone in wanted.values():
            start = ticket._deadline_start(milestone)
            if start:
                calendar = ticket._deadline_calendar(default_calendar)
                key = (milestone, calendar, ticket._deadline_tz())
                groups[key].append((ticket, start))
        to_create = []
        for (milestone, calendar, tz), members in groups.items():
            ends = self._deadline_compute(milestone, calendar, tz, members)
            for (ticket, start), computed in zip(members, ends, strict=True):
                if computed is None:
                    continue
                record = existing.get((ticket.id, milestone.id))
                values = ticket._deadline_values(
                    milestone, start, computed, tz, now, record
                )
                if record is None:
                    to_create.append(values)
                    continue
                changes = {
                    name: value
                    for name, value in values.items()
                    if name != "on_time" and self._deadline_differs(record, name, value)
                }
                if "state" in changes:
                    # on_time is NULL while running: the ORM reads it as 0.
                    changes["on_time"] = values["on_time"]
                if changes:
                    record.write(changes)
        deadline_model.create(to_create)

    @api.model
    def _deadline_differs(self, record, name, value):
        current = record[name]
        if isinstance(current, models.BaseModel):
            current = current.id
        return (current or False) != (value or False)

    @api.model
    def _deadline_compute(self, milestone, calendar, tz, members):
        """Deadlines of ``members`` (ticket, start), None where impossible."""
        calculator = calendar._calculator()
        window = milestone._window()
        starts = [start for _ticket, start in members]
        try:
            return compute_deadlines(
                starts, milestone.duration, milestone.unit, calculator, tz, window
            )
        except CalendarRangeError as error:
            _logger.debug("Computing deadlines one by one: %s", error)
        ends = []
        for ticket, start in members:
            try:
                ends.append(
                    compute_deadline(
                        start,
                        milestone.duration,
                        milestone.unit,
                        calculator,
                        tz,
                        window,
                    )
                )
            except CalendarRangeError as error:
                _logger.warning(
                    "Ticket %s: no legal deadline for %s: %s",
                    ticket.number,
                    milestone.display_name,
                    error,
                )
                ends.append(None)
        return ends

    @api.model
    def _deadline_resync_open(self):
        """Job: recompute the legal deadlines of every open ticket."""
        tickets = self.search([("closed", "=", False)])
        for batch in split_every(1000, tickets.ids):
            self.browse(batch)._deadline_sync()
        return f"{len(tickets)} tickets"

    # ------------------------------------------------------------------
    # Import of GIS appeals
    # ------------------------------------------------------------------

    @api.model
    def _gis_import_appeals(self, backend, appeals):
        """Create or update the tickets of ``appeals`` (``gis_xml.Appeal``).

        Idempotent: an appeal GIS sends again unchanged changes nothing. One
        appeal that cannot be saved does not stop the others. Returns counts
        and the errors, by AppealGUID.
        """
        stats = {
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "duplicates": 0,
            "failed": 0,
            "errors": [],
        }
        unique = {}
        for appeal in appeals:
            if appeal.guid in unique:
                stats["duplicates"] += 1
            # The later copy wins: GIS lists an appeal's states in order.
            unique[appeal.guid] = appeal
        tickets = self.with_context(active_test=False, mail_create_nosubscribe=True)
        for batch in split_every(IMPORT_BATCH, unique.values(), list):
            tickets._gis_import_batch(backend, batch, stats)
        return stats

    def _gis_import_batch(self, backend, appeals, stats):
        try:
            with self.env.cr.savepoint():
                counts = self._gis_upsert(backend, appeals)
        except Exception:  # noqa: BLE001 - isolate the culprit below
            _logger.info(
                "GIS ZhKKh import: a batch of %d appeals failed, saving one by one",
                len(appeals),
            )
            counts = {}
            for appeal in appeals:
                try:
                    with self.env.cr.savepoint():
                        one = self._gis_upsert(backend, [appeal])
                except Exception as error:
                    _logger.exception(
                        "GIS ZhKKh import of appeal %s failed", appeal.guid
                    )
                    stats["failed"] += 1
                    stats["errors"].append(f"{appeal.guid}: {error}")
                    continue
                for key, value in one.items():
                    counts[key] = counts.get(key, 0) + value
        for key, value in counts.items():
            stats[key] += value

    def _gis_upsert(self, backend, appeals):
        company = backend.company_id
        existing = {
            ticket.gis_appeal_guid: ticket
            for ticket in self.search(
                [
                    ("company_id", "=", company.id),
                    ("gis_appeal_guid", "in", [a.guid for a in appeals]),
                ]
            )
        }
        new = [a for a in appeals if a.guid not in existing]
        changed = [
            (existing[a.guid], a)
            for a in appeals
            if a.guid in existing
            and existing[a.guid].gis_fingerprint != a.fingerprint()
        ]
        refs = self._gis_resolve_refs(backend, new + [a for _t, a in changed], new)
        created = self.create(
            [self._gis_new_ticket_vals(backend, a, refs) for a in new]
        )
        for ticket, appeal in zip(created, new, strict=True):
            ticket._gis_post_history(appeal, set())
        # One deadline sync for all the updated tickets, not one per write.
        updated = self.browse()
        for ticket, appeal in changed:
            ticket.with_context(deadline_sync_off=True)._gis_update_from_appeal(
                backend, appeal, refs
            )
            updated |= ticket
        updated._deadline_sync()
        return {
            "created": len(new),
            "updated": len(changed),
            "unchanged": len(appeals) - len(new) - len(changed),
        }

    @api.model
    def _gis_resolve_refs(self, backend, appeals, new_appeals):
        company = backend.company_id
        themes = self.env["gis.appeal.theme"]._resolve(
            company,
            {
                a.theme_code: (a.theme_guid, a.theme_name)
                for a in appeals
                if a.theme_code
            },
        )
        houses = self.env["gis.zhkh.house"]._resolve(
            company,
            {a.fias_house_guid: a.oktmo_code for a in appeals if a.fias_house_guid},
        )
        partners = self._gis_resolve_partners(
            company, [a.applicant for a in new_appeals]
        )
        return {"themes": themes, "houses": houses, "partners": partners}

    @api.model
    def _gis_applicant_key(self, applicant):
        if applicant.kind == "org" and applicant.org_guid:
            return ("org", applicant.org_guid.lower())
        if applicant.kind == "person":
            phone = normalize_phone(applicant.phone)
            if phone:
                return ("phone", phone)
            email = applicant_email(applicant)
            if email:
                return ("email", email)
        return None

    @api.model
    def _gis_resolve_partners(self, company, applicants):
        """Contacts of the applicants, matched by phone, e-mail or GIS
        organisation GUID within the company; unknown ones are created."""
        keys = {}
        for applicant in applicants:
            key = self._gis_applicant_key(applicant)
            if key:
                keys.setdefault(key, applicant)
        if not keys:
            return {}
        partners = self.env["res.partner"].with_context(active_test=False)
        company_domain = [("company_id", "in", [company.id, False])]
        found = {}
        values = {}
        for kind, field in (
            ("phone", "phone_sanitized"),
            ("email", "email_normalized"),
            ("org", "gis_org_guid"),
        ):
            values[kind] = [value for k, value in keys if k == kind]
            if not values[kind]:
                continue
            for partner in partners.search_fetch(
                [(field, "in", values[kind])] + company_domain, [field], order="id desc"
            ):
                # The oldest contact wins (ordered by id desc, last write stays).
                found[(kind, partner[field])] = partner
        # A resident known by e-mail who now gives a phone is the same person.
        for (kind, value), applicant in keys.items():
            if kind == "phone" and (kind, value) not in found:
                email = applicant_email(applicant)
                if email and ("email", email) in found:
                    found[(kind, value)] = found[("email", email)]
        missing = [key for key in keys if key not in found]
        russia = self.env.ref("base.ru", raise_if_not_found=False)
        vals_list = []
        for key in missing:
            applicant = keys[key]
            vals_list.append(
                {
                    "name": applicant.full_name
                    or applicant.email
                    or self.env._("GIS ZhKKh applicant"),
                    "is_company": key[0] == "org",
                    "phone": key[1] if key[0] == "phone" else False,
                    "email": applicant_email(applicant) or False,
                    "gis_org_guid": key[1] if key[0] == "org" else False,
                    "street": applicant.post_address or False,
                    "country_id": russia.id if russia else False,
                    "company_id": company.id,
                }
            )
        for key, partner in zip(
            missing, self.env["res.partner"].create(vals_list), strict=True
        ):
            found[key] = partner
        return found

    @api.model
    def _gis_values(self, appeal, refs):
        """The ticket fields that mirror the appeal in GIS ZhKKh."""
        applicant = appeal.applicant
        theme = refs["themes"].get(appeal.theme_code)
        house = refs["houses"].get(appeal.fias_house_guid)
        neighbours = [
            " ".join(
                p
                for p in (
                    n.full_name or self.env._("(no name)"),
                    self.env._("apt. %(number)s", number=n.apartment_number)
                    if n.apartment_number
                    else "",
                )
                if p
            )
            for n in appeal.neighbours
        ]
        attachments = [
            f"{a.name} — {a.description} ({a.guid})" for a in appeal.attachments
        ]
        return {
            "gis_appeal_guid": appeal.guid,
            "gis_appeal_number": appeal.number,
            "gis_received_date": appeal.create_date,
            "gis_deadline": appeal.execution_end_date or False,
            "gis_legal_basis": appeal.npa_requirements or False,
            "gis_theme_id": theme.id if theme else False,
            "gis_theme_code": appeal.theme_code or False,
            "gis_theme_name": appeal.theme_name or appeal.another_topic or False,
            "gis_status": appeal.status or False,
            "gis_house_id": house.id if house else False,
            "gis_premise_number": appeal.premise_number
            or applicant.apartment_number
            or False,
            "gis_oktmo": appeal.oktmo_code or False,
            "gis_applicant_kind": applicant.kind,
            "gis_applicant_name": applicant.full_name or False,
            "gis_applicant_phone": applicant.phone or False,
            "gis_applicant_email": applicant_email(applicant) or False,
            "gis_applicant_address": applicant.post_address or False,
            "gis_collective": appeal.collective,
            "gis_neighbour_count": len(appeal.neighbours),
            "gis_neighbours": "\n".join(neighbours) or False,
            "gis_redirected": appeal.redirected or appeal.redirected_not_hcs,
            "gis_rolled_over": appeal.rolled_over,
            "gis_answer_not_required": appeal.answer_not_required,
            "gis_withdrawn_comment": appeal.withdrawn_comment or False,
            "gis_from_mobile": appeal.from_mobile,
            "gis_date_of_appointment": appeal.date_of_appointment or False,
            "gis_answerer_guid": appeal.answerer_guid or False,
            "gis_parent_guid": appeal.parent_guid or False,
            "gis_attachment_info": "\n".join(attachments) or False,
            "gis_fingerprint": appeal.fingerprint(),
            "gis_last_sync": fields.Datetime.now(),
        }

    @api.model
    def _gis_new_ticket_vals(self, backend, appeal, refs):
        theme = refs["themes"].get(appeal.theme_code)
        partner = refs["partners"].get(self._gis_applicant_key(appeal.applicant))
        topic = appeal.theme_name or appeal.another_topic or self.env._("appeal")
        vals = self._gis_values(appeal, refs)
        vals.update(
            {
                "name": self.env._(
                    "GIS appeal %(number)s: %(topic)s",
                    number=appeal.number,
                    topic=topic,
                )[:250],
                "description": plaintext2html(appeal.text or "")
                if appeal.text
                else Markup("<p></p>"),
                "company_id": backend.company_id.id,
                "channel_id": self.env.ref("helpdesk_gis_zhkh_max.channel_gis").id,
                "category_id": (
                    (theme.category_id if theme else False) or backend.category_id
                ).id,
                "priority": (theme.priority if theme else False) or backend.priority,
                # helpdesk_mgmt may auto-assign tickets to their creator: here
                # that would be the job's technical user. Dispatchers assign.
                "user_id": False,
                "partner_id": partner.id if partner else False,
                "partner_name": appeal.applicant.full_name or False,
                "partner_email": applicant_email(appeal.applicant) or False,
                "gis_backend_id": backend.id,
                "gis_history_keys": " ".join(h.key() for h in appeal.history) or False,
            }
        )
        team = (theme.team_id if theme else False) or backend.team_id
        # helpdesk_mgmt moves a ticket to its team's company: only a team of
        # the connection's company (or of none) may take it.
        if team and (not team.company_id or team.company_id == backend.company_id):
            vals["team_id"] = team.id
        if appeal.status == "withdrawn" and backend.withdrawn_stage_id:
            vals["stage_id"] = backend.withdrawn_stage_id.id
        return vals

    def _gis_update_from_appeal(self, backend, appeal, refs):
        self.ensure_one()
        vals = {}
        for name, value in self._gis_values(appeal, refs).items():
            current = self[name]
            if isinstance(current, models.BaseModel):
                current = current.id
            if (current or False) != (value or False):
                vals[name] = value
        if (
            appeal.status == "withdrawn"
            and self.gis_status != "withdrawn"
            and backend.withdrawn_stage_id
            and not self.closed
        ):
            vals["stage_id"] = backend.withdrawn_stage_id.id
        known = set((self.gis_history_keys or "").split())
        vals["gis_history_keys"] = " ".join(h.key() for h in appeal.history) or False
        was_withdrawn = self.gis_status == "withdrawn"
        self.write(vals)
        self._gis_post_history(appeal, known, announce_withdrawal=not was_withdrawn)

    def _gis_post_history(self, appeal, known_keys, announce_withdrawal=True):
        """Post, as one note, the GIS history entries not posted yet."""
        lines = [
            self._gis_history_line(entry)
            for entry in appeal.history
            if entry.key() not in known_keys
        ]
        if appeal.status == "withdrawn" and announce_withdrawal:
            lines.append(
                self.env._(
                    "The resident withdrew the appeal. %(comment)s",
                    comment=appeal.withdrawn_comment or "",
                )
            )
        if not lines:
            return
        body = Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._("GIS ZhKKh reports:"),
            Markup("").join(Markup("<li>%s</li>") % line for line in lines),
        )
        self.message_post(body=body, subtype_xmlid="mail.mt_note")

    def _gis_history_line(self, entry):
        data = entry.data
        date = fields.Date.to_string(entry.change_date)
        if entry.kind == "answer":
            return self.env._(
                "%(date)s: answer %(number)s %(state)s: %(text)s",
                date=date,
                number=data.get("answer_number") or "",
                state=self.env._("sent to the resident")
                if data.get("is_sent")
                else self.env._("drafted"),
                text=data.get("text") or "",
            )
        if entry.kind == "redirected":
            return self.env._(
                "%(date)s: redirected to organisation %(org)s. %(comment)s",
                date=date,
                org=data.get("receiver_guid") or "",
                comment=data.get("comment") or "",
            )
        if entry.kind == "rolled_over":
            return self.env._(
                "%(date)s: deadline extended to %(new)s. %(comment)s",
                date=date,
                new=data.get("execution_date") or "",
                comment=data.get("comment") or "",
            )
        if entry.kind == "not_required":
            return self.env._(
                "%(date)s: no answer required. %(cause)s",
                date=date,
                cause=data.get("cause") or "",
            )
        if entry.kind == "assessment":
            result = {
                "received": self.env._("information received"),
                "partly_received": self.env._("information partly received"),
                "not_satisfied": self.env._("not satisfied with the answer"),
            }.get(data.get("result"), data.get("result") or "")
            return self.env._(
                "%(date)s: the resident's assessment: %(result)s. %(comment)s",
                date=date,
                result=result,
                comment=data.get("comment") or "",
            )
        return self.env._("%(date)s: the appeal changed in GIS ZhKKh.", date=date)
