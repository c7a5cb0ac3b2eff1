# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What a ticket's resident hears in MAX, and the bridge between a MAX
request and the GIS ZhKKh appeal the same resident files about it."""

import datetime
from collections import defaultdict

from odoo import api, models
from odoo.exceptions import UserError

from .helpdesk_ticket import gis_facts_writer

UTC = datetime.timezone.utc


class MaxGisBridge(models.AbstractModel):
    _name = "max.gis.bridge"
    _description = "MAX and GIS ZhKKh Bridge"

    # ------------------------------------------------------------------
    # Who hears about a ticket
    # ------------------------------------------------------------------

    @api.model
    def _dialogs_for_notices(self, tickets):
        """``{ticket id: max.dialog}``: the dialog that hears about each
        ticket, its own or the resident's identified one (a GIS appeal of a
        bot user). One query for the whole batch."""
        tickets = tickets.sudo()
        found = {t.id: t.max_dialog_id for t in tickets if t.max_dialog_id}
        others = tickets.filtered(lambda t: not t.max_dialog_id and t.partner_id)
        if not others:
            return found
        dialogs = (
            self.env["max.dialog"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", others.partner_id.ids),
                    ("identified", "=", True),
                    ("company_id", "in", [*others.company_id.ids, False]),
                ],
                order="last_message_at desc, id desc",
            )
        )
        by_partner = defaultdict(list)
        for dialog in dialogs:
            by_partner[dialog.partner_id.id].append(dialog)
        for ticket in others:
            for dialog in by_partner[ticket.partner_id.id]:
                if not dialog.company_id or dialog.company_id == ticket.company_id:
                    found[ticket.id] = dialog
                    break
        return found

    @api.model
    def _stage_notices(self, tickets):
        """Tell residents in MAX that their tickets changed stage, where the
        bot sends stage notices. A GIS appeal's official answer goes through
        GIS ZhKKh: it is told only where its stage e-mail would be
        (helpdesk.ticket._stage_mail_allowed), never during an import."""
        template = self.env.ref(
            "helpdesk_gis_zhkh_max.mail_template_max_stage_notice",
            raise_if_not_found=False,
        )
        if not template or not tickets:
            return
        tickets = tickets.filtered(
            lambda t: not t.gis_appeal_guid or t._gis_stage_notice_allowed()
        )
        dialogs = self._dialogs_for_notices(tickets)
        for ticket in tickets:
            dialog = dialogs.get(ticket.id)
            if (
                dialog
                and dialog.notices
                and not dialog.stopped
                and dialog.gateway_id.max_stage_notices
            ):
                dialog._send_template(template, ticket)

    # ------------------------------------------------------------------
    # A new GIS appeal of a bot user
    # ------------------------------------------------------------------

    @api.model
    def _new_appeals(self, tickets):
        """New GIS appeals of MAX bot users: tell each (once) its number and
        deadline, and offer the dispatcher to link it with the MAX request it
        looks like. A few queries per batch, not per ticket."""
        tickets = tickets.sudo().filtered("gis_appeal_guid")
        if not tickets:
            return
        for ticket, candidate in self._link_candidates(tickets).items():
            ticket.max_link_ticket_id = candidate
        template = self.env.ref(
            "helpdesk_gis_zhkh_max.mail_template_max_gis_registered",
            raise_if_not_found=False,
        )
        if not template:
            return
        dialogs = self._dialogs_for_notices(
            tickets.filtered(lambda t: not t.max_gis_notified)
        )
        for ticket in tickets:
            dialog = dialogs.get(ticket.id)
            if dialog and dialog.notices and not dialog.stopped:
                dialog._send_template(template, ticket)
                ticket.max_gis_notified = True

    @api.model
    def _link_candidates(self, tickets):
        """``{GIS ticket: MAX ticket}``: the open MAX request of the same
        resident (and building and flat, where both tickets know them)
        received within the bot's window, on the same local day count."""
        tickets = tickets.filtered("partner_id")
        if not tickets:
            return {}
        candidates = self.env["helpdesk.ticket"].search(
            [
                ("id", "not in", tickets.ids),
                ("max_dialog_id", "!=", False),
                ("gis_appeal_guid", "=", False),
                ("partner_id", "in", tickets.partner_id.ids),
                ("company_id", "in", tickets.company_id.ids),
                ("stage_id.closed", "=", False),
            ],
            order="create_date desc, id desc",
        )
        by_partner = defaultdict(list)
        for candidate in candidates:
            by_partner[candidate.partner_id.id].append(candidate)
        found = {}
        for ticket in tickets:
            tz = ticket._local_tz()
            received = ticket.gis_received_date or datetime.datetime.now(tz).date()
            for candidate in by_partner[ticket.partner_id.id]:
                if self._looks_like(ticket, candidate, received, tz):
                    found[ticket] = candidate
                    break
        return found

    @api.model
    def _looks_like(self, ticket, candidate, received, tz):
        if candidate.company_id != ticket.company_id:
            return False
        days = candidate.max_dialog_id.gateway_id.max_link_days or 7
        # Both days of the ticket's place: GIS dates are.
        created = candidate.create_date.replace(tzinfo=UTC).astimezone(tz).date()
        if abs((received - created).days) > days:
            return False
        if (
            ticket.gis_house_id
            and candidate.gis_house_id
            and ticket.gis_house_id != candidate.gis_house_id
        ):
            return False
        return not (
            ticket.gis_premise_number
            and candidate.gis_premise_number
            and ticket.gis_premise_number.strip().lower()
            != candidate.gis_premise_number.strip().lower()
        )

    # ------------------------------------------------------------------
    # Linking
    # ------------------------------------------------------------------

    @api.model
    def _gis_identity_fields(self):
        """What makes a ticket a GIS appeal: moved as a whole when linking."""
        return [
            name
            for name, field in self.env["helpdesk.ticket"]._fields.items()
            if name.startswith("gis_")
            and field.store
            and not field.compute
            and not field.related
            and field.type not in ("one2many", "many2many")
            and name not in ("gis_house_id", "gis_premise_number")
        ]

    @api.model
    def _link(self, gis_ticket):
        """Link ``gis_ticket`` to the MAX request it duplicates: the MAX
        ticket becomes the appeal (GIS number, deadline, operations,
        exchanges), the GIS one is archived. Returns the MAX ticket."""
        gis_ticket.ensure_one()
        max_ticket = gis_ticket.sudo().max_link_ticket_id.with_env(self.env)
        if not max_ticket or not gis_ticket.gis_appeal_guid:
            raise UserError(self.env._("There is no MAX request to link."))
        # The link changes both tickets: whoever links must be allowed to
        # change each, and an appeal never moves to another company.
        gis_ticket.with_env(self.env).check_access("write")
        max_ticket.check_access("write")
        if max_ticket.company_id != gis_ticket.company_id:
            raise UserError(
                self.env._(
                    "MAX request %(number)s belongs to another company than "
                    "this GIS appeal: they cannot be linked.",
                    number=max_ticket.number,
                )
            )
        # Checked: the move itself reads and writes the connection and the
        # exchanges, which are the administrators'.
        gis_ticket, max_ticket = gis_ticket.sudo(), max_ticket.sudo()
        if max_ticket.gis_appeal_guid:
            raise UserError(
                self.env._(
                    "MAX request %(number)s is already linked to a GIS appeal.",
                    number=max_ticket.number,
                )
            )
        names = self._gis_identity_fields()
        source = gis_ticket
        values = source._convert_to_write({n: source[n] for n in names})
        for name in ("gis_house_id", "gis_premise_number"):
            if gis_ticket[name] and not max_ticket[name]:
                values[name] = gis_ticket._convert_to_write({name: gis_ticket[name]})[
                    name
                ]
        number = gis_ticket.gis_appeal_number
        # The appeal's key is unique: free it before the MAX ticket takes it.
        gis_facts_writer(source).with_context(gis_import=True).write(
            {
                "gis_appeal_guid": False,
                "gis_backend_id": False,
                "max_link_ticket_id": False,
            }
        )
        gis_ticket.flush_recordset()
        gis_facts_writer(max_ticket).with_context(gis_import=True).write(values)
        for model in ("gis.zhkh.operation", "gis.zhkh.message"):
            self.env[model].sudo().search(
                [("ticket_id", "=", gis_ticket.id)]
            ).ticket_id = max_ticket
        # Whole sentences, so that translators see them whole.
        max_ticket.message_post(
            body=self.env._(
                "Linked to GIS ZhKKh appeal No. %(number)s (ticket %(ticket)s, now "
                "archived): this ticket carries its number and legal deadline.",
                number=number,
                ticket=gis_ticket.number,
            ),
            subtype_xmlid="mail.mt_note",
        )
        gis_ticket.message_post(
            body=self.env._(
                "Linked to MAX request %(ticket)s, which now carries GIS ZhKKh "
                "appeal No. %(number)s.",
                ticket=max_ticket.number,
                number=number,
            ),
            subtype_xmlid="mail.mt_note",
        )
        gis_ticket.active = False
        return max_ticket
