# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import collections
import datetime
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

# The milestone kinds the journal shows, one column each.
JOURNAL_KINDS = ("inform", "reaction", "localisation", "elimination", "answer")
CONTENT_LIMIT = 1000
BATCH = 2000


def _cut(text):
    """A long text (a resident's, a result) cut to a readable cell."""
    text = text or ""
    return text if len(text) <= CONTENT_LIMIT else text[: CONTENT_LIMIT - 1] + "…"


class HelpdeskRequestJournal(models.TransientModel):
    """The requests journal (журнал учёта заявок, ПП 416 п. 13) for a period,
    buildings and teams: one line per request, ready for an inspector, as
    XLSX or PDF."""

    _name = "helpdesk.request.journal"
    _description = "Requests journal"

    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: self._company_today().replace(day=1),
    )
    date_to = fields.Date(
        string="To", required=True, default=lambda self: self._company_today()
    )
    house_ids = fields.Many2many("gis.zhkh.house", string="Buildings")
    team_ids = fields.Many2many("helpdesk.ticket.team", string="Teams")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    ticket_count = fields.Integer(compute="_compute_ticket_count", string="Requests")
    pdf_available = fields.Boolean(
        compute="_compute_pdf_available",
        help="Whether the server has wkhtmltopdf, which printing to PDF needs.",
    )

    @api.depends("date_from", "date_to", "house_ids", "team_ids", "company_id")
    def _compute_ticket_count(self):
        for journal in self:
            journal.ticket_count = self.env["helpdesk.ticket"].search_count(
                journal._ticket_domain()
            )

    @api.model
    def _company_today(self):
        # The period's days are the company's, as every time of the journal.
        return datetime.datetime.now(self.browse()._tz()).date()

    def _tz(self):
        """The company's zone, whoever exports: the journal is the
        organisation's record, and an inspector reads one time for all."""
        company = self.company_id or self.env.company
        return ZoneInfo(company.partner_id.tz or "Europe/Moscow")

    def _ticket_domain(self):
        """Requests received in the period: GIS appeals by their GIS date of
        receipt, the others by their creation, in the company's time zone."""
        self.ensure_one()
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise UserError(self.env._("The period ends before it starts."))
        tz = self._tz()

        def utc(day):
            moment = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
            return moment.astimezone(datetime.UTC).replace(tzinfo=None)

        start = utc(self.date_from)
        end = utc(self.date_to + datetime.timedelta(days=1))
        domain = [
            ("company_id", "=", self.company_id.id),
            "|",
            "&",
            ("gis_received_date", ">=", self.date_from),
            ("gis_received_date", "<=", self.date_to),
            "&",
            "&",
            ("gis_received_date", "=", False),
            ("create_date", ">=", start),
            ("create_date", "<", end),
        ]
        if self.house_ids:
            domain.append(("gis_house_id", "in", self.house_ids.ids))
        if self.team_ids:
            domain.append(("team_id", "in", self.team_ids.ids))
        return domain

    def _tickets(self):
        self.ensure_one()
        return self.env["helpdesk.ticket"].search(
            self._ticket_domain(), order="create_date, id"
        )

    # -- the lines -----------------------------------------------------------------

    def _in_russian(self):
        """The journal is the organisation's record for a Russian housing
        inspectorate: in Russian whoever exports it, once Russian is loaded
        (else in the user's language)."""
        russian = (
            self.env["res.lang"]
            .sudo()
            .search_count([("code", "=", "ru_RU"), ("active", "=", True)])
        )
        return self.with_context(lang="ru_RU") if russian else self

    @api.model
    def _columns(self):
        """(key, heading) of the journal, in order; the README says the legal
        source of each."""
        # The kinds' labels in the journal's language, not the source's English.
        kinds = dict(
            self.env["helpdesk.deadline.milestone"]
            ._fields["kind"]
            ._description_selection(self.env)
        )
        headings = {}
        headings["seq"] = self.env._("No.")
        headings["number"] = self.env._("Request No.")
        headings["gis_number"] = self.env._("GIS ZhKKh No.")
        headings["received"] = self.env._("Registered (date and time)")
        headings["gis_received"] = self.env._("Registered in GIS ZhKKh (date)")
        headings["registered_by"] = self.env._("Registered by")
        headings["channel"] = self.env._("Channel")
        headings["applicant"] = self.env._("Applicant")
        headings["address"] = self.env._("Address")
        headings["content"] = self.env._("Content")
        headings["category"] = self.env._("Category")
        headings["accident"] = self.env._("Accident: time and system")
        headings["planned"] = self.env._("Planned timeframe")
        headings["informed"] = self.env._("Applicant told the planned timeframe")
        headings["authority"] = self.env._("Local authority informed")
        headings["agreed"] = self.env._("Agreed deadline and works")
        headings["performer"] = self.env._("Performer")
        headings["actions"] = self.env._("Actions taken and their times")
        for kind in JOURNAL_KINDS:
            headings[f"milestone_{kind}"] = self.env._(
                "%(kind)s: met or breached", kind=kinds[kind]
            )
        headings["result"] = self.env._("Status and result of execution")
        headings["completed"] = self.env._("Completed")
        headings["assessment"] = self.env._("Resident's assessment (GIS)")
        headings["recording"] = self.env._("Call recording")
        return list(headings.items())

    def _line_context(self):
        """What every line needs, looked up once per export."""
        env = self.env
        tz = self[:1]._tz()

        def local(value):
            if not value:
                return ""
            if isinstance(value, datetime.datetime):
                value = value.replace(tzinfo=datetime.UTC).astimezone(tz)
                return value.strftime("%d.%m.%Y %H:%M")
            return value.strftime("%d.%m.%Y")

        def labels(model, field):
            return dict(env[model]._fields[field]._description_selection(env))

        return {
            "local": local,
            "max_channel": env.ref(
                "helpdesk_gis_zhkh_max.channel_max", raise_if_not_found=False
            ),
            "assessments": labels("helpdesk.ticket", "gis_assessment"),
            "operations": labels("gis.zhkh.operation", "operation"),
            "systems": labels("helpdesk.ticket", "accident_system"),
            "told_how": labels("helpdesk.ticket", "informed_by"),
        }

    def _lines(self, tickets):
        """The journal's lines for ``tickets``, in batches (a month of a big
        organisation is tens of thousands of requests)."""
        context = self._line_context()
        seq = 0
        for start in range(0, len(tickets), BATCH):
            batch = tickets.browse(tickets.ids[start : start + BATCH])
            deadlines = collections.defaultdict(list)
            for deadline in self.env["helpdesk.ticket.deadline"].search_fetch(
                [("ticket_id", "in", batch.ids), ("kind", "in", JOURNAL_KINDS)],
                ["ticket_id", "kind", "deadline", "done_at", "state"],
                order="deadline",
            ):
                deadlines[deadline.ticket_id.id].append(deadline)
            operations = collections.defaultdict(list)
            for operation in self.env["gis.zhkh.operation"].search_fetch(
                [("ticket_id", "in", batch.ids), ("state", "=", "accepted")],
                ["ticket_id", "operation", "done_at", "text"],
                order="done_at, id",
            ):
                operations[operation.ticket_id.id].append(operation)
            calls = collections.defaultdict(list)
            for call in self.env["helpdesk.ticket.call"].search_fetch(
                [("ticket_id", "in", batch.ids)],
                ["ticket_id", "called_at", "user_id"],
                order="called_at, id",
            ):
                calls[call.ticket_id.id].append(call)
            for ticket in batch:
                seq += 1
                yield self._line(
                    ticket,
                    seq,
                    context,
                    deadlines[ticket.id],
                    operations[ticket.id],
                    calls[ticket.id],
                )
            # Keep memory flat over a long export.
            self.env.invalidate_all()

    @api.model
    def _line(self, ticket, seq, context, deadlines, operations, calls=()):
        local = context["local"]
        if ticket.gis_appeal_guid:
            channel = self.env._("GIS ZhKKh (official)")
        elif context["max_channel"] and ticket.channel_id == context["max_channel"]:
            channel = self.env._("MAX (non-official)")
        else:
            channel = ticket.channel_id.name or self.env._("Other")
        if ticket.gis_appeal_guid and not ticket.max_dialog_id:
            # Registered in GIS ZhKKh; the import only brought it.
            registered_by = self.env._("GIS ZhKKh")
        else:
            registered_by = ticket.create_uid.name or ""
        house = ticket.gis_house_id
        address = house.address or house.name or ticket.partner_id.contact_address
        if ticket.gis_premise_number:
            address = self.env._(
                "%(address)s, flat %(flat)s",
                address=address or "",
                flat=ticket.gis_premise_number,
            )
        actions = []
        if ticket.reacted_at:
            actions.append(self.env._("reacted %(at)s", at=local(ticket.reacted_at)))
        if ticket.localised_at:
            actions.append(
                self.env._("localised %(at)s", at=local(ticket.localised_at))
            )
        # When GIS took the operation: a later write (a confirmation, the
        # retention purge) is not the action.
        actions += [
            f"{context['operations'].get(op.operation)} {local(op.done_at)}"
            for op in operations
        ]
        actions += [
            self.env._(
                "call to the applicant %(at)s (%(user)s)",
                at=local(call.called_at),
                user=call.user_id.name or "",
            )
            for call in calls
        ]
        milestones = collections.defaultdict(list)
        for deadline in deadlines:
            milestones[deadline.kind].append(self._milestone_text(deadline, local))
        content = html2plaintext(ticket.description or "").strip()
        assessment = [
            context["assessments"].get(ticket.gis_assessment, ""),
            ticket.gis_assessment_comment or "",
        ]
        accident = ""
        if ticket.accident_at or ticket.accident_system:
            accident = ", ".join(
                part
                for part in (
                    local(ticket.accident_at),
                    context["systems"].get(ticket.accident_system, ""),
                )
                if part
            )
        authority = ""
        if ticket.authority_informed_at:
            authority = " — ".join(
                part
                for part in (
                    local(ticket.authority_informed_at),
                    ticket.authority_informed_note or "",
                )
                if part
            )
        elif ticket.authority_duty:
            authority = self.env._("not informed")
        informed = ""
        if ticket.informed_at:
            informed = self.env._(
                "%(at)s (%(how)s)",
                at=local(ticket.informed_at),
                how=context["told_how"].get(ticket.informed_by, ""),
            )
        agreed = ""
        if ticket.agreed_deadline:
            agreed = self.env._(
                "by %(at)s: %(works)s",
                at=local(ticket.agreed_deadline),
                works=(ticket.agreed_scope or "").strip(),
            )
        answers = [op.text for op in operations if op.text]
        result = ticket.execution_result or (answers[-1] if answers else "")
        status = " — ".join(
            part for part in (ticket.stage_id.name, (result or "").strip()) if part
        )
        return {
            "seq": seq,
            "number": ticket.number or "",
            "gis_number": ticket.gis_appeal_number or "",
            "received": local(ticket.create_date),
            "gis_received": local(ticket.gis_received_date),
            "registered_by": registered_by,
            "channel": channel,
            "applicant": ticket.partner_id.name
            or ticket.partner_name
            or ticket.gis_applicant_name
            or "",
            "address": address or "",
            "content": _cut(content),
            "category": ticket.category_id.display_name or "",
            "accident": accident,
            "planned": local(ticket.planned_at or ticket.gis_date_of_appointment),
            "informed": informed,
            "authority": authority,
            "agreed": _cut(agreed),
            "performer": ticket.user_id.name or "",
            "actions": "; ".join(actions),
            **{
                # One deadline met by two rules (C1 and C2 of a GIS appeal
                # both end on its GIS date) is written once.
                f"milestone_{kind}": "; ".join(dict.fromkeys(milestones[kind]))
                for kind in JOURNAL_KINDS
            },
            "result": _cut(status),
            "completed": local(ticket.closed_date),
            "assessment": " — ".join(part for part in assessment if part),
            "recording": ticket.call_recording_url or "",
        }

    def _milestone_text(self, deadline, local):
        if deadline.state == "met":
            return self.env._("met %(at)s", at=local(deadline.done_at))
        if deadline.state == "breached":
            text = self.env._("breached: due %(due)s", due=local(deadline.deadline))
            if deadline.done_at:
                text += self.env._(", done %(at)s", at=local(deadline.done_at))
            return text
        return self.env._("due %(due)s", due=local(deadline.deadline))

    def _printed_at(self):
        """When the journal is made, in the company's time with its offset
        from UTC, whatever the exporting user's zone (none prints UTC)."""
        self.ensure_one()
        now = datetime.datetime.now(self._tz())
        offset = now.strftime("%z")
        return self.env._(
            "Made %(at)s; times are the organisation's (UTC%(offset)s).",
            at=now.strftime("%d.%m.%Y %H:%M"),
            offset=f"{offset[:3]}:{offset[3:]}",
        )

    # -- actions -----------------------------------------------------------------------

    def action_export_xlsx(self):
        self.ensure_one()
        if not self.ticket_count:
            raise UserError(self.env._("No request in this period."))
        action = self.env.ref(
            "helpdesk_gis_zhkh_max.action_report_request_journal_xlsx"
        ).report_action(self, config=False)
        action["close_on_report_download"] = True
        return action

    def _compute_pdf_available(self):
        available = self.env["ir.actions.report"].get_wkhtmltopdf_state() == "ok"
        for wizard in self:
            wizard.pdf_available = available

    def action_print_pdf(self):
        self.ensure_one()
        if not self.ticket_count:
            raise UserError(self.env._("No request in this period."))
        if not self.pdf_available:
            raise UserError(
                self.env._(
                    "Printing to PDF needs the wkhtmltopdf program on the Odoo "
                    "server (on Debian or Ubuntu: apt install wkhtmltopdf), and "
                    "it is not there. Export to XLSX meanwhile: it needs nothing."
                )
            )
        action = self.env.ref(
            "helpdesk_gis_zhkh_max.action_report_request_journal_pdf"
        ).report_action(self, config=False)
        action["close_on_report_download"] = True
        return action

    def action_open_tickets(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Requests of the journal"),
            "res_model": "helpdesk.ticket",
            "views": [(False, "list"), (False, "form")],
            "domain": self._ticket_domain(),
        }

    def _title(self):
        self.ensure_one()
        return self.env._(
            "Requests journal from %(start)s to %(end)s",
            start=self.date_from.strftime("%d.%m.%Y"),
            end=self.date_to.strftime("%d.%m.%Y"),
        )
