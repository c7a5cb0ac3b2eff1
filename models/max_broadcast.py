# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import max_client
from ..tools import max_dialog as conversation
from .max_dialog import _keyboard
from .max_sending import own_transaction

_logger = logging.getLogger(__name__)

# Messages per job: a job stays short, the next one goes on.
BATCH = 200


class MaxBroadcast(models.Model):
    """A notice to every MAX bot user of chosen buildings (planned outage,
    works): sent below the API's rate limit, with a delivery report, and a
    button that lets residents stop notices."""

    _name = "max.broadcast"
    _description = "MAX building notice"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(string="Subject", required=True, tracking=True)
    gateway_id = fields.Many2one(
        "mail.gateway",
        string="Bot",
        required=True,
        domain=[("gateway_type", "=", "max")],
        default=lambda self: (
            self.env["mail.gateway"]
            .sudo()
            .search([("gateway_type", "=", "max")], limit=1)
        ),
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    house_ids = fields.Many2many(
        "gis.zhkh.house", string="Buildings", required=True, tracking=True
    )
    text = fields.Text(required=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("sending", "Sending"),
            ("done", "Sent"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
    )
    line_ids = fields.One2many("max.broadcast.line", "broadcast_id", readonly=True)
    recipient_count = fields.Integer(compute="_compute_counts", string="Recipients")
    sent_count = fields.Integer(compute="_compute_counts", string="Delivered")
    failed_count = fields.Integer(compute="_compute_counts", string="Not delivered")
    queued_count = fields.Integer(compute="_compute_counts", string="Waiting")
    interruption_id = fields.Many2one(
        "helpdesk.service.interruption",
        string="Service interruption",
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
    )
    interruption_notice = fields.Selection(
        [("start", "Interruption"), ("end", "End of the interruption")],
        string="Notice of",
        readonly=True,
    )
    preview_count = fields.Integer(
        compute="_compute_preview_count",
        string="Residents reached",
        help="Bot users of these buildings who accept notices.",
    )

    @api.depends("line_ids.state")
    def _compute_counts(self):
        data = {
            (broadcast, state): count
            for broadcast, state, count in self.env["max.broadcast.line"]._read_group(
                [("broadcast_id", "in", self.ids)],
                ["broadcast_id", "state"],
                ["__count"],
            )
        }
        for broadcast in self:
            counts = {
                state: data.get((broadcast, state), 0)
                for state in ("queued", "sending", "sent", "failed")
            }
            broadcast.recipient_count = sum(counts.values())
            broadcast.sent_count = counts["sent"]
            broadcast.failed_count = counts["failed"]
            broadcast.queued_count = counts["queued"] + counts["sending"]

    @api.depends("house_ids", "gateway_id")
    def _compute_preview_count(self):
        for broadcast in self:
            broadcast.preview_count = len(broadcast._recipients())

    def _recipients(self):
        self.ensure_one()
        if not self.house_ids or not self.gateway_id:
            return self.env["max.dialog"]
        return self.env["max.dialog"].search(
            [
                ("gateway_id", "=", self.gateway_id.id),
                ("house_id", "in", self.house_ids.ids),
                ("notices", "=", True),
                ("stopped", "=", False),
            ]
        )

    def action_send(self):
        for broadcast in self:
            if broadcast.state != "draft":
                raise UserError(self.env._("This notice was sent already."))
            if len(broadcast.text or "") > max_client.MAX_TEXT:
                raise UserError(
                    self.env._(
                        "A MAX message has at most %(limit)s characters.",
                        limit=max_client.MAX_TEXT,
                    )
                )
            recipients = broadcast._recipients()
            if not recipients:
                raise UserError(
                    self.env._(
                        "No bot user of these buildings accepts notices: nobody "
                        "would receive it."
                    )
                )
            broadcast.write(
                {
                    "state": "sending",
                    "line_ids": [
                        fields.Command.create({"dialog_id": dialog.id})
                        for dialog in recipients
                    ],
                }
            )
            broadcast._enqueue()
        return True

    def action_cancel(self):
        self.filtered(lambda b: b.state in ("draft", "sending")).state = "cancelled"
        return True

    def _enqueue(self, eta=None):
        # One job at a time per notice: the bot's pace holds the rate.
        return (
            self.sudo()
            .with_delay(
                eta=eta,
                identity_key=f"max-broadcast-{self.id}",
                description=f"MAX: building notice {self.name}",
            )
            ._job_send_batch()
        )

    def _fresh_counts(self):
        """``{state: count}`` of the lines as committed now (the lines'
        states are committed apart from the job's transaction)."""
        with own_transaction(self.env) as cr:
            cr.execute(
                """SELECT state, count(*) FROM max_broadcast_line
                    WHERE broadcast_id = %s GROUP BY state""",
                [self.id],
            )
            return dict(cr.fetchall())

    def _job_send_batch(self, batch=BATCH):
        """Job: send the next batch, each line once; queue the next job, or
        report. Stops at once when MAX refuses the token (the lines wait for
        Resume sending) or asks to wait (the job comes back then)."""
        self.ensure_one()
        if self.state != "sending":
            return f"Nothing to do: {self.state}"
        gateway = self.gateway_id
        paused = self.env["max.sending"]._status(gateway.ids).get(gateway.id)
        if paused and paused[0]:
            return f"Sending paused: {paused[0]}"
        lines = self.env["max.broadcast.line"].search(
            [("broadcast_id", "=", self.id), ("state", "in", ("queued", "sending"))],
            limit=batch,
            order="id",
        )
        client = gateway._max_client(retries=0, check_pause=True)
        config = gateway._max_config()
        keyboard = _keyboard(conversation.notices_off(config))
        _outcomes, paused = lines.with_context(max_keyboard=keyboard)._max_deliver_all(
            gateway, client
        )
        if paused:
            return f"Sending paused: {paused}"
        counts = self._fresh_counts()
        if counts.get("queued") or counts.get("sending"):
            self._enqueue()
            return f"{len(lines)} handled, more to go"
        self.state = "done"
        self.message_post(
            body=Markup("<p>%s</p>")
            % self.env._(
                "Notice sent: %(sent)s delivered, %(failed)s not delivered.",
                sent=counts.get("sent", 0),
                failed=counts.get("failed", 0),
            ),
            subtype_xmlid="mail.mt_note",
        )
        return "Done"
