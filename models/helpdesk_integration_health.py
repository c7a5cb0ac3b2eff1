# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
import logging
from zoneinfo import ZoneInfo

from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

STATES = [("ok", "OK"), ("degraded", "Degraded"), ("down", "Down")]
# A job running this long is stuck (jobs here take seconds).
STUCK_MINUTES = 60
# MAX updates waiting this long mean processing stalled.
STALE_UPDATE_MINUTES = 15
# The queue_job channels of each integration (data/queue_job_data.xml).
GIS_CHANNELS = ("root.gis_zhkh", "root.gis_zhkh_files")
MAX_CHANNELS = ("root.max", "root.max_send")


class HelpdeskIntegrationHealth(models.AbstractModel):
    """Is the official channel (GIS ZhKKh) flowing, and the MAX bot? One
    state per connection and per bot, with the reason in plain words; a
    responsible person is told once when one stays down."""

    _name = "helpdesk.integration.health"
    _description = "Integration health"

    # -- figures ------------------------------------------------------------------

    @api.model
    def _stuck_jobs_domain(self, now):
        """Jobs started, or waiting for a worker without a planned time, for
        more than STUCK_MINUTES (the metrics endpoint counts them too)."""
        stuck_before = now - datetime.timedelta(minutes=STUCK_MINUTES)
        return Domain(
            [
                "|",
                "&",
                ("state", "=", "started"),
                ("date_started", "<", stuck_before),
                "&",
                ("state", "in", ("pending", "enqueued")),
                ("date_created", "<", stuck_before),
                ("eta", "=", False),
            ]
        )

    @api.model
    def _jobs(self, channels, now):
        Job = self.env["queue.job"].sudo()
        return {
            "jobs_failed": Job.search_count(
                [("channel", "in", channels), ("state", "=", "failed")]
            ),
            "jobs_stuck": Job.search_count(
                Domain("channel", "in", channels) & self._stuck_jobs_domain(now)
            ),
        }

    @api.model
    def _gis_status(self, backend, now):
        backend = backend.sudo()
        in_flight = (
            self.env["gis.zhkh.message"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", backend.id),
                    ("state", "in", ("sent", "processing")),
                ],
                order="create_date",
            )
        )
        oldest = in_flight[:1].create_date
        # "Today" is the company's day, as its people count it.
        tz = ZoneInfo(backend.company_id.partner_id.tz or "Europe/Moscow")
        local_now = now.replace(tzinfo=datetime.UTC).astimezone(tz)
        today_start = (
            datetime.datetime.combine(local_now.date(), datetime.time.min, tzinfo=tz)
            .astimezone(datetime.UTC)
            .replace(tzinfo=None)
        )
        status = {
            "kind": "gis",
            "id": backend.id,
            "name": backend.name,
            "last_success": fields.Datetime.to_string(backend.last_success_at),
            "last_error": backend.last_error or "",
            "in_flight": len(in_flight),
            "in_flight_minutes": int((now - oldest).total_seconds() // 60)
            if oldest
            else 0,
            "imported_today": self.env["helpdesk.ticket"]
            .sudo()
            .with_context(active_test=False)
            .search_count(
                [
                    ("gis_backend_id", "=", backend.id),
                    ("create_date", ">=", today_start),
                ]
            ),
            **self._jobs(GIS_CHANNELS, now),
        }
        expected_every = max(60, 3 * (backend.import_interval or 0))
        silent_since = backend.last_success_at or backend.create_date
        if backend.signing_problem:
            # Nothing can be sent until the server's configuration names it.
            state, reason = "down", backend.signing_problem
        elif backend.last_error_at and (
            not backend.last_success_at
            or backend.last_error_at > backend.last_success_at
        ):
            state = "down"
            reason = self.env._(
                "The last exchange with GIS ZhKKh failed: %(error)s",
                error=backend.last_error or backend.last_error_code or "?",
            )
        elif backend.import_interval and silent_since < now - datetime.timedelta(
            minutes=expected_every
        ):
            state = "down"
            reason = self.env._(
                "No successful exchange with GIS ZhKKh for %(minutes)s minutes.",
                minutes=int((now - silent_since).total_seconds() // 60),
            )
        elif status["in_flight_minutes"] > (backend.poll_timeout_hours or 24) * 30:
            state = "degraded"
            reason = self.env._(
                "GIS ZhKKh has not answered an exchange for %(minutes)s minutes.",
                minutes=status["in_flight_minutes"],
            )
        elif status["jobs_failed"] or status["jobs_stuck"]:
            state = "degraded"
            reason = self.env._(
                "%(failed)s failed and %(stuck)s stuck GIS ZhKKh jobs.",
                failed=status["jobs_failed"],
                stuck=status["jobs_stuck"],
            )
        else:
            state, reason = "ok", self.env._("Working.")
        status.update(state=state, reason=reason)
        return status

    @api.model
    def _max_status(self, gateway, now):
        gateway = gateway.sudo()
        Update = self.env["max.update"].sudo()
        last = Update.search(
            [("gateway_id", "=", gateway.id)], limit=1, order="id desc"
        )
        stale_before = now - datetime.timedelta(minutes=STALE_UPDATE_MINUTES)
        status = {
            "kind": "max",
            "id": gateway.id,
            "name": gateway.name,
            "subscribed": gateway.max_use_polling or gateway.max_subscribed,
            "last_update": fields.Datetime.to_string(last.create_date),
            "last_error": gateway.max_last_error or "",
            "updates_failed": Update.search_count(
                [("gateway_id", "=", gateway.id), ("state", "=", "failed")]
            ),
            "updates_waiting": Update.search_count(
                [
                    ("gateway_id", "=", gateway.id),
                    ("state", "=", "pending"),
                    ("create_date", "<", stale_before),
                ]
            ),
            **self._jobs(MAX_CHANNELS, now),
        }
        if gateway.max_paused:
            state, reason = "down", gateway.max_paused_reason
        elif (
            gateway.integrated_webhook_state != "integrated"
            and not gateway.max_use_polling
        ):
            state, reason = (
                "down",
                self.env._("The webhook is not integrated: MAX sends nothing."),
            )
        elif not status["subscribed"]:
            state = "down"
            reason = self.env._("MAX has no webhook subscription for this bot.")
        elif gateway.max_last_error:
            state, reason = "down", gateway.max_last_error
        elif status["updates_waiting"] or status["jobs_stuck"]:
            state = "degraded"
            reason = self.env._(
                "%(count)s updates wait for more than %(minutes)s minutes.",
                count=status["updates_waiting"],
                minutes=STALE_UPDATE_MINUTES,
            )
        elif status["updates_failed"] or status["jobs_failed"]:
            state = "degraded"
            reason = self.env._(
                "%(updates)s updates and %(jobs)s jobs failed: see MAX bot → "
                "Updates Received.",
                updates=status["updates_failed"],
                jobs=status["jobs_failed"],
            )
        else:
            state, reason = "ok", self.env._("Working.")
        status.update(state=state, reason=reason)
        return status

    @api.model
    def _connections(self, every_company=False):
        domain = (
            Domain.TRUE
            if every_company
            else Domain("company_id", "in", [*self.env.companies.ids, False])
        )
        backends = self.env["gis.zhkh.backend"].sudo().search(domain)
        gateways = (
            self.env["mail.gateway"]
            .sudo()
            .search(Domain("gateway_type", "=", "max") & domain)
        )
        return backends, gateways

    @api.model
    def _may_see(self):
        """Connection errors and health are for helpdesk managers."""
        return self.env.su or self.env.user.has_group(
            "helpdesk_mgmt.group_helpdesk_manager"
        )

    @api.model
    def health_data(self):
        """The health of every connection and bot of the user's companies."""
        # Public method of an abstract model: no access rule guards it.
        if not self._may_see():
            raise AccessError(
                self.env._(
                    "Only helpdesk managers may see the health of the integrations."
                )
            )
        now = fields.Datetime.now()
        backends, gateways = self._connections()
        return [self._gis_status(b, now) for b in backends] + [
            self._max_status(g, now) for g in gateways
        ]

    # -- alerts -------------------------------------------------------------------

    @api.model
    def _cron_check(self):
        """Keep each connection's state; tell its responsible once when it has
        been down for longer than its alert delay, and again only after it
        recovered and failed anew."""
        now = fields.Datetime.now()
        # Every company's: the cron is nobody's user.
        backends, gateways = self._connections(every_company=True)
        for record in [*backends, *gateways]:
            health = self._in_company_lang(record)
            if record._name == "gis.zhkh.backend":
                status = health._gis_status(record, now)
            else:
                status = health._max_status(record, now)
            health._record(record, status, now)

    @api.model
    def _in_company_lang(self, record):
        """The cron is nobody's user: the reason it stores (and the alert it
        sends) is in the language of the connection's company, whose people
        read it."""
        company = record.company_id or self.env.company
        return self.with_context(lang=company.partner_id.lang or self.env.lang)

    @api.model
    def _record(self, record, status, now):
        values = {"health_state": status["state"], "health_reason": status["reason"]}
        if status["state"] != "down":
            values.update(health_down_since=False, health_notified=False)
        elif not record.health_down_since:
            values["health_down_since"] = now
        down_since = values.get("health_down_since", record.health_down_since)
        delay = datetime.timedelta(minutes=record.health_alert_minutes or 0)
        alert = (
            status["state"] == "down"
            and not record.health_notified
            and down_since
            and down_since <= now - delay
        )
        if alert:
            values["health_notified"] = True
        # Only what changed: an unchanged state writes nothing.
        values = {
            name: value
            for name, value in values.items()
            if (value or False) != (record[name] or False)
        }
        if not values or not self._lock_or_skip(record):
            return
        record.write(values)
        if alert:
            self._alert(record, status)

    @api.model
    def _lock_or_skip(self, record):
        """Lock ``record``'s row, or tell it is busy: a GIS ZhKKh job holds
        its connection's row for a whole exchange, and the check must
        neither wait for it nor fail on it; the next run catches up."""
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM %s WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED",
                        SQL.identifier(record._table),
                        record.id,
                    )
                )
                return bool(self.env.cr.fetchone())
        except pg_errors.SerializationFailure:
            return False

    @api.model
    def _alert(self, record, status):
        user = record._health_responsible()
        if not user:
            _logger.warning("%s %s is down, nobody to tell", record._name, record.id)
            return
        summary = self.env._("%(name)s is down", name=record.name)
        record.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=user.id,
            summary=summary,
            note=status["reason"],
        )
        if user.email:
            self.env["mail.mail"].sudo().create(
                {
                    "subject": summary,
                    "email_to": user.email_formatted,
                    "body_html": Markup("<p>%s</p><p>%s</p>")
                    % (summary, status["reason"]),
                    "auto_delete": True,
                }
            )
