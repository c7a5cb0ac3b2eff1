# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
import logging

from odoo import api, fields, models

from odoo.addons.queue_job.exception import RetryableJobError

from ..tools import gis_client
from ..tools.gis_errors import GisError

_logger = logging.getLogger(__name__)

# Wait between getState calls, by the time elapsed since the request: GIS
# answers most exports within seconds, some within hours.
POLL_DELAYS = (
    (datetime.timedelta(minutes=1), 5),
    (datetime.timedelta(minutes=10), 30),
    (datetime.timedelta(hours=1), 120),
    (None, 600),
)
MAX_ERROR_DETAILS = 200


class GisZhkhMessage(models.Model):
    """One asynchronous request to GIS ZhKKh and what came of it."""

    _name = "gis.zhkh.message"
    _description = "GIS ZhKKh Exchange"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    backend_id = fields.Many2one(
        "gis.zhkh.backend",
        string="Connection",
        required=True,
        ondelete="cascade",
        index=True,
        groups="base.group_system",
    )
    backend_name = fields.Char(related="backend_id.name", string="Connection name")
    company_id = fields.Many2one(
        related="backend_id.company_id", store=True, index=True
    )
    operation = fields.Selection(
        selection=[
            ("export_appeal", "Export appeals"),
            ("import_answer", "Send answers"),
        ],
        required=True,
    )
    purpose = fields.Selection(
        selection=[
            ("window", "New appeals"),
            ("refresh", "Changes of open appeals"),
            ("manual", "Manual"),
        ],
        required=True,
        default="manual",
    )
    message_guid = fields.Char(string="Our MessageGUID", index=True, readonly=True)
    ack_guid = fields.Char(string="GIS MessageGUID", index=True, readonly=True)
    state = fields.Selection(
        selection=[
            ("sent", "Sent"),
            ("processing", "GIS is processing"),
            ("done", "Done"),
            ("error", "Error"),
        ],
        required=True,
        default="sent",
        index=True,
    )
    sent_at = fields.Datetime(readonly=True)
    done_at = fields.Datetime(readonly=True)
    window_start = fields.Date(readonly=True)
    window_end = fields.Date(readonly=True)
    guid_count = fields.Integer(string="Appeals asked for", readonly=True)
    appeal_count = fields.Integer(string="Appeals received", readonly=True)
    created_count = fields.Integer(string="Tickets created", readonly=True)
    updated_count = fields.Integer(string="Tickets updated", readonly=True)
    unchanged_count = fields.Integer(string="Unchanged", readonly=True)
    duplicate_count = fields.Integer(string="Duplicates in the answer", readonly=True)
    failed_count = fields.Integer(string="Failed", readonly=True)
    error_code = fields.Char(readonly=True)
    error_message = fields.Text(readonly=True)
    error_details = fields.Text(
        readonly=True,
        help="Appeals that could not be read or saved, by AppealGUID.",
    )

    @api.depends("operation", "sent_at", "backend_name")
    def _compute_display_name(self):
        selection = dict(self._fields["operation"]._description_selection(self.env))
        for message in self:
            message.display_name = "{} — {} — {}".format(
                message.backend_name or "",
                selection.get(message.operation, ""),
                fields.Datetime.to_string(message.sent_at) if message.sent_at else "",
            )

    # ------------------------------------------------------------------
    # Jobs
    # ------------------------------------------------------------------

    def _enqueue_fetch(self, eta=5):
        self.ensure_one()
        return self.with_delay(
            eta=eta,
            identity_key=f"gis-zhkh-fetch-{self.id}",
            description=self.env._(
                "GIS ZhKKh: fetch the result of %(guid)s", guid=self.ack_guid
            ),
        )._job_fetch_result()

    def _poll_delay(self, now):
        elapsed = now - (self.sent_at or now)
        for limit, seconds in POLL_DELAYS:
            if limit is None or elapsed < limit:
                return seconds
        return POLL_DELAYS[-1][1]

    def _job_fetch_result(self):
        """Job: ask GIS for the result; import the appeals when it is ready."""
        self.ensure_one()
        if self.state not in ("sent", "processing"):
            return f"Nothing to do: the exchange is {self.state}"
        # Jobs carry no company context: work in the connection's company.
        return self.with_company(self.company_id)._fetch_result()

    def _fetch_result(self):
        backend = self.sudo().backend_id
        now = fields.Datetime.now()
        try:
            result = backend._get_client().get_state(self.ack_guid)
            if result.done:
                gis_client.check_result(result, self.ack_guid)
        except GisError as error:
            return self._handle_error(error)
        if not result.done:
            if now - self.sent_at > datetime.timedelta(
                hours=backend.poll_timeout_hours
            ):
                error = GisError(
                    self.env._(
                        "GIS ZhKKh did not finish processing within %(hours)s hours",
                        hours=backend.poll_timeout_hours,
                    ),
                    code="TIMEOUT",
                    message_guid=self.ack_guid,
                )
                self._record_error(error)
                return str(error)
            # Not an error: come back later, without spending a retry.
            raise RetryableJobError(
                f"GIS is still processing {self.ack_guid}",
                seconds=self._poll_delay(now),
                ignore_retry=True,
            )
        return self._import_result(result)

    def _import_result(self, result):
        backend = self.sudo().backend_id
        # One import at a time per company: no duplicate contacts, houses or
        # themes from two results imported side by side.
        backend._lock_exchanges()
        if self.state not in ("sent", "processing"):
            return f"Nothing to do: the exchange is {self.state}"
        lang = backend.company_id.partner_id.lang or self.env.lang
        stats = (
            self.env["gis.appeal.import"]
            .with_context(lang=lang)
            ._import_appeals(backend, result.appeals)
        )
        details = [
            f"{r.guid or '#' + str(r.position)}: {r.reason}" for r in result.rejected
        ] + stats["errors"]
        self.write(
            {
                "state": "done",
                "done_at": fields.Datetime.now(),
                "appeal_count": len(result.appeals) + len(result.rejected),
                "created_count": stats["created"],
                "updated_count": stats["updated"],
                "unchanged_count": stats["unchanged"],
                "duplicate_count": stats["duplicates"],
                "failed_count": stats["failed"] + len(result.rejected),
                "error_details": "\n".join(details[:MAX_ERROR_DETAILS]) or False,
            }
        )
        if self.purpose == "window" and (
            not backend.last_window_end or backend.last_window_end < self.window_end
        ):
            backend.last_window_end = self.window_end
        backend._record_success()
        if details:
            _logger.warning(
                "GIS ZhKKh %s: %d appeal(s) of MessageGUID %s could not be imported",
                backend.display_name,
                len(details),
                self.ack_guid,
            )
        return (
            "{created} created, {updated} updated, {unchanged} unchanged, "
            "{failed} failed".format(**stats)
        )

    def _handle_error(self, error):
        _logger.warning(
            "GIS ZhKKh getState of MessageGUID %s failed: %s", self.ack_guid, error
        )
        if error.transient and not self.env["gis.zhkh.backend"]._is_last_job_attempt():
            raise RetryableJobError(str(error)) from error
        self._record_error(error)
        return str(error)

    def _record_error(self, error):
        self.ensure_one()
        self.write(
            {
                "state": "error",
                "done_at": fields.Datetime.now(),
                "error_code": error.code or error.__class__.__name__,
                "error_message": str(error),
            }
        )
        self.sudo().backend_id._record_error(error, self)
