# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
import hashlib
import json
import logging
import zoneinfo

from psycopg2 import errors as pg_errors

from odoo import api, fields, models

from odoo.addons.queue_job.exception import RetryableJobError

from ..tools import gis_xml_common
from ..tools.gis_errors import GisError

_logger = logging.getLogger(__name__)

# GIS ZhKKh dates are days of the building's calendar (see README): the
# import window ends "today" on the easternmost one, so that nothing GIS
# registered today anywhere in Russia is left for tomorrow.
EASTERNMOST_TZ = zoneinfo.ZoneInfo("Asia/Kamchatka")


def gis_today():
    return datetime.datetime.now(EASTERNMOST_TZ).date()


# A lock held by another exchange: come back soon, without spending a retry.
LOCKED_RETRY_SECONDS = 10


class GisZhkhBackendImport(models.AbstractModel):
    """Planning a connection's imports: the cron, the creation-date window
    and the refresh of open appeals, one job per GIS request, one exchange
    at a time per company. Mixed into ``gis.zhkh.backend``: queue_job knows
    the jobs by that model."""

    _name = "gis.zhkh.backend.import"
    _description = "GIS ZhKKh Import Planning"

    def action_import_appeals(self):
        """Queue an import of the appeals of these connections."""
        for backend in self:
            backend._enqueue_import()
        return self._notify(
            self.env._("GIS ZhKKh import"),
            self.env._("The import is queued; tickets appear when GIS ZhKKh answers."),
            "success",
        )

    def _enqueue_import(self):
        self.ensure_one()
        return self.with_delay(
            identity_key=f"gis-zhkh-import-{self.id}",
            description=self.env._(
                "GIS ZhKKh: import appeals of %(name)s", name=self.name
            ),
        )._job_import_appeals()

    @api.model
    def _cron_import_appeals(self):
        """Queue the imports that are due. The work itself runs in jobs."""
        now = fields.Datetime.now()
        due = self.search(
            ["|", ("next_import_at", "=", False), ("next_import_at", "<=", now)]
        )
        queued = 0
        for backend in due:
            # An import job may hold the connection's row for a long
            # exchange: pass over it (its next turn comes at the next run)
            # rather than wait, or fail the whole run on its lock.
            try:
                with self.env.cr.savepoint():
                    self.env.cr.execute(
                        "SELECT id FROM gis_zhkh_backend WHERE id = %s "
                        "FOR NO KEY UPDATE SKIP LOCKED",
                        [backend.id],
                    )
                    if not self.env.cr.fetchone():
                        continue
                    backend.next_import_at = now + datetime.timedelta(
                        minutes=backend.import_interval
                    )
                    backend.flush_recordset(["next_import_at"])
            except pg_errors.SerializationFailure:
                continue
            backend._enqueue_import()
            queued += 1
        return queued

    def _import_window(self):
        """The creation-date window of the next import: GIS dates, ending
        today on the easternmost building's calendar (see ``gis_today``)."""
        self.ensure_one()
        today = gis_today()
        if self.last_window_end:
            start = self.last_window_end - datetime.timedelta(days=self.overlap_days)
        else:
            start = today - datetime.timedelta(days=self.initial_days)
        return min(start, today), today

    def _refresh_due(self, now):
        return (
            not self.last_refresh_at
            or now
            >= self.last_refresh_at + datetime.timedelta(minutes=self.refresh_interval)
        )

    def _refresh_guids(self):
        """GUIDs of the appeals whose changes a creation-date window misses:
        those still open in GIS (withdrawal, extension, answers) and those
        executed recently (the resident's assessment comes afterwards)."""
        since = gis_today() - datetime.timedelta(days=self.refresh_days)
        tickets = (
            self.env["helpdesk.ticket"]
            .with_context(active_test=False)
            .search_fetch(
                [
                    ("gis_backend_id", "=", self.id),
                    "|",
                    ("gis_status", "in", ("sent", "in_work")),
                    "&",
                    ("gis_status", "=", "executed"),
                    ("gis_received_date", ">=", since),
                ],
                ["gis_appeal_guid"],
                order="id",
            )
        )
        return tickets.mapped("gis_appeal_guid")

    def _lock_exchanges(self):
        """Take this connection's turn to talk to GIS ZhKKh, or raise
        ``RetryableJobError`` when another job has it.

        The rows of all the company's connections stay locked until the
        transaction ends: one exchange at a time per company, whatever the
        job runner's channels say (queue_job sets capacities in its
        configuration only), since the company's connections share its
        contacts, houses and themes. Touching the rows makes a job that
        started before the holder committed fail on its lock and start again
        with fresh data, instead of creating what the holder has just
        created.
        """
        self.ensure_one()
        cr = self.env.cr
        self.env.flush_all()
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    "SELECT id FROM gis_zhkh_backend WHERE company_id = %s "
                    "ORDER BY id FOR NO KEY UPDATE NOWAIT",
                    [self.company_id.id],
                    # Busy is expected (the job comes back later): not a "bad
                    # query" ERROR in the log.
                    log_exceptions=False,
                )
                cr.execute(
                    "UPDATE gis_zhkh_backend SET last_exchange_at = CASE WHEN id = %s "
                    "THEN now() AT TIME ZONE 'UTC' ELSE last_exchange_at END "
                    "WHERE company_id = %s",
                    [self.id, self.company_id.id],
                )
        except (pg_errors.LockNotAvailable, pg_errors.SerializationFailure) as error:
            raise RetryableJobError(
                f"GIS ZhKKh connections of company {self.company_id.id} are busy "
                "with another exchange",
                seconds=LOCKED_RETRY_SECONDS,
                ignore_retry=True,
            ) from error
        self.invalidate_model(["last_exchange_at"])

    def _exchanges_in_flight(self):
        """Exports of this connection GIS has not answered yet (within the
        time we wait for it), and exports queued but not sent."""
        self.ensure_one()
        since = fields.Datetime.now() - datetime.timedelta(
            hours=self.poll_timeout_hours
        )
        messages = self.env["gis.zhkh.message"].search(
            [
                ("backend_id", "=", self.id),
                ("operation", "=", "export_appeal"),
                ("state", "in", ("sent", "processing")),
                ("sent_at", ">=", since),
            ]
        )
        jobs = (
            self.env["queue.job"]
            .sudo()
            .search_count(
                [
                    ("identity_key", "=like", f"gis-zhkh-send-{self.id}-%"),
                    ("state", "in", ("wait_dependencies", "pending", "enqueued")),
                ]
            )
        )
        return messages, jobs

    def _job_import_appeals(self):
        """Job: plan the exports of an import, one job per GIS request."""
        self.ensure_one()
        if not self.active:
            return "Connection archived: nothing to do"
        self._lock_exchanges()
        messages, jobs = self._exchanges_in_flight()
        if messages or jobs:
            # GIS may take hours: asking again for the same appeals would
            # only make it slower. The next planned import tries again.
            _logger.info(
                "GIS ZhKKh %s: import skipped, %d exchange(s) in flight and %d queued",
                self.display_name,
                len(messages),
                jobs,
            )
            return (
                f"Skipped: {len(messages)} exchange(s) in flight "
                f"({', '.join(messages.mapped('ack_guid')) or '-'}), {jobs} queued"
            )
        start, end = self._import_window()
        jobs = [self._enqueue_send("window", {"start_date": start, "end_date": end})]
        now = fields.Datetime.now()
        if self._refresh_due(now):
            guids = self._refresh_guids()
            for index in range(0, len(guids), gis_xml_common.MAX_GUIDS_PER_REQUEST):
                chunk = guids[index : index + gis_xml_common.MAX_GUIDS_PER_REQUEST]
                jobs.append(self._enqueue_send("refresh", {"appeal_guids": chunk}))
            self.last_refresh_at = now
        return f"{len(jobs)} export request(s) queued"

    def _enqueue_theme_refresh(self):
        self.ensure_one()
        return self.with_delay(
            identity_key=f"gis-zhkh-themes-{self.id}",
            description=self.env._(
                "GIS ZhKKh: refresh the appeal themes from %(name)s", name=self.name
            ),
        )._job_refresh_themes()

    def _job_refresh_themes(self):
        """Job: ask the common НСИ service for directory 220; its result is
        applied by the fetch job (themes added, renamed, archived)."""
        self.ensure_one()
        if not self.active:
            return "Connection archived: nothing to do"
        backend = self.with_company(self.company_id)
        exchanges = []
        client = backend._get_nsi_client(on_exchange=exchanges.append)
        try:
            our_guid, ack = client.export_nsi_item(gis_xml_common.NSI_THEMES_REGISTRY)
        except GisError as error:
            return backend._handle_send_error(error, "themes", {})
        message = self.env["gis.zhkh.message"].create(
            {
                "backend_id": self.id,
                "operation": "export_nsi",
                "purpose": "themes",
                "state": "sent",
                "sent_at": fields.Datetime.now(),
                "message_guid": our_guid,
                "ack_guid": ack.message_guid,
                **self.env["gis.zhkh.message"]._proof_values(exchanges, "request"),
            }
        )
        message._enqueue_fetch()
        return f"Sent, MessageGUID {ack.message_guid}"

    def _enqueue_send(self, purpose, criteria):
        digest = hashlib.sha1(
            json.dumps(criteria, sort_keys=True, default=str).encode()
        ).hexdigest()[:16]
        return self.with_delay(
            identity_key=f"gis-zhkh-send-{self.id}-{purpose}-{digest}",
            description=self.env._(
                "GIS ZhKKh: request appeals of %(name)s", name=self.name
            ),
        )._job_send_export(purpose, criteria)

    def _job_send_export(self, purpose, criteria):
        """Job: send one exportAppeal; log it and queue the fetch of its result."""
        self.ensure_one()
        if not self.active:
            return "Connection archived: nothing to do"
        # Jobs carry no company context: work in the connection's company.
        return self.with_company(self.company_id)._send_export(purpose, criteria)

    def _send_export(self, purpose, criteria):
        self._lock_exchanges()
        if purpose == "window":
            values = {
                "window_start": criteria["start_date"],
                "window_end": criteria["end_date"],
            }
            if self.include_hcs_appeals:
                criteria = dict(criteria, include_hcs_appeals=True)
        else:
            values = {"guid_count": len(criteria.get("appeal_guids", ()))}
        exchanges = []
        client = self._get_client(on_exchange=exchanges.append)
        try:
            our_guid, ack = client.export_appeals(**criteria)
        except GisError as error:
            return self._handle_send_error(error, purpose, values)
        message = self._log_export(
            purpose,
            dict(
                values,
                **self.env["gis.zhkh.message"]._proof_values(exchanges, "request"),
            ),
            message_guid=our_guid,
            ack_guid=ack.message_guid,
        )
        _logger.info(
            "GIS ZhKKh %s: exportAppeal (%s) accepted, MessageGUID %s",
            self.display_name,
            purpose,
            ack.message_guid,
        )
        message._enqueue_fetch()
        return f"Sent, MessageGUID {ack.message_guid}"

    def _log_export(self, purpose, values, **extra):
        return self.env["gis.zhkh.message"].create(
            dict(
                values,
                backend_id=self.id,
                operation="export_appeal",
                purpose=purpose,
                state="sent",
                sent_at=fields.Datetime.now(),
                **extra,
            )
        )

    def _handle_send_error(self, error, purpose, values):
        _logger.warning(
            "GIS ZhKKh %s: exportAppeal (%s) failed, MessageGUID %s: %s",
            self.display_name,
            purpose,
            error.message_guid,
            error,
        )
        if error.transient and not self._is_last_job_attempt():
            raise RetryableJobError(str(error)) from error
        message = self._log_export(purpose, values, message_guid=error.message_guid)
        if purpose == "themes":
            message.operation = "export_nsi"
        message._record_error(error)
        return str(error)

    @api.model
    def _is_last_job_attempt(self):
        """Whether the running job will not be retried after this attempt."""
        job_uuid = self.env.context.get("job_uuid")
        if not job_uuid:
            return False
        job = self.env["queue.job"].sudo().search([("uuid", "=", job_uuid)], limit=1)
        # ``retry`` counts the attempts before the running one.
        return bool(job.max_retries) and job.retry + 1 >= job.max_retries
