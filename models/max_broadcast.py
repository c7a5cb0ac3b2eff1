# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import max_client
from ..tools import max_dialog as conversation
from ..tools.max_errors import MaxError
from .max_dialog import _keyboard

_logger = logging.getLogger(__name__)

# Messages per job: a job stays short, the next one goes on.
BATCH = 200
RETRY_SECONDS = 60


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
                for state in ("queued", "sent", "failed")
            }
            broadcast.recipient_count = sum(counts.values())
            broadcast.sent_count = counts["sent"]
            broadcast.failed_count = counts["failed"]
            broadcast.queued_count = counts["queued"]

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
        # One job at a time per notice: the client's throttle holds the rate.
        return (
            self.sudo()
            .with_delay(
                eta=eta,
                identity_key=f"max-broadcast-{self.id}",
                description=f"MAX: building notice {self.name}",
            )
            ._job_send_batch()
        )

    def _job_send_batch(self, batch=BATCH):
        """Job: send the next batch; queue the next job, or report."""
        self.ensure_one()
        if self.state != "sending":
            return f"Nothing to do: {self.state}"
        Line = self.env["max.broadcast.line"]
        queued = [("broadcast_id", "=", self.id), ("state", "=", "queued")]
        lines = Line.search(queued, limit=batch, order="id")
        client = self.gateway_id._max_client(retries=1)
        config = self.gateway_id._max_config()
        keyboard = _keyboard(conversation.notices_off(config))
        postponed = False
        for line in lines:
            dialog = line.dialog_id
            if dialog.stopped or not dialog.notices:
                line.write({"state": "failed", "error": self.env._("Notices off")})
                continue
            try:
                client.send_message(
                    user_id=int(dialog.max_user_id), text=self.text, keyboard=keyboard
                )
            except MaxError as error:
                if error.transient:
                    # The rest waits: MAX said "later".
                    postponed = True
                    break
                line.write({"state": "failed", "error": str(error)[:250]})
                continue
            line.write({"state": "sent", "sent_at": fields.Datetime.now()})
        if postponed:
            self._enqueue(eta=RETRY_SECONDS)
            return "Postponed"
        if Line.search_count(queued, limit=1):
            self._enqueue()
            return f"{len(lines)} sent, more to go"
        self.state = "done"
        self.message_post(
            body=Markup("<p>%s</p>")
            % self.env._(
                "Notice sent: %(sent)s delivered, %(failed)s not delivered.",
                sent=self.sent_count,
                failed=self.failed_count,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return "Done"
