# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
import secrets
import time

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.tools import SQL

from ..tools import metrics_text
from ..tools.metrics_text import Family
from .helpdesk_integration_health import STALE_UPDATE_MINUTES, STUCK_MINUTES

TOKEN_PARAM = "helpdesk_gis_zhkh_max.metrics_token"
# The health states as numbers an alert compares: the worse, the higher.
HEALTH_VALUES = {"ok": 0, "degraded": 1, "down": 2}
JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started", "failed")
UPDATE_STATES = ("pending", "failed")
OUTBOX_STATES = ("queued", "sending", "failed")
DEADLINE_STATES = ("breached", "at_risk")
SOURCES = ("gis", "max", "other")


class HelpdeskMetrics(models.AbstractModel):
    """The figures of the cockpit and of the integrations' health for a
    monitoring system (Prometheus, Zabbix): counts, states and the names of
    connections, bots, job channels and companies; nothing about residents.
    Each family is one query whatever the number of tickets, updates or
    jobs; the health is computed per connection (a few)."""

    _name = "helpdesk.metrics"
    _description = "Metrics for monitoring"

    # -- the token ------------------------------------------------------------------

    @api.model
    def _token(self):
        # A system parameter: only administrators read or write it. Spaces
        # pasted around it are not part of it.
        token = self.env["ir.config_parameter"].sudo().get_param(TOKEN_PARAM)
        return (token or "").strip()

    @api.model
    def _generate_token(self):
        if not self.env.is_admin():
            raise AccessError(
                self.env._("Only administrators may set the metrics token.")
            )
        token = secrets.token_urlsafe(32)
        self.env["ir.config_parameter"].sudo().set_param(TOKEN_PARAM, token)
        return token

    # -- the figures ---------------------------------------------------------------

    @api.model
    def _check_reader(self):
        # Public methods of an abstract model: no access rule guards them.
        user = self.env.user
        if not (
            self.env.su
            or user._is_system()
            or user.has_group("helpdesk_gis_zhkh_max.group_metrics")
        ):
            raise AccessError(self.env._("Only the monitoring user reads the metrics."))

    @api.model
    def metrics_text(self):
        """The exposition text the endpoint answers."""
        self._check_reader()
        started = time.monotonic()
        now = fields.Datetime.now()
        families = [
            *self._integration_families(now),
            *self._job_families(now),
            *self._max_families(now),
            *self._deadline_families(),
        ]
        families.append(
            Family(
                "hgzm_metrics_duration_seconds",
                "Time spent computing these metrics.",
            ).add(round(time.monotonic() - started, 6))
        )
        return metrics_text.render(families)

    @api.model
    def _integration_families(self, now):
        health = self.env["helpdesk.integration.health"]
        backends, gateways = health._connections(every_company=True)
        state = Family(
            "hgzm_integration_health",
            "Health of each GIS ZhKKh connection (kind gis) and MAX bot (kind "
            "max), as on the cockpit: 0 ok, 1 degraded, 2 down; the state label "
            "says the same in words.",
        )
        age = Family(
            "hgzm_gis_last_success_age_seconds",
            "Seconds since the last successful exchange with GIS ZhKKh, per "
            "connection (since its creation when none succeeded yet).",
        )
        in_flight = Family(
            "hgzm_gis_messages_in_flight",
            "Requests sent to GIS ZhKKh whose result is not fetched yet.",
        )
        for backend in backends:
            status = health._gis_status(backend, now)
            labels = self._connection_labels(backend)
            state.add(
                HEALTH_VALUES[status["state"]],
                **labels,
                kind="gis",
                state=status["state"],
            )
            since = backend.last_success_at or backend.create_date
            age.add(int((now - since).total_seconds()), **labels)
            in_flight.add(status["in_flight"], **labels)
        for gateway in gateways:
            status = health._max_status(gateway, now)
            state.add(
                HEALTH_VALUES[status["state"]],
                **self._connection_labels(gateway),
                kind="max",
                state=status["state"],
            )
        return [state, age, in_flight]

    @api.model
    def _connection_labels(self, record):
        # The id keeps two connections of one name apart (Prometheus drops
        # a scrape with a series twice).
        return {
            "id": str(record.id),
            "name": record.name or "",
            "company": record.sudo().company_id.name or "",
        }

    @api.model
    def _job_families(self, now):
        Job = self.env["queue.job"].sudo()
        # Configuration, a few rows: their names only.
        channels = (
            self.env["queue.job.channel"]
            .sudo()
            .search_fetch(Domain.TRUE, ["complete_name"])
        )
        counts = {
            (channel, state): count
            for channel, state, count in Job._read_group(
                Domain("state", "in", JOB_STATES), ["channel", "state"], ["__count"]
            )
        }
        stuck = dict(
            Job._read_group(
                self.env["helpdesk.integration.health"]._stuck_jobs_domain(now),
                ["channel"],
                ["__count"],
            )
        )
        # Every configured channel, with zeros: an alert needs the series.
        names = sorted(
            set(channels.mapped("complete_name"))
            | {channel for channel, _state in counts}
            | set(stuck),
            key=lambda name: name or "",
        )
        jobs = Family(
            "hgzm_queue_jobs",
            "queue_job jobs not done yet, by channel and state.",
        )
        stuck_family = Family(
            "hgzm_queue_jobs_stuck",
            f"Jobs started more than {STUCK_MINUTES} minutes ago, or pending or "
            f"enqueued for more than {STUCK_MINUTES} minutes without a planned "
            "time, by channel.",
        )
        for name in names:
            for state in JOB_STATES:
                jobs.add(counts.get((name, state), 0), channel=name or "", state=state)
            stuck_family.add(stuck.get(name, 0), channel=name or "")
        threshold = Family(
            "hgzm_queue_jobs_stuck_threshold_seconds",
            "How long a job runs or waits before it counts as stuck.",
        ).add(STUCK_MINUTES * 60)
        return [jobs, stuck_family, threshold]

    @api.model
    def _max_families(self, now):
        _backends, gateways = self.env["helpdesk.integration.health"]._connections(
            every_company=True
        )
        updates = self._count_by_gateway(
            "max.update",
            UPDATE_STATES,
            stale=SQL(
                "COUNT(*) FILTER (WHERE state = 'pending' AND create_date < %s)",
                now - datetime.timedelta(minutes=STALE_UPDATE_MINUTES),
            ),
        )
        outbox = self._count_by_gateway("max.outbox", OUTBOX_STATES)
        update_family = Family(
            "hgzm_max_updates",
            "MAX updates received and not processed (pending) or given up "
            "(failed), per bot.",
        )
        stale_family = Family(
            "hgzm_max_updates_stale",
            f"MAX updates pending for more than {STALE_UPDATE_MINUTES} minutes, "
            "per bot.",
        )
        outbox_family = Family(
            "hgzm_max_outbox_messages",
            "Messages of the bot waiting to be sent (queued, sending) or not "
            "delivered (failed), per bot.",
        )
        for gateway in gateways:
            labels = self._connection_labels(gateway)
            figures = updates.get(gateway.id, {})
            for state in UPDATE_STATES:
                update_family.add(figures.get(state, 0), **labels, state=state)
            stale_family.add(figures.get("stale", 0), **labels)
            figures = outbox.get(gateway.id, {})
            for state in OUTBOX_STATES:
                outbox_family.add(figures.get(state, 0), **labels, state=state)
        return [update_family, stale_family, outbox_family]

    @api.model
    def _count_by_gateway(self, model, states, stale=None):
        """``{gateway id: {state: count, "stale": count}}`` in one query."""
        table = SQL.identifier(self.env[model]._table)
        columns = [SQL("COUNT(*) FILTER (WHERE state = %s)", state) for state in states]
        if stale is not None:
            columns.append(stale)
        rows = self.env.execute_query(
            SQL(
                "SELECT gateway_id, %s FROM %s WHERE state IN %s GROUP BY gateway_id",
                SQL(", ").join(columns),
                table,
                tuple(states),
            )
        )
        keys = [*states, "stale"]
        return {row[0]: dict(zip(keys, row[1:], strict=False)) for row in rows}

    @api.model
    def _deadline_families(self):
        """Open tickets whose worst legal deadline is breached or at risk,
        per company and source, in one pass over the tickets (the cockpit's
        buckets, for every company)."""
        Ticket = self.env["helpdesk.ticket"].sudo()
        cockpit = self.env["helpdesk.deadline.cockpit"].sudo()
        moments = cockpit._moments()
        query = Ticket._search(
            cockpit._bucket_domain("breached", moments)
            | cockpit._bucket_domain("at_risk", moments)
        )
        column, source = cockpit._source_columns(Ticket, query)
        state = column("deadline_state")
        query.groupby = SQL(", ").join([column("company_id"), source])
        rows = self.env.execute_query(
            query.select(
                column("company_id"),
                source,
                *(
                    SQL("COUNT(*) FILTER (WHERE %s = %s)", state, bucket)
                    for bucket in DEADLINE_STATES
                ),
            )
        )
        counts = {(company, src): figures for company, src, *figures in rows}
        families = [
            Family(
                "hgzm_legal_deadlines_breached",
                "Open tickets with a legal deadline passed, per company and "
                "source (gis: official GIS ZhKKh appeals, max: the bot, other).",
            ),
            Family(
                "hgzm_legal_deadlines_at_risk",
                "Open tickets with a legal deadline close to passing, per "
                "company and source.",
            ),
        ]
        # Every company with zeros (an alert needs the series), and an
        # archived one or none if tickets still count there.
        Company = self.env["res.company"].sudo()
        companies = Company.search_fetch(Domain.TRUE, ["name"])
        companies |= Company.browse({key[0] for key in counts if key[0]})
        keys = [*companies.ids] + ([None] if any(k[0] is None for k in counts) else [])
        names = {company.id: company.name for company in companies}
        for company_id in keys:
            for src in SOURCES:
                figures = counts.get((company_id, src), (0, 0))
                for family, count in zip(families, figures, strict=True):
                    family.add(
                        count, company=names.get(company_id, "") or "", source=src
                    )
        return families
