# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import collections
import datetime
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

# The milestone kinds the journal shows, one column each.
JOURNAL_KINDS = ("reaction", "localisation", "elimination", "answer")
CONTENT_LIMIT = 1000
BATCH = 2000


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

    @api.model
    def _columns(self):
        """(key, heading) of the journal, in order."""
        # The kinds' labels in the user's language, not the source's English.
        kinds = dict(
            self.env["helpdesk.deadline.milestone"]
            ._fields["kind"]
            ._description_selection(self.env)
        )
        headings = {}
        headings["seq"] = self.env._("No.")
        headings["number"] = self.env._("Request No.")
        headings["gis_number"] = self.env._("GIS ZhKKh No.")
        headings["received"] = self.env._("Received (date and time)")
        headings["channel"] = self.env._("Channel")
        headings["applicant"] = self.env._("Applicant")
        headings["address"] = self.env._("Address")
        headings["content"] = self.env._("Content")
        headings["category"] = self.env._("Category")
        headings["performer"] = self.env._("Performer")
        headings["actions"] = self.env._("Actions taken")
        for kind in JOURNAL_KINDS:
            headings[f"milestone_{kind}"] = self.env._(
                "%(kind)s: met or breached", kind=kinds[kind]
            )
        headings["completed"] = self.env._("Completed")
        headings["assessment"] = self.env._("Resident's assessment (GIS)")
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

        return {
            "local": local,
            "max_channel": env.ref(
                "helpdesk_gis_zhkh_max.channel_max", raise_if_not_found=False
            ),
            "assessments": dict(
                env["helpdesk.ticket"]
                ._fields["gis_assessment"]
                ._description_selection(env)
            ),
            "operations": dict(
                env["gis.zhkh.operation"]
                ._fields["operation"]
                ._description_selection(env)
            ),
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
                ["ticket_id", "operation", "done_at"],
                order="done_at, id",
            ):
                operations[operation.ticket_id.id].append(operation)
            for ticket in batch:
                seq += 1
                yield self._line(
                    ticket,
                    seq,
                    context,
                    deadlines[ticket.id],
                    operations[ticket.id],
                )
            # Keep memory flat over a long export.
            self.env.invalidate_all()

    @api.model
    def _line(self, ticket, seq, context, deadlines, operations):
        local = context["local"]
        if ticket.gis_appeal_guid:
            channel = self.env._("GIS ZhKKh (official)")
        elif context["max_channel"] and ticket.channel_id == context["max_channel"]:
            channel = self.env._("MAX (non-official)")
        else:
            channel = ticket.channel_id.name or self.env._("Other")
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
        milestones = collections.defaultdict(list)
        for deadline in deadlines:
            milestones[deadline.kind].append(self._milestone_text(deadline, local))
        content = html2plaintext(ticket.description or "").strip()
        if len(content) > CONTENT_LIMIT:
            content = content[: CONTENT_LIMIT - 1] + "…"
        assessment = [
            context["assessments"].get(ticket.gis_assessment, ""),
            ticket.gis_assessment_comment or "",
        ]
        return {
            "seq": seq,
            "number": ticket.number or "",
            "gis_number": ticket.gis_appeal_number or "",
            "received": local(ticket.gis_received_date or ticket.create_date),
            "channel": channel,
            "applicant": ticket.partner_id.name
            or ticket.partner_name
            or ticket.gis_applicant_name
            or "",
            "address": address or "",
            "content": content,
            "category": ticket.category_id.display_name or "",
            "performer": ticket.user_id.name or "",
            "actions": "; ".join(actions),
            **{
                f"milestone_{kind}": "; ".join(milestones[kind])
                for kind in JOURNAL_KINDS
            },
            "completed": local(ticket.closed_date),
            "assessment": " — ".join(part for part in assessment if part),
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
