# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import datetime
import logging

from odoo import api, fields, models

from odoo.addons.queue_job.exception import RetryableJobError

from ..tools import gis_client
from ..tools.gis_errors import GisError

_logger = logging.getLogger(__name__)
# Exchanges purged per cron run (each drops up to six attachments).
PURGE_BATCH = 1000

# Wait between getState calls, by the time elapsed since the request: GIS
# answers most exports within seconds, some within hours.
POLL_DELAYS = (
    (datetime.timedelta(minutes=1), 5),
    (datetime.timedelta(minutes=10), 30),
    (datetime.timedelta(hours=1), 120),
    (None, 600),
)
MAX_ERROR_DETAILS = 200
# Another exchange of the company has its turn: come back this soon.
LOCKED_RETRY_SECONDS = 10


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
            ("export_nsi", "Appeal themes (НСИ 220)"),
        ],
        required=True,
    )
    purpose = fields.Selection(
        selection=[
            ("window", "New appeals"),
            ("refresh", "Changes of open appeals"),
            ("operation", "Operation on an appeal"),
            ("themes", "Refresh of the appeal themes"),
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
    themes_added = fields.Integer(readonly=True)
    themes_renamed = fields.Integer(readonly=True)
    themes_archived = fields.Integer(readonly=True)
    error_code = fields.Char(readonly=True)
    error_message = fields.Text(readonly=True)
    error_details = fields.Text(
        readonly=True,
        help="Appeals that could not be read or saved, by AppealGUID.",
    )
    ticket_id = fields.Many2one(
        "helpdesk.ticket",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The ticket whose appeal the exchange acted on.",
    )
    operation_ids = fields.One2many(
        "gis.zhkh.operation", "message_id", string="Operations", readonly=True
    )
    failed_operation_id = fields.Many2one(
        "gis.zhkh.operation",
        string="Failed attempt of",
        readonly=True,
        index="btree_not_null",
        ondelete="cascade",
        help="A send of this operation that did not reach GIS ZhKKh.",
    )
    # Proof: what went over the wire, signed as sent, with its times.
    request_xml = fields.Binary(string="Request", attachment=True, readonly=True)
    request_xml_name = fields.Char(compute="_compute_xml_names")
    request_sent_at = fields.Datetime(string="Request sent at", readonly=True)
    ack_xml = fields.Binary(string="Acknowledgement", attachment=True, readonly=True)
    ack_xml_name = fields.Char(compute="_compute_xml_names")
    ack_received_at = fields.Datetime(string="Acknowledged at", readonly=True)
    result_request_xml = fields.Binary(
        string="Result request (getState)", attachment=True, readonly=True
    )
    result_request_xml_name = fields.Char(compute="_compute_xml_names")
    result_xml = fields.Binary(string="Result", attachment=True, readonly=True)
    result_xml_name = fields.Char(compute="_compute_xml_names")
    result_received_at = fields.Datetime(string="Result received at", readonly=True)

    @api.depends("operation", "sent_at", "backend_name")
    def _compute_display_name(self):
        selection = dict(self._fields["operation"]._description_selection(self.env))
        for message in self:
            message.display_name = "{} — {} — {}".format(
                message.backend_name or "",
                selection.get(message.operation, ""),
                fields.Datetime.to_string(message.sent_at) if message.sent_at else "",
            )

    def _compute_xml_names(self):
        for message in self:
            guid = message.message_guid or message.id
            message.request_xml_name = f"{guid}-request.xml"
            message.ack_xml_name = f"{guid}-ack.xml"
            message.result_request_xml_name = f"{guid}-getState.xml"
            message.result_xml_name = f"{guid}-result.xml"

    @api.model
    def _proof_values(self, exchanges, kind):
        """The proof fields of the last exchange of ``exchanges``: ``kind``
        'request' (the request and GIS's acknowledgement) or 'result' (the
        getState that brought the result)."""
        if not exchanges:
            return {}
        exchange = exchanges[-1]

        def naive(moment):
            return moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)

        if kind == "request":
            return {
                "request_xml": base64.b64encode(exchange.request),
                "request_sent_at": naive(exchange.sent_at),
                "ack_xml": base64.b64encode(exchange.response),
                "ack_received_at": naive(exchange.received_at),
            }
        return {
            "result_request_xml": base64.b64encode(exchange.request),
            "result_xml": base64.b64encode(exchange.response),
            "result_received_at": naive(exchange.received_at),
        }

    @api.model
    def _cron_purge_expired(self, batch=PURGE_BATCH):
        """Drop the exchanges (and their XML) kept longer than their
        connection's retention period, and the copies of what was sent kept
        on the operations (the request, the texts); the operations' outcome
        stays. Works in batches; the cron runs again for the rest."""
        purged = 0
        backends = self.env["gis.zhkh.backend"].with_context(active_test=False)
        operations = self.env["gis.zhkh.operation"]
        for backend in backends.search([("retention_years", ">", 0)]):
            limit = fields.Datetime.now() - datetime.timedelta(
                days=365.25 * backend.retention_years
            )
            expired = self.search(
                [("backend_id", "=", backend.id), ("create_date", "<", limit)],
                limit=batch - purged,
            )
            purged += len(expired)
            expired.unlink()
            kept = operations.search(
                [
                    ("backend_id", "=", backend.id),
                    ("state", "in", ("accepted", "rejected", "cancelled")),
                    ("done_at", "<", limit),
                    "|",
                    "|",
                    ("request_xml", "!=", False),
                    ("text", "!=", False),
                    ("comment", "!=", False),
                ],
                limit=batch,
            )
            kept.write(
                {"request_xml": False, "text": False, "comment": False, "cause": False}
            )
            if purged >= batch or len(kept) >= batch:
                # More than a batch: the rest at the cron's next call.
                self.env.ref(
                    "helpdesk_gis_zhkh_max.ir_cron_gis_zhkh_message_purge"
                )._trigger()
                break
        if purged:
            _logger.info("GIS ZhKKh: %d exchanges past their retention purged", purged)
        return purged

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

    def _enqueue_recheck(self, eta=None):
        self.ensure_one()
        return self.with_delay(
            eta=eta,
            identity_key=f"gis-zhkh-recheck-{self.id}",
            description=self.env._(
                "GIS ZhKKh: ask again for the result of %(guid)s", guid=self.ack_guid
            ),
        )._job_recheck()

    def _job_recheck(self):
        """Job: one more getState for an importAnswer we stopped waiting for.
        GIS may have finished since: its results then apply as usual."""
        self.ensure_one()
        waiting = self.operation_ids.filtered(lambda op: op.state == "sent")
        if self.state != "error" or not waiting:
            return "Nothing to do"
        backend = self.sudo().backend_id
        fresh = not self.result_xml
        try:
            result = self.with_company(self.company_id)._get_state()
        except GisError as error:
            if error.transient:
                waiting.write({"last_error": backend._error_text(error)})
            else:
                # GIS finished with a refusal of the whole request.
                self._record_error(error)
            return str(error)
        if not result.done:
            waiting.write(
                {
                    "last_error": self.env._(
                        "GIS ZhKKh was still processing the request when asked "
                        "again at %(moment)s (UTC); it is asked hourly.",
                        moment=fields.Datetime.to_string(fields.Datetime.now()),
                    )
                }
            )
            return "Still processing"
        if not self._lock_or_keep(fresh):
            self._enqueue_recheck(eta=LOCKED_RETRY_SECONDS)
            return f"Result of {self.ack_guid} kept; applied at the company's turn"
        self.write({"state": "processing", "error_code": False, "error_message": False})
        return self._apply_operation_results(result)

    def _get_state(self):
        """GIS's getState of this exchange. When GIS has finished, the proof
        is kept and the result checked (``GisError`` for a refusal). A
        result already kept is read from the proof: GIS is not asked again
        (a big result is downloaded once, whatever waits for its import)."""
        kept = self.result_xml and gis_client.kept_state(
            base64.b64decode(self.result_xml), self.ack_guid
        )
        if kept:
            result = kept
        else:
            exchanges = []
            backend = self.sudo().backend_id
            if self.operation == "export_nsi":
                client = backend._get_nsi_client(on_exchange=exchanges.append)
            else:
                client = backend._get_client(on_exchange=exchanges.append)
            result = client.get_state(self.ack_guid)
            if result.done:
                self.write(self._proof_values(exchanges, "result"))
        if result.done:
            gis_client.check_result(result, self.ack_guid)
        return result

    def _lock_or_keep(self, fresh):
        """Take the company's turn to apply a finished result. When another
        exchange has it and the result was just downloaded, say so instead
        of failing: the job then ends normally, which keeps the result, and
        comes back for its turn without asking GIS again."""
        try:
            self.sudo().backend_id._lock_exchanges()
        except RetryableJobError:
            if not fresh:
                raise
            return False
        return True

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
        fresh = not self.result_xml
        try:
            result = self._get_state()
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
        if not self._lock_or_keep(fresh):
            self._enqueue_fetch(eta=LOCKED_RETRY_SECONDS)
            return f"Result of {self.ack_guid} kept; imported at the company's turn"
        if self.operation == "import_answer":
            return self._apply_operation_results(result)
        if self.operation == "export_nsi":
            return self._apply_themes(result)
        return self._import_result(result)

    def _apply_themes(self, result):
        """Directory 220 as GIS gave it: themes added, renamed, archived."""
        if self.state not in ("sent", "processing"):
            return f"Nothing to do: the exchange is {self.state}"
        backend = self.sudo().backend_id
        lang = backend.company_id.partner_id.lang or self.env.lang
        counts = (
            self.env["gis.appeal.theme"]
            .with_context(lang=lang)
            ._apply_directory(backend, result.nsi_elements or [])
        )
        self.write(
            {
                "state": "done",
                "done_at": fields.Datetime.now(),
                "appeal_count": len(result.nsi_elements or []),
                "themes_added": counts["added"],
                "themes_renamed": counts["renamed"],
                "themes_archived": counts["archived"],
            }
        )
        backend._record_success()
        return "{added} added, {renamed} renamed, {archived} archived".format(**counts)

    def _apply_operation_results(self, result):
        """The per-item results of an importAnswer: each operation of the
        exchange accepted or rejected."""
        self.sudo().backend_id._lock_exchanges()
        if self.state not in ("sent", "processing"):
            return f"Nothing to do: the exchange is {self.state}"
        operations = self.operation_ids.filtered(lambda op: op.state == "sent")
        operations._apply_results(result)
        self.write({"state": "done", "done_at": fields.Datetime.now()})
        self.sudo().backend_id._record_success()
        accepted = operations.filtered(lambda op: op.state == "accepted")
        return f"{len(accepted)} accepted, {len(operations) - len(accepted)} rejected"

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
            ._import_appeals(backend, result.appeals, exported_at=self.sent_at)
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
                "error_message": self.backend_id._error_detail(error),
            }
        )
        operations = self.operation_ids.filtered(lambda op: op.state == "sent")
        if error.code == "TIMEOUT" or error.transient:
            # GIS may still take it: the operations stay sent, and say why
            # they wait (nothing is sent again blindly).
            operations.write({"last_error": str(error)})
        else:
            operations._reject_all(error.code or error.__class__.__name__, str(error))
        self.sudo().backend_id._record_error(error, self)
