# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import secrets
import time
from pathlib import Path

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config, plaintext2html

from ..tools import chat_keywords, max_client, max_dialog
from ..tools.max_errors import MaxAuthError, MaxError
from .max_sending import SharedPace

_logger = logging.getLogger(__name__)

CA_PEM = Path(__file__).resolve().parent.parent / "data" / "russian_trusted_ca.pem"
# MAX drops a subscription after 8 hours of failed deliveries; the check runs
# more often than that.


# The client's back-off between retries (the tests record it, not sleep it).
max_sleep = time.sleep


class MailGateway(models.Model):
    # Activities: the responsible person is told when the bot is down.
    _name = "mail.gateway"
    _inherit = [
        "mail.gateway",
        "mail.thread",
        "mail.activity.mixin",
        "helpdesk.integration.health.mixin",
    ]

    gateway_type = fields.Selection(
        selection_add=[("max", "MAX")], ondelete={"max": "cascade"}
    )
    max_api_url = fields.Char(
        string="MAX API URL",
        default=max_client.DEFAULT_BASE_URL,
        help="The MAX Bot API host. Change it only for a test server.",
    )
    max_use_polling = fields.Boolean(
        string="Long polling",
        help="Fetch updates by a scheduled action instead of a webhook, for "
        "installations without a public HTTPS address. MAX allows it for "
        "development only, and not while a webhook is subscribed.",
    )
    max_poll_marker = fields.Char(readonly=True, copy=False)
    max_subscribed = fields.Boolean(
        string="Webhook subscribed", readonly=True, copy=False
    )
    max_checked_at = fields.Datetime(
        string="Subscription checked", readonly=True, copy=False
    )
    max_last_error = fields.Char(string="Last MAX error", readonly=True, copy=False)
    max_last_update_at = fields.Datetime(
        string="Last update received", readonly=True, copy=False
    )
    max_official_url = fields.Char(
        string="Official chatbot link",
        help="Where residents file legally significant requests: the GIS "
        "ZhKKh chatbot in MAX. The bot shows it as a button.",
    )
    max_dispatcher_phone = fields.Char(
        string="Dispatcher phone", help="Shown to residents with every emergency."
    )
    max_team_id = fields.Many2one(
        "helpdesk.ticket.team",
        string="Team",
        help="Team of the tickets the bot opens (else helpdesk's default).",
    )
    max_category_id = fields.Many2one(
        "helpdesk.ticket.category", string="Category of requests"
    )
    max_emergency_category_id = fields.Many2one(
        "helpdesk.ticket.category",
        string="Category of emergencies",
        default=lambda self: self.env.ref(
            "helpdesk_gis_zhkh_max.category_emergency", raise_if_not_found=False
        ),
    )
    max_house_ids = fields.Many2many(
        "gis.zhkh.house",
        string="Buildings offered",
        help="Buildings the bot offers as buttons when it asks where the "
        "resident lives (the first 8; residents may type another address). "
        "Empty: every active building of the company.",
    )
    max_text_ids = fields.One2many(
        "max.bot.text", "gateway_id", string="Texts of the bot", copy=True
    )
    max_group_keywords = fields.Text(
        string="Emergency keywords",
        default=chat_keywords.DEFAULT,
        help="Comma-separated words or phrases: a house group-chat message "
        "containing one alerts the dispatcher. A word matches at the start of "
        "a word with its Russian endings (газ: газа, газом; not магазин); end "
        "it with * to match any word it starts (затоп*: затопило, затопили).",
    )
    max_group_reply = fields.Boolean(
        string="Answer in group chats",
        help="After an alert, remind the chat once in a while how to file a request.",
    )
    max_group_reply_minutes = fields.Integer(
        string="Group answer at most every (minutes)", default=60
    )
    max_stage_notices = fields.Boolean(
        string="Stage notices",
        default=True,
        help="Tell residents in MAX when their request changes stage.",
    )
    max_link_days = fields.Integer(
        string="Suggest linking within (days)",
        default=7,
        help="A MAX request and a GIS appeal of the same resident and "
        "building received within this many days are offered for linking.",
    )
    max_rate = fields.Integer(
        string="Calls per second",
        default=max_client.DEFAULT_RATE,
        help="The pace of calls to MAX for this bot, kept by all workers "
        "together. MAX allows 30 per second per bot; above, it answers HTTP "
        "429 and the senders wait as long as MAX asks.",
    )
    max_paused = fields.Boolean(
        string="Sending paused",
        compute="_compute_max_sending",
        help="MAX refused the bot's token: nothing is sent until a new token "
        "is saved or sending is resumed. Nothing is dropped meanwhile.",
    )
    max_paused_reason = fields.Char(
        string="Why sending is paused", compute="_compute_max_sending"
    )
    max_held_count = fields.Integer(
        string="Messages waiting", compute="_compute_max_sending"
    )
    max_failed_count = fields.Integer(
        string="Messages not delivered", compute="_compute_max_sending"
    )
    max_file_limit_mb = fields.Integer(
        string="Largest file (MB)",
        default=20,
        help="Larger files residents send are not downloaded; the ticket says so.",
    )
    max_tickets_per_hour = fields.Integer(
        string="New tickets per resident per hour",
        default=5,
        help="At most this many new tickets per resident within an hour, "
        "emergencies included; beyond that the resident's messages go to "
        "their latest ticket, which is flagged for the dispatcher. 0: no limit.",
    )
    max_dialog_retention_days = fields.Integer(
        string="Keep idle dialogs for (days)",
        default=365,
        help="A dialog with no open ticket and no message for this many days "
        "is deleted with the resident's MAX identifiers (the organisation's "
        "retention of personal data, 152-FZ); the resident starts afresh "
        "when they write again. 0: kept.",
    )
    max_contact_retention_days = fields.Integer(
        string="Keep unidentified contacts for (days)",
        default=30,
        help="Contacts the bot created for residents who never shared their "
        "phone number are deleted this many days after their creation once "
        "they have neither a ticket nor a dialog left. 0: kept.",
    )
    max_failed_update_retention_days = fields.Integer(
        string="Keep failed updates for (days)",
        default=90,
        help="Updates that could not be processed are deleted after this "
        "many days (processed ones after 90). 0: kept.",
    )
    max_dialog_count = fields.Integer(compute="_compute_max_dialog_count")
    max_responsible_user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        help="Told when the bot is down (one activity and one e-mail).",
    )

    def _health_responsible(self):
        return self.max_responsible_user_id or self.env.ref(
            "base.user_admin", raise_if_not_found=False
        )

    def _compute_max_sending(self):
        status = self.env["max.sending"].sudo()._status(self.ids)
        counts = {
            (gateway.id, state): count
            for gateway, state, count in self.env["max.outbox"]
            .sudo()
            ._read_group(
                [("gateway_id", "in", self.ids)], ["gateway_id", "state"], ["__count"]
            )
        }
        for gateway in self:
            reason = (status.get(gateway.id) or (None, None))[0]
            gateway.max_paused = bool(reason)
            gateway.max_paused_reason = reason or False
            gateway.max_held_count = counts.get((gateway.id, "queued"), 0) + counts.get(
                (gateway.id, "sending"), 0
            )
            gateway.max_failed_count = counts.get((gateway.id, "failed"), 0)

    def _compute_max_dialog_count(self):
        counts = dict(
            self.env["max.dialog"]._read_group(
                [("gateway_id", "in", self.ids)], ["gateway_id"], ["__count"]
            )
        )
        for gateway in self:
            gateway.max_dialog_count = counts.get(gateway, 0)

    @api.model_create_multi
    def create(self, vals_list):
        user = self.env.ref(
            "helpdesk_gis_zhkh_max.user_max_bot", raise_if_not_found=False
        )
        for vals in vals_list:
            if vals.get("gateway_type") != "max":
                continue
            # The webhook runs as the bot's technical user, not as root.
            if user and not vals.get("webhook_user_id"):
                vals["webhook_user_id"] = user.id
            vals.setdefault("webhook_key", secrets.token_urlsafe(24))
            vals.setdefault("webhook_secret", secrets.token_urlsafe(32))
        gateways = super().create(vals_list)
        gateways.filtered(lambda g: g.gateway_type == "max")._max_seed_texts()
        gateways._max_bot_user_companies()
        return gateways

    def _max_bot_user_companies(self):
        """The bot's technical user works in each MAX bot's company: the
        webhook and the jobs run as it there."""
        user = self.env.ref(
            "helpdesk_gis_zhkh_max.user_max_bot", raise_if_not_found=False
        )
        companies = self.filtered(lambda g: g.gateway_type == "max").company_id
        if user and companies - user.sudo().company_ids:
            user.sudo().company_ids = [
                fields.Command.link(company.id) for company in companies
            ]

    def write(self, vals):
        result = super().write(vals)
        if "company_id" in vals or "gateway_type" in vals:
            self._max_bot_user_companies()
        if vals.get("token"):
            # A new token: what waited for it goes out (if MAX takes it).
            for gateway in self.filtered(
                lambda g: g.gateway_type == "max" and g.max_paused
            ):
                gateway._max_resume(raise_errors=False)
        return result

    def _max_seed_texts(self):
        """Give the bot its texts in Russian (or the company's language)."""
        lang = "ru_RU" if self.env["res.lang"]._lang_get("ru_RU") else None
        for gateway in self:
            env_lang = gateway.with_context(lang=lang or gateway.env.lang)
            have = set(gateway.max_text_ids.mapped("key"))
            defaults = env_lang.env["max.bot.text"]._default_texts()
            gateway.max_text_ids = [
                fields.Command.create({"key": key, "text": text})
                for key, text in defaults.items()
                if key not in have
            ]

    # -- the API -----------------------------------------------------------------

    def _max_client(self, check_pause=False, **options):
        """The bot's client. Its calls keep the bot's pace with every other
        worker's (``max.sending``); ``check_pause``: none is made while
        sending is paused (the senders)."""
        self.ensure_one()
        gateway = self.sudo()
        base_url = gateway.max_api_url or max_client.DEFAULT_BASE_URL
        verify = True
        if base_url.startswith("https://"):
            verify = max_client.trusted_ca_bundle(
                CA_PEM, Path(config["data_dir"]) / "max"
            )
        options.setdefault(
            "throttle",
            SharedPace(
                self.env,
                gateway.id,
                gateway.max_rate or max_client.DEFAULT_RATE,
                sleep=lambda seconds: max_sleep(seconds),
                check_pause=check_pause,
            ),
        )
        try:
            return max_client.MaxBotClient(
                gateway.token,
                base_url=base_url,
                verify=verify,
                sleep=lambda seconds: max_sleep(seconds),
                **options,
            )
        except MaxError as error:
            raise UserError(self._max_error_text(error)) from error

    def _max_note_error(self, error, refused_403=False):
        """The text of ``error``; a token MAX refuses (401, or 403 where the
        call concerns no chat) pauses the bot's sending at once."""
        refused = isinstance(error, MaxAuthError) or (
            error.status == 401 or (refused_403 and error.status == 403)
        )
        if not refused:
            return self._max_error_text(error)
        text = self._max_refused_text(error)
        self.env["max.sending"]._pause(self.id, text)
        return text

    def _max_refused_text(self, error):
        return self.env._(
            "MAX refused the bot's token (%(error)s): sending is paused and "
            "nothing is lost. Save a new token, or press Resume sending once "
            "the token works again.",
            error=str(error),
        )

    # -- paused sending --

    def action_max_resume(self):
        """Resume sending after MAX refused the token: the token is checked,
        then every message that waited goes out once, in order. For those
        who may change the bot (its token), as the form."""
        self.check_access("write")
        for gateway in self:
            gateway._max_resume(raise_errors=True)
        return True

    def _max_resume(self, raise_errors=False):
        self.ensure_one()
        try:
            self._max_client(retries=0).get_me()
        except MaxError as error:
            text = self._max_note_error(error, refused_403=True)
            if raise_errors:
                raise UserError(text) from error
            return False
        self.env["max.sending"]._resume(self.id)
        self.invalidate_recordset(["max_paused", "max_paused_reason"])
        if self.max_last_error:
            self.max_last_error = False
        self._max_requeue()
        return True

    def _max_requeue(self):
        """Queue every chat with waiting messages (oldest first) and every
        building notice being sent."""
        self.ensure_one()
        Outbox = self.env["max.outbox"].sudo()
        lanes = Outbox._read_group(
            [("gateway_id", "=", self.id), ("state", "in", ("queued", "sending"))],
            ["lane"],
            ["id:min"],
            order="id:min",
        )
        Outbox._enqueue_lanes(self, [lane for lane, _first in lanes], eta=0)
        notices = (
            self.env["max.broadcast"]
            .sudo()
            .search(
                [("gateway_id", "=", self.id), ("state", "=", "sending")], order="id"
            )
        )
        for notice in notices:
            notice._enqueue()

    def _max_error_text(self, error):
        return self.env._(
            "MAX answered: %(error)s. %(hint)s",
            error=str(error),
            hint=self.env._("This looks temporary: it will be retried.")
            if getattr(error, "transient", False)
            else self.env._("Check the bot token and the settings of the bot."),
        )

    def _max_config(self):
        """What the conversation module needs, from this gateway."""
        self.ensure_one()
        gateway = self.sudo()
        houses = gateway.max_house_ids or self.env["gis.zhkh.house"].search(
            [("company_id", "in", (gateway.company_id.id, False))], limit=8
        )
        return max_dialog.Config(
            texts=gateway.max_text_ids._as_texts(),
            official_url=gateway.max_official_url or "",
            dispatcher_phone=gateway.max_dispatcher_phone or "",
            token=gateway.token or "",
            houses=[(house.id, house.name) for house in houses],
        )

    def _max_ticket_values(self, name, text, urgent=False):
        """A ticket of this bot: channel MAX (non-official), the bot's team
        and category (its emergency category and top priority if urgent)."""
        self.ensure_one()
        gateway = self.sudo()
        category = (
            gateway.max_emergency_category_id if urgent else gateway.max_category_id
        )
        values = {
            "name": name,
            "description": plaintext2html(text or name),
            "channel_id": self.env.ref("helpdesk_gis_zhkh_max.channel_max").id,
            "category_id": category.id,
            "company_id": gateway.company_id.id or self.env.company.id,
        }
        if urgent:
            values["priority"] = "3"
        team = gateway.max_team_id
        # helpdesk_mgmt moves a ticket to its team's company: only a team of
        # the bot's company (or of none) may take it.
        if team and (not team.company_id or team.company_id == gateway.company_id):
            values["team_id"] = team.id
        return values

    def _max_keywords(self):
        """The emergency keywords, compiled (``chat_keywords.match``)."""
        return chat_keywords.compile_keywords(
            chat_keywords.parse(self.max_group_keywords)
        )

    # -- subscription --

    def action_max_subscribe(self):
        for gateway in self:
            gateway.set_webhook()
        return True

    def action_max_unsubscribe(self):
        for gateway in self:
            gateway.remove_webhook()
        return True

    def action_max_check(self):
        """Ask MAX whether our webhook is still subscribed; subscribe again
        when MAX dropped it."""
        for gateway in self:
            gateway._max_check_subscription(resubscribe=True, raise_errors=True)
        return True

    def _max_check_subscription(self, resubscribe=False, raise_errors=False):
        self.ensure_one()
        if self.max_use_polling or self.integrated_webhook_state != "integrated":
            return None
        try:
            client = self._max_client(retries=1)
            urls = [s.get("url") for s in client.subscriptions()]
            present = self.webhook_url in urls
            if not present and resubscribe:
                _logger.warning(
                    "MAX gateway %s: the webhook subscription was gone, "
                    "subscribing again",
                    self.id,
                )
                client.subscribe(self.webhook_url, self.sudo().webhook_secret)
                present = True
        except MaxError as error:
            text = self._max_note_error(error, refused_403=True)
            self.write(
                {"max_last_error": text, "max_checked_at": fields.Datetime.now()}
            )
            if raise_errors:
                raise UserError(text) from error
            return False
        self.write(
            {
                "max_subscribed": present,
                "max_checked_at": fields.Datetime.now(),
                "max_last_error": False,
            }
        )
        return present

    @api.model
    def _cron_max_check_subscriptions(self):
        for gateway in self.search([("gateway_type", "=", "max")]):
            gateway._max_check_subscription(resubscribe=True)

    @api.model
    def _cron_max_poll(self):
        """Long polling, for gateways that have no public webhook."""
        gateways = self.search(
            [("gateway_type", "=", "max"), ("max_use_polling", "=", True)]
        )
        for gateway in gateways:
            gateway._max_poll_once()

    def _max_poll_once(self, timeout=0):
        self.ensure_one()
        try:
            client = self._max_client(retries=1)
            raw_updates, marker = client.get_updates(
                marker=int(self.max_poll_marker) if self.max_poll_marker else None,
                timeout=timeout,
            )
        except MaxError as error:
            self.max_last_error = self._max_note_error(error, refused_403=True)
            return 0
        stored = self.env["max.update"]._store_deliveries(self, raw_updates)
        # Keep the marker even when nothing came (MAX's advice).
        self.write(
            {
                "max_poll_marker": str(marker) if marker is not None else False,
                "max_last_error": False,
            }
        )
        return stored

    # -- messages to group chats --

    def _max_enqueue_chat_message(self, chat_id, text):
        """A message to a group chat (where the bot is an admin), sent once."""
        self.ensure_one()
        return self.env["max.outbox"]._queue(
            self,
            f"c{chat_id}",
            [{"kind": "chat", "text": chunk} for chunk in max_client.split_text(text)],
        )

    def _max_job_send_chat(self, chat_id, text):
        """Jobs queued before the outbox existed: the message goes to it."""
        self.ensure_one()
        self._max_enqueue_chat_message(chat_id, text)
        return "Moved to the outbox"
