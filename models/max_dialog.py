# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
import json
import logging
import mimetypes

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, html2plaintext, plaintext2html

from ..tools import max_client
from ..tools import max_dialog as conversation
from ..tools.max_errors import MaxError, MaxFileTooLarge

_logger = logging.getLogger(__name__)

REQUESTS_SHOWN = 5
# What a resident does that makes a dialog (and a contact) of them.
DIALOG_OPENERS = ("message_created", "message_callback", "bot_started")
# A file MAX could not serve at once is fetched again after these delays
# (seconds), then given up on with a note naming it.
FILE_BACKOFF = (30, 120, 600, 1800)
FILE_ATTEMPTS = len(FILE_BACKOFF) + 1
# Records of each kind deleted per run of the retention cron; it wakes itself
# up for the rest.
PURGE_BATCH = 500


def _keyboard(rows):
    """Buttons of the conversation module as the API wants them."""
    result = []
    for row in rows or []:
        buttons = []
        for button in row:
            if button.kind == "callback":
                buttons.append(max_client.callback_button(button.text, button.payload))
            elif button.kind == "link":
                buttons.append(max_client.link_button(button.text, button.payload))
            elif button.kind == "request_contact":
                buttons.append(max_client.request_contact_button(button.text))
        if buttons:
            result.append(buttons)
    return result


class MaxDialog(models.Model):
    """A resident's dialog with the organisation's own MAX bot: who they are
    (a contact proven by MAX), where they live, what the bot waits for, and
    their tickets. Not an official channel: GIS ZhKKh is."""

    _name = "max.dialog"
    _description = "MAX dialog"
    _inherit = ["mail.thread"]
    _order = "last_message_at desc, id desc"

    name = fields.Char(required=True)
    gateway_id = fields.Many2one(
        "mail.gateway", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="gateway_id.company_id", store=True)
    max_user_id = fields.Char(string="MAX user", required=True, readonly=True)
    max_chat_id = fields.Char(
        string="MAX chat",
        readonly=True,
        help="The dialog's chat in MAX: where a sender looks whether MAX took "
        "a message whose answer was lost.",
    )
    partner_id = fields.Many2one("res.partner", string="Resident", index=True)
    identified = fields.Boolean(
        readonly=True,
        tracking=True,
        help="The resident shared their own phone number, proven by MAX.",
    )
    house_id = fields.Many2one("gis.zhkh.house", string="Building", tracking=True)
    address = fields.Char(
        help="The address the resident typed when their building was not in the list.",
        tracking=True,
    )
    flat = fields.Char(tracking=True)
    entrance = fields.Char(
        tracking=True, help="The entrance the resident named in their messages."
    )
    step = fields.Selection(
        [
            ("", "Nothing"),
            ("contact", "Phone number"),
            ("house", "Building"),
            ("flat", "Flat"),
            ("describe", "Description"),
        ],
        string="Waiting for",
        default="",
        readonly=True,
    )
    new_request = fields.Boolean(readonly=True)
    notices = fields.Boolean(
        string="Receives notices",
        default=True,
        tracking=True,
        help="Whether the resident agreed to notices (building notices, "
        "stage changes, GIS registration). They switch them off with a button.",
    )
    stopped = fields.Boolean(
        readonly=True, tracking=True, help="The resident stopped the bot."
    )
    channel_id = fields.Many2one("discuss.channel", readonly=True)
    ticket_ids = fields.One2many("helpdesk.ticket", "max_dialog_id")
    ticket_count = fields.Integer(compute="_compute_ticket_count")
    last_message_at = fields.Datetime(readonly=True)
    last_error = fields.Char(readonly=True)

    _user_unique = models.Constraint(
        "UNIQUE(gateway_id, max_user_id)", "One dialog per MAX user and bot."
    )

    @api.depends("ticket_ids")
    def _compute_ticket_count(self):
        for dialog in self:
            dialog.ticket_count = len(dialog.ticket_ids)

    # -- finding the dialog --

    @api.model
    def _for_update(self, gateway, update):
        """The resident's dialog; made only for what a resident says to the
        bot (a message, a button, a start): a muted, cleared or stopped chat
        of someone unknown leaves no trace (152-ФЗ)."""
        if update.user is None:
            return self
        user_key = str(update.user.user_id)
        dialog = self.search(
            [("gateway_id", "=", gateway.id), ("max_user_id", "=", user_key)], limit=1
        )
        if dialog or update.update_type not in DIALOG_OPENERS:
            return dialog
        name = update.user.full_name or self.env._("MAX user %(id)s", id=user_key)
        # A contact of its own from the first message, so that the resident
        # is the author of what they write; their proven phone later finds or
        # merges the contact they already had.
        partner = self.env["res.partner"].create(
            {
                "name": name,
                "company_id": gateway.company_id.id,
                "comment": self.env._("Wrote to the MAX bot, not identified yet."),
                "max_provisional_gateway_id": gateway.id,
            }
        )
        return self.create(
            {
                "name": name,
                "gateway_id": gateway.id,
                "max_user_id": user_key,
                "partner_id": partner.id,
            }
        )

    def _open_ticket(self):
        return self.ticket_ids.filtered(lambda t: not t.closed).sorted("id")[-1:]

    def _state(self):
        return conversation.DialogState(
            step=self.step or "",
            identified=self.identified,
            house_known=bool(self.house_id or self.address),
            flat_known=bool(self.flat),
            entrance_known=bool(self.entrance),
            open_ticket=bool(self._open_ticket()),
            new_request=self.new_request,
            notices=self.notices,
        )

    # -- one update --

    def _handle(self, update, outbox):
        """Run one turn of the conversation and carry out its actions; the
        bot's answers go to ``outbox``. Returns the ticket the turn filed
        into (or an empty recordset)."""
        self.ensure_one()
        gateway = self.gateway_id
        state, actions = conversation.step(self._state(), update, gateway._max_config())
        ticket = self.env["helpdesk.ticket"]
        for action in actions:
            if isinstance(action, conversation.File):
                ticket = self._file(action, update)
            elif isinstance(action, conversation.Say):
                number = (ticket or self._open_ticket()).number or ""
                outbox.append(
                    {
                        "text": conversation.render(action.text, number=number),
                        "keyboard": _keyboard(action.keyboard),
                    }
                )
            elif isinstance(action, conversation.AnswerCallback):
                outbox.append({"callback_id": action.callback_id})
            elif isinstance(action, conversation.Identify):
                self._identify(action)
            elif isinstance(action, conversation.SetHouse):
                self._set_house(action)
            elif isinstance(action, conversation.SetFlat):
                self.flat = action.flat[:20]
                self._open_ticket().filtered(lambda t: not t.gis_premise_number).write(
                    {"gis_premise_number": self.flat}
                )
            elif isinstance(action, conversation.SetEntrance):
                self.entrance = action.entrance[:10]
                self._open_ticket().filtered(lambda t: not t.gis_entrance).write(
                    {"gis_entrance": self.entrance}
                )
            elif isinstance(action, conversation.ListRequests):
                outbox.append(
                    {
                        "text": self._requests_text(),
                        "keyboard": _keyboard(conversation.back(gateway._max_config())),
                    }
                )
            elif isinstance(action, conversation.SetNotices):
                self.notices = action.enabled
            elif isinstance(action, conversation.Stopped):
                self.stopped = True
        values = {
            "step": state.step,
            "new_request": state.new_request,
            "last_message_at": fields.Datetime.now(),
        }
        if (
            update.is_dialog
            and update.chat_id
            and str(update.chat_id) != (self.max_chat_id or "")
        ):
            values["max_chat_id"] = str(update.chat_id)
        if update.update_type == "bot_started":
            values.update(stopped=False, notices=True)
        self.write(values)
        return ticket

    def _ticket_values(self, action):
        title = (action.text or "").strip().splitlines()[0][:80] if action.text else ""
        if action.urgent:
            title = self.env._("Emergency (MAX): %(text)s", text=title or self.name)
        else:
            title = title or self.env._("Request from MAX")
        values = self.gateway_id._max_ticket_values(title, action.text, action.urgent)
        values.update(
            {
                "partner_id": self.partner_id.id,
                "partner_name": self.partner_id.name,
                "max_dialog_id": self.id,
                # Auto-assignment would give it to the bot's technical user.
                "user_id": False,
                "gis_house_id": self.house_id.id,
                "gis_premise_number": self.flat or False,
                "gis_entrance": self.entrance or False,
            }
        )
        if action.urgent and action.accident_at:
            # The resident pressed the emergency button then: the accident
            # is no later (never in the future, whatever MAX's clock says).
            at = action.accident_at.astimezone(datetime.UTC).replace(tzinfo=None)
            values["accident_at"] = min(at, fields.Datetime.now())
        return values

    def _file(self, action, update):
        """What the resident sent, into the open ticket or a new one. A file
        that cannot be fetched now never holds the message: it follows later
        or becomes a note on the ticket naming it."""
        ticket = self.env["helpdesk.ticket"]
        if not action.new:
            ticket = self._open_ticket()
        attachments, problems, later = self._download(action.files)
        flood = not ticket and self._flooding()
        if flood:
            # Past the bot's hourly limit, emergencies included: into the
            # resident's latest ticket, flagged, so that nothing is lost.
            ticket = self._open_ticket() or self.ticket_ids.sorted("id")[-1:]
        created = not ticket
        if created:
            ticket = (
                self.env["helpdesk.ticket"]
                .with_context(mail_create_nolog=True, max_inbound=True)
                .create(self._ticket_values(action))
            )
        body = plaintext2html(action.text) if action.text else Markup("")
        notes = {
            "house": self.env._("Answer to the bot: building"),
            "flat": self.env._("Answer to the bot: flat"),
            "edited": self.env._("Edited in MAX"),
            "emergency": self.env._("Emergency button pressed in MAX"),
        }
        if action.note in notes:
            body = Markup("<p><i>%s</i></p>") % notes[action.note] + body
        message = self.env["mail.message"]
        if body or attachments or problems or later:
            message = ticket.with_context(max_inbound=True).message_post(
                body=body,
                author_id=self.partner_id.id,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                attachments=attachments,
                gateway_type="max",
            )
        problems += [
            self.env._(
                "The resident also sent %(kind)s, which the bot does not read: "
                "see the chat in MAX.",
                kind=other.kind,
            )
            for other in update.other_attachments
        ]
        if problems:
            self._note_files(ticket, problems)
        for file in later:
            self._enqueue_file(message, file)
        if flood and not created:
            self._flag_flood(ticket, action.urgent)
        return ticket

    def _flooding(self):
        """Whether the bot already opened its hourly limit of tickets for
        this resident (archived ones count; a limit of 0 is none)."""
        limit = self.gateway_id.sudo().max_tickets_per_hour
        if limit <= 0:
            return False
        since = self.env.cr.now() - datetime.timedelta(hours=1)
        opened = (
            self.env["helpdesk.ticket"]
            .with_context(active_test=False)
            .search_count(
                [("max_dialog_id", "=", self.id), ("create_date", ">=", since)],
                limit=limit,
            )
        )
        return opened >= limit

    def _flag_flood(self, ticket, urgent):
        """The dispatcher sees the flood on the ticket, told once; an
        emergency among it keeps the ticket at the top priority."""
        values = {}
        if urgent and ticket.priority != "3":
            values["priority"] = "3"
        if not ticket.max_flood:
            values["max_flood"] = True
            ticket.with_context(max_inbound=True).message_post(
                body=self.env._(
                    "The resident asked for more new requests in MAX than the "
                    "bot's limit of %(limit)s per hour: their messages are added "
                    "to this ticket. Read them, and open separate tickets where "
                    "they are separate requests.",
                    limit=self.gateway_id.sudo().max_tickets_per_hour,
                ),
                message_type="notification",
                subtype_xmlid="mail.mt_note",
            )
        if values:
            ticket.write(values)

    def _note_files(self, ticket, problems):
        ticket.with_context(max_inbound=True).message_post(
            body=Markup("<ul>%s</ul>")
            % Markup().join(Markup("<li>%s</li>") % text for text in problems),
            message_type="notification",
            subtype_xmlid="mail.mt_note",
        )

    def _file_limit(self):
        return max(1, self.gateway_id.max_file_limit_mb or 20) * 1024 * 1024

    def _download(self, files):
        """The resident's files: ``(attachments, problems, later)`` —
        ``[(name, bytes)]`` fetched, sentences naming the files that will not
        come (too large, gone from MAX), and the files MAX could not serve
        just now, fetched by a job of their own."""
        attachments, problems, later = [], [], []
        if not files:
            return attachments, problems, later
        limit = self._file_limit()
        client = self.gateway_id._max_client(retries=0)
        for index, file in enumerate(files, 1):
            name = file.filename or f"{file.kind}-{index}"
            if file.size and file.size > limit:
                problems.append(self._file_too_large(name, file.size))
                continue
            if not file.url:
                problems.append(
                    self.env._("MAX gave no address for the file %(name)s.", name=name)
                )
                continue
            try:
                content, content_type = client.download(file.url, max_bytes=limit)
            except MaxFileTooLarge:
                problems.append(self._file_too_large(name))
            except MaxError as error:
                if error.transient:
                    later.append({"url": file.url, "name": name, "kind": file.kind})
                else:
                    problems.append(self._file_not_served(name, error))
            else:
                attachments.append((self._file_name(name, content_type), content))
        return attachments, problems, later

    def _file_name(self, name, content_type):
        if "." not in name:
            extension = mimetypes.guess_extension(
                (content_type or "").split(";")[0].strip()
            )
            name += extension or ""
        return name

    def _file_too_large(self, name, size=None):
        limit_mb = self._file_limit() // (1024 * 1024)
        if size:
            return self.env._(
                "The file %(name)s (%(size)s bytes) is larger than the limit of "
                "%(limit)s MB and was not downloaded: see it in MAX.",
                name=name,
                size=size,
                limit=limit_mb,
            )
        return self.env._(
            "The file %(name)s is larger than the limit of %(limit)s MB and was "
            "not downloaded: see it in MAX.",
            name=name,
            limit=limit_mb,
        )

    def _file_not_served(self, name, error):
        return self.env._(
            "MAX could not serve the file %(name)s (%(error)s): ask the resident "
            "to send it again.",
            name=name,
            error=str(error),
        )

    def _enqueue_file(self, message, file, attempt=2):
        """Try ``attempt`` (the first was made with the message) of fetching
        ``file``, after its back-off."""
        return (
            self.sudo()
            .with_delay(
                eta=FILE_BACKOFF[min(attempt - 1, len(FILE_BACKOFF)) - 1],
                description=f"MAX: fetch {file['name']}",
            )
            ._job_fetch_file(message.id, file, attempt)
        )

    def _job_fetch_file(self, message_id, file, attempt=2):
        """Job: fetch a file MAX could not serve at first and add it to the
        resident's message; after ``FILE_ATTEMPTS`` tries in all, name it in
        a note."""
        self.ensure_one()
        message = self.env["mail.message"].sudo().browse(message_id).exists()
        if not message or message.model != "helpdesk.ticket":
            return "The message is gone"
        ticket = self.env["helpdesk.ticket"].sudo().browse(message.res_id).exists()
        if not ticket:
            return "The ticket is gone"
        problem = None
        try:
            content, content_type = self.gateway_id._max_client(retries=0).download(
                file["url"], max_bytes=self._file_limit()
            )
        except MaxFileTooLarge:
            problem = self._file_too_large(file["name"])
        except MaxError as error:
            if error.transient and attempt < FILE_ATTEMPTS:
                self._enqueue_file(message, file, attempt + 1)
                return f"Attempt {attempt} failed: {error}"
            problem = (
                self.env._(
                    "MAX kept failing to serve the file %(name)s (%(error)s, "
                    "%(count)s tries): ask the resident to send it again.",
                    name=file["name"],
                    error=str(error),
                    count=attempt,
                )
                if error.transient
                else self._file_not_served(file["name"], error)
            )
        if problem:
            self._note_files(ticket, [problem])
            return problem
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": self._file_name(file["name"], content_type),
                    "raw": content,
                    "res_model": "helpdesk.ticket",
                    "res_id": ticket.id,
                }
            )
        )
        message.attachment_ids = [fields.Command.link(attachment.id)]
        return "Fetched"

    def _identify(self, action):
        partners = self.env["res.partner"]
        provisional = self.partner_id
        company = self.gateway_id.company_id or self.env.company
        resident = {"name": action.name or self.name, "phone": action.phone}
        # The proven phone finds the contact the resident already is, where
        # the names agree; a contact of that phone under another name (one
        # family, a reused number) is not taken: the dispatcher is told.
        ((partner, other),) = partners._helpdesk_match_residents(
            company, [resident], create=False
        )
        if not partner:
            if provisional:
                partner = provisional
                if not provisional.phone:
                    provisional.write(
                        {"phone": action.phone, "name": action.name or provisional.name}
                    )
            else:
                ((partner, _other),) = partners._helpdesk_match_residents(
                    company, [resident]
                )
        if other and other != partner:
            self.ticket_ids.filtered(lambda t: not t.closed).write(
                {"resident_other_partner_id": other.id}
            )
        if provisional and partner != provisional:
            # The resident was known already (a GIS appeal, a call): their
            # MAX tickets and messages move to that contact.
            self.ticket_ids.filtered(lambda t: t.partner_id == provisional).write(
                {"partner_id": partner.id, "partner_name": partner.name}
            )
            self.env["mail.message"].sudo().search(
                [
                    ("author_id", "=", provisional.id),
                    ("model", "=", "helpdesk.ticket"),
                    ("res_id", "in", self.ticket_ids.ids),
                ]
            ).write({"author_id": partner.id})
            provisional.active = False
        self.write({"partner_id": partner.id, "identified": True})
        if partner.max_provisional_gateway_id:
            # Identified: a resident's contact now, kept as any other.
            partner.max_provisional_gateway_id = False
        channels = self.env["res.partner.gateway.channel"].sudo()
        if not channels.search_count(
            [("partner_id", "=", partner.id), ("gateway_id", "=", self.gateway_id.id)]
        ):
            channels.create(
                {
                    "partner_id": partner.id,
                    "gateway_id": self.gateway_id.id,
                    "gateway_token": self.max_user_id,
                }
            )

    def _set_house(self, action):
        house = self.env["gis.zhkh.house"].browse(action.house_id).exists()
        if house:
            self.write({"house_id": house.id, "address": False})
        else:
            self.address = (action.address or "")[:250]
        if house:
            self._open_ticket().filtered(lambda t: not t.gis_house_id).write(
                {"gis_house_id": house.id}
            )

    def _requests_text(self):
        tickets = self.env["helpdesk.ticket"].search(
            [
                "|",
                ("max_dialog_id", "=", self.id),
                "&",
                ("partner_id", "=", self.partner_id.id),
                ("partner_id", "!=", False),
            ],
            order="id desc",
            limit=REQUESTS_SHOWN,
        )
        if not tickets:
            return self.env._("You have no requests yet.")
        lines = [self.env._("Your latest requests:")]
        for ticket in tickets:
            line = f"№ {ticket.number} — {ticket.name} — {ticket.stage_id.name}"
            if ticket.gis_appeal_number:
                line += "\n" + self.env._(
                    "GIS ZhKKh No. %(number)s, answer due %(date)s",
                    number=ticket.gis_appeal_number,
                    date=fields.Date.to_string(ticket.gis_deadline) or "—",
                )
            lines.append(line)
        return "\n\n".join(lines)

    # -- the bot's answers --

    def _enqueue_replies(self, messages):
        """The bot's answers of a turn, kept to be sent once each, after the
        earlier ones of this chat (``max.outbox``)."""
        self.ensure_one()
        if not messages:
            return self.env["max.outbox"]
        vals_list = [
            {"kind": "callback", "callback_id": message["callback_id"]}
            if message.get("callback_id")
            else {
                "kind": message.get("kind") or "reply",
                "text": message.get("text") or False,
                "keyboard": json.dumps(message["keyboard"], ensure_ascii=False)
                if message.get("keyboard")
                else False,
            }
            for message in messages or []
        ]
        return self.env["max.outbox"]._queue(
            self.gateway_id,
            self._lane(),
            [dict(vals, dialog_id=self.id) for vals in vals_list],
        )

    def _lane(self):
        return f"u{self.max_user_id}"

    def _job_send_replies(self, messages, attempt=1):
        """Jobs queued before the outbox existed: their messages go to it."""
        self.ensure_one()
        self._enqueue_replies(messages)
        return f"{len(messages)} message(s) moved to the outbox"

    # -- staff replies --

    def _channel(self):
        """mail_gateway's channel of this dialog: where the delivery state of
        staff replies lives, and where Discuss shows the conversation."""
        self.ensure_one()
        if not self.channel_id:
            channel = (
                self.env["mail.gateway.abstract"]
                .sudo()
                ._get_channel(
                    self.gateway_id.sudo(), self.max_user_id, {}, force_create=True
                )
            )
            channel.name = self.name
            self.sudo().channel_id = channel
        return self.channel_id

    def _deliver_staff_message(self, message):
        """Queue a public reply to the resident, once: a reply posted on a
        ticket, through mail_gateway's composer, or both, has one delivery
        (one notification, whose state the chatter shows)."""
        self.ensure_one()
        if not (html2plaintext(message.body or "").strip() or message.attachment_ids):
            return self.env["mail.notification"]
        Notification = self.env["mail.notification"].sudo()
        channel = self._channel()
        notification = Notification.search(
            [
                ("mail_message_id", "=", message.id),
                ("gateway_channel_id", "=", channel.id),
                ("notification_type", "=", "gateway"),
            ],
            limit=1,
        )
        if notification:
            return notification
        notification = Notification.create(
            {
                "mail_message_id": message.id,
                "gateway_channel_id": channel.id,
                "notification_type": "gateway",
                "gateway_type": "max",
                "notification_status": "ready",
                "res_partner_id": self.partner_id.id,
            }
        )
        if not message.gateway_type:
            message.sudo().gateway_type = "max"
        notification._max_enqueue()
        return notification

    def _send_template(self, template, record, log=True):
        """A notice to the resident: ``template`` (mail.template on the
        record's model) rendered as plain text, sent by the bot; the
        record's chatter keeps a note of it. The outbox records, or an
        empty recordset when nothing is sent."""
        self.ensure_one()
        if self.stopped or not self.notices:
            return self.env["max.outbox"]
        text = self._template_text(template, record)
        if not text:
            return self.env["max.outbox"]
        return self._send_text(text, record if log else None)

    def _template_text(self, template, record):
        """``template`` rendered for ``record`` as the resident reads it:
        plain text, in their language."""
        self.ensure_one()
        lang = self.partner_id.lang or self.env.lang
        body = template.with_context(lang=lang)._render_field(
            "body_html", record.ids, compute_lang=False
        )[record.id]
        return html2plaintext(body or "").strip()

    def _send_text(self, text, record=None, notice=True, note=None):
        """A message from the bot (not a staff reply): queued, in order.
        A notice carries the button that stops notices; an answer to the
        resident's own request (``notice=False``) does not. Returns the
        outbox records (one per part of a long text)."""
        self.ensure_one()
        keyboard = False
        if notice:
            config = self.gateway_id._max_config()
            keyboard = _keyboard(conversation.notices_off(config))
        messages = [
            {
                "kind": "notice" if notice else "reply",
                "text": chunk,
                "keyboard": keyboard,
            }
            for chunk in max_client.split_text(text)
        ]
        outbox = self._enqueue_replies(messages)
        if record is not None and "message_post" in dir(record):
            record.sudo().with_context(max_inbound=True).message_post(
                body=Markup("<p><i>%s</i></p>%s")
                % (note or self.env._("Notice sent in MAX:"), plaintext2html(text)),
                message_type="notification",
                subtype_xmlid="mail.mt_note",
            )
        return outbox

    # -- retention of residents' data --

    @api.model
    def _cron_purge_expired(self, batch=PURGE_BATCH):
        """The organisation's retention of residents' data (152-FZ), per
        bot: dialogs idle past it with no open ticket, failed updates, and
        the contacts the bot created for residents never identified once no
        ticket or dialog needs them. In batches; the cron runs again for
        the rest."""
        gateways = (
            self.env["mail.gateway"]
            .sudo()
            .with_context(active_test=False)
            .search([("gateway_type", "=", "max")])
        )
        now = fields.Datetime.now()
        counts = {"dialogs": 0, "updates": 0, "contacts": 0}
        more = False
        for gateway in gateways:
            # Dialogs first: a dialog deleted frees its unidentified contact.
            for kind, days, purge in (
                ("dialogs", gateway.max_dialog_retention_days, self._purge_dialogs),
                (
                    "updates",
                    gateway.max_failed_update_retention_days,
                    self._purge_failed_updates,
                ),
                ("contacts", gateway.max_contact_retention_days, self._purge_contacts),
            ):
                if days <= 0:
                    continue
                limit = now - datetime.timedelta(days=days)
                purged = purge(gateway, limit, batch)
                counts[kind] += purged
                more = more or purged >= batch
        if more:
            self.env.ref("helpdesk_gis_zhkh_max.ir_cron_max_retention_purge")._trigger()
        if any(counts.values()):
            _logger.info(
                "MAX: purged past their retention: %(dialogs)s dialog(s), "
                "%(updates)s failed update(s), %(contacts)s unidentified contact(s)",
                counts,
            )
        return counts

    @api.model
    def _purge_dialogs(self, gateway, limit, batch):
        dialogs = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("gateway_id", "=", gateway.id),
                    "|",
                    ("last_message_at", "<", limit),
                    "&",
                    ("last_message_at", "=", False),
                    ("create_date", "<", limit),
                    ("ticket_ids", "not any", [("closed", "=", False)]),
                ],
                limit=batch,
                order="id",
            )
        )
        if not dialogs:
            return 0
        # The resident's MAX identifiers go with the dialog: mail_gateway's
        # channel of the conversation and the contact's link to the bot.
        channels = dialogs.channel_id
        links = (
            self.env["res.partner.gateway.channel"]
            .sudo()
            .search(
                [
                    ("gateway_id", "=", gateway.id),
                    ("gateway_token", "in", dialogs.mapped("max_user_id")),
                ]
            )
        )
        count = len(dialogs)
        dialogs.unlink()
        links.unlink()
        channels.unlink()
        return count

    @api.model
    def _purge_failed_updates(self, gateway, limit, batch):
        updates = (
            self.env["max.update"]
            .sudo()
            .search(
                [
                    ("gateway_id", "=", gateway.id),
                    ("state", "=", "failed"),
                    ("create_date", "<", limit),
                ],
                limit=batch,
                order="id",
            )
        )
        updates.unlink()
        return len(updates)

    @api.model
    def _purge_contacts(self, gateway, limit, batch):
        self.env["helpdesk.ticket"].flush_model(["partner_id"])
        self.flush_model(["partner_id"])
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("max_provisional_gateway_id", "=", gateway.id),
                    ("create_date", "<", limit),
                    # Archived tickets count too: the contact is their resident.
                    (
                        "id",
                        "not in",
                        SQL(
                            "SELECT partner_id FROM helpdesk_ticket "
                            "WHERE partner_id IS NOT NULL"
                        ),
                    ),
                    (
                        "id",
                        "not in",
                        SQL(
                            "SELECT partner_id FROM max_dialog "
                            "WHERE partner_id IS NOT NULL"
                        ),
                    ),
                ],
                limit=batch,
                order="id",
            )
        )
        purged = 0
        for partner in partners:
            # One by one: a contact something else holds on to (a user, a
            # document of another app) stays, and the others go.
            try:
                with self.env.cr.savepoint():
                    partner.unlink()
                purged += 1
            except (UserError, ValidationError, psycopg2.IntegrityError) as error:
                _logger.warning(
                    "MAX: unidentified contact %s kept past its retention: %s",
                    partner.id,
                    error.__class__.__name__,
                )
        return purged

    def action_open_tickets(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "helpdesk_mgmt.helpdesk_ticket_action"
        )
        action["domain"] = [("max_dialog_id", "in", self.ids)]
        action["context"] = {}
        return action
