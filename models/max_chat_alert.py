# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
import logging

from odoo import api, fields, models
from odoo.tools import plaintext2html

from ..tools import chat_keywords
from ..tools import max_dialog as conversation

_logger = logging.getLogger(__name__)


class MaxChatAlert(models.Model):
    """A message in a house group chat that looks like an emergency. Group
    chats are not a channel for requests: nothing becomes a ticket by
    itself; the dispatcher is alerted and decides with one click."""

    _name = "max.chat.alert"
    _description = "MAX group chat alert"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(compute="_compute_name", store=True)
    gateway_id = fields.Many2one(
        "mail.gateway", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="gateway_id.company_id", store=True)
    chat_id = fields.Char(required=True, readonly=True, index=True)
    author_name = fields.Char(string="Author", readonly=True)
    text = fields.Text(readonly=True)
    keyword = fields.Char(readonly=True)
    received_at = fields.Datetime(readonly=True)
    replied_at = fields.Datetime(
        readonly=True, help="When the bot reminded the chat of the official channel."
    )
    state = fields.Selection(
        [("new", "New"), ("ticket", "Ticket opened"), ("dismissed", "Dismissed")],
        default="new",
        required=True,
        tracking=True,
    )
    ticket_id = fields.Many2one("helpdesk.ticket", readonly=True)

    @api.depends("keyword", "author_name")
    def _compute_name(self):
        for alert in self:
            alert.name = f"{alert.keyword or ''}: {alert.author_name or ''}".strip(": ")

    @api.model
    def _handle_group_update(self, gateway, update):
        """Alert on emergency keywords; anything else in a group is ignored."""
        if update.update_type != "message_created" or not update.text:
            return self
        keyword = chat_keywords.match(update.text, gateway._max_keywords())
        if not keyword:
            return self
        received = datetime.datetime.fromtimestamp(
            update.timestamp / 1000, tz=datetime.UTC
        ).replace(tzinfo=None)
        alert = self.create(
            {
                "gateway_id": gateway.id,
                "chat_id": str(update.chat_id),
                "author_name": update.user.full_name if update.user else "",
                "text": update.text[:4000],
                "keyword": keyword,
                "received_at": received,
            }
        )
        alert._notify_dispatcher()
        alert._maybe_reply()
        return alert

    def _dispatcher(self):
        team = self.gateway_id.max_team_id
        return (
            team.user_id
            or self.gateway_id.member_ids[:1]
            or self.env.ref("base.user_admin", raise_if_not_found=False)
        )

    def _notify_dispatcher(self):
        user = self._dispatcher()
        if not user:
            return
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=user.id,
            summary=self.env._("Possible emergency in a house chat"),
            note=plaintext2html(self.text or ""),
        )

    def _maybe_reply(self):
        """Remind the chat how to file a request, at most every N minutes."""
        gateway = self.gateway_id
        if not gateway.max_group_reply:
            return
        since = fields.Datetime.subtract(
            fields.Datetime.now(), minutes=max(1, gateway.max_group_reply_minutes)
        )
        if self.search_count(
            [
                ("gateway_id", "=", gateway.id),
                ("chat_id", "=", self.chat_id),
                ("replied_at", ">=", since),
            ],
            limit=1,
        ):
            return
        texts = gateway.max_text_ids._as_texts()
        config = gateway._max_config()
        text = conversation.render(
            f"{texts.not_official}\n\n{texts.contacts}",
            phone=config.dispatcher_phone,
        )
        self.replied_at = fields.Datetime.now()
        gateway._max_enqueue_chat_message(self.chat_id, text)

    def action_create_ticket(self):
        tickets = self.env["helpdesk.ticket"]
        for alert in self.filtered(lambda a: a.state == "new"):
            name = self.env._(
                "From a house chat: %(text)s", text=(alert.text or "")[:60]
            )
            ticket = (
                self.env["helpdesk.ticket"]
                .with_context(max_inbound=True)
                .create(
                    alert.gateway_id._max_ticket_values(
                        name, f"{alert.author_name or ''}:\n{alert.text or ''}", True
                    )
                )
            )
            alert.write({"state": "ticket", "ticket_id": ticket.id})
            alert.activity_ids.action_feedback()
            tickets |= ticket
        if len(tickets) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "helpdesk.ticket",
                "res_id": tickets.id,
                "view_mode": "form",
            }
        return True

    def action_dismiss(self):
        self.filtered(lambda a: a.state == "new").state = "dismissed"
        self.activity_ids.action_feedback()
        return True
