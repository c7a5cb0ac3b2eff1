# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import logging
import zlib

from odoo import api, fields, models
from odoo.tools import SQL, html2plaintext

from odoo.addons.queue_job.exception import RetryableJobError

from ..tools import max_client
from .max_sending import own_transaction
from .max_update import LOCK_NAMESPACE

_logger = logging.getLogger(__name__)

UPLOAD_KINDS = {"image": "image", "video": "video", "audio": "audio"}
KINDS = [
    ("reply", "Bot answer"),
    ("callback", "Button answer"),
    ("notice", "Notice"),
    ("staff", "Staff reply"),
    ("chat", "Group chat message"),
]


class MaxOutbox(models.Model):
    """Every message the bot sends (its answers, the staff's replies part by
    part with their files, notices, messages to house chats): its own
    committed send record, sent exactly once and in order per chat by a
    queue job (``max.delivery.mixin`` says how)."""

    _name = "max.outbox"
    _inherit = ["max.delivery.mixin"]
    _description = "MAX outgoing message"
    _order = "id desc"

    gateway_id = fields.Many2one(
        "mail.gateway",
        string="Bot",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(related="gateway_id.company_id", store=True)
    lane = fields.Char(
        string="Chat",
        required=True,
        readonly=True,
        help="u<user id> for a resident's dialog, c<chat id> for a group chat: "
        "a chat's messages go out one at a time, in the order they were made.",
    )
    kind = fields.Selection(KINDS, required=True, readonly=True)
    dialog_id = fields.Many2one(
        "max.dialog", index="btree_not_null", ondelete="cascade", readonly=True
    )
    notification_id = fields.Many2one(
        "mail.notification",
        string="Reply",
        index="btree_not_null",
        ondelete="cascade",
        readonly=True,
    )
    inform_ticket_id = fields.Many2one(
        "helpdesk.ticket",
        string="Planned time of",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        help="The request whose planned completion this message tells: once "
        "MAX takes it, the applicant is told (ПП 416 п. 13).",
    )
    part = fields.Integer(readonly=True, help="Part of a long reply (from 1).")
    parts = fields.Integer(readonly=True)
    text = fields.Text(readonly=True)
    keyboard = fields.Text(readonly=True, help="Buttons, as JSON.")
    callback_id = fields.Char(readonly=True)
    attachment_ids = fields.Many2many("ir.attachment", string="Files", readonly=True)
    upload_data = fields.Text(
        readonly=True, help="The files once uploaded to MAX, kept for the next try."
    )

    _lane_pending = models.Index(
        "(gateway_id, lane, id) WHERE state IN ('queued', 'sending')"
    )

    @api.depends("kind", "text", "part", "parts")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for record in self:
            name = kinds.get(record.kind, "")
            if record.parts > 1:
                name += f" ({record.part}/{record.parts})"
            text = (record.text or "").strip().replace("\n", " ")
            record.display_name = f"{name}: {text[:60]}" if text else name

    # -- making messages --

    @api.model
    def _queue(self, gateway, lane, vals_list):
        """Keep these messages for ``lane`` and make sure a job sends them."""
        if not vals_list:
            return self
        records = self.sudo().create(
            [dict(vals, gateway_id=gateway.id, lane=lane) for vals in vals_list]
        )
        self._enqueue_lanes(gateway, [lane])
        return records

    @api.model
    def _enqueue_lanes(self, gateway, lanes, eta=None):
        for lane in lanes:
            delayable = self.env["max.update"]._delay_once(
                f"max-send-{gateway.id}-{lane}",
                eta,
                f"MAX: send to {lane} ({gateway.name})",
                target=self,
            )
            if delayable:
                delayable._job_send_lane(gateway.id, lane)

    @api.model
    def _staff_parts(self, notification, dialog):
        """A staff reply as its parts: the text cut at MAX's limit, the
        files with the last part."""
        message = notification.mail_message_id
        text = html2plaintext(message.body or "").strip()
        chunks = max_client.split_text(text) if text else [""]
        return [
            {
                "kind": "staff",
                "dialog_id": dialog.id,
                "notification_id": notification.id,
                "part": index,
                "parts": len(chunks),
                "text": chunk,
                "attachment_ids": [fields.Command.set(message.attachment_ids.ids)]
                if index == len(chunks)
                else [],
            }
            for index, chunk in enumerate(chunks, 1)
        ]

    # -- the send record's contract --

    def _max_refusal(self):
        if self.kind != "chat" and self.dialog_id.stopped:
            return self.env._("The resident stopped the bot: MAX would refuse it.")
        return ""

    def _max_check_chat(self):
        if self.kind == "callback":
            return None
        if self.lane.startswith("c"):
            return int(self.lane[1:])
        return int(self.dialog_id.max_chat_id) if self.dialog_id.max_chat_id else None

    def _max_text(self):
        return self.text

    def _max_recipient(self):
        key = "user_id" if self.lane.startswith("u") else "chat_id"
        return {key: int(self.lane[1:])}

    def _max_call(self, client):
        if self.kind == "callback":
            client.answer_callback(self.callback_id)
            return {}
        return client.send_message(
            text=self.text or None,
            attachments=self._max_uploads(client) or None,
            keyboard=json.loads(self.keyboard) if self.keyboard else None,
            **self._max_recipient(),
        )

    def _max_uploads(self, client):
        """The files as MAX attachments: uploaded once, reused on a retry
        (MAX may answer ``attachment.not.ready`` for a while)."""
        if not self.attachment_ids:
            return []
        if self.upload_data:
            return json.loads(self.upload_data)
        uploads = [
            client.upload(
                UPLOAD_KINDS.get((file.mimetype or "").split("/")[0], "file"),
                file.name,
                file.raw,
                file.mimetype,
            )
            for file in self.attachment_ids.sudo()
        ]
        self._max_settle(upload_data=json.dumps(uploads))
        return uploads

    # -- the sender --

    @api.model
    def _lane_lock(self, gateway_id, lane):
        key = zlib.crc32(f"send:{gateway_id}:{lane}".encode())
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(%s::bigint)",
            ((LOCK_NAMESPACE << 32) | key,),
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _job_send_lane(self, gateway_id, lane):
        """Job: send a chat's waiting messages, oldest first, each once."""
        gateway = self.env["mail.gateway"].browse(gateway_id).exists()
        if not gateway:
            return "Gateway deleted"
        if not self._lane_lock(gateway_id, lane):
            raise RetryableJobError(
                "Another job sends to this chat", seconds=2, ignore_retry=True
            )
        paused = self.env["max.sending"]._status([gateway_id]).get(gateway_id)
        if paused and paused[0]:
            return f"Sending paused: {paused[0]}"
        records = self.search(
            [
                ("gateway_id", "=", gateway_id),
                ("lane", "=", lane),
                ("state", "in", ("queued", "sending")),
            ],
            order="id",
        )
        if not records:
            return "Nothing to send"
        client = gateway._max_client(retries=0, check_pause=True)
        try:
            outcomes, paused = records._max_deliver_all(gateway, client)
        finally:
            records._sync_notifications()
        # The applicant is told the planned time when MAX took the message
        # (a failure before this line: the deadline sweep catches up).
        records.invalidate_recordset(["state", "sent_at"])
        records.filtered(
            lambda r: r.inform_ticket_id and r.state == "sent"
        ).inform_ticket_id._refresh_told()
        if paused:
            return f"Sending paused: {paused}"
        return ", ".join(f"{count} {outcome}" for outcome, count in outcomes.items())

    def _sync_notifications(self):
        """A staff reply's delivery state (mail_gateway's notification) from
        its parts: sent when all are, failed when one is, waiting else.
        Written in a transaction of its own, like the parts."""
        notification_ids = list(set(self.notification_id.ids))
        if not notification_ids:
            return
        with own_transaction(self.env) as cr:
            cr.execute(
                """SELECT notification_id,
                          bool_and(state = 'sent'),
                          bool_and(state IN ('sent', 'failed')),
                          (array_agg(max_message_id ORDER BY part DESC)
                               FILTER (WHERE state = 'sent'))[1],
                          string_agg(error, '; ' ORDER BY part)
                               FILTER (WHERE state = 'failed')
                     FROM max_outbox
                    WHERE notification_id = ANY(%s)
                 GROUP BY notification_id""",
                [notification_ids],
            )
            changed = []
            for notification_id, all_sent, final, mid, errors in cr.fetchall():
                if not final:
                    continue
                values = (
                    {
                        "notification_status": "sent",
                        "failure_type": None,
                        "failure_reason": None,
                        "gateway_message_id": mid,
                    }
                    if all_sent
                    else {
                        "notification_status": "exception",
                        "failure_type": "unknown",
                        "failure_reason": errors,
                    }
                )
                cr.execute(
                    SQL(
                        """UPDATE mail_notification SET %s
                            WHERE id = %s AND (notification_status, failure_reason)
                                  IS DISTINCT FROM (%s, %s)
                        RETURNING mail_message_id""",
                        SQL(", ").join(
                            SQL("%s = %s", SQL.identifier(name), value)
                            for name, value in values.items()
                        ),
                        notification_id,
                        values["notification_status"],
                        values["failure_reason"],
                    )
                )
                changed += [row[0] for row in cr.fetchall()]
        notifications = self.env["mail.notification"].browse(notification_ids)
        notifications.invalidate_recordset()
        if changed:
            self.env["mail.message"].browse(
                changed
            )._notify_message_notification_update()

    # -- people's actions --

    def action_send_again(self):
        """Send failed messages again (once more, in their chat's order)."""
        failed = self.filtered(lambda r: r.state == "failed")
        failed.sudo().write(
            {"state": "queued", "attempts": 0, "error": False, "sending_since": False}
        )
        failed.notification_id.sudo().write(
            {"notification_status": "ready", "failure_type": False}
        )
        for gateway in failed.gateway_id:
            mine = failed.filtered(lambda r, g=gateway: r.gateway_id == g)
            self._enqueue_lanes(gateway, sorted(set(mine.mapped("lane"))))
        return True

    @api.model
    def _cron_resume(self, age_seconds=300):
        """Chats whose messages wait with no job (a worker lost, a job
        failed for good): queued again. Paused bots are left paused."""
        limit = fields.Datetime.subtract(fields.Datetime.now(), seconds=age_seconds)
        waiting = self._read_group(
            [("state", "in", ("queued", "sending")), ("create_date", "<", limit)],
            ["gateway_id", "lane"],
        )
        status = self.env["max.sending"]._status({g.id for g, _lane in waiting})
        for gateway, lane in waiting:
            if not (status.get(gateway.id) or (None,))[0]:
                self._enqueue_lanes(gateway, [lane])
        return len(waiting)

    @api.model
    def _cron_purge(self, days=90, batch=1000):
        """Messages sent (or given up on) are kept a while as proof of what
        the bot said, then only their effect remains: their texts are
        residents' personal data."""
        limit = fields.Datetime.subtract(fields.Datetime.now(), days=days)
        old = self.search(
            [("state", "in", ("sent", "failed")), ("create_date", "<", limit)],
            limit=batch,
        )
        old.unlink()
        if len(old) == batch:
            self.env.ref("helpdesk_gis_zhkh_max.ir_cron_max_outbox_purge")._trigger()
        return len(old)
