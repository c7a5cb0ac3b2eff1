# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import datetime
import logging
import re
import time
import uuid

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.queue_job.exception import RetryableJobError

from ..tools import gis_operations
from ..tools.gis_errors import GisError, GisRequestInvalid
from .gis_zhkh_file import HASH_SECONDS_PER_MB, UPLOAD_BACKOFF

_logger = logging.getLogger(__name__)

LOCKED_RETRY_SECONDS = 10
# After a failed send: (up to attempt, wait in seconds); the request is sent
# again as is, hourly at the end, until GIS takes or refuses it.
SEND_BACKOFF = ((2, 30), (4, 120), (6, 600), (None, 3600))
JOB_KEY = re.compile(r"^gis-zhkh-operation-(?:prepare|send)-(\d+)")
# A request GIS acknowledged but never finished: asked again hourly for
# this long (GIS keeps results for a while), then left to a person.
RECHECK_DAYS = 30


class GisZhkhOperationJobs(models.AbstractModel):
    """The jobs of an operation: prepare (the request stored), then send
    (the stored request), retried, resumed and rechecked. Mixed into
    ``gis.zhkh.operation``: queue_job knows the jobs by that model."""

    _name = "gis.zhkh.operation.jobs"
    _description = "GIS ZhKKh Operation Jobs"

    def _lock(self):
        """Lock this operation's row for the job's transaction, or retry."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM gis_zhkh_operation WHERE id IN %s "
                    "FOR NO KEY UPDATE NOWAIT",
                    [tuple(self.ids)],
                    # Busy is expected (the job comes back later): not a "bad
                    # query" ERROR in the log.
                    log_exceptions=False,
                )
        except (pg_errors.LockNotAvailable, pg_errors.SerializationFailure) as error:
            raise RetryableJobError(
                f"GIS ZhKKh operation {self.ids} is being handled",
                seconds=LOCKED_RETRY_SECONDS,
                ignore_retry=True,
            ) from error
        self.invalidate_recordset()

    def _enqueue_prepare(self, eta=None):
        self.ensure_one()
        return self.with_delay(
            eta=eta,
            identity_key=f"gis-zhkh-operation-prepare-{self.id}",
            description=self.env._(
                "GIS ZhKKh: prepare %(operation)s", operation=self.display_name
            ),
        )._job_prepare()

    def _enqueue_send(self, eta=None):
        self.ensure_one()
        return self.with_delay(
            eta=eta,
            identity_key=f"gis-zhkh-operation-send-{self.id}-{self.send_attempts}",
            description=self.env._(
                "GIS ZhKKh: send %(operation)s", operation=self.display_name
            ),
        )._job_send()

    def _job_prepare(self):
        """Job: check the operation again, build and sign its request, keep
        it. The request is committed before anything is sent."""
        self.ensure_one()
        self._lock()
        if self.state != "queued" or self.request_xml:
            return f"Nothing to do: {self.state}, prepared {bool(self.request_xml)}"
        backend = self.backend_id.with_company(self.company_id)
        problems = self._problems_for(self.ticket_id, self._plain())
        if problems:
            # The appeal changed since the operation was queued (withdrawn,
            # executed in GIS...): it is not sent.
            self._reject(
                "LOCAL",
                "\n".join(problems),
                conflict=self.env._(
                    "Not sent: the appeal changed in GIS ZhKKh after "
                    "«%(operation)s» was queued.",
                    operation=self._operation_name(),
                ),
            )
            return "Not sent: " + "; ".join(problems)
        waiting = self._upload_documents(backend)
        if waiting:
            return waiting
        self.write(
            {
                "transport_answer_action_guid": str(uuid.uuid4()),
                "transport_answer_guid": str(uuid.uuid4()),
                "transport_appeal_action_guid": str(uuid.uuid4()),
            }
        )
        answer_actions, appeal_actions = gis_operations.build(
            self._plain(), self._transport()
        )
        try:
            message_guid, body = backend._get_client().prepare_import_answers(
                answer_actions=answer_actions, appeal_actions=appeal_actions
            )
        except GisRequestInvalid as error:
            # Checked against the official formats before signing: GIS would
            # refuse it, and the same request again would change nothing. Kept
            # in the organisation's language, whoever queued it.
            lang = self.company_id.partner_id.lang or self.env.lang
            text = backend.with_context(lang=lang)._format_text(error)
            self._reject(error.code, text, local=True)
            return text
        except GisError as error:
            # A signer that fails is a setting to fix, not a passing fault.
            self._reject(error.code or error.__class__.__name__, str(error))
            return str(error)
        self.write(
            {
                "request_message_guid": message_guid,
                "request_xml": base64.b64encode(body),
                "prepared_at": fields.Datetime.now(),
            }
        )
        self._enqueue_send()
        return f"Prepared, MessageGUID {message_guid}"

    def _upload_documents(self, backend):
        """Upload the answer's documents not uploaded yet, each once (its
        GUID and hash are kept: a retry sends only what is missing). None
        when all are in the GIS file store; else why the request waits (a
        passing failure: tried again later) or was refused."""
        started = time.monotonic()
        limit = self.env["gis.zhkh.file"]._worker_time_limit()
        files = self.sudo().file_ids.filtered(lambda f: f.state != "done")
        for index, record in enumerate(files):
            size = record.size or record.attachment_id.sudo().file_size or 0
            worst = backend._get_file_client()._budget(size)
            if not record.gis_hash:
                worst += HASH_SECONDS_PER_MB * size / 1048576
            if index and limit and time.monotonic() - started + worst > 0.8 * limit:
                # A worker killed at limit_time_real would roll back the
                # uploads of this job: the rest in a new job, at once.
                self._enqueue_prepare()
                return f"{index} documents uploaded, the rest in a new job"
            try:
                record._upload(backend)
            except GisError as error:
                if not error.transient:
                    record._fail(backend, error)
                    self._reject(
                        error.code or "FILE",
                        self.env._(
                            "The document %(name)s could not be stored in GIS "
                            "ZhKKh: %(error)s",
                            name=record.name,
                            error=record.error,
                        ),
                        local=True,
                    )
                    return f"Not sent: {record.name}: {error}"
                record.write({"attempts": record.attempts + 1, "error": str(error)})
                wait = record._backoff(UPLOAD_BACKOFF)
                self.write({"last_error": backend._error_text(error)})
                self._enqueue_prepare(eta=wait)
                return f"Document {record.name} not uploaded ({error}); in {wait} s"
        return None

    def _job_send(self):
        """Job: send the prepared request. Sent again after a crash or a
        lost answer, it is the same request under the same MessageGUID, which
        GIS ZhKKh takes once."""
        self.ensure_one()
        self._lock()
        if self.state != "queued" or not self.request_xml:
            return f"Nothing to do: {self.state}"
        backend = self.backend_id.with_company(self.company_id)
        backend._lock_exchanges()
        exchanges = []
        body = base64.b64decode(self.request_xml)
        try:
            ack = backend._get_client(on_exchange=exchanges.append).send_prepared(
                "importAnswer", body, self.request_message_guid
            )
        except GisError as error:
            return self._send_failed(error, exchanges)
        message = self.env["gis.zhkh.message"].create(
            {
                "backend_id": backend.id,
                "operation": "import_answer",
                "purpose": "operation",
                "state": "sent",
                "sent_at": fields.Datetime.now(),
                "message_guid": self.request_message_guid,
                "ack_guid": ack.message_guid,
                "ticket_id": self.ticket_id.id,
                **self.env["gis.zhkh.message"]._proof_values(exchanges, "request"),
            }
        )
        self.write(
            {
                "state": "sent",
                "sent_at": message.sent_at,
                "message_id": message.id,
                "ack_guid": ack.message_guid,
                "last_error": False,
            }
        )
        _logger.info(
            "GIS ZhKKh operation %s (%s) sent, MessageGUID %s",
            self.id,
            self.operation,
            ack.message_guid,
        )
        message._enqueue_fetch()
        return f"Sent, MessageGUID {ack.message_guid}"

    def _send_failed(self, error, exchanges):
        """Keep the failed attempt as proof; send the same request again
        later (transient failures) or report the refusal. The job ends
        normally, so that the proof and the reason are kept."""
        _logger.warning(
            "GIS ZhKKh operation %s (%s) not sent: %s", self.id, self.operation, error
        )
        code = error.code or error.__class__.__name__
        proof = self.env["gis.zhkh.message"]._proof_values(exchanges, "request")
        now = fields.Datetime.now()
        self.env["gis.zhkh.message"].create(
            {
                "backend_id": self.backend_id.id,
                "operation": "import_answer",
                "purpose": "operation",
                "state": "error",
                "sent_at": now,
                "done_at": now,
                "message_guid": self.request_message_guid,
                "ticket_id": self.ticket_id.id,
                "failed_operation_id": self.id,
                "error_code": code,
                "error_message": str(error),
                # No answer at all (timeout, dropped connection): what was
                # sent is the prepared request.
                "request_xml": self.request_xml,
                "request_sent_at": now,
                **proof,
            }
        )
        if not error.transient:
            if self._maybe_received():
                return self._result_unknown(error)
            self._reject(code, str(error))
            return str(error)
        attempts = self.send_attempts + 1
        self.write(
            {
                "send_attempts": attempts,
                "last_error": self.backend_id._error_text(error),
            }
        )
        wait = next(
            s for limit, s in SEND_BACKOFF if limit is None or attempts <= limit
        )
        self._enqueue_send(eta=wait)
        return f"Not sent ({error}); attempt {attempts}, next in {wait} s"

    def _maybe_received(self):
        """Whether GIS may already have this request: an earlier send of its
        MessageGUID failed on the way (its answer lost, a timeout), or an
        earlier run of this very job ended mid-send (a worker killed)."""
        self.ensure_one()
        if self.send_attempts:
            return True
        job_uuid = self.env.context.get("job_uuid")
        job = job_uuid and self.env["queue.job"].sudo().search(
            [("uuid", "=", job_uuid)], limit=1
        )
        # ``retry`` counts the runs before this one.
        return bool(job and job.retry)

    def _result_unknown(self, error):
        """GIS refused a request it may have received already: GIS takes a
        MessageGUID once, so the refusal may only mean "already received".
        The operation stays *sent*, never rejected (and so never queued
        again behind GIS's back): the appeal's next import, asked for at
        once, accepts it when GIS shows its effect; meanwhile a person is
        told, and a manager may cancel it after checking the GIS cabinet."""
        text = self.env._(
            "GIS ZhKKh refused «%(operation)s» sent again under the same "
            "MessageGUID %(guid)s (%(error)s): it had received it before, and "
            "its answer to the first send was lost. Whether GIS applied it is "
            "unknown until the next import shows the appeal: check the appeal "
            "in the GIS ZhKKh cabinet; do not send it again by other means.",
            operation=self._operation_name(),
            guid=self.request_message_guid,
            error=str(error),
        )
        self.write(
            {
                "state": "sent",
                "sent_at": fields.Datetime.now(),
                "result_unknown": True,
                "last_error": text,
            }
        )
        self.ticket_id._message_log(body=text)
        self._tell_responsible(self.ticket_id, text)
        backend = self.backend_id.sudo()
        backend.last_refresh_at = False
        backend._enqueue_import()
        return f"Sent, result unknown: {error}"

    @api.model
    def _cron_resume(self):
        """Queue again the operations a failed or lost job left queued, and
        ask GIS again about the requests it acknowledged and never finished."""
        self._recheck_unfinished()
        stalled = self.search([("state", "=", "queued")])
        jobs = (
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("identity_key", "=like", "gis-zhkh-operation-%"),
                    (
                        "state",
                        "in",
                        ("wait_dependencies", "pending", "enqueued", "started"),
                    ),
                ]
            )
        )
        busy = {
            int(match.group(1))
            for match in (JOB_KEY.match(job.identity_key) for job in jobs)
            if match
        }
        resumed = stalled.filtered(lambda op: op.id not in busy)
        for operation in resumed:
            if operation.request_xml:
                operation._enqueue_send()
            else:
                operation._enqueue_prepare()
        return len(resumed)

    def _unfinished(self):
        """Of these, the operations whose request GIS acknowledged but whose
        result we stopped waiting for."""
        return self.filtered(
            lambda op: (
                op.state == "sent"
                and (op.result_unknown or op.message_id.state == "error")
            )
        )

    @api.model
    def _recheck_unfinished(self):
        since = fields.Datetime.now() - datetime.timedelta(days=RECHECK_DAYS)
        waiting = self.search(
            [
                ("state", "=", "sent"),
                ("message_id.state", "=", "error"),
                ("sent_at", ">=", since),
            ]
        )
        for message in waiting.message_id:
            message._enqueue_recheck()
        # Sent, result unknown: no getState to ask, the appeal's import shows it.
        unknown = self.search(
            [
                ("state", "=", "sent"),
                ("result_unknown", "=", True),
                ("sent_at", ">=", since),
            ]
        )
        for backend in unknown.backend_id.sudo():
            backend.last_refresh_at = False
            backend._enqueue_import()
        return len(waiting) + len(unknown)

    def action_check_again(self):
        """Ask GIS ZhKKh now about a request it acknowledged and did not
        finish processing."""
        self.ticket_id.check_access("write")
        unfinished = self.sudo()._unfinished()
        if not unfinished:
            raise UserError(
                self.env._("Only a sent operation GIS ZhKKh has not finished waits.")
            )
        for message in unfinished.message_id:
            message._enqueue_recheck(eta=0)
        # Without GIS's MessageGUID there is no getState to ask: the
        # appeal's import shows what GIS did.
        for backend in unfinished.filtered("result_unknown").backend_id:
            backend.last_refresh_at = False
            backend._enqueue_import()
        return True

    def action_cancel(self):
        """Give up a queued operation, or one GIS never finished, after
        checking the GIS ZhKKh cabinet: the same operation can be queued
        again. What GIS may have applied is not undone."""
        if not self.env.user.has_group("helpdesk_mgmt.group_helpdesk_manager"):
            raise AccessError(
                self.env._("Only a helpdesk manager can cancel a GIS ZhKKh operation.")
            )
        operations = self.sudo()
        stuck = (
            operations.filtered(lambda op: op.state == "queued")
            | operations._unfinished()
        )
        if not stuck:
            raise UserError(
                self.env._(
                    "Only a queued operation, or one GIS ZhKKh never finished, "
                    "can be cancelled."
                )
            )
        for operation in stuck:
            operation.state = "cancelled"
            operation.ticket_id._message_log(
                body=self.env._(
                    "«%(operation)s» cancelled by %(user)s: it will not be sent "
                    "(again). Check in the GIS ZhKKh cabinet whether GIS applied it.",
                    operation=operation._operation_name(),
                    user=self.env.user.name,
                )
            )
        return True
