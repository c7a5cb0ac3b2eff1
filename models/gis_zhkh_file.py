# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import logging
import os
import tempfile
import time

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import config

from ..tools import gis_files, gis_xml_common, gost94
from ..tools.gis_errors import GisError

_logger = logging.getLogger(__name__)

# After a transient failure: (up to attempt, wait in seconds); then failed.
DOWNLOAD_BACKOFF = ((2, 30), (4, 300), (6, 3600), (8, 4 * 3600))
# GOST R 34.11-94 of a file to upload, pure Python: seconds of CPU per MB
# (measured 1.3 to 1.5 on a 2020 server core; with a margin).
HASH_SECONDS_PER_MB = 2
UPLOAD_BACKOFF = ((2, 30), (4, 120), (6, 600), (None, 3600))
SOURCES = [
    ("appeal", "Appeal"),
    ("answer", "Answer"),
    ("redirected", "Redirection"),
    ("rolled_over", "Deadline extension"),
    ("operation", "Sent with an operation"),
]


class GisZhkhFile(models.Model):
    """A file of a GIS ZhKKh appeal (``AttachmentGUID``) and its way between
    the GIS file store and the ticket: downloaded once, or uploaded once."""

    _name = "gis.zhkh.file"
    _description = "GIS ZhKKh File"
    _order = "id"

    ticket_id = fields.Many2one(
        "helpdesk.ticket", required=True, ondelete="cascade", index=True
    )
    backend_id = fields.Many2one(
        "gis.zhkh.backend", string="Connection", required=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        related="backend_id.company_id", store=True, index=True
    )
    operation_id = fields.Many2one(
        "gis.zhkh.operation", ondelete="cascade", index="btree_not_null"
    )
    direction = fields.Selection(
        [("in", "From GIS ZhKKh"), ("out", "To GIS ZhKKh")], required=True
    )
    source = fields.Selection(SOURCES, required=True, default="appeal")
    attachment_guid = fields.Char(string="AttachmentGUID", index=True, readonly=True)
    name = fields.Char(required=True)
    description = fields.Char()
    gis_hash = fields.Char(
        string="AttachmentHASH",
        readonly=True,
        help="GOST R 34.11-94 (CryptoPro) hash of the file, in hex.",
    )
    size = fields.Integer(string="Size (bytes)", readonly=True)
    state = fields.Selection(
        [("pending", "Waiting"), ("done", "Done"), ("failed", "Failed")],
        required=True,
        default="pending",
        index=True,
    )
    attachment_id = fields.Many2one(
        "ir.attachment",
        string="Ticket attachment",
        ondelete="set null",
        help="The file on the ticket: downloaded from GIS, or the one sent.",
    )
    attempts = fields.Integer(readonly=True)
    error = fields.Text(readonly=True)
    # A multi-part upload in progress: resumed, never started again.
    upload_id = fields.Char(readonly=True)
    parts_done = fields.Integer(readonly=True)

    _ticket_guid_unique = models.UniqueIndex(
        "(ticket_id, attachment_guid) WHERE attachment_guid IS NOT NULL",
        "A GIS ZhKKh file is kept once per ticket.",
    )

    # ------------------------------------------------------------------
    # Download (files of appeals and of their history)
    # ------------------------------------------------------------------

    @api.model
    def _register_appeal_files(self, backend, tickets_by_guid, appeals):
        """Files the appeals name that their tickets do not know yet: one
        query for the batch, a record each, a download job per ticket.
        Nothing is downloaded here (the import's transaction stays short)."""
        wanted = {}
        for appeal in appeals:
            ticket = tickets_by_guid.get(appeal.guid)
            if not ticket:
                continue
            files = [("appeal", att) for att in appeal.attachments]
            files += [
                (entry.kind, att)
                for entry in appeal.history
                if entry.kind in ("answer", "redirected", "rolled_over")
                for att in entry.attachments
            ]
            for source, att in files:
                if gis_xml_common.is_guid(att.guid):
                    wanted.setdefault((ticket.id, att.guid.lower()), (source, att))
        if not wanted:
            return self.browse()
        files = self.sudo()
        known = {
            (record.ticket_id.id, record.attachment_guid)
            for record in files.search_fetch(
                [("ticket_id", "in", list({key[0] for key in wanted}))],
                ["ticket_id", "attachment_guid"],
            )
        }
        created = files.create(
            [
                {
                    "ticket_id": ticket_id,
                    "backend_id": backend.id,
                    "direction": "in",
                    "source": source,
                    "attachment_guid": guid,
                    "name": (att.name or guid)[:1024],
                    "description": (att.description or "")[:500] or False,
                    "gis_hash": att.hash or False,
                }
                for (ticket_id, guid), (source, att) in wanted.items()
                if (ticket_id, guid) not in known
            ]
        )
        for ticket in created.ticket_id:
            created._enqueue_download(ticket)
        return created

    @api.model
    def _enqueue_download(self, ticket, eta=None, attempt=0):
        return (
            self.sudo()
            .with_delay(
                eta=eta,
                identity_key=f"gis-zhkh-files-{ticket.id}-{attempt}",
                description=self.env._(
                    "GIS ZhKKh: download the files of %(ticket)s",
                    ticket=ticket.display_name,
                ),
            )
            ._job_download(ticket.id)
        )

    @api.model
    def _job_download(self, ticket_id):
        """Job: download the ticket's waiting files, each once. A file that
        fails for good is named on the ticket; a passing failure is tried
        again later (the files already downloaded are kept: the job ends
        normally)."""
        files = self.sudo().search(
            [
                ("ticket_id", "=", ticket_id),
                ("direction", "=", "in"),
                ("state", "=", "pending"),
            ]
        )
        if not files:
            return "Nothing to download"
        self.env.cr.execute(
            "SELECT id FROM gis_zhkh_file WHERE id IN %s FOR NO KEY UPDATE SKIP LOCKED",
            [tuple(files.ids)],
        )
        files = files.browse([row[0] for row in self.env.cr.fetchall()])
        files.invalidate_recordset()
        files = files.filtered(lambda f: f.state == "pending")
        done, failed, retry = files.browse(), files.browse(), files.browse()
        started, limit = time.monotonic(), self._worker_time_limit()
        deferred = 0
        for index, record in enumerate(files):
            backend = record.backend_id.with_company(record.company_id)
            worst = backend._get_file_client()._budget(backend.file_max_mb * 1048576)
            if limit and worst > limit:
                _logger.warning(
                    "A file transfer of GIS ZhKKh connection %s may take up to %d s, "
                    "longer than the workers' limit_time_real (%d s): raise it, or "
                    "lower the largest file downloaded (see the deployment guide)",
                    backend.id,
                    worst,
                    limit,
                )
            if index and limit and time.monotonic() - started + worst > 0.8 * limit:
                # A worker killed at limit_time_real would lose the files
                # already downloaded with the job's transaction: the rest
                # goes to a job of its own, at once.
                self._enqueue_download(record.ticket_id)
                deferred = len(files) - index
                break
            try:
                record._download(backend)
                done |= record
            except GisError as error:
                if error.transient and record._may_retry(DOWNLOAD_BACKOFF):
                    record.write({"attempts": record.attempts + 1, "error": str(error)})
                    retry |= record
                else:
                    record._fail(backend, error)
                    failed |= record
        if failed:
            failed._note_failures()
        if retry:
            wait = retry._backoff(DOWNLOAD_BACKOFF)
            self._enqueue_download(
                retry.ticket_id[:1],
                eta=wait,
                attempt=max(retry.mapped("attempts")),
            )
        result = f"{len(done)} downloaded, {len(failed)} failed, {len(retry)} later"
        return f"{result}, {deferred} in a new job" if deferred else result

    @api.model
    def _worker_time_limit(self):
        """Seconds a job may run before its worker is killed (prefork's
        limit_time_real; none in a threaded server)."""
        if not config.get("workers"):
            return 0
        return config.get("limit_time_real") or 0

    def _may_retry(self, backoff):
        self.ensure_one()
        limit = backoff[-1][0]
        return limit is None or self.attempts + 1 < limit

    def _backoff(self, backoff):
        attempts = max(self.mapped("attempts") or [1])
        return next(s for limit, s in backoff if limit is None or attempts <= limit)

    def _download(self, backend):
        """Stream the file to a temporary file on disk (never whole in
        memory while it travels), then store it on the ticket: the bytes are
        read once, for Odoo's attachment."""
        self.ensure_one()
        client = backend._get_file_client()
        limit = backend.file_max_mb * 1024 * 1024 if backend.file_max_mb else None
        with tempfile.TemporaryFile(prefix="gis-file-") as spool:
            size = client.download(self.attachment_guid, spool, max_bytes=limit)
            spool.seek(0)
            raw = spool.read()
        # image_no_postprocess: the resident's photo as GIS holds it, not
        # resized and recompressed by Odoo.
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .with_context(image_no_postprocess=True)
            .create(
                {
                    "name": self.name,
                    "description": self.description or False,
                    "raw": raw,
                    "res_model": "helpdesk.ticket",
                    "res_id": self.ticket_id.id,
                }
            )
        )
        del raw
        # The bytes are on disk now: not kept in the cache for the rest of
        # the job (a ticket may have many files).
        attachment.invalidate_recordset(["raw", "datas"])
        self.write(
            {
                "state": "done",
                "size": size,
                "attachment_id": attachment.id,
                "error": False,
            }
        )

    def _fail(self, backend, error):
        self.write(
            {
                "state": "failed",
                "attempts": self.attempts + 1,
                "error": self._error_text(error),
            }
        )

    def _error_text(self, error):
        """What became of a file, in the user's words."""
        code = getattr(error, "code", None)
        texts = {
            "FileTooLarge": self.env._(
                "larger than the connection's limit (%(size)s MB): not downloaded; "
                "open it in the GIS ZhKKh cabinet, or raise the limit",
                size=round(getattr(error, "size", 0) / 1048576, 1),
            ),
            "FileVirusInfectionException": self.env._(
                "GIS ZhKKh found a virus in it: not downloaded"
            ),
            "FileNotFoundException": self.env._("GIS ZhKKh no longer has this file"),
            "FilePermissionException": self.env._(
                "GIS ZhKKh does not let the organisation read this file"
            ),
            "ContextNotFoundException": self.env._(
                "the connection's file store context is wrong (Files tab)"
            ),
        }
        return texts.get(code) or self.env._(
            "the GIS ZhKKh file store refused it: %(error)s", error=str(error)
        )

    def _note_failures(self):
        """One note per ticket naming the files that could not be taken."""
        for ticket in self.ticket_id:
            items = Markup("").join(
                Markup("<li>%s — %s</li>") % (record.name, record.error)
                for record in self.filtered(lambda f, t=ticket: f.ticket_id == t)
            )
            ticket._message_log(
                body=Markup("%s<ul>%s</ul>")
                % (self.env._("Files of the GIS ZhKKh appeal not attached:"), items)
            )

    # ------------------------------------------------------------------
    # Upload (documents of answers)
    # ------------------------------------------------------------------

    def _upload(self, backend):
        """Upload this file (an answer's document) to the GIS file store,
        once: its GUID and GOST hash are kept; a multi-part upload cut short
        goes on where it stopped. ``GisError`` on failure (progress kept)."""
        self.ensure_one()
        if self.state == "done" and self.attachment_guid:
            return
        attachment = self.attachment_id.sudo()
        client = backend._get_file_client()
        with self._open(attachment) as fileobj:
            if not self.gis_hash:
                # Hashed once (about 2 s per MB), kept for every retry.
                self.write(
                    {
                        "gis_hash": gost94.hash_file(fileobj),
                        "size": fileobj.seek(0, os.SEEK_END),
                    }
                )
            progress = gis_files.UploadProgress(
                upload_id=self.upload_id or None, parts_done=self.parts_done
            )

            def keep(progress):
                self.write(
                    {"upload_id": progress.upload_id, "parts_done": progress.parts_done}
                )

            guid = client.upload(
                self.name, fileobj, self.size, progress=progress, on_progress=keep
            )
        self.write(
            {
                "attachment_guid": guid,
                "state": "done",
                "error": False,
                "upload_id": False,
            }
        )

    @staticmethod
    def _open(attachment):
        """The attachment's bytes as a file: its file in the filestore, read
        part by part, or (stored in the database) a spooled copy."""
        if attachment.store_fname:
            path = attachment._full_path(attachment.store_fname)
            if os.path.isfile(path):
                return open(path, "rb")
        spool = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115
        spool.write(base64.b64decode(attachment.datas or b""))
        spool.seek(0)
        return spool
