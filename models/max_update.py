# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import contextlib
import json
import logging
import zlib

import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from ..tools import max_updates
from .max_sending import own_transaction

_logger = logging.getLogger(__name__)

# Namespace of the advisory locks that keep one chat's updates in order.
LOCK_NAMESPACE = 0x4D4158  # "MAX"
# Updates close together (a photo album, a double tap) are handled in one job.
PROCESS_DELAY = 2
# Tries of an update that conflicts with concurrent work before it is failed
# and its chat goes on without it.
MAX_ATTEMPTS = 5


class MaxUpdate(models.Model):
    """An update MAX delivered (webhook or long polling), kept raw until it is
    processed: the webhook stores it and answers at once, a queue job
    handles it. The dedup key makes a second delivery of the same update a
    no-op."""

    _name = "max.update"
    _description = "MAX update"
    _order = "id desc"

    gateway_id = fields.Many2one(
        "mail.gateway", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="gateway_id.company_id", store=True)
    dedup_key = fields.Char(required=True)
    update_type = fields.Char(required=True)
    chat_key = fields.Char(
        required=True,
        index=True,
        help="u<user id> for a resident's dialog, c<chat id> for a group chat.",
    )
    timestamp = fields.Float(digits=(16, 0), help="MAX time, ms since 1970 (UTC).")
    seq = fields.Float(digits=(16, 0))
    payload = fields.Text(required=True)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("done", "Processed"),
            ("failed", "Failed"),
        ],
        default="pending",
        required=True,
        index=True,
    )
    error = fields.Char(readonly=True)
    attempts = fields.Integer(
        readonly=True, help="Failed tries to process it (a conflict, MAX busy)."
    )
    dialog_id = fields.Many2one("max.dialog", index="btree_not_null")
    ticket_id = fields.Many2one("helpdesk.ticket", index="btree_not_null")

    _dedup_unique = models.Constraint(
        "UNIQUE(gateway_id, dedup_key)", "MAX delivered this update already."
    )

    @api.model
    def _chat_key(self, update):
        if update.chat_type in ("chat", "channel"):
            return f"c{update.chat_id}" if update.chat_id is not None else None
        if update.user is not None:
            return f"u{update.user.user_id}"
        return f"c{update.chat_id}" if update.chat_id is not None else None

    @api.model
    def _store_deliveries(self, gateway, deliveries):
        """Read raw deliveries (long polling) and store them: the readable
        ones to be processed (``_store_updates``), the others as failed
        (``_store_unreadable``), never dropped."""
        parsed = []
        for data in deliveries:
            try:
                parsed.append((data, max_updates.parse_update(data)))
            except (max_updates.UpdateError, TypeError, ValueError) as error:
                self._store_unreadable(gateway, data, error)
        return self._store_updates(gateway, parsed)

    @api.model
    def _store_unreadable(self, gateway, data, error):
        """Keep a delivery this version cannot read (MAX changed something):
        failed, with its raw body and the reason, for a manager to see and to
        process again after an upgrade. Acknowledged: MAX must not retry it
        for hours nor drop the subscription over it."""
        self.check_access("create")
        update_type, chat_key, timestamp = max_updates.salvage(data)
        _logger.warning(
            "MAX gateway %s: %s update kept unread: %s", gateway.id, update_type, error
        )
        self.env.cr.execute(
            SQL(
                """INSERT INTO max_update (gateway_id, company_id, dedup_key,
                       update_type, chat_key, timestamp, seq, payload, state,
                       error, attempts, create_uid, write_uid, create_date,
                       write_date)
                   VALUES (%s, %s, %s, %s, %s, %s, 0, %s, 'failed', %s, 0,
                       %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')
                   ON CONFLICT (gateway_id, dedup_key) DO NOTHING
                   RETURNING id""",
                gateway.id,
                gateway.company_id.id or None,
                max_updates.dedup_key(data) if isinstance(data, dict) else "?",
                update_type,
                chat_key,
                timestamp,
                json.dumps(data, ensure_ascii=False, default=str),
                self.env._("Not understood: %(error)s", error=str(error))[:250],
                self.env.uid,
                self.env.uid,
            ),
            # See _store_updates: a concurrent duplicate is replayed, not an error.
            log_exceptions=False,
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _store_updates(self, gateway, parsed):
        """Keep each known update of ``parsed`` (``(data, Update)`` pairs,
        read already) once and queue the dispatch. Returns how many updates
        were new."""
        self.check_access("create")
        rows = []
        for data, update in parsed:
            chat_key = self._chat_key(update)
            if (
                not update.known
                or not chat_key
                or update.update_type in max_updates.GROUP_EVENTS
            ):
                # Unknown types, and who joined or left a house chat: nothing
                # a dispatcher needs, nothing kept.
                _logger.info(
                    "MAX gateway %s: %s update acknowledged, not kept",
                    gateway.id,
                    update.update_type if update.known else "unknown",
                )
                continue
            if update.warnings:
                _logger.info(
                    "MAX gateway %s: %s update read without: %s",
                    gateway.id,
                    update.update_type,
                    "; ".join(update.warnings),
                )
            rows.append((update, chat_key, data))
        new = 0
        for update, chat_key, data in rows:
            # ON CONFLICT: a duplicate delivery must not abort the transaction
            # of the webhook (nor cost a savepoint).
            self.env.cr.execute(
                SQL(
                    """INSERT INTO max_update (gateway_id, company_id, dedup_key,
                           update_type, chat_key, timestamp, seq, payload, state,
                           create_uid, write_uid, create_date, write_date)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'pending',
                           %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')
                       ON CONFLICT (gateway_id, dedup_key) DO NOTHING
                       RETURNING id""",
                    gateway.id,
                    gateway.company_id.id or None,
                    update.key,
                    update.update_type,
                    chat_key,
                    update.timestamp,
                    update.seq or 0,
                    json.dumps(data, ensure_ascii=False),
                    self.env.uid,
                    self.env.uid,
                ),
                # Two deliveries of one update at the same instant (MAX
                # repeats itself, prefork workers side by side): the later
                # one's snapshot misses the row and PostgreSQL refuses it
                # (SerializationFailure); Odoo replays the request, which then
                # acknowledges the duplicate. Routine, not an error: and
                # Odoo's "bad query" log would hold the resident's message.
                log_exceptions=False,
            )
            if self.env.cr.fetchone():
                new += 1
            else:
                _logger.info(
                    "MAX gateway %s: duplicate %s acknowledged",
                    gateway.id,
                    update.update_type,
                )
        if new:
            self._ensure_dispatch(gateway)
        return new

    @api.model
    def _waiting_job(self, identity_key):
        """Whether a job with this identity waits to run: one query on
        queue_job's partial index on identity_key."""
        self.env.cr.execute(
            """SELECT 1 FROM queue_job
               WHERE identity_key = %s AND identity_key IS NOT NULL
                 AND state IN ('pending', 'enqueued', 'wait_dependencies')
               LIMIT 1""",
            [identity_key],
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _ensure_dispatch(self, gateway, eta=None):
        """The webhook's hot path queues nothing but this one job per bot,
        and only when none waits: under a flood of new chats a request costs
        an INSERT and one indexed query, not the creation of a job."""
        delayable = self._delay_once(
            f"max-dispatch-{gateway.id}",
            eta,
            f"MAX: dispatch updates ({gateway.name})",
        )
        return delayable and delayable._job_dispatch(gateway.id)

    @api.model
    def _delay_once(self, identity_key, eta, description, target=None):
        """``with_delay`` for a job (of ``target``, else of this model), or
        None when one with this identity already waits (checked with one
        indexed query, before building any Job object)."""
        if self._waiting_job(identity_key):
            return None
        target = self if target is None else target
        return target.sudo().with_delay(
            eta=eta, identity_key=identity_key, description=description
        )

    @api.model
    def _job_dispatch(self, gateway_id):
        """Job: one processing job per chat that has pending updates."""
        gateway = self.env["mail.gateway"].browse(gateway_id).exists()
        if not gateway:
            return "Gateway deleted"
        chats = [
            chat_key
            for (chat_key,) in self._read_group(
                [("gateway_id", "=", gateway_id), ("state", "=", "pending")],
                ["chat_key"],
            )
        ]
        queued = [c for c in chats if self._enqueue_chat(gateway, c, eta=0)]
        if queued:
            # Updates a webhook committed while this job read the chats are
            # picked up by a follow-up a moment later.
            self._ensure_dispatch(gateway, eta=PROCESS_DELAY)
        return f"{len(queued)} chat(s) queued of {len(chats)} pending"

    @api.model
    def _enqueue_chat(self, gateway, chat_key, eta=PROCESS_DELAY):
        # One waiting job per chat: it takes every pending update of the chat.
        delayable = self._delay_once(
            f"max-chat-{gateway.id}-{chat_key}",
            eta,
            f"MAX: process chat updates ({gateway.name})",
        )
        return delayable and delayable._job_process_chat(gateway.id, chat_key)

    # -- processing --

    @api.model
    def _job_process_chat(self, gateway_id, chat_key):
        """Job: handle the pending updates of one chat, oldest first."""
        gateway = self.env["mail.gateway"].browse(gateway_id).exists()
        if not gateway:
            return "Gateway deleted"
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(%s::bigint)",
            ((LOCK_NAMESPACE << 32) | zlib.crc32(f"{gateway_id}:{chat_key}".encode()),),
        )
        if not self.env.cr.fetchone()[0]:
            raise RetryableJobError(
                "Another job handles this chat", seconds=5, ignore_retry=True
            )
        pending = self.search(
            [
                ("gateway_id", "=", gateway_id),
                ("chat_key", "=", chat_key),
                ("state", "=", "pending"),
            ],
            order="timestamp, seq, id",
        )
        if not pending:
            return "Nothing pending"
        # The snapshot was taken before the lock (at the job's first query):
        # a job of this chat that committed in between left it stale, and
        # these updates would be handled twice (the dialog created again).
        # Their rows tell: locking one that job changed fails at once, and
        # queue_job runs this job again later, on fresh data. Routine with
        # prefork workers side by side: not logged as an error. The row locks
        # go with the savepoint (a failed try is counted on these rows from
        # another transaction, which must not wait for this one).
        with contextlib.closing(self.env.cr.savepoint(flush=False)):
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM max_update WHERE id IN %s FOR NO KEY UPDATE",
                    tuple(pending.ids),
                ),
                log_exceptions=False,
            )
        bot = self.env.ref("helpdesk_gis_zhkh_max.user_max_bot")
        worker = pending.with_user(bot).with_company(gateway.company_id)
        gateway = gateway.with_user(bot).with_company(gateway.company_id)
        outbox = {}
        for update in worker:
            if update.state == "pending":
                update._process(gateway, outbox)
        # Committed with the updates they answer: processed once, answered
        # once, after this chat's earlier answers.
        for dialog, messages in outbox.items():
            dialog._enqueue_replies(messages)
        return f"{len(pending)} update(s)"

    def _process(self, gateway, outbox):
        """Handle this update in a savepoint: what it did and the answers it
        made are kept together, or neither."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                update = max_updates.parse_update(json.loads(self.payload))
                answers = []
                if self.chat_key.startswith("c"):
                    self.env["max.chat.alert"]._handle_group_update(gateway, update)
                    values = {}
                else:
                    dialog = self.env["max.dialog"]._for_update(gateway, update)
                    values = {}
                    if dialog:
                        ticket = dialog._handle(update, answers)
                        values = {"dialog_id": dialog.id, "ticket_id": ticket.id}
                self.write(dict(values, state="done", error=False))
        except psycopg2.OperationalError as error:
            # A concurrent update (serialization failure, lock): queue_job
            # retries the chat, a bounded number of times for this update.
            self._count_attempt(error)
            raise
        except max_updates.UpdateError as error:
            self._failed(error)
        except Exception as error:  # pylint: disable=broad-except
            # Kept, visible and replayable; the chat's other updates go on.
            _logger.exception("MAX update %s could not be processed", self.id)
            self._failed(error)
        else:
            if values.get("dialog_id") and answers:
                outbox.setdefault(
                    self.env["max.dialog"].browse(values["dialog_id"]), []
                )
                outbox[self.env["max.dialog"].browse(values["dialog_id"])] += answers

    def _count_attempt(self, error):
        """One more failed try, committed whatever happens to the job: past
        ``MAX_ATTEMPTS`` the update is failed and the chat goes on without
        it."""
        with own_transaction(self.env) as cr:
            cr.execute(
                """UPDATE max_update
                      SET attempts = coalesce(attempts, 0) + 1,
                          state = CASE WHEN coalesce(attempts, 0) + 1 >= %s
                                       THEN 'failed' ELSE state END,
                          error = %s
                    WHERE id = %s""",
                [MAX_ATTEMPTS, f"{error.__class__.__name__}: {error}"[:250], self.id],
            )

    def _failed(self, error):
        self.write(
            {"state": "failed", "error": f"{error.__class__.__name__}: {error}"[:250]}
        )

    def action_retry(self):
        """Process failed updates again."""
        failed = self.filtered(lambda u: u.state == "failed")
        failed.write({"state": "pending", "error": False})
        for gateway, chat_key in {(u.gateway_id, u.chat_key) for u in failed}:
            self._enqueue_chat(gateway, chat_key, eta=0)
        return True

    @api.model
    def _cron_resume(self, age_seconds=60):
        """Queue again the chats whose updates wait with no job: a job may
        have read the chat just before an update it was counted on for
        committed, or been lost with its worker."""
        limit = fields.Datetime.subtract(fields.Datetime.now(), seconds=age_seconds)
        stale = self._read_group(
            [("state", "=", "pending"), ("create_date", "<", limit)],
            ["gateway_id", "chat_key"],
        )
        for gateway in {gateway for gateway, _chat_key in stale}:
            self._ensure_dispatch(gateway)
        return len(stale)

    @api.model
    def _cron_purge(self, days=90):
        """Processed updates are proof for a while, then only their effect
        (tickets, messages) remains."""
        limit = fields.Datetime.subtract(fields.Datetime.now(), days=days)
        old = self.search([("state", "=", "done"), ("create_date", "<", limit)])
        old.unlink()
        return len(old)
